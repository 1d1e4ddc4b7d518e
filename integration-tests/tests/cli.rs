//! Running the command line as a user would.

use std::process::{Command, Output};

/// Runs `liftrescue ARGS` from the repository root.
pub fn liftrescue(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cli-under-test"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("run the liftrescue command line")
}

/// Lossy UTF-8 of a captured stream.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
