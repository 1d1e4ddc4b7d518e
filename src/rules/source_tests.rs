//! The built-in rules, where rules come from, folder errors and exporting.

use super::{BUILT_IN_FILES, ExportError, RuleSet, RulesSource, export_built_in};
use std::path::{Path, PathBuf};

fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dispatch-rules")
}

/// An empty scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("liftrescue-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn only_error(dir: &Path) -> String {
    let errors = RuleSet::load_dir(dir).expect_err("the folder must be refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].to_string()
}

#[test]
fn the_built_in_rules_are_the_shipped_folder_with_the_same_version() {
    let built_in = RuleSet::built_in().expect("the built-in rules pass the checker");
    let folder = RuleSet::load_dir(shipped_dir()).unwrap();
    assert_eq!(built_in.version, folder.version);
    assert_eq!(built_in.files.len(), folder.files.len());
    let mut on_disk: Vec<String> = std::fs::read_dir(shipped_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") || n == "README.md")
        .collect();
    on_disk.sort();
    let built: Vec<&str> = BUILT_IN_FILES.iter().map(|(n, _)| *n).collect();
    assert_eq!(built, on_disk);
}

#[test]
fn a_missing_folder_says_it_does_not_exist_without_empty_parts() {
    let dir = std::env::temp_dir().join("liftrescue-no-such-rules-folder");
    let shown = only_error(&dir);
    assert_eq!(
        shown,
        format!("the rules folder `{}` does not exist", dir.display())
    );
    assert_eq!(
        RulesSource::Folder(dir).load().unwrap_err()[0].to_string(),
        shown
    );
}

#[test]
fn a_file_named_as_the_folder_is_not_a_folder() {
    let scratch = Scratch::new("rules-not-a-folder");
    let file = scratch.0.join("rules.toml");
    std::fs::write(&file, "x").unwrap();
    assert_eq!(
        only_error(&file),
        format!("the rules folder `{}` is not a folder", file.display())
    );
}

#[test]
fn a_folder_without_toml_files_says_so() {
    let scratch = Scratch::new("rules-empty");
    std::fs::write(scratch.0.join("README.md"), "notes").unwrap();
    assert_eq!(
        only_error(&scratch.0),
        format!(
            "the rules folder `{}` has no .toml files",
            scratch.0.display()
        )
    );
}

#[test]
fn a_configured_folder_is_used_even_when_missing_and_none_means_the_default_or_built_in() {
    let named = Path::new("/etc/liftrescue/rules");
    assert_eq!(
        RulesSource::choose(Some(named)),
        RulesSource::Folder(named.to_owned())
    );
    // Unit tests run in the package folder, which has `dispatch-rules/`.
    assert_eq!(
        RulesSource::choose(None),
        RulesSource::Folder("dispatch-rules".into())
    );
    assert_eq!(RulesSource::BuiltIn.to_string(), "built-in");
    assert_eq!(
        RulesSource::BuiltIn.load().unwrap().version,
        RuleSet::built_in().unwrap().version
    );
}

#[test]
fn exported_rules_load_with_the_built_in_version_and_are_never_overwritten() {
    let scratch = Scratch::new("rules-export");
    let dir = scratch.0.join("new/rules");
    let written = export_built_in(&dir).expect("export into a new folder");
    assert_eq!(written.len(), BUILT_IN_FILES.len());
    assert!(dir.join("README.md").is_file());
    let loaded = RuleSet::load_dir(&dir).unwrap();
    assert_eq!(loaded.version, RuleSet::built_in().unwrap().version);

    let edited = dir.join(BUILT_IN_FILES[0].0);
    std::fs::write(&edited, "# mine").unwrap();
    match export_built_in(&dir) {
        Err(ExportError::Exists(paths)) => assert_eq!(paths.len(), BUILT_IN_FILES.len()),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&edited).unwrap(), "# mine");
}
