//! Telemetry, set up in one place: human-readable lines by default, one JSON object per line
//! in production (`log_format = "json"`). The level comes from `LIFTRESCUE_LOG` (an
//! `EnvFilter` directive such as `info` or `liftrescue=debug`), `info` by default. Tests stay
//! quiet unless `TEST_LOG` is set.

use crate::config::LogFormat;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (once; later calls do nothing).
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_env("LIFTRESCUE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
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
