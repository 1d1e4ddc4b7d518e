//! A rules folder as a whole: reading it, its version, and the rules that span files.
//!
//! Exactly one file is the default (a lift whose district no file claims still gets a chain)
//! and no region prefix is claimed by two files (a lift would otherwise depend on file order).
//! Nested prefixes ("50" and "5001") are fine: the longest match wins.

use super::check::check_file;
use super::file::{RawFile, Source};
use super::{RuleSet, RulesError, RulesVersion};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// An error about the folder, not one file or line.
fn folder_error(file: &str, key: &str, message: impl Into<String>) -> RulesError {
    RulesError {
        file: file.to_owned(),
        line: 0,
        key: key.to_owned(),
        message: message.into(),
    }
}

/// Reads every `*.toml` file directly in `dir` but `quality.toml`, sorted by name. Anything
/// else (README.md, editor backups, sub-folders) is ignored and so is not part of the version. A folder that
/// does not exist, is not a folder or holds no `*.toml` file is one error saying so.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, Vec<RulesError>> {
    let shown = dir.display();
    let whole = |message: String| vec![folder_error("", "", message)];
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(whole(format!("the rules folder `{shown}` does not exist")));
        }
        Err(e) => {
            return Err(whole(format!(
                "cannot read the rules folder `{shown}`: {e}"
            )));
        }
        Ok(m) if !m.is_dir() => {
            return Err(whole(format!("the rules folder `{shown}` is not a folder")));
        }
        Ok(_) => {}
    }
    let unreadable = |e: std::io::Error| {
        folder_error(
            "",
            "",
            format!("cannot read the rules folder `{shown}`: {e}"),
        )
    };
    let entries = std::fs::read_dir(dir).map_err(|e| vec![unreadable(e)])?;
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                errors.push(unreadable(e));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        // `quality.toml` is the quality evaluation's, not a rules file (`super::quality`).
        if !name.ends_with(".toml") || name == super::quality::FILE || !entry.path().is_file() {
            continue;
        }
        match std::fs::read_to_string(entry.path()) {
            Ok(text) => files.push((name, text)),
            Err(e) => errors.push(folder_error(&name, "", format!("cannot read: {e}"))),
        }
    }
    files.sort();
    if files.is_empty() && errors.is_empty() {
        errors.push(folder_error(
            "",
            "",
            format!("the rules folder `{shown}` has no .toml files"),
        ));
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// `sha256:` and 64 hex digits over each file's name and bytes, in name order. Each part is
/// preceded by its length (8 bytes, big-endian) so no two different folders hash the same
/// input by moving bytes across a boundary.
pub fn version(files: &[(String, String)]) -> RulesVersion {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort();
    let mut h = Sha256::new();
    for (name, text) in sorted {
        for part in [name.as_bytes(), text.as_bytes()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
    }
    RulesVersion(format!("sha256:{}", hex::encode(h.finalize())))
}

/// Where each region prefix and each `default = true` was written, across files.
#[derive(Default)]
struct Claims {
    regions: BTreeMap<String, (String, usize)>,
    defaults: Vec<(String, usize)>,
    unparsed: bool,
}

/// Parses and checks every file, then the rules that span files; all errors, sorted by file.
pub fn parse_files(files: &[(String, String)]) -> Result<RuleSet, Vec<RulesError>> {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort();
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    let mut claims = Claims::default();
    let mut storm = None;
    for (name, text) in sorted {
        if name == super::storm::FILE {
            match super::storm::parse(text) {
                Ok(s) => storm = Some(Arc::new(s)),
                Err(es) => errors.extend(es),
            }
            continue;
        }
        let src = Source { name, text };
        match src.parse() {
            Err(e) => {
                errors.push(e);
                claims.unparsed = true;
            }
            Ok(raw) => {
                claims.record(src, &raw, &mut errors);
                match check_file(src, &raw) {
                    Ok(f) => checked.push(Arc::new(f)),
                    Err(es) => errors.extend(es),
                }
            }
        }
    }
    let rules_files = files
        .iter()
        .filter(|(n, _)| n != super::storm::FILE)
        .count();
    errors.extend(claims.default_errors(rules_files == 0));
    errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    if errors.is_empty() {
        Ok(RuleSet {
            version: version(files),
            files: checked,
            storm,
        })
    } else {
        Err(errors)
    }
}

impl Claims {
    /// Records a file's regions and default flag; a region another file claimed is an error.
    fn record(&mut self, src: Source<'_>, raw: &RawFile, errors: &mut Vec<RulesError>) {
        if let Some(d) = raw.default.as_ref().filter(|d| *d.get_ref()) {
            let line = src.line(d.span().start);
            self.defaults.push((src.name.to_owned(), line));
        }
        let regions = raw.regions.iter().flat_map(|r| r.get_ref());
        for (i, region) in regions.enumerate() {
            let (span, region) = (region.span(), region.get_ref());
            match self.regions.get(region) {
                Some((file, at)) if file != src.name => {
                    let m = format!(
                        "region {region:?} is also claimed by {file} line {at}; a region belongs to one file"
                    );
                    errors.push(src.error(span, &format!("regions[{i}]"), m));
                }
                Some(_) => {}
                None => {
                    let at = (src.name.to_owned(), src.line(span.start));
                    self.regions.insert(region.clone(), at);
                }
            }
        }
    }

    /// Exactly one default file. When a file failed to parse, a missing default may be in it,
    /// so that case is not reported on top of the parse error.
    fn default_errors(&self, no_files: bool) -> Vec<RulesError> {
        if no_files {
            return vec![folder_error("", "", "no *.toml rules files in the folder")];
        }
        match self.defaults.as_slice() {
            [] if self.unparsed => vec![],
            [] => vec![folder_error(
                "",
                "default",
                "no file has `default = true`; exactly one must",
            )],
            [_] => vec![],
            [(first, first_line), rest @ ..] => rest
                .iter()
                .map(|(file, line)| RulesError {
                    file: file.clone(),
                    line: *line,
                    key: "default".into(),
                    message: format!(
                        "{first} line {first_line} is already the default; exactly one file may be"
                    ),
                })
                .collect(),
        }
    }
}
