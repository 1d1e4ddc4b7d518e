// Every text the crew page shows, once per language. Chinese by default; the crew's choice
// is remembered on the phone. `{name}` in a text is filled from the values given to `t`.
const STRINGS = {
  zh: {
    title: "电梯困人救援",
    switch_to: "English",
    token_prompt: "请输入救援令牌:",
    save: "保存",
    notify: "接收推送通知",
    notify_on: "已开启推送通知",
    notify_off: "推送通知未开启:{why}",
    token_refused: "令牌无效,请重新输入",
    no_pages: "暂无派单",
    not_mine: "事件 {id} 不在您的派单中",
    lift_unknown: "电梯未识别",
    rescue_code: "救援码 {code}",
    floor: "楼层:{floor}",
    incident: "事件 {id} · {status}",
    queue: "批量派单:第 {k}/{n} 辆(按顺序救援)",
    mine: "我的状态:{state}",
    answer_by: "请在 {time} 前确认",
    arrive_by: "请在 {time} 前到达现场",
    release_by: "请在 {time} 前解救",
    eta: "预计到达(分钟)",
    navigate: "导航:",
    nav_amap: "高德地图",
    nav_tencent: "腾讯地图",
    nav_geo: "其他地图",
    call: "致电使用单位 {phone}",
    decline_why: "拒绝原因?",
    queued: "等待发送:{actions}",
    waiting_one: "{n} 个操作等待发送",
    waiting_many: "{n} 个操作等待发送",
    waiting_item: "{action} · 事件 {id} · {time} 点击",
    sent: "已发送:{action}(事件 {id})",
    refused: "未能执行「{action}」(事件 {id}):{why}",
    no_network: "没有网络:操作已保存,网络恢复后自动按顺序发送",
    retry_later: "服务器暂时无法处理({why}):操作已保存,稍后自动重试",
    offline_copy: "离线:显示的是最后收到的信息",
    unreachable: "无法连接服务器:{why}",
    feed_connecting: "正在连接实时更新…",
    feed_live: "实时更新",
    feed_reconnecting: "实时连接中断,正在重新连接(每 15 秒刷新)",
    feed_off: "",
    feed_signed_out: "已退出:令牌已失效,请输入新的令牌",
    "action.accept": "接单",
    "action.decline": "拒绝",
    "action.en-route": "出发",
    "action.on-scene": "到达现场",
    "action.released": "已解救",
    "state.pending": "待确认",
    "state.accepted": "已接单",
    "state.en_route": "在途中",
    "state.on_scene": "已到达",
    "state.released": "已解救",
    "state.declined": "已拒绝",
    "state.missed": "已超时",
    "state.cancelled": "已取消",
    "status.reported": "已报警",
    "status.dispatched": "已派单",
    "status.acknowledged": "已接单",
    "status.en_route": "救援途中",
    "status.on_scene": "已到达现场",
    "status.released": "已解救",
    "status.confirmed": "已确认",
    "status.closed": "已关闭",
    "status.cancelled": "已取消",
    "status.false_alarm": "误报",
    "flag.person_ill": "有人身体不适",
    "flag.child_alone": "儿童独自被困",
    "flag.smoke_or_water": "有烟雾或进水",
  },
  en: {
    title: "Lift rescue",
    switch_to: "中文",
    token_prompt: "Enter your crew token:",
    save: "Save",
    notify: "Get pages as notifications",
    notify_on: "Notifications are on",
    notify_off: "Notifications are not on: {why}",
    token_refused: "The token was refused; enter it again",
    no_pages: "No pages",
    not_mine: "Incident {id} is not assigned to you",
    lift_unknown: "Lift not identified",
    rescue_code: "Rescue code {code}",
    floor: "Floor: {floor}",
    incident: "Incident {id} · {status}",
    queue: "queue: car {k} of {n}",
    mine: "Mine: {state}",
    answer_by: "Answer by {time}",
    arrive_by: "Be on scene by {time}",
    release_by: "Release them by {time}",
    eta: "ETA (minutes)",
    navigate: "Navigate:",
    nav_amap: "AMap",
    nav_tencent: "Tencent Maps",
    nav_geo: "Other map app",
    call: "Call the use unit {phone}",
    decline_why: "Why do you decline?",
    queued: "Waiting to send: {actions}",
    waiting_one: "{n} action waiting to send",
    waiting_many: "{n} actions waiting to send",
    waiting_item: "{action} · incident {id} · tapped {time}",
    sent: "Sent: {action} (incident {id})",
    refused: "Not done: {action} (incident {id}): {why}",
    no_network: "No network: your actions are kept and will be sent in order when it returns",
    retry_later: "The server cannot take it now ({why}): your actions are kept and will be retried",
    offline_copy: "Offline: showing what was last received",
    unreachable: "Cannot reach the server: {why}",
    feed_connecting: "Connecting to live updates…",
    feed_live: "Live",
    feed_reconnecting: "Live updates lost, reconnecting (refreshing every 15 s)",
    feed_off: "",
    feed_signed_out: "Signed out: this token is no longer valid; enter a new one",
    "action.accept": "Accept",
    "action.decline": "Decline",
    "action.en-route": "En route",
    "action.on-scene": "On scene",
    "action.released": "Released",
    "state.pending": "waiting for your answer",
    "state.accepted": "accepted",
    "state.en_route": "en route",
    "state.on_scene": "on scene",
    "state.released": "released",
    "state.declined": "declined",
    "state.missed": "missed",
    "state.cancelled": "cancelled",
    "status.reported": "reported",
    "status.dispatched": "dispatched",
    "status.acknowledged": "acknowledged",
    "status.en_route": "crew en route",
    "status.on_scene": "crew on scene",
    "status.released": "passengers released",
    "status.confirmed": "release confirmed",
    "status.closed": "closed",
    "status.cancelled": "cancelled",
    "status.false_alarm": "false alarm",
    "flag.person_ill": "Someone is unwell",
    "flag.child_alone": "A child is alone",
    "flag.smoke_or_water": "Smoke or water",
  },
};

const KEY = "liftrescue-crew-lang";

/** The language in use: the crew's choice, else Chinese. */
export function lang() {
  const chosen = localStorage.getItem(KEY);
  return STRINGS[chosen] ? chosen : "zh";
}

/** Switches to the other language and remembers it. */
export function toggle() {
  localStorage.setItem(KEY, lang() === "zh" ? "en" : "zh");
}

/** The text for `key` with `{name}`s filled from `vars`; `{n}` picks the `_one`/`_many` form. */
export function t(key, vars = {}) {
  const words = STRINGS[lang()];
  const plural = vars.n === undefined ? key : key + (vars.n === 1 ? "_one" : "_many");
  const text = words[plural] ?? words[key] ?? key.slice(key.indexOf(".") + 1);
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

/** Fills every element with a `data-t` key, and the page's language attribute. */
export function applyStatic() {
  document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  const button = document.getElementById("lang");
  button.textContent = t("switch_to");
  button.lang = lang() === "zh" ? "en" : "zh-CN";
}
