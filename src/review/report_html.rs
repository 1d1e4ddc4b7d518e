//! The report as a page to read and print: server-rendered HTML (every value escaped), A4 print
//! styles, a page break between sections, Chinese by default and English on request. Times are
//! China time (UTC+8); hashes are printed whole so a paper copy can be checked against the log.

use super::report::{Report, Row};
use super::report_words::{Lang, kind_label, word};
use super::search::china;
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn opt_time(t: Option<DateTime<Utc>>) -> String {
    t.map(time).unwrap_or_else(|| "—".to_owned())
}

fn dur(secs: Option<i64>, lang: Lang) -> String {
    match secs {
        None => "—".to_owned(),
        Some(s) => format!("{}:{:02} ({s} {})", s / 60, s % 60, word(lang, "secs")),
    }
}

/// The page's styles: screen and A4 print.
const STYLE: &str = include_str!("report.css");

struct Page<'a> {
    out: String,
    lang: Lang,
    report: &'a Report,
}

impl Page<'_> {
    fn w<'k>(&self, key: &'k str) -> &'k str {
        word(self.lang, key)
    }

    fn section(&mut self, id: &str, first: bool) {
        let class = if first { " class=\"first\"" } else { "" };
        let _ = write!(
            self.out,
            "<section id=\"{id}\"{class}><h2>{}</h2>",
            self.w(id)
        );
    }

    fn table(&mut self, heads: &[&str], rows: Vec<Vec<String>>) {
        if rows.is_empty() {
            let _ = write!(self.out, "<p>{}</p></section>", self.w("none"));
            return;
        }
        self.out.push_str("<table><thead><tr>");
        for h in heads {
            let _ = write!(self.out, "<th>{}</th>", self.w(h));
        }
        self.out.push_str("</tr></thead><tbody>");
        for row in rows {
            self.out.push_str("<tr>");
            for cell in row {
                let _ = write!(self.out, "<td>{cell}</td>");
            }
            self.out.push_str("</tr>");
        }
        self.out.push_str("</tbody></table></section>");
    }

    fn rows(&mut self, id: &str, rows: &[Row]) {
        self.section(id, false);
        let lang = self.lang;
        let cells = rows
            .iter()
            .map(|r| {
                vec![
                    r.seq.to_string(),
                    time(r.at),
                    esc(kind_label(lang, r.kind)),
                    esc(&r.actor),
                    esc(r.step.as_deref().unwrap_or("")),
                    esc(&r.reason),
                    esc(&r.detail),
                    hash(&r.hash),
                ]
            })
            .collect();
        self.table(
            &[
                "seq", "at", "kind", "actor", "step", "reason", "detail", "hash",
            ],
            cells,
        );
    }

    fn fact(&mut self, key: &str, value: String) {
        let _ = write!(self.out, "<dt>{}</dt><dd>{value}</dd>", self.w(key));
    }
}

fn hash(h: &str) -> String {
    format!("<code class=\"h\">{}</code>", esc(h))
}

/// The whole page.
pub fn render(report: &Report, lang: Lang) -> String {
    let mut p = Page {
        out: String::with_capacity(64 * 1024),
        lang,
        report,
    };
    let title = format!("{} #{}", p.w("title"), report.incident);
    let _ = write!(
        p.out,
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
        lang.code(),
        esc(&title)
    );
    let _ = write!(
        p.out,
        "<nav class=\"toolbar\"><button onclick=\"window.print()\">{}</button></nav>",
        p.w("print"),
    );
    let _ = write!(
        p.out,
        "<h1>{}</h1><p>{} {}</p>",
        esc(&title),
        p.w("generated"),
        time(report.generated_at)
    );
    summary(&mut p);
    lift(&mut p);
    alarms(&mut p);
    p.rows("decisions", &report.decisions);
    messages(&mut p);
    p.rows("crew", &report.crew);
    sla(&mut p);
    p.rows("notes", &report.notes);
    let mut closing: Vec<Row> = report.fault_cause.iter().cloned().collect();
    closing.extend(report.closure.iter().cloned());
    p.rows("closure", &closing);
    rules(&mut p);
    p.rows("timeline", &report.timeline);
    let f = &report.footer;
    let _ = write!(
        p.out,
        "<footer><p>{} {} · {}</p><p>{} {} · {}</p></footer></body></html>",
        p.w("last_row"),
        f.last_seq,
        hash(&f.last_hash),
        p.w("log_head"),
        f.log_head_seq,
        hash(&f.log_head_hash)
    );
    p.out
}

fn summary(p: &mut Page<'_>) {
    let f = &p.report.facts;
    let lang = p.lang;
    p.section("summary", true);
    p.out.push_str("<dl class=\"facts\">");
    p.fact("outcome", esc(word(lang, f.outcome.as_str())));
    p.fact("status", esc(f.status.as_str()));
    p.fact("alarm_at", time(f.alarm_at));
    p.fact("ended_at", opt_time(f.ended_at));
    p.fact("response", dur(f.response_secs, lang));
    p.fact("arrival", dur(f.arrival_secs, lang));
    p.fact("rescue", dur(f.rescue_secs, lang));
    p.fact("arrive_limit", dur(f.arrive_limit_secs, lang));
    p.fact(
        "entrapment",
        word(lang, if f.entrapment { "yes" } else { "no" }).to_owned(),
    );
    p.fact(
        "trapped",
        f.trapped.map_or("—".to_owned(), |n| n.to_string()),
    );
    p.fact("channels", esc(&f.channels.join(", ")));
    p.fact("level", f.level.to_string());
    p.fact("units_paged", f.units.len().to_string());
    p.fact(
        "fire_rescue",
        word(lang, if f.fire_rescue { "yes" } else { "no" }).to_owned(),
    );
    let breaches: Vec<&str> = f.breaches.iter().map(|b| word(lang, b.as_str())).collect();
    let breaches = if breaches.is_empty() {
        "—".to_owned()
    } else {
        breaches.join(", ")
    };
    p.fact("breaches", esc(&breaches));
    p.fact("acks_missed", f.acks_missed.to_string());
    p.out.push_str("</dl></section>");
}

fn lift(p: &mut Page<'_>) {
    p.section("lift", false);
    let r = p.report;
    let Some(l) = &r.lift else {
        let _ = write!(p.out, "<p>{}</p></section>", p.w("lift_unknown"));
        return;
    };
    let lift = &l.lift;
    p.out.push_str("<dl class=\"facts\">");
    p.fact("rescue_code", esc(&lift.rescue_code.to_string()));
    p.fact(
        "registration_code",
        esc(&lift.registration_code.to_string()),
    );
    p.fact("district", esc(&lift.district.to_string()));
    p.fact("street", esc(lift.street.as_deref().unwrap_or("—")));
    p.fact(
        "address",
        esc(&format!("{} {}", lift.address, lift.building)),
    );
    p.fact(
        "commissioned",
        lift.commissioned.map_or("—".to_owned(), |d| d.to_string()),
    );
    for party in &r.parties {
        let name = format!("{} (#{})", party.name, party.company.0);
        p.fact(party.role, esc(&name));
    }
    p.fact("seq", l.seq.to_string());
    p.fact("hash", hash(&l.hash));
    p.out.push_str("</dl></section>");
}

fn alarms(p: &mut Page<'_>) {
    p.section("alarms", false);
    let lang = p.lang;
    let rows = p
        .report
        .alarms
        .iter()
        .map(|a| {
            vec![
                a.seq.to_string(),
                time(a.received_at),
                esc(word(lang, a.channel)),
                esc(kind_label(lang, &a.kind)),
                esc(&a
                    .flags
                    .iter()
                    .map(|f| word(lang, f))
                    .collect::<Vec<_>>()
                    .join(", ")),
                a.trapped.map_or("—".to_owned(), |n| n.to_string()),
                esc(a.floor.as_deref().unwrap_or("—")),
                esc(&a.description),
                hash(&a.hash),
            ]
        })
        .collect();
    p.table(
        &[
            "seq",
            "received",
            "channel",
            "kind",
            "flags",
            "trapped",
            "floor",
            "description",
            "hash",
        ],
        rows,
    );
}

fn messages(p: &mut Page<'_>) {
    let deliveries = p.report.deliveries.clone();
    p.rows("deliveries", &deliveries);
    p.section("messages", false);
    let rows = p
        .report
        .messages
        .iter()
        .map(|m| {
            vec![
                esc(&m.message),
                m.unit.0.to_string(),
                esc(&m.step),
                esc(m.channel),
                esc(m.status),
                m.attempts.to_string(),
                esc(m.last_error.as_deref().unwrap_or("")),
                esc(m.gateway_ref.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    p.table(
        &[
            "message",
            "unit",
            "step",
            "channel",
            "status",
            "attempts",
            "error",
            "gateway_ref",
        ],
        rows,
    );
}

fn sla(p: &mut Page<'_>) {
    p.section("sla", false);
    let lang = p.lang;
    let rows = p
        .report
        .sla
        .iter()
        .map(|m| {
            let verdict = match (m.met, m.late_by_secs) {
                (Some(true), _) => format!("<span class=\"met\">{}</span>", word(lang, "met")),
                (Some(false), Some(s)) => format!(
                    "<span class=\"late\">{} {}</span>",
                    word(lang, "late_by"),
                    dur(Some(s), lang)
                ),
                (Some(false), None) => {
                    format!("<span class=\"late\">{}</span>", word(lang, "missed"))
                }
                (None, _) => "—".to_owned(),
            };
            vec![
                m.seq.to_string(),
                esc(word(lang, m.clock)),
                esc(m.step.as_deref().unwrap_or("")),
                m.unit.map_or(String::new(), |u| u.0.to_string()),
                time(m.due),
                opt_time(m.done),
                verdict,
                hash(&m.hash),
            ]
        })
        .collect();
    p.table(
        &[
            "seq", "clock", "step", "unit", "due", "done", "verdict", "hash",
        ],
        rows,
    );
}

fn rules(p: &mut Page<'_>) {
    p.section("rules", false);
    let Some(r) = &p.report.rules else {
        let _ = write!(p.out, "<p>{}</p></section>", p.w("none"));
        return;
    };
    let r = r.clone();
    p.out.push_str("<dl class=\"facts\">");
    p.fact("rules_version", esc(&r.version));
    p.fact("rules_file", esc(&r.file));
    p.fact("chain", esc(&r.chain));
    p.fact("seq", r.seq.to_string());
    p.fact("hash", hash(&r.hash));
    p.out.push_str("</dl>");
    let secs = |s: Option<u64>| s.map_or("—".to_owned(), |s| s.to_string());
    let rows = r
        .steps
        .iter()
        .map(|s| {
            vec![
                esc(&s.id),
                s.level.to_string(),
                esc(s.page),
                s.acknowledge_secs.to_string(),
                secs(s.arrive_secs),
                secs(s.release_secs),
            ]
        })
        .collect();
    p.table(
        &[
            "step",
            "level",
            "pages",
            "ack_secs",
            "arrive_secs",
            "release_secs",
        ],
        rows,
    );
}
