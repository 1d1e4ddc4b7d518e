//! The service under load: the `liftrescue` binary in a process of its own (its CPU counted
//! apart from the load generator's), on the database the bench seeded, with MQTT intake on.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `liftrescue serve`.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The MQTT topic prefix its intake subscribes under.
    pub prefix: String,
    /// Where its log lines go.
    pub log: std::path::PathBuf,
}

/// A free loopback port (bound and released; the server binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

impl Server {
    /// Starts the server on `db` with MQTT intake from `broker` and waits until it is ready.
    pub async fn start(db: &str, broker: &str, dir: &std::path::Path) -> Server {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let prefix = format!("lr-burst/{id}");
        let base = format!("127.0.0.1:{}", free_port());
        let log = dir.join(format!("server-{id}.log"));
        let out = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{e}"));
        // Another build of the server may be measured with the same load.
        let bin = std::env::var("LIFTRESCUE_BENCH_SERVER_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_liftrescue").into());
        let child = Command::new(bin)
            .arg("serve")
            .env("LIFTRESCUE_DATABASE_URL", db)
            .env("LIFTRESCUE_LISTEN", &base)
            .env("LIFTRESCUE_SEED_DEMO", "false")
            .env("LIFTRESCUE_INTAKE__MQTT_URL", broker)
            .env("LIFTRESCUE_INTAKE__MQTT_TOPIC_PREFIX", &prefix)
            .env(
                "LIFTRESCUE_INTAKE__MQTT_CLIENT_ID",
                format!("lr-burst-{id}"),
            )
            .env(
                "LIFTRESCUE_LOG",
                std::env::var("LIFTRESCUE_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start liftrescue: {e}"));
        let server = Server {
            child,
            base: format!("http://{base}"),
            prefix,
            log,
        };
        server.ready().await;
        server
    }

    /// Waits for `/readyz` to answer 200 (at most 60 s).
    async fn ready(&self) {
        let client = reqwest::Client::new();
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            let r = client.get(format!("{}/readyz", self.base)).send().await;
            if r.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not get ready; see {}", self.log.display());
    }

    /// CPU seconds the server has used (user + system).
    pub fn cpu_secs(&self) -> f64 {
        cpu_secs_of(&format!("/proc/{}/stat", self.child.id()))
    }

    /// SIGTERM, then waits for it to exit (SIGKILL after 30 s).
    pub async fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds (user + system) from a `/proc/…/stat` file.
pub fn cpu_secs_of(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, a)| a);
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    // After the command: state is field 3, utime 14 and stime 15; clock ticks of 1/100 s.
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

/// The load average (1, 5, 15 minutes).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// PostgreSQL's CPU seconds (every `postgres` process), when this user may read them.
pub fn postgres_cpu_secs() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .map(|e| cpu_secs_of(&e.path().join("stat").to_string_lossy()))
        .sum()
}
