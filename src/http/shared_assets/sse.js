// Server-Sent Events read through fetch(), for the pages' live feeds (the console's
// `/api/v1/feed`, the crew page's `/api/v1/crew/feed`): an EventSource cannot send the
// Authorization header. One file embedded in both pages' assets.
//
// A feed's module makes one connection with `readFrames`, and `keepConnected` makes it again
// after it ends, backing off from about half a second to ten seconds (from the first step again
// once a connection was made), until the server refuses the token (401, 403) or the page stops
// it. Silence longer than
// `SILENCE_MS` (the server pings every 10 s) counts as a lost connection.

export const SILENCE_MS = 25_000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 10000];

/**
 * One frame's fields: `{ event, id, body }`; `body` is its data parsed as JSON, `null` when it
 * has none (a ping) or it is not JSON; `id` is `null` when it has none.
 */
export function parseFrame(frame) {
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
  let body = null;
  if (data.length) {
    try {
      body = JSON.parse(data.join("\n"));
    } catch {
      body = null;
    }
  }
  return { event, id, body };
}

/**
 * Reads `res`'s stream until it ends, calling `heard()` on every chunk and awaiting
 * `onFrame(parseFrame(frame))` for every frame, in order.
 */
export async function readFrames(res, heard, onFrame) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    heard();
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      await onFrame(parseFrame(frame));
    }
  }
}

/**
 * Runs `connectOnce(signal)` again and again: it connects, reads until the stream ends and
 * answers `{}`, or `{ refused: status, body }` when the server refused. `on` has: down() (the
 * connection ended), refused(status) (401, 403: stopped), badPlace(outcome) (400: the server
 * does not know the page's place in its log; awaited before reconnecting), failed(n) (optional:
 * attempts failed in a row). Returns `{ stop(), connected(), abort() }`: `connected()` tells it
 * a connection was made (the backoff starts again from its first step), `abort()` ends the
 * connection in use (it is made again).
 */
export function keepConnected(connectOnce, on) {
  let stopped = false;
  let failures = 0;
  let controller = null;
  let heardAt = Date.now();
  const watchdog = setInterval(() => {
    if (controller && Date.now() - heardAt > SILENCE_MS) controller.abort();
  }, 1000);
  const heard = () => {
    heardAt = Date.now();
  };
  (async () => {
    while (!stopped) {
      let outcome = {};
      controller = new AbortController();
      heard();
      try {
        outcome = await connectOnce(controller.signal, heard);
      } catch {
        outcome = {};
      }
      controller = null;
      if (stopped) break;
      on.down();
      if (outcome.refused === 401 || outcome.refused === 403) {
        stopped = true;
        clearInterval(watchdog);
        on.refused(outcome.refused);
        break;
      }
      if (outcome.refused === 400) await on.badPlace(outcome);
      const wait = BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)];
      failures += 1;
      if (on.failed) on.failed(failures);
      await new Promise((r) => setTimeout(r, wait * (0.8 + Math.random() * 0.4)));
    }
  })();
  return {
    stop() {
      stopped = true;
      clearInterval(watchdog);
      if (controller) controller.abort();
    },
    connected() {
      failures = 0;
    },
    abort() {
      if (controller) controller.abort();
    },
  };
}
