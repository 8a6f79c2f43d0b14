//! The Rust WordLlama modules against the `wordllama` wheel's own Python output
//! (`fixtures/wordllama_reference.json`, written by `fixtures/make_reference.py`): the same
//! token ids, and embeddings within 1e-3 at 64, 128 and 256 dimensions.

#![allow(clippy::unwrap_used)]

use archinfer_text::{TextEmbedder, WordLlama};

#[test]
fn matches_the_wheels_embeddings() {
    let reference: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/wordllama_reference.json")).unwrap();
    let texts: Vec<&str> = reference["texts"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    let modules = WordLlama::shipped().unwrap();
    for (text, ids) in texts.iter().zip(reference["ids"].as_array().unwrap()) {
        let want: Vec<u32> = ids.as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as u32).collect();
        assert_eq!(modules[0].token_ids(text).unwrap(), want, "token ids of {text:?}");
    }
    let mut worst = 0.0f32;
    for m in &modules {
        let got = m.embed(&texts).unwrap();
        let want: Vec<f32> = reference["embeddings"][m.dim().to_string()]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|row| row.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect::<Vec<_>>())
            .collect();
        assert_eq!(got.len(), want.len());
        for (a, b) in got.iter().zip(&want) {
            worst = worst.max((a - b).abs());
        }
    }
    assert!(worst < 1e-3, "largest difference {worst}");
    eprintln!("largest difference from the wheel: {worst:e}");
}
