//! Every default text module, and the two sparse TF-IDF modules (`tfidf-word`, `tfidf-char`:
//! fitted on a training part, then applied to every text), gives bit-identical features in
//! separate processes.
//!
//! A process's `HashMap` order is seeded per process (and per map), so a module that summed
//! colliding n-grams in map order gave other bits in another process: the same trial, run
//! twice, came out with another accuracy. This test embeds the same texts here and in a child
//! process (this test binary run again) and compares the features' bits.

#![allow(clippy::unwrap_used)]

use archinfer_classic::{Tfidf, TfidfConfig};
use archinfer_text::{TextEmbedder, default_text_embedders};

const CHILD: &str = "ARCHINFER_SAME_BITS_CHILD";

/// Texts of many distinct made-up words: hundreds of distinct n-grams each, so a 1024-bucket
/// bag has buckets where three or more n-grams collide (with two, float addition commutes
/// and any order gives the same bits).
fn texts() -> Vec<String> {
    let mut x: u64 = 0x5eed;
    let mut next = move || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) as usize
    };
    let letters: Vec<char> = "etaoinshrdlucmfwypvbgkjqxz".chars().collect();
    (0..40)
        .map(|_| {
            (0..150)
                .map(|_| (0..2 + next() % 7).map(|_| letters[next() % 13 + next() % 14]).collect::<String>())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// `module name: hex of the features' bits`, one line per module.
fn fingerprint() -> String {
    let owned = texts();
    let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
    let modules: Vec<Box<dyn TextEmbedder>> = default_text_embedders().unwrap();
    let mut out = String::new();
    for m in &modules {
        let features = m.embed(&texts).unwrap();
        let h = features.iter().fold(archinfer_checksum::Fnv1a::new(), |h, v| h.write(&v.to_bits().to_le_bytes()));
        out.push_str(&format!("{}: {:016x}\n", m.name(), h.finish()));
    }
    // The TF-IDF modules' settings as archinfer-data's `tfidf_config` makes them.
    for (name, config) in [("tfidf-word", TfidfConfig::word()), ("tfidf-char", TfidfConfig::char_wb())] {
        let fit = Tfidf::fit(&TfidfConfig { max_terms: 1 << 18, ..config }, &texts[..30]).unwrap();
        let x = fit.transform(&texts);
        let h = x.values().iter().fold(archinfer_checksum::Fnv1a::new(), |h, v| h.write(&v.to_bits().to_le_bytes()));
        let h = x.indices().iter().fold(h, |h, j| h.write(&j.to_le_bytes()));
        out.push_str(&format!("{name}: {:016x} ({} terms)\n", h.finish(), fit.n_features()));
    }
    out
}

#[test]
fn features_are_bit_identical_across_processes() {
    if let Some(path) = std::env::var_os(CHILD) {
        std::fs::write(path, fingerprint()).unwrap();
        return;
    }
    let here = fingerprint();
    // Two embeddings in this process first (each bag builds its own tables per call).
    assert_eq!(here, fingerprint());
    let file = std::env::temp_dir().join(format!("archinfer-same-bits-{}.txt", std::process::id()));
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "features_are_bit_identical_across_processes", "--test-threads", "1"])
        .env(CHILD, &file)
        .status()
        .unwrap();
    assert!(status.success());
    let there = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    assert_eq!(here.lines().count(), 8, "every default module and both TF-IDF modules: {here}");
    assert_eq!(here, there, "features differ between two processes");
}
