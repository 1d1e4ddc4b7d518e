// The live feed: `GET /api/v1/feed`, Server-Sent Events read through fetch() (`sse.js`: an
// EventSource cannot send the Authorization header). It resumes from the last id it saw with
// `Last-Event-ID`, so a dropped connection loses nothing: the server replays the log.
import { currentToken } from "./api.js";
import { keepConnected, readFrames } from "./sse.js";

/**
 * Starts following the feed from `seq`. `on` has: hello(data), log(data), rows(data),
 * reset(data) (returns a promise of the seq to resume from), up(), down(), refused(status).
 * Returns a stop function.
 */
export function follow(seq, on) {
  let last = seq;
  // For tests and anyone looking: connections made, failed attempts in a row, replays caught up.
  const seen = (window.__consoleFeed = { connects: 0, failures: 0, replays: 0, last: seq });

  async function connectOnce(signal, heard) {
    const res = await fetch("/api/v1/feed", {
      headers: {
        Authorization: `Bearer ${currentToken()}`,
        Accept: "text/event-stream",
        "Last-Event-ID": String(last),
      },
      cache: "no-store",
      signal,
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
    await readFrames(res, heard, dispatch);
    return {};
  }

  async function dispatch({ event, id, body }) {
    if (body === null) return;
    if (event === "hello") {
      link.connected();
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
      link.abort();
      return;
    }
    if (id !== null && /^\d+$/.test(id)) last = Number(id);
    seen.last = last;
  }

  const link = keepConnected(connectOnce, {
    down: on.down,
    refused: on.refused,
    // The server does not know our place in the log: start again from a fresh board.
    badPlace: async (outcome) => {
      last = await on.reset({ reason: outcome.body?.error?.message || "bad Last-Event-ID" });
    },
    failed: (n) => {
      seen.failures = n;
    },
  });
  return () => link.stop();
}
