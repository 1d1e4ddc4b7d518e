// The phone's queue of crew actions. A tap puts the action here with its Idempotency-Key,
// made once, at the tap; the queue sends the actions oldest first and keeps each one until
// the server has answered it. Kept in localStorage, so a reload, a closed tab or a phone
// restart loses nothing. The same key on every retry means a request whose answer was lost
// acts once: the server replays its first answer.
//
// An answer sorts an action three ways:
// - done (2xx): removed;
// - refused (a 4xx other than 401, 408, 429): the server judged it and will judge it the same
//   way again, so it is removed and the crew is told why;
// - kept (no answer, 401, 408, 429, 5xx): tried again when the network returns, when the
//   token is fixed, or after a backoff (2 s doubling to 30 s, with jitter). Later actions
//   wait behind it: "on scene" must not land before "accept".

const KEY = "liftrescue-crew-queue";
const MAX_DELAY_MS = 30000;
const KEEP = new Set([401, 408, 429]);

let send = null;
let report = () => {};
let busy = false;
let failures = 0;
let timer = null;

/** A random UUID, also where `crypto.randomUUID` is missing (plain-HTTP pages). */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
}

/** The actions waiting to be sent, oldest first. */
export function waiting() {
  try {
    const q = JSON.parse(localStorage.getItem(KEY) || "[]");
    return Array.isArray(q) ? q : [];
  } catch {
    return [];
  }
}

function save(q) {
  localStorage.setItem(KEY, JSON.stringify(q));
}

function remove(key) {
  save(waiting().filter((a) => a.key !== key));
}

/** Queues an action tapped now and starts sending. */
export function enqueue(incident, action, body) {
  const item = { key: newKey(), incident, action, body, tapped: new Date().toISOString() };
  save([...waiting(), item]);
  failures = 0;
  flush();
  return item;
}

/**
 * Starts the queue: `sendOne(item)` posts one action and resolves to `{status, message}` (it
 * rejects when there is no answer); `onReport(outcome, item, detail)` hears "sent",
 * "refused", "kept" and "token".
 */
export function start(sendOne, onReport) {
  send = sendOne;
  report = onReport;
  const now = () => {
    failures = 0;
    flush();
  };
  // Back online, or the phone shows the page again (timers sleep in a hidden tab).
  addEventListener("online", now);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) now(); });
  flush();
}

/** Sends what is waiting, in order, until the queue is empty or an action must wait. */
export async function flush() {
  if (busy || !send) return;
  busy = true;
  clearTimeout(timer);
  try {
    for (let item = waiting()[0]; item; item = waiting()[0]) {
      let answer = null;
      try {
        answer = await send(item);
      } catch {
        answer = null;
      }
      if (answer && answer.status >= 200 && answer.status < 300) {
        remove(item.key);
        failures = 0;
        report("sent", item);
      } else if (answer && answer.status >= 400 && answer.status < 500 && !KEEP.has(answer.status)) {
        remove(item.key);
        report("refused", item, answer.message);
      } else if (answer && answer.status === 401) {
        report("token", item);
        return;
      } else {
        failures += 1;
        later();
        report("kept", item, answer ? answer.message : "");
        return;
      }
    }
  } finally {
    busy = false;
  }
}

function later() {
  const delay = Math.min(MAX_DELAY_MS, 2000 * 2 ** Math.min(failures - 1, 5));
  timer = setTimeout(flush, delay * (0.5 + Math.random() / 2));
}
