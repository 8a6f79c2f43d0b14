//! Text-embedding throughput: texts per second of each text module on 1,000 short texts
//! (fortune-cookie length, 10–40 words), one text at a time as a task's samples are embedded.
//!
//! ```text
//! cargo bench --bench text_embedding
//! ```

use archinfer::text::{BagKind, HashedBag, HashedNgrams, TextEmbedder, WordLlama};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const WORDS: [&str; 24] = [
    "the", "market", "fell", "sharply", "after", "news", "of", "a", "merger", "you", "will", "meet", "a", "stranger",
    "tomorrow", "kernel", "panic", "while", "compiling", "rust", "garden", "of", "forking", "paths",
];

fn texts() -> Vec<String> {
    (0..1000)
        .map(|i| {
            let n = 10 + (i * 7) % 31;
            (0..n).map(|j| WORDS[(i * 13 + j * 5) % WORDS.len()]).collect::<Vec<_>>().join(" ") + "."
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let owned = texts();
    let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
    let mut modules: Vec<Box<dyn TextEmbedder>> = WordLlama::shipped()
        .expect("assets/wordllama")
        .into_iter()
        .map(|m| Box::new(m) as Box<dyn TextEmbedder>)
        .collect();
    modules.push(Box::new(HashedNgrams::new(128, 0x7e47).expect("module")));
    modules.push(Box::new(HashedBag::new(BagKind::Words, 1024).expect("module")));
    modules.push(Box::new(HashedBag::new(BagKind::Chars, 1024).expect("module")));
    let mut g = c.benchmark_group("text_embedding");
    g.throughput(Throughput::Elements(texts.len() as u64));
    for m in &modules {
        g.bench_function(m.name(), |b| b.iter(|| m.embed(&texts).expect("embed")));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
