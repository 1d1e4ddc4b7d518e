//! Telemetry, set up in one place: human-readable lines by default, one JSON object per line
//! in production (`log_format = "json"`). The level comes from `LIFTRESCUE_LOG` (an
//! `EnvFilter` directive such as `info` or `liftrescue=debug`), `info` by default. Tests stay
//! quiet unless `TEST_LOG` is set. Lines are coloured only when standard error is a terminal
//! (and `NO_COLOR` is not set): files, pipes and journald get plain text.

pub mod metrics;

pub use metrics::Metrics;

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

/// The variable that, set (as `.ci/run` sets it), makes a test that would skip for want of a
/// service fail instead: in CI every service is there, so a skip means a test did not run.
pub const REQUIRE_SERVICES_VAR: &str = "LIFTRESCUE_TEST_REQUIRE_SERVICES";

/// For tests that need an outside service: the value of `var` (its URL or path), or `None`
/// after a skip line that shows on the test output even though the harness captures the test's
/// own prints (written to the process's standard error, once per service and test binary).
/// With [`REQUIRE_SERVICES_VAR`] set, a missing `var` panics instead.
pub fn test_service(service: &str, var: &str) -> Option<String> {
    use std::io::Write;
    use std::sync::Mutex;
    static NOTICED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    if let Ok(value) = std::env::var(var) {
        return Some(value);
    }
    assert!(
        std::env::var_os(REQUIRE_SERVICES_VAR).is_none(),
        "{service} tests must run ({REQUIRE_SERVICES_VAR} is set) but {var} is unset"
    );
    let mut noticed = NOTICED.lock().unwrap_or_else(|e| e.into_inner());
    if !noticed.iter().any(|s| s == service) {
        noticed.push(service.to_owned());
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: the {service} tests of this test binary ({var} is unset)"
        );
    }
    None
}
