// `sqlx::migrate!` embeds `migrations/` at compile time: rebuild when a migration is added or
// changed (cargo does not otherwise look at that folder).
//
// The shipped rules (`dispatch-rules/*.toml` and its README) are compiled into the binary as
// the built-in rules (`src/rules/source.rs`): list them here so a file added to the folder is
// built in without editing code, and rebuild when the folder changes.
use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=dispatch-rules");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dispatch-rules");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read dispatch-rules/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") || n == "README.md")
        .collect();
    names.sort();
    let mut out = String::from("&[\n");
    for name in names {
        let path = dir.join(&name);
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("]\n");
    let target = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("built_in_rules.rs");
    std::fs::write(target, out).expect("write built_in_rules.rs");
}
