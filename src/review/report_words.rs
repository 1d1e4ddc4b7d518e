//! The report's words in Chinese and English: headings, column names, event kinds, outcomes,
//! channels and flags. A key with no entry prints as itself.

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 中文 (the default).
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Parses `zh` or `en`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "zh" => Some(Self::Zh),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The language code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }
}

/// (key, 中文, English).
const WORDS: &[(&str, &str, &str)] = &[
    ("title", "电梯困人事件报告", "Lift incident report"),
    ("generated", "生成时间", "Generated"),
    ("print", "打印", "Print"),
    ("summary", "概要", "Summary"),
    ("lift", "电梯及相关单位", "The lift and its parties"),
    ("alarms", "报警", "Alarms"),
    ("decisions", "调度决策", "Decisions"),
    ("deliveries", "通知送达", "Page deliveries"),
    ("messages", "通知消息", "Messages"),
    ("crew", "响应与到场", "Who responded and arrived"),
    ("sla", "时限", "SLA marks"),
    ("notes", "备注", "Notes"),
    ("closure", "故障原因与结案", "Fault cause and closure"),
    ("rules", "规则版本与响应链", "Rules version and chain"),
    ("timeline", "完整时间线", "Full timeline"),
    ("last_row", "本事件最后一条记录", "The incident's last row"),
    (
        "log_head",
        "生成时日志链末端",
        "The log's head when generated",
    ),
    ("none", "无", "None"),
    (
        "lift_unknown",
        "未能识别电梯",
        "The lift was never identified",
    ),
    ("seq", "序号", "Seq"),
    ("at", "时间", "At"),
    ("kind", "类型", "Kind"),
    ("actor", "执行者", "Actor"),
    ("step", "步骤", "Step"),
    ("reason", "原因", "Reason"),
    ("detail", "内容", "Detail"),
    ("hash", "哈希", "Hash"),
    ("outcome", "结果", "Outcome"),
    ("status", "状态", "Status"),
    ("alarm_at", "报警时间", "Alarm received"),
    ("ended_at", "结束时间", "Ended"),
    ("response", "响应时间", "Response time"),
    ("arrival", "到场时间", "Arrival time"),
    ("rescue", "救援时间", "Rescue time"),
    ("arrive_limit", "到场时限", "Arrival limit"),
    ("entrapment", "困人", "Entrapment"),
    ("trapped", "被困人数", "People trapped"),
    ("channels", "报警渠道", "Channels"),
    ("level", "响应级别", "Level"),
    ("units_paged", "呼叫单位数", "Units paged"),
    ("fire_rescue", "消防参与", "Fire/rescue involved"),
    ("breaches", "超时", "Breaches"),
    ("acks_missed", "未应答次数", "Acknowledgements missed"),
    ("secs", "秒", "s"),
    ("yes", "是", "yes"),
    ("no", "否", "no"),
    ("open", "处理中", "open"),
    ("released", "已解救", "released"),
    ("closed", "已结案", "closed"),
    ("false_alarm", "误报", "false alarm"),
    ("cancelled", "已取消", "cancelled"),
    ("acknowledge", "应答", "acknowledge"),
    ("arrive", "到场", "arrive"),
    ("release", "解救", "release"),
    ("confirm", "回访确认", "confirm"),
    ("rescue_code", "救援识别码", "Rescue code"),
    ("registration_code", "注册代码", "Registration code"),
    ("district", "行政区划", "District"),
    ("street", "街道", "Street"),
    ("address", "地址", "Address"),
    ("commissioned", "投用日期", "Commissioned"),
    ("maintainer", "维保单位", "Maintenance company"),
    ("use_unit", "使用单位", "Use unit"),
    ("received", "接警时间", "Received"),
    ("channel", "渠道", "Channel"),
    ("flags", "紧急标记", "Flags"),
    ("floor", "楼层", "Floor"),
    ("description", "描述", "Description"),
    ("cabin_phone", "轿厢电话", "cabin phone"),
    ("iot", "物联网", "IoT"),
    ("hotline", "热线", "hotline"),
    ("operator", "坐席", "operator"),
    ("app", "应用", "app"),
    ("person_ill", "有人不适", "person ill"),
    ("child_alone", "儿童独自被困", "child alone"),
    ("smoke_or_water", "烟雾或进水", "smoke or water"),
    ("message", "消息", "Message"),
    ("unit", "单位", "Unit"),
    ("attempts", "尝试次数", "Attempts"),
    ("error", "错误", "Error"),
    ("gateway_ref", "网关编号", "Gateway id"),
    ("clock", "时限", "Clock"),
    ("due", "应完成", "Due"),
    ("done", "完成", "Done"),
    ("verdict", "结论", "Verdict"),
    ("met", "按时", "met"),
    ("late_by", "超时", "late by"),
    ("missed", "未完成", "missed"),
    ("rules_version", "规则版本", "Rules version"),
    ("rules_file", "规则文件", "Rules file"),
    ("chain", "响应链", "Chain"),
    ("pages", "呼叫对象", "Pages"),
    ("ack_secs", "应答时限(秒)", "Acknowledge (s)"),
    ("arrive_secs", "到场时限(秒)", "Arrive (s)"),
    ("release_secs", "解救时限(秒)", "Release (s)"),
];

/// (event kind or alarm kind, 中文, English).
const KINDS: &[(&str, &str, &str)] = &[
    ("incident_opened", "立案", "incident opened"),
    ("alarm_joined", "追加报警", "alarm joined"),
    ("step_started", "启动步骤", "step started"),
    ("unit_paged", "呼叫单位", "unit paged"),
    ("no_candidate", "无可用单位", "no candidate"),
    ("step_exhausted", "步骤用尽", "step exhausted"),
    ("needs_operator", "需坐席处理", "needs operator"),
    ("parties_notified", "通知相关部门", "parties notified"),
    ("accepted", "接受", "accepted"),
    ("declined", "拒绝", "declined"),
    ("ack_missed", "未按时应答", "acknowledgement missed"),
    ("page_cancelled", "撤销呼叫", "page cancelled"),
    ("crew_progress", "救援进度", "crew progress"),
    ("deadline_warning", "时限预警", "deadline warning"),
    ("deadline_breached", "超时", "deadline breached"),
    ("delivery", "送达", "delivery"),
    ("note", "备注", "note"),
    ("release_confirmed", "回访确认解救", "release confirmed"),
    ("fault_cause_filed", "填报故障原因", "fault cause filed"),
    ("closed", "结案", "closed"),
    ("cancelled", "取消", "cancelled"),
    ("false_alarm", "误报", "false alarm"),
    ("lift_attached", "识别电梯", "lift attached"),
    ("entrapment_at_landing", "平层关人", "entrapment at landing"),
    (
        "entrapment_between_floors",
        "非平层关人",
        "entrapment between floors",
    ),
    ("passenger_alarm", "乘客报警", "passenger alarm"),
    ("fault", "故障", "fault"),
];

fn find(
    table: &[(&str, &'static str, &'static str)],
    lang: Lang,
    key: &str,
) -> Option<&'static str> {
    table
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| match lang {
            Lang::Zh => *zh,
            Lang::En => *en,
        })
}

/// A word of the page; an unknown key prints as itself.
pub fn word(lang: Lang, key: &str) -> &str {
    find(WORDS, lang, key).unwrap_or(key)
}

/// An event kind's or alarm kind's name; an unknown one prints as itself.
pub fn kind_label(lang: Lang, kind: &str) -> &str {
    find(KINDS, lang, kind).unwrap_or(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_both_languages_and_unknown_kinds_print_as_themselves() {
        for (k, zh, en) in WORDS.iter().chain(KINDS) {
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
        assert_eq!(word(Lang::En, "title"), "Lift incident report");
        assert_eq!(kind_label(Lang::Zh, "something_new"), "something_new");
    }
}
