//! A console's (or a crew's) view of the live feed for tests: `GET /api/v1/feed` (or
//! `/api/v1/crew/feed`) read frame by frame over a real connection (reqwest, chunk by chunk),
//! as Server-Sent Events are framed.

use serde_json::Value;
use std::time::Duration;

/// One frame: `event`, its `id` if it had one, and its data as JSON.
#[derive(Debug, Clone)]
pub struct Frame {
    pub event: String,
    pub id: Option<i64>,
    pub data: Value,
}

/// An open feed connection.
pub struct Feed {
    response: reqwest::Response,
    buffer: String,
}

impl Feed {
    /// Opens the feed with `token`, from `last_event_id` when given; the status and the JSON
    /// error when it is refused.
    pub async fn open(
        base: &str,
        token: &str,
        last_event_id: Option<&str>,
    ) -> Result<Feed, (u16, Value)> {
        Feed::open_at(base, "/api/v1/feed", token, last_event_id).await
    }

    /// Opens the feed at `path` (a crew's is `/api/v1/crew/feed`), as [`Feed::open`] does.
    pub async fn open_at(
        base: &str,
        path: &str,
        token: &str,
        last_event_id: Option<&str>,
    ) -> Result<Feed, (u16, Value)> {
        let mut request = reqwest::Client::new()
            .get(format!("{base}{path}"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.expect("GET the feed");
        let status = response.status().as_u16();
        if status != 200 {
            return Err((status, response.json().await.unwrap_or(Value::Null)));
        }
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Ok(Feed {
            response,
            buffer: String::new(),
        })
    }

    /// The next frame (comments skipped), waiting at most `secs` seconds.
    pub async fn next(&mut self, secs: u64) -> Frame {
        let end = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(frame) = self.take() {
                return frame;
            }
            let chunk = tokio::time::timeout_at(end, self.response.chunk())
                .await
                .unwrap_or_else(|_| panic!("no frame within {secs} s"))
                .expect("read the feed")
                .expect("the feed ended");
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    /// The `log` frames up to and including the one with sequence `until`, in order (other
    /// frames are returned in `others`).
    pub async fn log_until(&mut self, until: i64, secs: u64) -> (Vec<Frame>, Vec<Frame>) {
        let (mut logs, mut others) = (vec![], vec![]);
        loop {
            let f = self.next(secs).await;
            if f.event == "log" {
                let seq = f.id.expect("a log frame has an id");
                logs.push(f);
                if seq >= until {
                    return (logs, others);
                }
            } else {
                others.push(f);
            }
        }
    }

    /// Reads until the server ends the stream (frames meanwhile are dropped), waiting at most
    /// `secs` seconds.
    pub async fn until_end(&mut self, secs: u64) {
        let end = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            match tokio::time::timeout_at(end, self.response.chunk()).await {
                Err(_) => panic!("the feed did not end within {secs} s"),
                Ok(Ok(Some(_))) => {}
                Ok(_) => return,
            }
        }
    }

    fn take(&mut self) -> Option<Frame> {
        let end = self.buffer.find("\n\n")?;
        let block: String = self.buffer.drain(..end + 2).collect();
        let (mut event, mut id, mut data) = (String::from("message"), None, String::new());
        let mut any = false;
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event: ") {
                event = v.to_owned();
                any = true;
            } else if let Some(v) = line.strip_prefix("id: ") {
                id = Some(v.parse().expect("a numeric id"));
            } else if let Some(v) = line.strip_prefix("data: ") {
                data.push_str(v);
                any = true;
            }
        }
        if !any {
            // A comment (`: ping`): take the next one.
            return self.take();
        }
        Some(Frame {
            event,
            id,
            data: serde_json::from_str(&data).expect("frame data is JSON"),
        })
    }
}
