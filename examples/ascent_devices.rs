//! The generic (burn autodiff) ascent on any compiled-in backend against the fused CPU path:
//! same starts, same random value network; prints the final architectures, whether they agree,
//! and wall times.
//!
//! ```text
//! cargo run --release --example ascent_devices                      # flex
//! cargo run --release --features wgpu --example ascent_devices -- wgpu
//! ```

use std::time::Instant;

use archinfer::Backend;
use archinfer::dvn::DvnConfig;
use archinfer::encoding::{ArchitectureSpace, EmbeddingSpec};
use archinfer::infer::{AscentConfig, FusedMlp, ascend, random_starts};
use archinfer::metafeatures::MetaFeatures;
use burn::tensor::{Tensor, TensorData};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = match std::env::args().nth(1).as_deref() {
        Some("wgpu") => Backend::Wgpu,
        Some("ndarray") => Backend::NdArray,
        _ => Backend::Flex,
    };
    let device = archinfer::device_for(backend)?;
    let space = ArchitectureSpace::paper(vec![
        EmbeddingSpec::new("pool4", 49),
        EmbeddingSpec::new("pool2", 196),
        EmbeddingSpec::new("pca32", 32),
        EmbeddingSpec::new("rf64", 64),
    ])?;
    let mut agree = 0;
    let mut total = 0;
    for seed in 0..3u64 {
        let dvn = DvnConfig::new(space.clone(), MetaFeatures::Learned, 49).with_seed(seed).init(&device)?;
        let z: Vec<f32> = (0..50).map(|i| ((i as u64 * 37 + seed) % 17) as f32 / 17.0 - 0.5).collect();
        let z = Tensor::<2>::from_data(TensorData::new(z, [1, 50]), &device);
        let cfg = AscentConfig::new().with_starts(10).with_max_iters(300).with_seed(seed);
        let starts = random_starts(&space, &cfg);
        let t = Instant::now();
        let generic = ascend(&dvn, &space, Some(z.clone()), &starts, &cfg, None, &device)?;
        let tg = t.elapsed();
        let fused_net = FusedMlp::from_dvn(&dvn, Some(z))?;
        let t = Instant::now();
        let fused = fused_net.ascend(&space, &starts, &cfg, None)?;
        let tf = t.elapsed();
        for (a, b) in generic.iter().zip(&fused) {
            total += 1;
            agree += usize::from(a.architecture == b.architecture);
        }
        println!(
            "seed {seed}: {backend:?} burn path {:.1} ms, fused CPU {:.2} ms (10 starts × 300 iterations); best: {} ({:.4} vs {:.4})",
            tg.as_secs_f64() * 1e3,
            tf.as_secs_f64() * 1e3,
            generic[0].architecture,
            generic[0].value,
            fused[0].value
        );
    }
    println!("final architectures identical: {agree}/{total}");
    if agree != total {
        return Err("the paths disagree".into());
    }
    Ok(())
}
