//! Telemetry, set up in one place: human-readable lines by default, one JSON object per line
//! in production (`log_format = "json"`). The level comes from `LIFTRESCUE_LOG` (an
//! `EnvFilter` directive such as `info` or `liftrescue=debug`), `info` by default. Tests stay
//! quiet unless `TEST_LOG` is set. Lines are coloured only when standard error is a terminal
//! (and `NO_COLOR` is not set): files, pipes and journald get plain text.

use crate::config::LogFormat;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (once; later calls do nothing).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("LIFTRESCUE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// For tests: logs to the test's output when `TEST_LOG` is set, otherwise nothing.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("debug"))
            .with_test_writer()
            .try_init();
    }
}
