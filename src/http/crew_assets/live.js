// The crew's live feed: `GET /api/v1/crew/feed`, Server-Sent Events read through fetch() with
// the crew's token in the Authorization header, as the console reads its feed (an EventSource
// cannot send it). The server sends only what concerns this unit, as `crew` frames naming an
// event's type and incident; the page reads its assignments again on each. A reconnect sends
// `Last-Event-ID`, so the server replays what was missed from the log (its pings carry the
// id too). Silence longer than 25 s (the server pings every 10 s) counts as a lost
// connection; reconnects back off from half a second to ten seconds.

const SILENCE_MS = 25_000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];

/**
 * Follows the feed with the token `token()` gives. `on` has: up() (connected), down()
 * (connection lost, reconnecting), news(data) (a `crew` frame, or a `reset`), refused(status)
 * (401/403: stopped). Returns a stop function.
 */
export function listen(token, on) {
  let last = null;
  let stopped = false;
  let controller = null;
  let heard = Date.now();
  let failures = 0;
  // For tests and anyone looking: connections made, news heard, the last id.
  const seen = (window.__crewFeed = { connects: 0, news: 0, last: null });

  const watchdog = setInterval(() => {
    if (controller && Date.now() - heard > SILENCE_MS) controller.abort();
  }, 1000);

  async function connectOnce() {
    controller = new AbortController();
    heard = Date.now();
    const headers = { Authorization: "Bearer " + token(), Accept: "text/event-stream" };
    if (last !== null) headers["Last-Event-ID"] = String(last);
    const res = await fetch("/api/v1/crew/feed", { headers, cache: "no-store", signal: controller.signal });
    if (!res.ok) return { refused: res.status };
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return {};
      heard = Date.now();
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        dispatch(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
  }

  function dispatch(frame) {
    let event = "message";
    const data = [];
    for (const line of frame.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      // A ping's id moves us past the events that were not for us.
      else if (field === "id" && /^\d+$/.test(value)) last = Number(value);
    }
    seen.last = last;
    if (!data.length) return;
    let body;
    try {
      body = JSON.parse(data.join("\n"));
    } catch {
      return;
    }
    if (event === "hello") {
      failures = 0;
      seen.connects += 1;
      on.up();
    } else if (event === "crew" || event === "reset") {
      if (event === "reset") last = body.seq;
      seen.news += 1;
      on.news(body);
    }
  }

  (async () => {
    while (!stopped) {
      let outcome = {};
      try {
        outcome = await connectOnce();
      } catch {
        outcome = {};
      }
      controller = null;
      if (stopped) break;
      on.down();
      if (outcome.refused === 401 || outcome.refused === 403) {
        on.refused(outcome.refused);
        break;
      }
      // 400: the server does not know our place in its log; follow from now (and reload).
      if (outcome.refused === 400) last = null;
      const wait = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
      failures += 1;
      await new Promise((r) => setTimeout(r, wait * (0.8 + Math.random() * 0.4)));
    }
  })();

  return () => {
    stopped = true;
    clearInterval(watchdog);
    if (controller) controller.abort();
  };
}
