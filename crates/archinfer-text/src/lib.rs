//! # archinfer-text
//!
//! Text tasks for archinfer, the paper's own domain:
//!
//! - loaders: [`load_text_csv`] (a text and a label column; RFC 4180 quoting, so fields may hold
//!   commas, quotes and newlines; UTF-8) and [`load_text_dir`] (one sub-directory of `.txt`
//!   files per class), with typed errors that name the file and line;
//! - embedding modules, the counterpart of the paper's TF-Hub text modules: [`WordLlama`]
//!   (pre-trained static token embeddings from the `wordllama` wheel, averaged over a text's
//!   tokens, at 64, 128 and 256 dimensions) and [`HashedNgrams`] (no weights: hashed word and
//!   character n-grams with a fixed random projection).
//!
//! ```
//! use archinfer_text::{HashedNgrams, TextEmbedder, parse_text_csv, Column};
//! let csv = b"text,label\n\"Stocks fell, again\",finance\nThe cat sat,pets\n";
//! let set = parse_text_csv(csv, "t.csv", &Column::Name("text".into()), &Column::Name("label".into())).unwrap();
//! assert_eq!(set.class_names, vec!["finance", "pets"]);
//! let m = HashedNgrams::new(32, 0).unwrap();
//! let texts: Vec<&str> = set.texts.iter().map(String::as_str).collect();
//! assert_eq!(m.embed(&texts).unwrap().len(), 2 * 32);
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod embed;
mod error;
mod load;

pub use embed::{BagKind, HashedBag, HashedNgrams, TEXT_MODULES_VERSION, TextEmbedder, WORDLLAMA_TOKENIZER, WORDLLAMA_WEIGHTS, WordLlama, default_text_embedders, default_text_module_names, wordllama_dir};
pub use error::{Result, TextError};
pub use load::{Column, TextSet, load_text_csv, load_text_dir, load_texts, parse_text_csv, read_csv_header};
