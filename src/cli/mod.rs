//! The command line: `serve` (the dispatcher), `demo`, `rules check` and `rules export`, and
//! the operations commands (`migrate`, `verify-log`, `backup`, `export`, `replay`, `import`,
//! `seed-demo`, `token create`) and `simulate storm`.
//!
//! Each subcommand is a variant of [`Command`]; adding one means adding a variant (its doc
//! comment is its `--help` text) and one arm in [`Cli::run`]. Subcommands return an
//! [`ExitCode`] rather than exiting, so the process ends in one place and tests can call them.

mod backup;
mod history;
mod import;
mod progress;
mod proof;
mod replay;
mod service;
mod simulate;
mod status;

use crate::rules::{RulesError, RulesSource};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// liftrescue: emergency rescue dispatch for people trapped in lifts.
#[derive(Debug, Parser)]
#[command(name = "liftrescue", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play three rescues through the dispatch core on a synthetic Yuzhong District (a simulated
    /// clock: it prints the whole timeline at once).
    Demo {
        /// The rules folder (default: `./dispatch-rules` if there is one, else the built-in
        /// rules).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Number of lifts in the region (Yuzhong has about 15,000).
        #[arg(long, default_value_t = 15_000)]
        lifts: usize,
    },
    /// Work with dispatch rules folders (`dispatch-rules/`).
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Run the dispatcher: HTTP API, dispatch desk, inbox. With no configuration at all it uses
    /// an embedded SQLite file (`liftrescue.db`) and loads the demo region on first start.
    Serve(ConfigArg),
    /// Apply the database migrations and exit.
    Migrate(ConfigArg),
    /// Walk the event log's hash chain; exit 1 naming the first row that does not match. The
    /// database is opened read-only and never migrated: a role or a file that may only be read
    /// is enough. A progress line goes to stderr for a large log.
    VerifyLog {
        /// A kept daily seal (one seal object, or the array `GET /api/v1/log/seals` answers):
        /// the chain must verify from genesis to each sealed row AND that row must still have
        /// the kept hash, which a chain rewritten after the seal, however consistently, has not.
        #[arg(long, value_name = "FILE")]
        seal: Option<PathBuf>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Print the cluster: who holds each region's desk and since when, the nodes seen in the
    /// last minute with their role and how far each is behind the log, the inbox's depth. Exit
    /// 1 on PostgreSQL when no node holds the desk (no lease taken, or one lapsed). Read-only.
    Status {
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Export a period's incidents and events with the hashes they came from: CSV into the
    /// folder OUT (incidents.csv, events.csv, manifest.json), or JSON Lines into the file OUT
    /// (ending in a manifest line). Streamed; a progress line goes to stderr. OUT must not
    /// exist. Bad arguments exit 2 with nothing written.
    Export {
        /// The period's start: a date (its midnight, in `review.seal_utc_offset`: China time by
        /// default) or an RFC 3339 time.
        #[arg(long)]
        from: String,
        /// The period's end: a date (through its end) or an RFC 3339 time (excluded).
        #[arg(long)]
        to: String,
        /// `csv` or `jsonl`.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Where to write.
        out: PathBuf,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Replay one incident: its recorded inputs (alarms, crew and operator actions, deadline
    /// ticks, duty changes, the positions its searches saw) run through the dispatch core under
    /// its own rules snapshot, compared with its recorded decisions. Exit 0 when identical, 1
    /// naming the first recorded event that differs and how, 2 when it cannot be replayed (no
    /// such incident, recorded before decisions kept their inputs, the database unreadable).
    /// The database is opened read-only.
    Replay {
        /// The incident's id.
        incident: i64,
        /// Print the answer as JSON (as `GET /api/v1/incidents/{id}/replay` gives it).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Copy an SQLite database into the new file FILE, online (a server may be running on it)
    /// and consistent (one snapshot), then check the copy. FILE must not exist. On PostgreSQL
    /// it refuses: use `pg_dump -Fc` (see ops/runbooks/restore-from-backup.md). A refusal
    /// exits 2 with nothing written.
    Backup {
        /// The new file to write the copy to.
        file: PathBuf,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Import a registry CSV file: every row is checked, and if any is bad nothing is imported.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Load the deterministic synthetic region (Yuzhong-sized by default) into the registry;
    /// with `--history DAYS`, also play DAYS days of incidents ending now through the dispatch
    /// desk on a simulated clock, into the (empty) event log.
    SeedDemo {
        /// Number of lifts (Yuzhong has about 15,000; a city about 250,000).
        #[arg(long, default_value_t = 15_000)]
        lifts: usize,
        /// Days of history to play, ending now (1–3650). The log must be empty: otherwise
        /// nothing is written and the exit code is 2.
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
        history: Option<u32>,
        /// Real entrapments a day over the region (default: 15 per 200,000 lifts, Chongqing
        /// 96333's figure); false alarms and cancellations come on top. At most 2,000.
        #[arg(long, value_name = "PER_DAY", value_parser = parse_rate, requires = "history")]
        rate: Option<f64>,
        /// Seed of the history's random choices (the same seed plays the same history).
        #[arg(long, default_value_t = 1, requires = "history")]
        seed: u64,
        /// End the history at this moment (RFC 3339, e.g. 2026-12-01T00:00:00Z) instead of
        /// now: with the same seed, the same log, hash for hash.
        #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "history")]
        until: Option<chrono::DateTime<chrono::Utc>>,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Simulate on the demo region through the dispatch desk (`simulate storm`: many people
    /// trapped at once, greedy dispatch against storm mode).
    #[command(subcommand)]
    Simulate(simulate::SimulateCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print a new VAPID key pair for Web Push: the private key goes in
    /// `notify.push.vapid_private_key`, the public one is what crew phones subscribe with.
    VapidKeys,
}

/// Where the configuration comes from.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArg {
    /// A TOML configuration file; `LIFTRESCUE_…` environment variables override it.
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// With `[[regions]]` configured: this region only (its schema, listener and rules).
    #[arg(long, value_name = "NAME")]
    pub region: Option<String>,
}

impl ConfigArg {
    /// The settings of a command on one store: defaults, the file, the environment, narrowed
    /// to `--region`; with `[[regions]]` configured, `--region` must name one.
    pub fn load(&self) -> anyhow::Result<crate::config::Settings> {
        let s = self.load_every()?;
        if !s.regions.is_empty() {
            let names: Vec<&str> = s.regions.iter().map(|r| r.name.as_str()).collect();
            anyhow::bail!(
                "[[regions]] are configured: name one with --region ({})",
                names.join(", ")
            );
        }
        Ok(s)
    }

    /// The settings of `serve` and `status`, which take every region when `--region` names
    /// none. The regions are checked first.
    pub fn load_every(&self) -> anyhow::Result<crate::config::Settings> {
        let s = self.load_all()?;
        match &self.region {
            Some(name) => s.only_region(name).map_err(anyhow::Error::msg),
            None => Ok(s),
        }
    }

    /// The settings with every region, whatever `--region` says, the regions checked.
    pub fn load_all(&self) -> anyhow::Result<crate::config::Settings> {
        let s = crate::config::Settings::load(self.config.as_deref())
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        crate::config::regions::check(&s).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        Ok(s)
    }
}

/// `liftrescue import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Lifts from a CSV file (columns: see `liftrescue import lifts --help`).
    #[command(long_about = crate::registry::import::LIFTS_COLUMNS)]
    Lifts {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Units from a CSV file (columns: see `liftrescue import units --help`).
    #[command(long_about = crate::registry::import::UNITS_COLUMNS)]
    Units {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        config: ConfigArg,
    },
}

/// `liftrescue token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a bearer token and print it (only its hash is stored; it cannot be shown again).
    Create {
        /// operator, crew, investigator, admin or integration.
        #[arg(long, value_parser = parse_role)]
        role: crate::store::Role,
        /// The unit a crew token acts for (required with `--role crew`).
        #[arg(long)]
        unit: Option<i64>,
        /// Who or what holds it, e.g. "console 3, Li Na".
        #[arg(long, default_value = "")]
        label: String,
        #[command(flatten)]
        config: ConfigArg,
    },
}

fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .map_err(|e| format!("{s:?} is not an RFC 3339 time ({e}), e.g. 2026-12-01T00:00:00Z"))
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if r > 0.0 && r <= 2_000.0 => Ok(r),
        _ => Err(format!(
            "{s:?} is not a rate: a number of entrapments a day above 0 and at most 2000"
        )),
    }
}

fn parse_role(s: &str) -> Result<crate::store::Role, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
        format!("{s:?} is not a role: operator, crew, investigator, admin or integration")
    })
}

/// `liftrescue rules …`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Check a rules folder. When it is sound, print its version and a summary of every file
    /// and chain and exit 0; otherwise print every error as `file:line: key: message` to
    /// stderr and exit 1.
    Check {
        /// The folder holding the `*.toml` rules files (default: `./dispatch-rules` if there is
        /// one, else the rules built into this binary, as `serve` would choose).
        dir: Option<PathBuf>,
    },
    /// Write the rules built into this binary (`*.toml` and a README of the format) into DIR,
    /// created if missing, as a starting point for a rules folder of your own. Existing files
    /// are never overwritten.
    Export {
        /// The folder to write into.
        dir: PathBuf,
    },
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    Cli::parse().run()
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn run(self) -> ExitCode {
        match self.command {
            Command::Demo { rules, lifts } => demo(rules.as_deref(), lifts),
            Command::Rules(RulesCommand::Check { dir }) => rules_check(dir.as_deref()),
            Command::Rules(RulesCommand::Export { dir }) => rules_export(&dir),
            Command::VapidKeys => match crate::paging::push::Vapid::generate() {
                Ok((private, public)) => {
                    println!("vapid_private_key = \"{private}\"");
                    println!("# public key (applicationServerKey): {public}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: no randomness for a key: {e}");
                    ExitCode::FAILURE
                }
            },
            Command::Replay {
                incident,
                json,
                config,
            } => replay::run(incident, json, &config),
            Command::Simulate(command) => simulate::run(command),
            Command::Backup { file, config } => backup::run(&file, &config),
            other => service::run(other),
        }
    }
}

/// `liftrescue demo`.
fn demo(dir: Option<&Path>, lifts: usize) -> ExitCode {
    let source = RulesSource::choose(dir);
    let rules = match source.load() {
        Ok(r) => r,
        Err(errors) => return report(&source, &errors),
    };
    let spec = crate::demo::RegionSpec {
        lifts,
        ..Default::default()
    };
    match crate::demo::story::run(rules, &spec, chrono::Utc::now()) {
        Ok(timeline) => {
            print!("{timeline}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("demo failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `liftrescue rules check [DIR]`.
fn rules_check(dir: Option<&Path>) -> ExitCode {
    let source = RulesSource::choose(dir);
    if dir.is_none() {
        eprintln!(
            "checking {} (what `serve` runs here with no `rules_dir` set)",
            source.described()
        );
    }
    match source.load() {
        Ok(set) => {
            print!("{}", set.summary());
            // A folder's quality file was checked with it; the built-in one by its own test.
            if let Ok(q) = crate::rules::quality::QualityConfig::load(&source) {
                println!("{}", q.summary());
            }
            ExitCode::SUCCESS
        }
        Err(errors) => report(&source, &errors),
    }
}

/// `liftrescue rules export DIR`.
fn rules_export(dir: &Path) -> ExitCode {
    match crate::rules::export_built_in(dir) {
        Ok(written) => {
            for path in &written {
                println!("{}", path.display());
            }
            eprintln!(
                "wrote the built-in rules to {}: edit them, check them with `liftrescue rules check {0}`, and set `rules_dir` to use them",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints every rules error to stderr; exit code 1.
fn report(source: &RulesSource, errors: &[RulesError]) -> ExitCode {
    let dir = match source {
        RulesSource::Folder(dir) => dir.as_path(),
        RulesSource::BuiltIn => Path::new("built-in"),
    };
    for e in errors {
        eprintln!("{}", error_line(dir, e));
    }
    let s = if errors.len() == 1 { "" } else { "s" };
    eprintln!("{} error{s} in {source}", errors.len());
    ExitCode::FAILURE
}

/// `DIR/file:line: key: message`, the form editors and CI logs link to a place. An error
/// about the folder as a whole (line 0) is shown as `DIR: key: message`, or as its message
/// alone when it has no key (the message names the folder).
fn error_line(dir: &Path, e: &RulesError) -> String {
    if e.file.is_empty() && e.key.is_empty() {
        return e.message.clone();
    }
    let mut place = if e.file.is_empty() {
        dir.display().to_string()
    } else {
        dir.join(&e.file).display().to_string()
    };
    if e.line > 0 {
        place = format!("{place}:{}", e.line);
    }
    if e.key.is_empty() {
        format!("{place}: {}", e.message)
    } else {
        format!("{place}: {}: {}", e.key, e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(file: &str, line: usize, key: &str) -> RulesError {
        RulesError {
            file: file.into(),
            line,
            key: key.into(),
            message: "wrong".into(),
        }
    }

    #[test]
    fn errors_print_as_path_line_key_message() {
        let dir = Path::new("rules");
        let at = |e: RulesError| error_line(dir, &e);
        assert_eq!(
            at(error("a.toml", 3, "chains.x")),
            "rules/a.toml:3: chains.x: wrong"
        );
        assert_eq!(at(error("", 0, "default")), "rules: default: wrong");
        assert_eq!(at(error("a.toml", 0, "")), "rules/a.toml: wrong");
        assert_eq!(at(error("", 0, "")), "wrong");
    }

    #[test]
    fn the_rules_check_subcommand_parses() {
        let cli = Cli::try_parse_from(["liftrescue", "rules", "check", "dispatch-rules"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Rules(RulesCommand::Check { dir: Some(ref dir) }) if dir == Path::new("dispatch-rules")
        ));
        let cli = Cli::try_parse_from(["liftrescue", "rules", "check"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Rules(RulesCommand::Check { dir: None })
        ));
        assert!(Cli::try_parse_from(["liftrescue", "rules", "export"]).is_err());
    }
}
