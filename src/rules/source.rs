//! Where the rules come from: a folder, or the copy of the shipped `dispatch-rules/` compiled
//! into the binary, so `liftrescue serve` runs anywhere, not only inside the repository.
//!
//! Both go through the same parser and checker ([`RuleSet::parse_files`]), so the built-in
//! rules and the same files read from a folder have the same version.

use super::{RuleSet, RulesError};
use std::fmt;
use std::path::{Path, PathBuf};

/// Every file of the shipped `dispatch-rules/` folder (its `*.toml` files and its README), as
/// (file name, text), compiled in. The list is made by `build.rs` from the folder itself.
pub const BUILT_IN_FILES: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/built_in_rules.rs"));

/// The folder used when the settings name none, if it exists in the working folder.
pub const DEFAULT_DIR: &str = "dispatch-rules";

impl RuleSet {
    /// The built-in rules (the shipped `dispatch-rules/*.toml`, compiled in). A test proves
    /// they pass the checker; the `Err` is kept so no caller has to assume it.
    pub fn built_in() -> Result<RuleSet, Vec<RulesError>> {
        let files: Vec<(String, String)> = BUILT_IN_FILES
            .iter()
            .filter(|(name, _)| name.ends_with(".toml") && *name != super::quality::FILE)
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect();
        RuleSet::parse_files(&files)
    }
}

/// Where a running service's rules come from; chosen once at start, read again on a reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesSource {
    /// The rules compiled into the binary: a reload has nothing new to read.
    BuiltIn,
    /// A rules folder, read at start and at each reload.
    Folder(PathBuf),
}

impl RulesSource {
    /// The folder the settings name (it must then exist: [`RulesSource::load`] says so if it
    /// does not); with none named, `./dispatch-rules` if it exists, else the built-in rules.
    pub fn choose(configured: Option<&Path>) -> RulesSource {
        match configured {
            Some(dir) => RulesSource::Folder(dir.to_owned()),
            None if Path::new(DEFAULT_DIR).exists() => RulesSource::Folder(DEFAULT_DIR.into()),
            None => RulesSource::BuiltIn,
        }
    }

    /// `the built-in rules` or ``the rules folder `DIR` ``, for sentences.
    pub fn described(&self) -> String {
        match self {
            RulesSource::BuiltIn => "the built-in rules".into(),
            RulesSource::Folder(dir) => format!("the rules folder `{}`", dir.display()),
        }
    }

    /// Reads, parses and checks the rules; every problem is returned.
    pub fn load(&self) -> Result<RuleSet, Vec<RulesError>> {
        match self {
            RulesSource::BuiltIn => RuleSet::built_in(),
            RulesSource::Folder(dir) => RuleSet::load_dir(dir),
        }
    }
}

/// `built-in`, or the folder's path: what logs, the reload answer and the log's reload events
/// say.
impl fmt::Display for RulesSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulesSource::BuiltIn => f.write_str("built-in"),
            RulesSource::Folder(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// Why the built-in rules could not be written out.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Files of the same names are already there; nothing was written.
    #[error(
        "not overwriting {}: move them away or export to another folder (nothing was written)",
        .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    Exists(Vec<PathBuf>),
    /// The folder or a file could not be made.
    #[error("cannot write {path}: {error}")]
    Io {
        /// What could not be written.
        path: PathBuf,
        /// The system's reason.
        error: std::io::Error,
    },
}

/// Writes the built-in rules files (and their README) into `dir`, creating it if missing, as
/// a starting point for a rules folder of one's own. Refuses, writing nothing, when any of the
/// files already exists there. Returns the paths written.
pub fn export_built_in(dir: &Path) -> Result<Vec<PathBuf>, ExportError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |error| ExportError::Io { path, error }
    };
    let targets: Vec<(PathBuf, &str)> = BUILT_IN_FILES
        .iter()
        .map(|(name, text)| (dir.join(name), *text))
        .collect();
    let existing: Vec<PathBuf> = targets
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.clone())
        .collect();
    if !existing.is_empty() {
        return Err(ExportError::Exists(existing));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut written = Vec::new();
    for (path, text) in targets {
        // `create_new`: a file that appeared since the check above is still not overwritten.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io(&path))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}
