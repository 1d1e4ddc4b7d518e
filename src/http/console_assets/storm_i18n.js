// The storm view's texts, once per language, added to the console's tables (i18n.js) when
// this module loads. Kept apart so i18n.js stays one screenful of the everyday console.
// Also a triage's reasons in the operator's language (`triageWhy`), for the storm view and
// the board's storm badges.
import { TABLES, t, has } from "./i18n.js";

const STORM = {
  zh: {
    tab_board: "未结事件",
    tab_storm: "风暴模式/批量困人",
    storm_banner: "风暴模式:{n} 个风暴进行中 · {open} 起未结 · {waiting} 起等待派单",
    "alarm.storm": "风暴模式",
    storm_none: "暂无风暴",
    storm_declare: "宣布风暴",
    storm_area: "范围",
    "storm_area.street": "街道",
    "storm_area.district": "区县",
    "storm_area.radius": "地图中心半径",
    storm_district: "区划代码,如 500103",
    storm_street: "街道名称",
    storm_radius: "半径(米)",
    storm_reason: "原因(必填)",
    storm_declared_ok: "已宣布风暴 {id}",
    storm_ended_ok: "风暴 {id} 已结束",
    storm_refused: "未能执行:{why}",
    storm_title: "风暴 {id}",
    "storm_at.street": "{street}({district})",
    "storm_at.district": "区县 {district}",
    "storm_at.radius": "{lat}, {lon} 周边 {r} 米",
    "storm_by.rule": "规则触发:{s} 秒内 {n} 起困人",
    "storm_by.operator": "值班员 {user} 宣布:{reason}",
    storm_since: "宣布于 {time}",
    storm_ended_at: "已结束 {time}",
    storm_counts: "未结 {open} · 等待派单 {waiting}",
    storm_end: "结束风暴",
    storm_end_reason: "结束原因",
    storm_no_street: "(无街道)",
    storm_call: "致电使用单位值班电话 {phone}",
    storm_no_phone: "无使用单位值班电话",
    "tier.0": "特殊",
    "tier.1": "普通",
    storm_score: "{score} 分",
    storm_waited: "已等待 {t}",
    storm_waiting: "等待派单",
    storm_queue: "第 {k}/{n} 辆",
    storm_badge: "风暴 {id}",
    storm_badge_waiting: "待派",
    "why.special": "特殊情况({what}):优先于其他困人",
    "why.between": "非平层困人 {p}",
    "why.trapped": "已被困 {m} 分钟 {p}",
    "why.ordinary": "普通困人:按等待时间先后",
    "why.place": "重点场所:{place}(名称含“{word}”){p}",
    "place.hospital": "医院",
    "place.care_home": "养老机构",
    "place.school": "学校",
  },
  en: {
    tab_board: "Open incidents",
    tab_storm: "Storm mode / mass entrapment",
    storm_banner: "Storm mode: {n} storm(s) on · {open} open · {waiting} waiting for a unit",
    "alarm.storm": "storm",
    storm_none: "No storm",
    storm_declare: "Declare a storm",
    storm_area: "Area",
    "storm_area.street": "Street",
    "storm_area.district": "District",
    "storm_area.radius": "Radius around the map's centre",
    storm_district: "District code, e.g. 500103",
    storm_street: "Street name",
    storm_radius: "Radius (m)",
    storm_reason: "Reason (required)",
    storm_declared_ok: "Storm {id} declared",
    storm_ended_ok: "Storm {id} ended",
    storm_refused: "Not done: {why}",
    storm_title: "Storm {id}",
    "storm_at.street": "{street} ({district})",
    "storm_at.district": "district {district}",
    "storm_at.radius": "{r} m around {lat}, {lon}",
    "storm_by.rule": "by the rules: {n} entrapments in {s} s",
    "storm_by.operator": "declared by {user}: {reason}",
    storm_since: "declared {time}",
    storm_ended_at: "Ended {time}",
    storm_counts: "{open} open · {waiting} waiting for a unit",
    storm_end: "End storm",
    storm_end_reason: "Why it ends",
    storm_no_street: "(no street)",
    storm_call: "Call the use unit's duty phone {phone}",
    storm_no_phone: "No duty phone for the use unit",
    "tier.0": "special",
    "tier.1": "ordinary",
    storm_score: "{score} pts",
    storm_waited: "waiting {t}",
    storm_waiting: "waiting for a unit",
    storm_queue: "car {k} of {n}",
    storm_badge: "storm {id}",
    storm_badge_waiting: "waiting",
    "why.special": "special case ({what}): ahead of every other entrapment",
    "why.between": "car between floors {p}",
    "why.trapped": "trapped {m} min {p}",
    "why.ordinary": "ordinary entrapment: served in order of waiting time",
    "why.place": "{place} (its name holds “{word}”) {p}",
    "place.hospital": "hospital",
    "place.care_home": "care home",
    "place.school": "school",
  },
};

Object.assign(TABLES.zh, STORM.zh);
Object.assign(TABLES.en, STORM.en);

/** For the static strings check: this module's tables. */
export const STORM_TABLES = STORM;

/** A triage's reasons in the operator's language: from its codes (`why`) when it has them,
 * else from its words (a triage logged before the codes were kept). */
export function triageWhy(triage) {
  const why = triage?.why || [];
  return why.length ? why.map(code) : (triage?.reasons || []).map(reason);
}

const points = (p) => `+${Number(p) || 0}`;

/** One coded reason; a code this console does not know shows as its type. */
export function code(c) {
  switch (c.type) {
    case "special":
      return t("why.special", { what: (c.flags || []).map((f) => t(`flag.${f}`)).join(", ") });
    case "between_floors":
      return t("why.between", { p: points(c.points) });
    case "trapped":
      return t("why.trapped", { m: c.minutes, p: points(c.points) });
    case "place": {
      // The shipped rules' places have texts; another name the rules give shows as is.
      const place = has(`place.${c.name}`) ? t(`place.${c.name}`) : c.name;
      return t("why.place", { place, word: c.word, p: points(c.points) });
    }
    case "ordinary":
      return t("why.ordinary");
    default:
      return String(c.type);
  }
}

/** A reason in the server's words, translated when it is one we know (old triages). */
export function reason(r) {
  let m = /^special case \(([^)]*)\): ahead of every other entrapment$/.exec(r);
  if (m) {
    const what = m[1].split(", ").map((f) => t(`flag.${f}`)).join(", ");
    return t("why.special", { what });
  }
  if ((m = /^car between floors (\+\d+)$/.exec(r))) return t("why.between", { p: m[1] });
  if ((m = /^trapped (\d+) min (\+\d+)$/.exec(r))) return t("why.trapped", { m: m[1], p: m[2] });
  if (/^ordinary entrapment/.test(r)) return t("why.ordinary");
  return r;
}
