// An incident's record as people read it: one line per event (time, who, what, why, the rule
// step), with each page's deliveries and receipts folded under the page that sent them.
import { t, clockTime, dateTime } from "./i18n.js";
import { esc } from "./board.js";

function actor(a, names) {
  if (!a || a.type === "system") return t("actor.system");
  if (a.type === "unit") return names.get(a.id) || t("actor.unit", { id: a.id });
  return t(`actor.${a.type}`, { id: a.id });
}

function unitName(id, names) {
  return names.get(id) || t("unit_n", { id });
}

/** The details that matter of an event, in words (data stays as the server wrote it). */
function detail(k, names) {
  switch (k.type) {
    case "unit_paged": {
      const c = k.candidate;
      const km = t("km", { d: (c.distance_m / 1000).toFixed(1) });
      const eta = t("eta_min", { m: Math.round(c.eta_secs / 60) });
      return `${unitName(c.unit, names)} · ${km} · ${eta}`;
    }
    case "accepted":
      return k.eta_secs
        ? `${unitName(k.unit, names)} · ${t("eta_min", { m: Math.round(k.eta_secs / 60) })}`
        : unitName(k.unit, names);
    case "declined":
    case "ack_missed":
    case "page_cancelled":
      return unitName(k.unit, names);
    case "crew_progress":
      return `${unitName(k.unit, names)} · ${t(`page.${k.status}`)}`;
    case "deadline_warning":
    case "deadline_breached":
      return t(`clock.${k.deadline?.deadline === "confirm" ? "confirm" : k.deadline?.deadline}`);
    case "note":
      return k.text;
    case "fault_cause_filed":
      return `${k.code}${k.text ? ` · ${k.text}` : ""}`;
    case "needs_operator":
      return k.why;
    case "no_candidate":
      return k.why;
    case "lift_attached":
      return k.lift ? `${k.lift.rescue_code} · ${k.lift.address}` : "";
    case "incident_opened":
    case "alarm_joined": {
      const kind = k.alarm?.kind;
      const name = typeof kind === "string" ? kind : kind?.kind;
      return name ? t(`kind.${name}`) + (kind?.detail ? ` (${kind.detail})` : "") : "";
    }
    default:
      return "";
  }
}

function deliveryHtml(e) {
  const k = e.body.kind;
  const status = t(`msg.${k.status}`);
  return `<li class="delivery ${esc(k.status)}"><time>${esc(clockTime(e.at))}</time> ${esc(k.channel)} · <b>${esc(status)}</b>${k.detail ? ` · ${esc(k.detail)}` : ""}</li>`;
}

/** The timeline's HTML; `names` maps unit ids to names. */
export function timelineHtml(entries, names) {
  const pages = new Map();
  const items = [];
  for (const e of entries) {
    const k = e.body?.kind || { type: e.kind };
    if (k.type === "delivery") {
      const page = pages.get(k.unit);
      if (page) {
        page.deliveries.push(e);
        continue;
      }
    }
    const item = { e, k, deliveries: [] };
    if (k.type === "unit_paged") pages.set(k.candidate.unit, item);
    items.push(item);
  }
  const first = entries.length ? dateTime(entries[0].at) : "";
  const lines = items.map(({ e, k, deliveries }) => {
    const said = detail(k, names);
    const what = said && said !== e.reason && !(e.reason || "").includes(said) ? said : "";
    const why = e.reason ? `<div class="why">${esc(e.reason)}</div>` : "";
    const step = e.step ? `<span class="step">${esc(t("step", { step: e.step }))}</span>` : "";
    const folded = deliveries.length ? `<ul class="deliveries">${deliveries.map(deliveryHtml).join("")}</ul>` : "";
    return `<li class="ev ${esc(k.type)}" data-kind="${esc(k.type)}"><time>${esc(clockTime(e.at))}</time>
<span class="actor">${esc(actor(e.actor, names))}</span> <b>${esc(t(`ev.${k.type}`))}</b>${what ? ` · ${esc(what)}` : ""} ${step}${why}${folded}</li>`;
  });
  return `<p class="small">${esc(first)}</p><ol class="timeline">${lines.join("")}</ol>`;
}

/** The messages' HTML: channel, recipient, status with the gateway's words. */
export function messagesHtml(list, names) {
  if (!list.length) return `<p class="small">${esc(t("messages_none"))}</p>`;
  return `<ul class="messages">${list
    .map((m) => {
      const why = m.last_error ? ` · ${esc(m.last_error)}` : m.gateway_ref ? ` · ${esc(m.gateway_ref)}` : "";
      return `<li class="msg ${esc(m.status)}">${esc(unitName(m.unit, names))} · ${esc(m.channel)} #${m.n} · <b>${esc(t(`msg.${m.status}`))}</b>${why} <span class="small">${esc(t("attempts", { n: m.attempts }))}</span></li>`;
    })
    .join("")}</ul>`;
}
