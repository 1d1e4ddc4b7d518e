// The live feed: `GET /api/v1/feed`, Server-Sent Events read through fetch() (EventSource
// cannot send the Authorization header), parsed here. It resumes from the last id it saw with
// `Last-Event-ID`, so a dropped connection loses nothing: the server replays the log. Silence
// longer than 25 s (the server pings every 10 s) counts as a lost connection. Reconnects back
// off from half a second to ten seconds.
import { currentToken } from "./api.js";

const SILENCE_MS = 25_000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];

/**
 * Starts following the feed from `seq`. `on` has: hello(data), log(data), rows(data),
 * reset(data) (returns a promise of the seq to resume from), up(), down(), refused(status).
 * Returns a stop function.
 */
export function follow(seq, on) {
  let last = seq;
  let stopped = false;
  let controller = null;
  let heard = Date.now();
  let failures = 0;
  // For tests and anyone looking: connections made, failed attempts in a row, replays caught up.
  const seen = (window.__consoleFeed = { connects: 0, failures: 0, replays: 0, last: seq });

  const watchdog = setInterval(() => {
    if (controller && Date.now() - heard > SILENCE_MS) controller.abort();
  }, 1000);

  async function connectOnce() {
    controller = new AbortController();
    heard = Date.now();
    const res = await fetch("/api/v1/feed", {
      headers: {
        Authorization: `Bearer ${currentToken()}`,
        Accept: "text/event-stream",
        "Last-Event-ID": String(last),
      },
      cache: "no-store",
      signal: controller.signal,
    });
    if (!res.ok) {
      let body = null;
      try {
        body = await res.json();
      } catch {
        body = null;
      }
      return { refused: res.status, body };
    }
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
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        await dispatch(frame);
      }
    }
  }

  async function dispatch(frame) {
    let event = "message";
    let id = null;
    const data = [];
    for (const line of frame.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    }
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
      seen.failures = 0;
      on.up();
      on.hello(body);
    } else if (event === "log") {
      on.log(body);
    } else if (event === "rows") {
      seen.replays += 1;
      on.rows(body);
    } else if (event === "reset") {
      last = await on.reset(body);
      controller.abort();
      return;
    }
    if (id !== null && /^\d+$/.test(id)) last = Number(id);
    seen.last = last;
  }

  (async () => {
    while (!stopped) {
      let outcome = {};
      try {
        outcome = await connectOnce();
      } catch {
        outcome = {};
      }
      if (stopped) break;
      controller = null;
      on.down();
      if (outcome.refused === 401 || outcome.refused === 403) {
        on.refused(outcome.refused);
        break;
      }
      if (outcome.refused === 400) {
        // The server does not know our place in the log: start again from a fresh board.
        last = await on.reset({ reason: outcome.body?.error?.message || "bad Last-Event-ID" });
      }
      const wait = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
      failures += 1;
      seen.failures = failures;
      await new Promise((r) => setTimeout(r, wait * (0.8 + Math.random() * 0.4)));
    }
  })();

  return () => {
    stopped = true;
    clearInterval(watchdog);
    if (controller) controller.abort();
  };
}
