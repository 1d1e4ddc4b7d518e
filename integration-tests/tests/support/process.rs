//! The real binary as a child process: `serve` with settings from the environment.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A `liftrescue serve` child process and the address it listens on.
pub struct ServeProcess {
    /// The child.
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The line it announced itself with (address, database, rules).
    pub announced: String,
}

/// Runs `liftrescue ARGS` with `env` and waits for it; (exit code, stdout, stderr).
pub fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cli-under-test"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("run the liftrescue command line");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

impl ServeProcess {
    /// Starts `liftrescue serve` on port 0 and reads the address it prints.
    pub fn start(env: &[(&str, &str)]) -> ServeProcess {
        Self::start_in(concat!(env!("CARGO_MANIFEST_DIR"), "/.."), env)
    }

    /// [`ServeProcess::start`] with `dir` as the working folder.
    pub fn start_in(dir: impl AsRef<std::path::Path>, env: &[(&str, &str)]) -> ServeProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cli-under-test"))
            .arg("serve")
            .env("LIFTRESCUE_LISTEN", "127.0.0.1:0")
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start liftrescue serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        reader
            .read_line(&mut first)
            .expect("read the listening line");
        // Keep reading whatever else it prints, as a terminal would.
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        let base = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_owned();
        ServeProcess {
            child,
            base,
            announced: first,
        }
    }

    /// SIGKILL: no drain, no goodbye.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL the server");
        let _ = self.child.wait();
    }

    /// SIGHUP (what `systemctl reload` sends), without waiting for anything.
    pub fn hangup(&self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .expect("send SIGHUP");
        assert!(sent.success(), "kill -HUP {pid} failed");
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a signal (`STOP`, `CONT`, …) without waiting for anything.
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([format!("-{name}").as_str(), &pid])
            .status()
            .expect("send a signal");
        assert!(sent.success(), "kill -{name} {pid}");
    }

    /// SIGTERM, then the exit code.
    pub fn terminate(mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("send SIGTERM");
        self.child.wait().expect("wait for the server").code()
    }
}

/// A test that fails half-way must not leave its server running.
impl Drop for ServeProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
