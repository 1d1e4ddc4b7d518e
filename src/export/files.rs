//! Writing an export to disk (`liftrescue export`): CSV as a folder (`incidents.csv`,
//! `events.csv`, `manifest.json`), JSON Lines as one file ending in a manifest line. Written
//! under a `.partial` name and renamed when complete, so a failed export never looks whole.

use super::{EventPages, Format, IncidentPages, Period, lines};
use crate::store::Store;
use anyhow::Context;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What one part of an export holds.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Part {
    /// Rows written.
    pub rows: u64,
    /// The file, for CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The file's SHA-256, for CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Events: the first row's seq.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seq: Option<i64>,
    /// Events: the first row's previous hash (the row before the period).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_prev_hash: Option<String>,
    /// Events: the first row's hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_hash: Option<String>,
    /// Events: the last row's seq.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<i64>,
    /// Events: the last row's hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_hash: Option<String>,
}

/// The manifest: what the export holds and how to check it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Manifest {
    /// `manifest`.
    #[serde(rename = "type")]
    pub tag: &'static str,
    /// `csv` or `jsonl`.
    pub format: &'static str,
    /// The period's first instant.
    pub from: String,
    /// The first instant after it.
    pub to: String,
    /// When the export was made.
    pub generated_at: String,
    /// Incidents opened in the period.
    pub incidents: Part,
    /// Log rows in the period.
    pub events: Part,
    /// JSON Lines: the SHA-256 of every line before this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            sha: Sha256::new(),
        }
    }
    fn finish(mut self) -> std::io::Result<String> {
        self.inner.flush()?;
        Ok(hex::encode(self.sha.finalize()))
    }
}

fn create(path: &Path) -> anyhow::Result<Hashing<std::io::BufWriter<std::fs::File>>> {
    let f = std::fs::File::create(path).with_context(|| format!("create {}", path.display()))?;
    Ok(Hashing::new(std::io::BufWriter::new(f)))
}

/// Refuses an `out` that exists: an export never overwrites.
pub fn check_out(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        anyhow::bail!("{} exists: an export never overwrites", out.display());
    }
    Ok(())
}

fn partial(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Writes a period's export to `out` in `format`; `progress` hears the rows written so far
/// after each page. Returns the manifest.
pub async fn write(
    store: Arc<dyn Store>,
    period: Period,
    format: Format,
    out: &Path,
    generated_at: chrono::DateTime<chrono::Utc>,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Manifest> {
    check_out(out)?;
    let tmp = partial(out);
    let mut manifest = Manifest {
        tag: "manifest",
        format: if format == Format::Csv {
            "csv"
        } else {
            "jsonl"
        },
        from: crate::store::fixed_rfc3339(period.from),
        to: crate::store::fixed_rfc3339(period.to),
        generated_at: crate::store::fixed_rfc3339(generated_at),
        incidents: Part::default(),
        events: Part::default(),
        sha256: None,
    };
    let mut done = 0;
    match format {
        Format::Csv => {
            std::fs::create_dir_all(&tmp).with_context(|| format!("create {}", tmp.display()))?;
            let mut w = create(&tmp.join("incidents.csv"))?;
            w.write_all(&lines::csv_header(false))?;
            manifest.incidents =
                incidents(&store, period, format, &mut w, &mut done, &mut progress).await?;
            manifest.incidents.file = Some("incidents.csv".into());
            manifest.incidents.sha256 = Some(w.finish()?);
            let mut w = create(&tmp.join("events.csv"))?;
            w.write_all(&lines::csv_header(true))?;
            manifest.events =
                events(&store, period, format, &mut w, &mut done, &mut progress).await?;
            manifest.events.file = Some("events.csv".into());
            manifest.events.sha256 = Some(w.finish()?);
            let text = serde_json::to_string_pretty(&manifest)?;
            std::fs::write(tmp.join("manifest.json"), text + "\n")?;
        }
        Format::Jsonl => {
            let mut w = create(&tmp)?;
            manifest.incidents =
                incidents(&store, period, format, &mut w, &mut done, &mut progress).await?;
            manifest.events =
                events(&store, period, format, &mut w, &mut done, &mut progress).await?;
            let mut file = w.inner;
            manifest.sha256 = Some(hex::encode(w.sha.finalize()));
            file.write_all(&lines::json_lines([&manifest]))?;
            file.flush()?;
        }
    }
    std::fs::rename(&tmp, out)
        .with_context(|| format!("rename {} to {}", tmp.display(), out.display()))?;
    Ok(manifest)
}

async fn incidents(
    store: &Arc<dyn Store>,
    period: Period,
    format: Format,
    w: &mut impl Write,
    done: &mut u64,
    progress: &mut impl FnMut(u64),
) -> anyhow::Result<Part> {
    let mut part = Part::default();
    let mut pages = IncidentPages::new(store.clone(), period);
    while let Some(page) = pages.next().await.context("read incidents")? {
        w.write_all(&lines::incidents(&page, format))?;
        part.rows += page.len() as u64;
        *done += page.len() as u64;
        progress(*done);
    }
    Ok(part)
}

async fn events(
    store: &Arc<dyn Store>,
    period: Period,
    format: Format,
    w: &mut impl Write,
    done: &mut u64,
    progress: &mut impl FnMut(u64),
) -> anyhow::Result<Part> {
    let mut part = Part::default();
    let mut pages = EventPages::new(store.clone(), period);
    while let Some(page) = pages.next().await.context("read the event log")? {
        w.write_all(&lines::events(&page, format))?;
        if let (None, Some(first)) = (&part.first_seq, page.first()) {
            part.first_seq = Some(first.seq);
            part.first_prev_hash = Some(first.prev_hash.clone());
            part.first_hash = Some(first.hash.clone());
        }
        if let Some(last) = page.last() {
            part.last_seq = Some(last.seq);
            part.last_hash = Some(last.hash.clone());
        }
        part.rows += page.len() as u64;
        *done += page.len() as u64;
        progress(*done);
    }
    Ok(part)
}
