//! Text embedding modules, the counterpart of the paper's TF-Hub modules: deterministic maps
//! from a text to a vector. [`WordLlama`] averages pre-trained static token embeddings;
//! [`HashedNgrams`] needs no weights at all.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokenizers::Tokenizer;

use crate::error::{Result, TextError};

/// A fixed map from a text to a vector.
pub trait TextEmbedder: Send + Sync {
    /// Short name, used as the feature-set and embedding-module name.
    fn name(&self) -> &str;
    /// Output dimension.
    fn dim(&self) -> usize;
    /// Embeds `texts`; returns `texts.len() × dim()` values, row-major.
    ///
    /// # Errors
    /// A text the module cannot read (the tokenizer failed).
    fn embed(&self, texts: &[&str]) -> Result<Vec<f32>>;
}

/// Where the shipped WordLlama files are: `$ARCHINFER_ASSETS/wordllama`, else the repository's
/// `assets/wordllama`.
pub fn wordllama_dir() -> PathBuf {
    std::env::var_os("ARCHINFER_ASSETS")
        .map(|p| PathBuf::from(p).join("wordllama"))
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/wordllama")))
}

/// The weights file of the shipped WordLlama model.
pub const WORDLLAMA_WEIGHTS: &str = "l2_supercat_256.safetensors";
/// Its tokenizer (a Hugging Face `tokenizer.json`).
pub const WORDLLAMA_TOKENIZER: &str = "l2_supercat_tokenizer_config.json";

/// IEEE half to single precision.
fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal: normalise.
            let shift = m.leading_zeros() - 21;
            sign | ((113 - shift) << 23) | (((m << shift) & 0x3ff) << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 112) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Static token embeddings shared by every truncation of one model.
#[derive(Debug)]
struct Table {
    tokenizer: Tokenizer,
    /// `vocab × width` values, row-major.
    vectors: Vec<f32>,
    vocab: usize,
    width: usize,
    /// The token ids of the last batch, keyed by a hash of its texts: the widths of one table
    /// embed the same texts one after the other, and tokenizing is most of the cost.
    last: std::sync::Mutex<Option<(u64, TokenIds)>>,
}

/// The token ids of a batch of texts, one list per text.
type TokenIds = Arc<Vec<Vec<u32>>>;

/// FNV-1a over the texts, each followed by a 0xff byte (which UTF-8 never contains).
fn batch_key(texts: &[&str]) -> u64 {
    archinfer_checksum::fnv1a64_framed(texts.iter().map(|t| t.as_bytes()))
}

/// WordLlama: the mean of a text's token vectors (no special tokens; a text with no token is
/// all zeros), truncated to the first `dim` dimensions, exactly as the `wordllama` package's
/// `embed` computes it.
#[derive(Debug, Clone)]
pub struct WordLlama {
    name: String,
    dim: usize,
    table: Arc<Table>,
}

impl WordLlama {
    /// Loads `weights` (a safetensors file with one 2-D F16 or F32 tensor `embedding.weight`)
    /// and `tokenizer`, as modules of widths `dims` named `wl{dim}`, sharing one table.
    ///
    /// # Errors
    /// [`TextError::Asset`] for unreadable or malformed files, [`TextError::Setting`] for a
    /// width of 0 or above the table's.
    pub fn load(weights: &Path, tokenizer: &Path, dims: &[usize]) -> Result<Vec<Self>> {
        let asset = |p: &Path, m: String| TextError::Asset { path: p.display().to_string(), message: m };
        let bytes = std::fs::read(weights).map_err(|e| asset(weights, e.to_string()))?;
        let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|e| asset(weights, e.to_string()))?;
        let t = st.tensor("embedding.weight").map_err(|e| asset(weights, e.to_string()))?;
        let [vocab, width] = t.shape() else { return Err(asset(weights, format!("expected a 2-D tensor, got shape {:?}", t.shape()))) };
        let (vocab, width) = (*vocab, *width);
        let data = t.data();
        let vectors: Vec<f32> = match t.dtype() {
            safetensors::Dtype::F16 => data.chunks_exact(2).map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]]))).collect(),
            safetensors::Dtype::F32 => data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
            other => return Err(asset(weights, format!("dtype {other:?}; expected F16 or F32"))),
        };
        if vectors.len() != vocab * width || vocab == 0 {
            return Err(asset(weights, format!("{} values for shape [{vocab}, {width}]", vectors.len())));
        }
        let tok = Tokenizer::from_file(tokenizer).map_err(|e| asset(tokenizer, e.to_string()))?;
        let table = Arc::new(Table { tokenizer: tok, vectors, vocab, width, last: std::sync::Mutex::new(None) });
        dims.iter()
            .map(|&dim| {
                if dim == 0 || dim > width {
                    return Err(TextError::Setting { module: format!("wl{dim}"), message: format!("width {dim} of a {width}-wide table") });
                }
                Ok(Self { name: format!("wl{dim}"), dim, table: table.clone() })
            })
            .collect()
    }

    /// The shipped model ([`wordllama_dir`]) at widths 64, 128 and 256.
    ///
    /// # Errors
    /// As [`load`](Self::load), e.g. when the assets are missing.
    pub fn shipped() -> Result<Vec<Self>> {
        let d = wordllama_dir();
        Self::load(&d.join(WORDLLAMA_WEIGHTS), &d.join(WORDLLAMA_TOKENIZER), &WORDLLAMA_DIMS)
    }

    /// The token ids of `text` (no special tokens).
    ///
    /// # Errors
    /// [`TextError::Asset`] if the tokenizer fails.
    pub fn token_ids(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self.table.tokenizer.encode(text, false).map_err(|e| TextError::Asset { path: WORDLLAMA_TOKENIZER.into(), message: e.to_string() })?;
        Ok(enc.get_ids().to_vec())
    }
}

impl TextEmbedder for WordLlama {
    fn name(&self) -> &str {
        &self.name
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<f32>> {
        let (d, w) = (self.dim, self.table.width);
        let key = batch_key(texts);
        let cached = self.table.last.lock().ok().and_then(|g| g.as_ref().filter(|(k, ids)| *k == key && ids.len() == texts.len()).map(|(_, ids)| ids.clone()));
        let all = match cached {
            Some(ids) => ids,
            None => {
                let ids = Arc::new(texts.iter().map(|t| self.token_ids(t)).collect::<Result<Vec<_>>>()?);
                if let Ok(mut g) = self.table.last.lock() {
                    *g = Some((key, ids.clone()));
                }
                ids
            }
        };
        let mut out = vec![0.0f32; texts.len() * d];
        for (ids, o) in all.iter().zip(out.chunks_exact_mut(d)) {
            for &id in ids {
                // Out-of-table ids are clipped to the last row, as wordllama does.
                let r = (id as usize).min(self.table.vocab - 1);
                for (x, v) in o.iter_mut().zip(&self.table.vectors[r * w..r * w + d]) {
                    *x += v;
                }
            }
            let n = ids.len().max(1) as f32;
            o.iter_mut().for_each(|x| *x /= n);
        }
        Ok(out)
    }
}

/// A weight-free module: word uni- and bigrams and character 3-grams of the lower-cased text
/// are hashed into 2²⁰ buckets, counted with sublinear weights `1 + ln c`, normalised to unit
/// length and projected to `dim` dimensions by a fixed random ±1 matrix drawn per bucket from
/// `seed` (never stored).
#[derive(Debug, Clone)]
pub struct HashedNgrams {
    name: String,
    dim: usize,
    seed: u64,
}

const BUCKETS: u64 = 1 << 20;

fn fnv(parts: &[&[u8]]) -> u64 {
    archinfer_checksum::fnv1a64_framed(parts.iter().copied())
}

/// The alphanumeric words of lower-cased text.
fn words_of(lower: &str) -> Vec<&str> {
    lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect()
}

/// Hashes of the word unigrams and bigrams of `words`.
fn push_word_keys(words: &[&str], keys: &mut Vec<u64>) {
    for (i, w) in words.iter().enumerate() {
        keys.push(fnv(&[b"w", w.as_bytes()]));
        if let Some(next) = words.get(i + 1) {
            keys.push(fnv(&[b"b", w.as_bytes(), next.as_bytes()]));
        }
    }
}

/// Hashes of the character `n`-grams of `word` with its boundaries, for every `n` of `ns`.
fn push_char_keys(word: &str, ns: std::ops::RangeInclusive<usize>, keys: &mut Vec<u64>) {
    let chars: Vec<char> = std::iter::once(' ').chain(word.chars()).chain(std::iter::once(' ')).collect();
    for n in ns {
        for g in chars.windows(n) {
            let s: String = g.iter().collect();
            keys.push(fnv(&[b"c", s.as_bytes()]));
        }
    }
}

/// splitmix64: the projection's ±1 signs of one bucket, 64 at a time.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl HashedNgrams {
    /// The module `hash{dim}` with projection `seed`.
    ///
    /// # Errors
    /// [`TextError::Setting`] for `dim == 0`.
    pub fn new(dim: usize, seed: u64) -> Result<Self> {
        if dim == 0 {
            return Err(TextError::Setting { module: "hash0".into(), message: "dimension 0".into() });
        }
        Ok(Self { name: format!("hash{dim}"), dim, seed })
    }

    /// The hashed, weighted, unit-length sparse vector of `text`: `(bucket, value)` sorted by
    /// bucket.
    pub fn sparse(&self, text: &str) -> Vec<(u64, f32)> {
        let lower = text.to_lowercase();
        let words = words_of(&lower);
        let mut keys: Vec<u64> = Vec::new();
        push_word_keys(&words, &mut keys);
        for w in &words {
            push_char_keys(w, 3..=3, &mut keys);
        }
        keys.iter_mut().for_each(|k| *k %= BUCKETS);
        keys.sort_unstable();
        let mut out: Vec<(u64, f32)> = Vec::new();
        for k in keys {
            match out.last_mut() {
                Some((b, c)) if *b == k => *c += 1.0,
                _ => out.push((k, 1.0)),
            }
        }
        out.iter_mut().for_each(|(_, c)| *c = 1.0 + c.ln());
        let norm = out.iter().map(|(_, v)| v * v).sum::<f32>().sqrt().max(1e-12);
        out.iter_mut().for_each(|(_, v)| *v /= norm);
        out
    }
}

impl TextEmbedder for HashedNgrams {
    fn name(&self) -> &str {
        &self.name
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<f32>> {
        let d = self.dim;
        let scale = 1.0 / (d as f32).sqrt();
        let mut out = vec![0.0f32; texts.len() * d];
        for (text, o) in texts.iter().zip(out.chunks_exact_mut(d)) {
            for (bucket, v) in self.sparse(text) {
                let base = splitmix(bucket ^ self.seed.rotate_left(17));
                let w = v * scale;
                for (k, block) in o.chunks_mut(64).enumerate() {
                    let bits = splitmix(base.wrapping_add(k as u64));
                    for (j, x) in block.iter_mut().enumerate() {
                        *x += if (bits >> j) & 1 == 1 { w } else { -w };
                    }
                }
            }
        }
        Ok(out)
    }
}

/// What a [`HashedBag`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BagKind {
    /// Lower-cased word unigrams and bigrams: topic words and short phrases.
    Words,
    /// Character 2-, 3- and 4-grams inside words (with word boundaries): spelling, style and
    /// morphology, robust to rare words and typos.
    Chars,
}

/// A wide, weight-free bag of n-grams: each n-gram is hashed to one of `dim` buckets with a
/// hashed sign (so collisions cancel on average rather than pile up), counts are weighted
/// `1 + ln c` and the vector is scaled to unit length. Unlike [`HashedNgrams`] there is no
/// projection: a network reading it sees individual (hashed) n-grams, as a linear model on a
/// bag of words does. Named `lex{dim}` for words and `char{dim}` for characters.
#[derive(Debug, Clone)]
pub struct HashedBag {
    name: String,
    dim: usize,
    kind: BagKind,
}

impl HashedBag {
    /// The module over `dim` buckets.
    ///
    /// # Errors
    /// [`TextError::Setting`] for `dim == 0`.
    pub fn new(kind: BagKind, dim: usize) -> Result<Self> {
        let name = match kind {
            BagKind::Words => format!("lex{dim}"),
            BagKind::Chars => format!("char{dim}"),
        };
        if dim == 0 {
            return Err(TextError::Setting { module: name, message: "dimension 0".into() });
        }
        Ok(Self { name, dim, kind })
    }

    /// The hashed keys of `text`'s n-grams, one per occurrence.
    fn keys(&self, text: &str) -> Vec<u64> {
        let lower = text.to_lowercase();
        let words = words_of(&lower);
        let mut keys = Vec::new();
        match self.kind {
            BagKind::Words => push_word_keys(&words, &mut keys),
            BagKind::Chars => words.iter().for_each(|w| push_char_keys(w, 2..=4, &mut keys)),
        }
        keys
    }
}

impl TextEmbedder for HashedBag {
    fn name(&self) -> &str {
        &self.name
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<f32>> {
        let d = self.dim;
        let mut out = vec![0.0f32; texts.len() * d];
        for (text, o) in texts.iter().zip(out.chunks_exact_mut(d)) {
            // Colliding keys are summed into one bucket, and float addition depends on order:
            // sorted keys give every process the same bits (a HashMap's order is per process).
            let mut keys = self.keys(text);
            keys.sort_unstable();
            for run in keys.chunk_by(|a, b| a == b) {
                let (k, c) = (run[0], run.len() as f32);
                let sign = if splitmix(k) & 1 == 1 { 1.0 } else { -1.0 };
                o[(k % d as u64) as usize] += sign * (1.0 + c.ln());
            }
            let norm = o.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                o.iter_mut().for_each(|v| *v /= norm);
            }
        }
        Ok(out)
    }
}

/// Version of the modules of [`default_text_embedders`]. A text task records it; a build whose
/// modules changed refuses old records instead of computing other features.
pub const TEXT_MODULES_VERSION: u32 = 1;

/// Widths of the shipped WordLlama modules.
const WORDLLAMA_DIMS: [usize; 3] = [64, 128, 256];
/// Width and projection seed of the default hashed module.
const HASH_DIM: usize = 128;
const HASH_SEED: u64 = 0x7e47;

/// The names of [`default_text_embedders`], in order, without loading any weights (what a
/// task record lists, and what tells a text model from an image one).
pub fn default_text_module_names() -> Vec<String> {
    WORDLLAMA_DIMS
        .iter()
        .map(|d| format!("wl{d}"))
        .chain([format!("hash{HASH_DIM}"), format!("lex{BAG_DIM}"), format!("char{BAG_DIM}")])
        .collect()
}

/// Width of the two hashed bags among the default modules.
const BAG_DIM: usize = 1024;

/// The default text modules: WordLlama at 64, 128 and 256 dimensions, `hash128`, then the
/// hashed bags `lex1024` (word uni- and bigrams) and `char1024` (character 2–4-grams).
///
/// The bags came later: a database migrated with `build-db --add-modules lex1024,char1024`
/// reads them on its old tasks too.
///
/// # Errors
/// When the shipped WordLlama assets cannot be read.
pub fn default_text_embedders() -> Result<Vec<Box<dyn TextEmbedder>>> {
    let mut m: Vec<Box<dyn TextEmbedder>> = WordLlama::shipped()?.into_iter().map(|w| Box::new(w) as Box<dyn TextEmbedder>).collect();
    m.push(Box::new(HashedNgrams::new(HASH_DIM, HASH_SEED)?));
    m.push(Box::new(HashedBag::new(BagKind::Words, BAG_DIM)?));
    m.push(Box::new(HashedBag::new(BagKind::Chars, BAG_DIM)?));
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_bags_count_what_they_say() {
        let lex = HashedBag::new(BagKind::Words, 1024).unwrap();
        let chars = HashedBag::new(BagKind::Chars, 1024).unwrap();
        assert_eq!((lex.name(), chars.name()), ("lex1024", "char1024"));
        // "a a": the unigram `a` twice (weight 1 + ln 2) and the bigram `a a` once (weight 1).
        let v = lex.embed(&["a a"]).unwrap();
        let mut mags: Vec<f32> = v.iter().filter(|x| **x != 0.0).map(|x| x.abs()).collect();
        mags.sort_by(f32::total_cmp);
        let w = 1.0 + 2f32.ln();
        let norm = (1.0 + w * w).sqrt();
        assert_eq!(mags.len(), 2);
        assert!((mags[0] - 1.0 / norm).abs() < 1e-6 && (mags[1] - w / norm).abs() < 1e-6, "{mags:?}");
        // Case and punctuation do not matter to words; empty text is the zero vector.
        assert_eq!(lex.embed(&["Hello, world!"]).unwrap(), lex.embed(&["hello world"]).unwrap());
        assert!(lex.embed(&[""]).unwrap().iter().all(|&x| x == 0.0));
        // "ab": character n-grams " a", "ab", "b ", " ab", "ab ", " ab " (six, each once).
        let v = chars.embed(&["ab"]).unwrap();
        let sq: f32 = v.iter().map(|x| x * x).sum();
        assert!((sq - 1.0).abs() < 1e-5);
        assert!(v.iter().filter(|x| **x != 0.0).count() <= 6);
        // A typo keeps most character n-grams and no word: chars sees the texts as close.
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let (c1, c2) = (chars.embed(&["recieve the parcel"]).unwrap(), chars.embed(&["receive the parcel"]).unwrap());
        let (l1, l2) = (lex.embed(&["recieve"]).unwrap(), lex.embed(&["receive"]).unwrap());
        assert!(dot(&c1, &c2) > 0.6, "{}", dot(&c1, &c2));
        assert!(dot(&l1, &l2).abs() < 0.2);
        assert!(HashedBag::new(BagKind::Words, 0).is_err());
    }

    #[test]
    fn module_names_without_loading_match_the_modules() {
        let names: Vec<String> = default_text_embedders().unwrap().iter().map(|m| m.name().to_string()).collect();
        assert_eq!(default_text_module_names(), names);
    }

    #[test]
    fn half_precision_by_hand() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x3555), 0.333_251_95);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8); // smallest subnormal
        assert_eq!(f16_to_f32(0x0000), 0.0);
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn hashed_ngrams_are_deterministic_unit_and_discriminative() {
        let m = HashedNgrams::new(64, 1).unwrap();
        let s = m.sparse("The cat sat; the cat!");
        approx::assert_abs_diff_eq!(s.iter().map(|(_, v)| v * v).sum::<f32>(), 1.0, epsilon = 1e-5);
        let e = m.embed(&["the cat sat", "the cat sat", "stock markets fell sharply", ""]).unwrap();
        assert_eq!(&e[..64], &e[64..128]);
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        assert!(dot(&e[..64], &e[..64]) > 0.5, "a projected unit vector keeps most of its length");
        assert!(dot(&e[..64], &e[128..192]).abs() < 0.5, "unrelated texts are far apart");
        assert!(e[192..].iter().all(|x| *x == 0.0), "no n-gram, no signal");
        assert!(HashedNgrams::new(0, 1).is_err());
    }
}
