//! Fault-code maps: how one source's numeric fault codes read as an [`AlarmKind`].
//!
//! Sources number faults differently — the common 1–22 numbering says 7 for a passenger trapped
//! at a landing, Chongqing's platform says 93 — so the mapping is configuration, one TOML file
//! per source, never code. Two maps ship in `ops/intake-codes/` and are built in
//! ([`CodeMap::builtin`]): `common` and `chongqing`. A deployment can load its own with
//! [`CodeMap::from_toml`].
//!
//! # Format
//!
//! ```toml
//! description = "Common lift IoT fault numbering 1-22"   # optional
//!
//! [[code]]
//! code = 7                         # the source's code, 0-65535
//! kind = "entrapment_at_landing"   # or entrapment_between_floors, passenger_alarm, fault
//! label = "平层关人"                # optional: the source's own name, shown to operators
//!
//! [[code]]
//! code = 9
//! kind = "fault"
//! fault = "power_loss"             # snake_case; required for kind = "fault", refused otherwise
//! label = "停电"
//! ```
//!
//! Parsing is strict: an unknown key, a misspelt kind, a code outside 0–65535 or a code listed
//! twice is an error that names the map and the code, so a typo cannot quietly reroute an
//! entrapment.
//!
//! # Unmapped codes
//!
//! A code the map does not list is never dropped: [`CodeMap::kind`] answers
//! `AlarmKind::Fault("unmapped code N")` with `mapped: false`, so the alarm still reaches the
//! desk and the caller logs the gap.

use crate::domain::AlarmKind;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The maps shipped in `ops/intake-codes/`, built into the binary.
const BUILTIN: [(&str, &str); 2] = [
    ("common", include_str!("../../ops/intake-codes/common.toml")),
    (
        "chongqing",
        include_str!("../../ops/intake-codes/chongqing.toml"),
    ),
];

/// Longest fault name, characters.
const FAULT_NAME_MAX: usize = 64;

/// One source's mapping from fault codes to alarm kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeMap {
    name: String,
    description: String,
    codes: BTreeMap<u16, Entry>,
}

/// One mapped code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: AlarmKind,
    label: String,
}

/// What a code means, and whether the map knew it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    /// The kind; `Fault("unmapped code N")` when the map does not list the code.
    pub kind: AlarmKind,
    /// False when the map does not list the code: the caller logs it.
    pub mapped: bool,
}

/// Why a code map was refused; the message names the map and, where it can, the code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeMapError {
    /// Not valid TOML, an unknown key, a wrong type or a code outside 0–65535.
    #[error("code map {name:?}: {message}")]
    Toml {
        /// The map's name.
        name: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The same code appears twice.
    #[error("code map {name:?}: code {code} is listed twice")]
    Duplicate {
        /// The map's name.
        name: String,
        /// The code.
        code: u16,
    },
    /// An entry whose kind and fault name do not fit together.
    #[error("code map {name:?}: code {code}: {reason}")]
    BadEntry {
        /// The map's name.
        name: String,
        /// The code.
        code: u16,
        /// What is wrong.
        reason: String,
    },
    /// [`CodeMap::builtin`] was asked for a map that is not built in.
    #[error("no built-in code map {0:?} (built in: common, chongqing)")]
    UnknownBuiltin(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    description: Option<String>,
    #[serde(default, rename = "code")]
    codes: Vec<CodeIn>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeIn {
    code: u16,
    kind: KindIn,
    fault: Option<String>,
    label: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum KindIn {
    EntrapmentAtLanding,
    EntrapmentBetweenFloors,
    PassengerAlarm,
    Fault,
}

impl CodeMap {
    /// A built-in map by name (`common`, `chongqing`), else a TOML file at that path: what a
    /// source's `codes` setting names.
    pub fn load(spec: &str) -> anyhow::Result<CodeMap> {
        use anyhow::Context;
        if Self::BUILTIN_NAMES.contains(&spec) {
            return Self::builtin(spec).context("load a built-in code map");
        }
        let text = std::fs::read_to_string(spec)
            .with_context(|| format!("read the code map file {spec}"))?;
        Self::from_toml(spec, &text).with_context(|| format!("parse the code map file {spec}"))
    }

    /// The names of the built-in maps.
    pub const BUILTIN_NAMES: [&'static str; 2] = [BUILTIN[0].0, BUILTIN[1].0];

    /// A map shipped in `ops/intake-codes/` (`common`, `chongqing`), as built into the binary.
    pub fn builtin(name: &str) -> Result<Self, CodeMapError> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| CodeMapError::UnknownBuiltin(name.to_owned()))?;
        Self::from_toml(name, text)
    }

    /// Parses a map; `name` is the source it belongs to and appears in every error.
    pub fn from_toml(name: &str, text: &str) -> Result<Self, CodeMapError> {
        let file: FileIn = toml::from_str(text).map_err(|e| CodeMapError::Toml {
            name: name.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        let mut codes = BTreeMap::new();
        for c in file.codes {
            let code = c.code;
            let entry = entry(c).map_err(|reason| CodeMapError::BadEntry {
                name: name.to_owned(),
                code,
                reason,
            })?;
            if codes.insert(code, entry).is_some() {
                let name = name.to_owned();
                return Err(CodeMapError::Duplicate { name, code });
            }
        }
        Ok(Self {
            name: name.to_owned(),
            description: file.description.unwrap_or_default(),
            codes,
        })
    }

    /// What `code` means to this source. An unmapped code is kept as
    /// `Fault("unmapped code N")` with `mapped: false`.
    pub fn kind(&self, code: u16) -> Classified {
        match self.codes.get(&code) {
            Some(e) => Classified {
                kind: e.kind.clone(),
                mapped: true,
            },
            None => Classified {
                kind: AlarmKind::Fault(format!("unmapped code {code}")),
                mapped: false,
            },
        }
    }

    /// The source's own name for `code` (empty when the map gives none), if it is mapped.
    pub fn label(&self, code: u16) -> Option<&str> {
        self.codes.get(&code).map(|e| e.label.as_str())
    }

    /// The source this map belongs to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The map's description line (empty when it has none).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Every mapped code with its kind, in code order.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &AlarmKind)> {
        self.codes.iter().map(|(c, e)| (*c, &e.kind))
    }
}

/// Checks one entry's kind and fault name.
fn entry(c: CodeIn) -> Result<Entry, String> {
    let kind = match (c.kind, c.fault) {
        (KindIn::Fault, Some(f)) => AlarmKind::Fault(fault_name(f)?),
        (KindIn::Fault, None) => return Err("kind \"fault\" needs a `fault` name".to_owned()),
        (_, Some(f)) => {
            return Err(format!(
                "`fault = {f:?}` is only allowed with kind \"fault\""
            ));
        }
        (KindIn::EntrapmentAtLanding, None) => AlarmKind::EntrapmentAtLanding,
        (KindIn::EntrapmentBetweenFloors, None) => AlarmKind::EntrapmentBetweenFloors,
        (KindIn::PassengerAlarm, None) => AlarmKind::PassengerAlarm,
    };
    Ok(Entry {
        kind,
        label: c.label.unwrap_or_default(),
    })
}

/// A fault name: 1–64 of `a-z 0-9 _`, starting with a letter.
fn fault_name(f: String) -> Result<String, String> {
    let ok = f.len() <= FAULT_NAME_MAX
        && f.starts_with(|c: char| c.is_ascii_lowercase())
        && f.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(f)
    } else {
        Err(format!(
            "fault name {f:?} must be snake_case: a-z, 0-9 and _, starting with a letter, \
             at most {FAULT_NAME_MAX} characters"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_map_knows_both_entrapments_and_the_alarm_button() {
        let m = CodeMap::builtin("common").unwrap();
        assert_eq!(m.kind(7).kind, AlarmKind::EntrapmentAtLanding);
        assert_eq!(m.kind(8).kind, AlarmKind::EntrapmentBetweenFloors);
        assert_eq!(m.kind(21).kind, AlarmKind::PassengerAlarm);
        assert_eq!(m.kind(9).kind, AlarmKind::Fault("power_loss".into()));
        assert_eq!(m.kind(1).kind, AlarmKind::Fault("over_travel_top".into()));
        assert!(m.kind(22).mapped);
        assert_eq!(m.label(7), Some("平层关人"));
        assert_eq!(m.iter().count(), 22);
    }

    #[test]
    fn the_chongqing_map_numbers_its_own_way() {
        let m = CodeMap::builtin("chongqing").unwrap();
        assert_eq!(m.kind(93).kind, AlarmKind::EntrapmentAtLanding);
        assert_eq!(m.kind(90).kind, AlarmKind::PassengerAlarm);
        assert_eq!(m.kind(92).kind, AlarmKind::Fault("over_travel_top".into()));
        assert_eq!(
            m.kind(44).kind,
            AlarmKind::Fault("fire_service_return".into())
        );
        assert!(
            !m.kind(7).mapped,
            "7 is the common numbering's code, not Chongqing's"
        );
    }

    #[test]
    fn an_unmapped_code_is_kept_as_a_named_fault() {
        let m = CodeMap::builtin("common").unwrap();
        let c = m.kind(4242);
        assert_eq!(c.kind, AlarmKind::Fault("unmapped code 4242".into()));
        assert!(!c.mapped);
        assert_eq!(m.label(4242), None);
    }

    #[test]
    fn every_shipped_map_loads_and_is_the_one_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ops/intake-codes");
        let mut found = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
                let text = std::fs::read_to_string(&path).unwrap();
                let map = CodeMap::from_toml(&name, &text).unwrap();
                assert!(!map.description().is_empty(), "{name}");
                assert_eq!(CodeMap::builtin(&name).unwrap(), map, "{name}");
                found += 1;
            }
        }
        assert_eq!(found, CodeMap::BUILTIN_NAMES.len());
    }

    #[test]
    fn a_code_listed_twice_is_refused_naming_the_code() {
        let text = "[[code]]\ncode = 5\nkind = \"passenger_alarm\"\n\
                    [[code]]\ncode = 5\nkind = \"fault\"\nfault = \"x\"\n";
        let e = CodeMap::from_toml("vendor", text).unwrap_err();
        assert_eq!(
            e,
            CodeMapError::Duplicate {
                name: "vendor".into(),
                code: 5
            }
        );
        assert!(e.to_string().contains("code 5"), "{e}");
    }

    #[test]
    fn misspelt_kinds_unknown_keys_and_out_of_range_codes_are_refused() {
        for (text, needle) in [
            ("[[code]]\ncode = 1\nkind = \"entrapment\"\n", "entrapment"),
            (
                "[[code]]\ncode = 1\nkind = \"passenger_alarm\"\nlevel = 2\n",
                "level",
            ),
            (
                "[[code]]\ncode = 70000\nkind = \"passenger_alarm\"\n",
                "70000",
            ),
            ("[[code]]\ncode = -1\nkind = \"passenger_alarm\"\n", "-1"),
            ("titel = \"x\"\n", "titel"),
        ] {
            let e = CodeMap::from_toml("vendor", text).unwrap_err();
            assert!(matches!(e, CodeMapError::Toml { .. }), "{text}: {e:?}");
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn fault_names_and_kinds_must_fit_together() {
        for (text, needle) in [
            (
                "[[code]]\ncode = 3\nkind = \"fault\"\n",
                "needs a `fault` name",
            ),
            (
                "[[code]]\ncode = 3\nkind = \"fault\"\nfault = \"Power Loss\"\n",
                "snake_case",
            ),
            (
                "[[code]]\ncode = 3\nkind = \"passenger_alarm\"\nfault = \"x\"\n",
                "only allowed",
            ),
        ] {
            let e = CodeMap::from_toml("vendor", text).unwrap_err();
            assert!(matches!(e, CodeMapError::BadEntry { code: 3, .. }), "{e:?}");
            assert!(e.to_string().contains(needle), "{e}");
        }
    }

    #[test]
    fn only_the_shipped_maps_are_built_in() {
        let e = CodeMap::builtin("shanghai").unwrap_err();
        assert_eq!(e, CodeMapError::UnknownBuiltin("shanghai".into()));
        assert_eq!(CodeMap::builtin("common").unwrap().name(), "common");
    }
}
