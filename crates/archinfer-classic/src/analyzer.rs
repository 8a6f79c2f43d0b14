//! How a text becomes terms: the word and `char_wb` analyzers of scikit-learn's
//! `TfidfVectorizer` (the definitions are in [`crate::tfidf`]'s module docs).

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::{Result, bad};
/// How a text becomes terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Analyzer {
    /// Word n-grams of `min_n..=max_n` tokens (scikit-learn `analyzer='word'`).
    Word {
        /// The smallest n-gram length, in tokens.
        min_n: usize,
        /// The largest n-gram length, in tokens.
        max_n: usize,
    },
    /// Character n-grams of `min_n..=max_n` characters inside space-padded words
    /// (scikit-learn `analyzer='char_wb'`).
    CharWb {
        /// The smallest n-gram length, in characters.
        min_n: usize,
        /// The largest n-gram length, in characters.
        max_n: usize,
    },
}

impl Analyzer {
    /// Word unigrams and bigrams: `Word { min_n: 1, max_n: 2 }`.
    pub const WORD: Analyzer = Analyzer::Word { min_n: 1, max_n: 2 };
    /// Character 2- to 5-grams within words: `CharWb { min_n: 2, max_n: 5 }`.
    pub const CHAR_WB: Analyzer = Analyzer::CharWb { min_n: 2, max_n: 5 };

    /// The n-gram range `(min_n, max_n)`.
    pub fn range(&self) -> (usize, usize) {
        match *self {
            Analyzer::Word { min_n, max_n } | Analyzer::CharWb { min_n, max_n } => (min_n, max_n),
        }
    }

    /// Checks `1 <= min_n <= max_n`.
    pub fn check(&self) -> Result<()> {
        let (min_n, max_n) = self.range();
        if min_n == 0 {
            return Err(bad("min_n", min_n, "n-grams have at least one item"));
        }
        if max_n < min_n {
            return Err(bad("max_n", max_n, "must be at least min_n"));
        }
        Ok(())
    }

    /// The terms of `text` as scikit-learn's analyzer gives them, in its order (repeats kept).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut buf = String::new();
        let mut spans = Vec::new();
        self.analyze(&text.to_lowercase(), &mut buf, &mut spans);
        spans.into_iter().map(|r| buf[r].to_owned()).collect()
    }

    /// Writes into `buf` a text from which every term of the lower-cased `doc` is a slice, and
    /// the byte range of each term into `spans` (both cleared first).
    pub(crate) fn analyze(&self, doc: &str, buf: &mut String, spans: &mut Vec<Range<usize>>) {
        buf.clear();
        spans.clear();
        match *self {
            Analyzer::Word { min_n, max_n } => word_ngrams(doc, min_n, max_n, buf, spans),
            Analyzer::CharWb { min_n, max_n } => char_wb_ngrams(doc, min_n, max_n, buf, spans),
        }
    }
}

/// Python's `\w` in Unicode mode, as far as the standard library tells it.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Python's `str.isspace`: Unicode `White_Space` plus U+001C..=U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Word n-grams: the tokens are joined by single spaces in `buf`, so the n-gram of tokens
/// `i..i + n` is the slice from the start of token `i` to the end of token `i + n - 1`.
fn word_ngrams(
    doc: &str,
    min_n: usize,
    max_n: usize,
    buf: &mut String,
    spans: &mut Vec<Range<usize>>,
) {
    let mut tokens: Vec<Range<usize>> = Vec::new();
    let mut run: Option<(usize, usize)> = None; // (byte start in doc, chars)
    let mut close = |start: usize, end: usize, chars: usize, buf: &mut String| {
        if chars >= 2 {
            if !buf.is_empty() {
                buf.push(' ');
            }
            let at = buf.len();
            buf.push_str(&doc[start..end]);
            tokens.push(at..buf.len());
        }
    };
    for (at, c) in doc.char_indices() {
        if is_word_char(c) {
            run = Some(match run {
                Some((start, chars)) => (start, chars + 1),
                None => (at, 1),
            });
        } else if let Some((start, chars)) = run.take() {
            close(start, at, chars, buf);
        }
    }
    if let Some((start, chars)) = run {
        close(start, doc.len(), chars, buf);
    }
    let t = tokens.len();
    for n in min_n..=max_n.min(t) {
        for i in 0..=t - n {
            spans.push(tokens[i].start..tokens[i + n - 1].end);
        }
    }
}

/// scikit-learn's `_char_wb_ngrams`, quirk included:
///
/// ```text
/// for w in text_document.split():
///     w = " " + w + " "
///     for n in range(min_n, max_n + 1):
///         offset = 0
///         ngrams_append(w[offset:offset + n])
///         while offset + n < len(w):
///             offset += 1
///             ngrams_append(w[offset:offset + n])
///         if offset == 0:  # count a short word (len(w) <= n) only once
///             break
/// ```
fn char_wb_ngrams(
    doc: &str,
    min_n: usize,
    max_n: usize,
    buf: &mut String,
    spans: &mut Vec<Range<usize>>,
) {
    let mut bounds: Vec<usize> = Vec::new();
    for word in doc.split(is_py_space).filter(|w| !w.is_empty()) {
        let base = buf.len();
        buf.push(' ');
        buf.push_str(word);
        buf.push(' ');
        bounds.clear();
        bounds.extend(buf[base..].char_indices().map(|(i, _)| base + i));
        bounds.push(buf.len());
        let w_len = bounds.len() - 1;
        let slice = |from: usize, to: usize| bounds[from]..bounds[to.min(w_len)];
        for n in min_n..=max_n {
            let mut offset = 0;
            spans.push(slice(offset, offset + n));
            while offset + n < w_len {
                offset += 1;
                spans.push(slice(offset, offset + n));
            }
            if offset == 0 {
                break;
            }
        }
    }
}
