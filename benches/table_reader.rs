//! Tables: the reader's rows per second (CSV parsed, columns typed), the table modules (schema
//! fitted on the training rows, four feature sets built) and the column-pooled task encoder on
//! a batch, over a generated table of 10,000 rows × 100 columns (80 numeric with 2 % missing,
//! 20 categorical of 6 levels). Throughput is reported in rows (criterion's elements).
//!
//! ```text
//! cargo bench --bench table_reader
//! ```

use std::path::Path;

use archinfer::data::{Splits, TableSchema, TableSpec, Task, parse_table};
use archinfer::metafeatures::{DeepSetsConfig, SampleBatch};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ROWS: usize = 10_000;
const NUMERIC: usize = 80;
const CATEGORICAL: usize = 20;

fn csv() -> String {
    let mut x = 7u64;
    let mut next = move || {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (x >> 33) as usize
    };
    let mut s: Vec<String> = (0..NUMERIC).map(|i| format!("n{i}")).chain((0..CATEGORICAL).map(|i| format!("c{i}"))).collect();
    s.push("label".into());
    let mut out = s.join(",") + "\n";
    for _ in 0..ROWS {
        let mut row: Vec<String> = (0..NUMERIC).map(|_| if next() % 50 == 0 { String::new() } else { format!("{:.3}", (next() % 100_000) as f64 / 1000.0) }).collect();
        row.extend((0..CATEGORICAL).map(|_| ["red", "green", "blue", "cyan", "magenta", "yellow"][next() % 6].to_string()));
        row.push(format!("k{}", next() % 4));
        out += &row.join(",");
        out.push('\n');
    }
    out
}

fn bench(c: &mut Criterion) {
    let text = csv();
    let mut g = c.benchmark_group("table_10000x100");
    g.sample_size(10);
    g.throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("read_csv", |b| b.iter(|| parse_table(text.as_bytes(), Path::new("bench.csv"), &TableSpec::default()).expect("table")));
    let read = parse_table(text.as_bytes(), Path::new("bench.csv"), &TableSpec::default()).expect("table");
    let train: Vec<usize> = (0..ROWS * 6 / 10).collect();
    g.bench_function("schema_and_modules", |b| {
        b.iter(|| {
            let schema = TableSchema::fit(&read.table, &train);
            schema.feature_sets(&read.table, "bench").expect("modules")
        })
    });
    let schema = TableSchema::fit(&read.table, &train);
    let splits = Splits { train: train.clone(), validation: (6000..8000).collect(), test: (8000..ROWS).collect() };
    let task = Task::new("bench", schema.feature_sets(&read.table, "bench").expect("modules"), read.labels.clone().expect("labels"), 4, splits).expect("task");
    let device = archinfer::default_device();
    let tower = DeepSetsConfig::new(1, 10).with_per_column(true).init(&device);
    let idx: Vec<usize> = (0..256).collect();
    g.throughput(Throughput::Elements(256));
    g.bench_function("column_tower_256_rows", |b| {
        b.iter(|| {
            let batch = SampleBatch::columns_from_indices(&task, "tab-quantile", 10, &idx).expect("batch");
            tower.forward(batch.to_tensor(&device)).into_data()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
