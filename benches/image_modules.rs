//! Image-module throughput: images per second of each image embedding module on 1,000 28 × 28
//! images, as a task's samples are embedded when it is loaded.
//!
//! ```text
//! cargo bench --bench image_modules
//! ```

use archinfer::data::default_embedders;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn images() -> Vec<f32> {
    // Smooth shapes with edges, not noise: a disc and a bar that move from image to image.
    let mut px = Vec::with_capacity(1000 * 784);
    for i in 0..1000usize {
        let (cx, cy) = ((8 + i % 12) as f32, (8 + (i / 12) % 12) as f32);
        for y in 0..28 {
            for x in 0..28 {
                let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                let bar = if (x + i) % 28 < 3 { 0.5 } else { 0.0 };
                px.push(if d < 6.0 { 1.0 } else { bar });
            }
        }
    }
    px
}

fn bench(c: &mut Criterion) {
    let px = images();
    let modules = default_embedders().expect("shipped modules");
    let mut g = c.benchmark_group("image_modules");
    g.throughput(Throughput::Elements(1000));
    for m in &modules {
        g.bench_function(m.name(), |b| b.iter(|| m.embed_all(&px, 784)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
