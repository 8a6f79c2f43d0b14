//! Content checksums of a model directory, so that a file edited or damaged after saving is
//! refused at load instead of silently changing what the model proposes (an edited width in
//! `dvn.json` would otherwise load and be proposed).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{DvnError, Result};

/// File in a model directory that lists its files' checksums.
pub const CHECKSUM_FILE: &str = "checksums.json";

#[derive(Serialize, Deserialize)]
struct Checksums {
    /// Hash function of every entry.
    algorithm: String,
    /// File name → hex checksum.
    files: BTreeMap<String, String>,
}

fn digest(dir: &Path, name: &str) -> Result<String> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).map_err(|e| DvnError::Io { path: path.display().to_string(), message: e.to_string() })?;
    Ok(archinfer_checksum::fnv1a_hex([bytes.as_slice()]))
}

/// Writes [`CHECKSUM_FILE`] in `dir` for `files` (names inside `dir`), replacing any earlier one.
///
/// # Errors
/// [`DvnError::Io`] when a file cannot be read or the list written.
pub fn write_checksums(dir: &Path, files: &[&str]) -> Result<()> {
    let files = files.iter().map(|f| Ok((f.to_string(), digest(dir, f)?))).collect::<Result<BTreeMap<_, _>>>()?;
    let sums = Checksums { algorithm: "fnv1a64".into(), files };
    let path = dir.join(CHECKSUM_FILE);
    let json = serde_json::to_string_pretty(&sums).map_err(|e| DvnError::Io { path: path.display().to_string(), message: e.to_string() })?;
    std::fs::write(&path, json).map_err(|e| DvnError::Io { path: path.display().to_string(), message: e.to_string() })
}

/// Checks every file [`CHECKSUM_FILE`] lists in `dir`. A directory without the list (written
/// before checksums existed) passes.
///
/// # Errors
/// [`DvnError::Tampered`] naming the first file that is missing or differs, [`DvnError::Io`]
/// for an unreadable list.
pub fn verify_checksums(dir: &Path) -> Result<()> {
    let path = dir.join(CHECKSUM_FILE);
    if !path.exists() {
        return Ok(());
    }
    let io = |e: &dyn std::fmt::Display| DvnError::Io { path: path.display().to_string(), message: e.to_string() };
    let sums: Checksums = serde_json::from_str(&std::fs::read_to_string(&path).map_err(|e| io(&e))?).map_err(|e| io(&e))?;
    if sums.algorithm != "fnv1a64" {
        return Err(io(&format!("unknown checksum algorithm `{}`", sums.algorithm)));
    }
    for (name, want) in &sums.files {
        let file = dir.join(name);
        if !file.exists() {
            return Err(DvnError::Tampered { path: file.display().to_string(), problem: "missing".into() });
        }
        if &digest(dir, name)? != want {
            return Err(DvnError::Tampered { path: file.display().to_string(), problem: "changed since the model was saved (its checksum differs)".into() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_matches_the_reference_values() {
        // Reference values of 64-bit FNV-1a, as the checksum list spells them.
        assert_eq!(archinfer_checksum::fnv1a_hex([&b""[..]]), "cbf29ce484222325");
        assert_eq!(archinfer_checksum::fnv1a_hex([&b"a"[..]]), "af63dc4c8601ec8c");
        assert_eq!(archinfer_checksum::fnv1a_hex([&b"foobar"[..]]), "85944171f73967e8");
    }

    #[test]
    fn an_edited_or_missing_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), "{\"width\": 256}").unwrap();
        std::fs::write(dir.path().join("b.bin"), [1u8, 2, 3]).unwrap();
        verify_checksums(dir.path()).unwrap();
        write_checksums(dir.path(), &["a.json", "b.bin"]).unwrap();
        verify_checksums(dir.path()).unwrap();
        std::fs::write(dir.path().join("a.json"), "{\"width\": 512}").unwrap();
        assert!(matches!(verify_checksums(dir.path()), Err(DvnError::Tampered { ref path, .. }) if path.ends_with("a.json")));
        std::fs::write(dir.path().join("a.json"), "{\"width\": 256}").unwrap();
        std::fs::remove_file(dir.path().join("b.bin")).unwrap();
        assert!(matches!(verify_checksums(dir.path()), Err(DvnError::Tampered { ref problem, .. }) if problem == "missing"));
    }
}
