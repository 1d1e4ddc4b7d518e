// The audible alert: Web Audio oscillators, a distinct pattern for a new incident, a breached
// deadline, a lift nobody could identify and a storm declared, repeated every few seconds until the operator
// acknowledges on screen. Browsers keep audio suspended until the first click: the console
// shows that and asks for the click.
//
// For tests (and anyone looking): `document.body.dataset.alarm` names what is sounding ("" when
// quiet) and `window.__consoleSound` lists the patterns started, newest last (at most 50).

/** The patterns: [frequency Hz, duration s, gap s] notes, by alarm. */
const PATTERNS = {
  breach: [[880, 0.18, 0.06], [660, 0.18, 0.06], [880, 0.18, 0.06], [660, 0.18, 0.06]],
  unresolved: [[520, 0.5, 0.15], [520, 0.5, 0.15]],
  new: [[740, 0.12, 0.08], [988, 0.2, 0]],
  storm: [[440, 0.25, 0.08], [554, 0.25, 0.08], [659, 0.25, 0.08], [880, 0.4, 0]],
};
/** Which sounds when several are pending. */
const PRIORITY = ["breach", "storm", "unresolved", "new"];
const REPEAT_MS = 3000;
const LOG_MAX = 50;

let ctx = null;
const pending = new Set();
let timer = null;
let blockedView = null;
window.__consoleSound = [];

function context() {
  if (!ctx) {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return null;
    ctx = new Ctx();
    ctx.onstatechange = showBlocked;
  }
  return ctx;
}

function showBlocked() {
  if (!blockedView) return;
  const c = context();
  blockedView.hidden = !c || c.state !== "suspended";
}

/** Wires the "sound blocked — click to enable" indicator. */
export function setup(indicator) {
  blockedView = indicator;
  indicator.addEventListener("click", enable);
  document.addEventListener("pointerdown", enable, { capture: true });
  document.addEventListener("keydown", enable, { capture: true });
  showBlocked();
}

/** Resumes audio after a user gesture. */
export function enable() {
  const c = context();
  if (c && c.state === "suspended") c.resume().then(showBlocked, showBlocked);
}

function play(kind) {
  window.__consoleSound.push({ kind, at: new Date().toISOString() });
  if (window.__consoleSound.length > LOG_MAX) window.__consoleSound.shift();
  const c = context();
  if (!c) return;
  let at = c.currentTime + 0.02;
  for (const [freq, dur, gap] of PATTERNS[kind]) {
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = kind === "breach" ? "square" : "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + dur);
    osc.connect(gain).connect(c.destination);
    osc.start(at);
    osc.stop(at + dur + 0.02);
    at += dur + gap;
  }
}

function loudest() {
  return PRIORITY.find((k) => pending.has(k)) || "";
}

function sound() {
  const kind = loudest();
  document.body.dataset.alarm = kind;
  document.body.classList.toggle("alarming", kind !== "");
  if (!kind) {
    clearInterval(timer);
    timer = null;
    return;
  }
  play(kind);
}

/** Raises an alarm ("new", "breach", "unresolved", "storm"); it repeats until acknowledged. */
export function raise(kind) {
  const before = loudest();
  pending.add(kind);
  if (loudest() !== before || !timer) {
    clearInterval(timer);
    sound();
    timer = setInterval(sound, REPEAT_MS);
  }
  notify();
}

/** The operator heard it: silence every pending alarm. */
export function acknowledge() {
  pending.clear();
  sound();
  notify();
}

/** What is pending, loudest first. */
export function pendingAlarms() {
  return PRIORITY.filter((k) => pending.has(k));
}

let listeners = [];
/** Called whenever the pending alarms change. */
export function onChange(f) {
  listeners.push(f);
}
function notify() {
  for (const f of listeners) f(pendingAlarms());
}
