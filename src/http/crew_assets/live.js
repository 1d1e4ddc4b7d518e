// The crew's live feed: `GET /api/v1/crew/feed`, read with the crew's token as the console
// reads its feed (`sse.js`). The server sends only what concerns this unit, as `crew` frames
// naming an event's type and incident; the page reads its assignments again on each. A
// reconnect sends `Last-Event-ID`, so the server replays what was missed from the log (its
// pings carry the id too).
import { keepConnected, readFrames } from "./sse.js";

/**
 * Follows the feed with the token `token()` gives. `on` has: up() (connected), down()
 * (connection lost, reconnecting), news(data) (a `crew` frame, or a `reset`), refused(status)
 * (401/403: stopped). Returns a stop function.
 */
export function listen(token, on) {
  let last = null;
  // For tests and anyone looking: connections made, news heard, the last id.
  const seen = (window.__crewFeed = { connects: 0, news: 0, last: null });

  async function connectOnce(signal, heard) {
    const headers = { Authorization: "Bearer " + token(), Accept: "text/event-stream" };
    if (last !== null) headers["Last-Event-ID"] = String(last);
    const res = await fetch("/api/v1/crew/feed", { headers, cache: "no-store", signal });
    if (!res.ok) return { refused: res.status };
    await readFrames(res, heard, dispatch);
    return {};
  }

  function dispatch({ event, id, body }) {
    // A ping's id moves us past the events that were not for us.
    if (id !== null && /^\d+$/.test(id)) last = Number(id);
    seen.last = last;
    if (body === null) return;
    if (event === "hello") {
      link.connected();
      seen.connects += 1;
      on.up();
    } else if (event === "crew" || event === "reset") {
      if (event === "reset") last = body.seq;
      seen.news += 1;
      on.news(body);
    }
  }

  const link = keepConnected(connectOnce, {
    down: on.down,
    refused: on.refused,
    // The server does not know our place in its log: follow from now (and reload).
    badPlace: async () => {
      last = null;
    },
  });
  return () => link.stop();
}
