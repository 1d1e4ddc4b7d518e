// The operator's console: sign in with the operator token, load the board, follow the live
// feed from the board's log position, and keep every panel in step with it. When the feed
// drops, a banner says so at once with the time of the last update; the feed reconnects and
// replays what was missed, and the banner goes.
import * as api from "./api.js";
import * as board from "./board.js";
import * as equipment from "./equipment.js";
import { follow } from "./feed.js";
import * as hotline from "./hotline.js";
import { t, lang, setLang, label, clockTime, dateTime } from "./i18n.js";
import * as incident from "./incident.js";
import * as keys from "./keys.js";
import * as map from "./map.js";
import * as sound from "./sound.js";
import * as storm from "./storm.js";

const $ = (id) => document.getElementById(id);
const ENDED = { closed: "closed", cancelled: "cancelled", false_alarm: "false_alarm" };
let stopFeed = null;
let lastUpdate = null;
let feedUp = false;
let units = new Map();
let unitTimer = null;
const waiting = new Set();
let waitTimer = null;
let mapTimer = null;

function showSignIn(message = "") {
  if (stopFeed) stopFeed();
  stopFeed = null;
  clearInterval(unitTimer);
  $("app").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = message;
  $("token").value = "";
  $("token").focus();
}

async function signIn(e) {
  e.preventDefault();
  const secret = $("token").value.trim();
  if (!secret) return;
  try {
    const b = await api.call("GET", "/api/v1/board", null, secret);
    api.keepToken(secret);
    start(b);
  } catch (err) {
    const key = err.status === 401 ? "token_wrong" : err.status === 403 ? "token_not_operator" : null;
    $("signin-error").textContent = key ? t(key) : t("token_unreachable", { why: err.message });
  }
}

function signOut() {
  api.forgetToken();
  sound.acknowledge();
  incident.close();
  showSignIn();
}

function updated() {
  lastUpdate = new Date();
  $("last-update").textContent = t("last_update", { time: clockTime(lastUpdate) });
}

function banner() {
  const b = $("banner");
  b.hidden = feedUp;
  document.body.dataset.feed = feedUp ? "up" : "down";
  if (!feedUp) {
    b.textContent = lastUpdate
      ? t("conn_lost", { time: clockTime(lastUpdate) })
      : t("conn_lost_never");
  }
}

/** A row came in: apply it, and sound what it means. */
function applyRow(row, seq) {
  const change = board.apply(row, seq);
  if (change.added) sound.raise(row.lift ? "new" : "unresolved");
  if (change.breached) sound.raise("breach");
  if (!change.ignored) redrawMapSoon();
}

function loadBoard(b) {
  board.setServerTime(b.at);
  board.load(b.incidents || [], b.seq);
  for (const r of b.incidents || []) {
    if (!r.lift) sound.raise("unresolved");
    if ((r.breaches || []).length) sound.raise("breach");
  }
  redrawMapSoon();
  return b.seq;
}

/** Incidents the feed named without a row: fetch their rows unless a `rows` frame brings them. */
function wait(id) {
  waiting.add(id);
  clearTimeout(waitTimer);
  waitTimer = setTimeout(async () => {
    const ids = [...waiting];
    waiting.clear();
    if (!ids.length) return;
    try {
      const b = await api.get(`/api/v1/board?ids=${ids.join(",")}`);
      for (const r of b.incidents || []) applyRow(r, b.seq);
    } catch {
      // The feed's next change brings the row anyway.
    }
  }, 600);
}

const handlers = {
  hello(d) {
    board.setServerTime(d.at);
    updated();
  },
  log(d) {
    updated();
    const ev = d.event || {};
    const kind = ev.kind || {};
    if (d.row) applyRow(d.row, d.seq);
    else if (ev.incident && ENDED[kind.type]) applyRow({ id: ev.incident, status: ENDED[kind.type] }, d.seq);
    else if (ev.incident) wait(ev.incident);
    if (kind.type === "deadline_warning") board.warned(ev.incident, kind.deadline?.deadline);
    if (kind.type === "deadline_breached") sound.raise("breach");
    if (kind.type === "equipment_fault" || kind.type === "equipment_ok") equipment.refresh();
    if (ev.incident) incident.touched(ev.incident);
    storm.heard(kind.type, ev.incident, d.row);
    // A storm's end names no incident: its rows are fetched again to lose their storm badge.
    if (kind.type === "storm_ended") {
      for (const r of board.rows()) if (r.storm?.storm === kind.storm) wait(r.id);
    }
  },
  rows(d) {
    updated();
    for (const r of d.rows || []) {
      waiting.delete(r.id);
      applyRow(r, d.seq);
      incident.touched(r.id);
      if (r.storm) storm.soon();
    }
  },
  async reset() {
    const b = await api.get("/api/v1/board");
    updated();
    storm.soon();
    return loadBoard(b);
  },
  up() {
    feedUp = true;
    banner();
  },
  down() {
    feedUp = false;
    banner();
  },
  refused(status) {
    showSignIn(t(status === 403 ? "token_not_operator" : "token_wrong"));
  },
};

async function pollUnits() {
  if (document.visibilityState !== "visible") return;
  try {
    units = new Map(((await api.get("/api/v1/units")) || []).map((u) => [u.id, u]));
  } catch {
    return;
  }
  drawMap();
}

function redrawMapSoon() {
  clearTimeout(mapTimer);
  mapTimer = setTimeout(drawMap, 300);
}

function drawMap() {
  const rows = board.rows();
  const phase = (id) => $(`row-${id}`)?.dataset.phase || "ok";
  map.drawIncidents(rows, board.selectedId(), phase);
  const active = new Set();
  for (const r of rows) {
    for (const s of r.steps || []) {
      for (const p of s.pages || []) {
        if (!["declined", "missed", "cancelled"].includes(p.state)) active.add(p.unit);
      }
    }
  }
  map.drawUnits(units, active);
}

async function start(b) {
  $("signin").hidden = true;
  $("app").hidden = false;
  feedUp = false;
  lastUpdate = new Date();
  updated();
  const seq = loadBoard(b);
  try {
    if (!window.__consoleMapReady) {
      map.setup($("map"), await api.get("/api/v1/console/settings"));
      window.__consoleMapReady = true;
    }
  } catch (e) {
    $("notice").textContent = e.message;
  }
  equipment.refresh();
  storm.refresh();
  pollUnits();
  clearInterval(unitTimer);
  unitTimer = setInterval(pollUnits, 5000);
  if (stopFeed) stopFeed();
  stopFeed = follow(seq, handlers);
}

function relabel() {
  label(document);
  board.render();
  incident.render();
  equipment.render();
  storm.render();
  if (!feedUp && !$("app").hidden) banner();
  if (lastUpdate) $("last-update").textContent = t("last_update", { time: clockTime(lastUpdate) });
  alarms(sound.pendingAlarms());
  $("help-list").innerHTML = keys
    .shortcuts()
    .map(([k, text]) => `<dt><kbd>${board.esc(k)}</kbd></dt><dd>${board.esc(t(text))}</dd>`)
    .join("");
}

function alarms(pending) {
  const b = $("ack-sound");
  b.hidden = !pending.length;
  b.textContent = `${t("sound_ack")} · ${pending.map((k) => t(`alarm.${k}`)).join(" · ")}`;
}

function theme(next) {
  const v = next || (document.body.dataset.theme === "dark" ? "light" : "dark");
  document.body.dataset.theme = v;
  localStorage.setItem("liftrescue.console.theme", v);
}

function boot() {
  theme(localStorage.getItem("liftrescue.console.theme") || "dark");
  setLang(lang());
  board.setup($("board-rows"), $("board-empty"), (id) => incident.open(id), redrawMapSoon);
  incident.setup(
    $("incident"),
    () => units,
    (live) => map.drawCandidates(live?.lift, live?.candidates, units),
    () => map.drawCandidates(null, [], units),
  );
  hotline.setup($("hotline"), (id, words) => {
    $("notice").textContent = words;
    if (id) {
      board.select(id);
      incident.open(id);
    }
  });
  equipment.setup($("equipment-list"));
  storm.setup((id) => {
    board.select(id);
    incident.open(id);
  });
  sound.setup($("sound-blocked"));
  sound.onChange(alarms);
  api.whenSignedOut(() => showSignIn(t("token_wrong")));
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("ack-sound").addEventListener("click", sound.acknowledge);
  $("new-call").addEventListener("click", hotline.show);
  $("theme").addEventListener("click", () => theme());
  $("help-btn").addEventListener("click", () => ($("help").hidden = false));
  $("help-close").addEventListener("click", () => ($("help").hidden = true));
  $("search").addEventListener("input", (e) => board.filter(e.target.value));
  for (const b of document.querySelectorAll(".lang")) {
    b.addEventListener("click", () => {
      setLang(lang() === "zh" ? "en" : "zh");
      relabel();
    });
  }
  keys.install({
    hotline: hotline.show,
    search: () => $("search").focus(),
    move: (n) => board.move(n),
    open: () => board.selectedId() !== null && incident.open(board.selectedId()),
    acknowledge: sound.acknowledge,
    escape: () => {
      if (!$("help").hidden) $("help").hidden = true;
      else if (hotline.shown()) hotline.hide();
      else incident.close();
    },
    theme: () => theme(),
    language: () => {
      setLang(lang() === "zh" ? "en" : "zh");
      relabel();
    },
    help: () => ($("help").hidden = !$("help").hidden),
  });
  setInterval(() => ($("now").textContent = dateTime(board.serverNow())), 1000);
  relabel();
  new ResizeObserver(() => map.resized()).observe($("map"));
  const token = api.currentToken();
  if (!token) return showSignIn();
  api
    .call("GET", "/api/v1/board", null, token)
    .then(start)
    .catch((e) => {
      if (e.status === 401 || e.status === 403) {
        api.forgetToken();
        showSignIn(t(e.status === 401 ? "token_wrong" : "token_not_operator"));
      } else {
        showSignIn(t("token_unreachable", { why: e.message }));
      }
    });
}

boot();
