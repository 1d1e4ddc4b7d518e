//! A progress line on stderr for long walks (`verify-log`, `export`): rows done, of how many
//! when known, and rows per second. On a terminal one line is rewritten in place (`\r`) a few
//! times a second; otherwise (a log file, a CI job) a line is written every few seconds, so
//! the log shows progress without a flood.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often a line is written when stderr is not a terminal.
const EVERY_PLAIN: Duration = Duration::from_secs(5);
/// How often the line is rewritten on a terminal.
const EVERY_TTY: Duration = Duration::from_millis(250);

/// One progress line.
pub struct Progress {
    what: &'static str,
    total: Option<u64>,
    start: Instant,
    last: Instant,
    tty: bool,
    shown: bool,
}

impl Progress {
    /// A line about `what` (e.g. "rows checked"), out of `total` when known.
    pub fn new(what: &'static str, total: Option<u64>) -> Self {
        let now = Instant::now();
        Progress {
            what,
            total,
            start: now,
            last: now,
            tty: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    /// `done` rows so far: shown if it is time.
    pub fn tick(&mut self, done: u64) {
        let every = if self.tty { EVERY_TTY } else { EVERY_PLAIN };
        if self.last.elapsed() < every {
            return;
        }
        self.last = Instant::now();
        self.show(done);
    }

    /// The last figure; ends the line on a terminal. Nothing when no line was shown (a walk
    /// too short to need one).
    pub fn finish(&mut self, done: u64) {
        if self.shown {
            self.show(done);
            if self.tty {
                let _ = writeln!(std::io::stderr());
            }
        }
    }

    fn show(&mut self, done: u64) {
        self.shown = true;
        let line = line(self.what, done, self.total, self.start.elapsed());
        let mut err = std::io::stderr().lock();
        let _ = if self.tty {
            write!(err, "\r{line}\x1b[K")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }
}

/// `1,234 / 10,000 rows checked (12%), 5,678 rows/s`.
fn line(what: &str, done: u64, total: Option<u64>, elapsed: Duration) -> String {
    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
    let of = match total {
        Some(t) if t > 0 => format!(" / {}", group(t)),
        _ => String::new(),
    };
    let pct = match total {
        Some(t) if t > 0 => format!(" ({}%)", done * 100 / t),
        _ => String::new(),
    };
    format!(
        "{}{of} {what}{pct}, {} rows/s",
        group(done),
        group(rate as u64)
    )
}

/// Thousands separated by commas.
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_line_says_done_of_total_and_the_rate() {
        let l = super::line(
            "rows checked",
            1234,
            Some(10_000),
            std::time::Duration::from_secs(2),
        );
        assert_eq!(l, "1,234 / 10,000 rows checked (12%), 617 rows/s");
        let l = super::line("rows written", 5, None, std::time::Duration::from_secs(1));
        assert_eq!(l, "5 rows written, 5 rows/s");
    }
}
