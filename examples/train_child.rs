//! Trains a few random children of the paper's space on a synthetic task, discrete and
//! continuous, and prints what each reached.
//!
//! ```text
//! cargo run --release --example train_child -- [children] [epochs]
//! ```

use std::error::Error;

use archinfer::data::Blobs;
use archinfer::encoding::{ArchitectureSpace, DiscreteArchitecture, EmbeddingSpec, Encoding};
use archinfer::train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, TrainConfig};
use rand::SeedableRng;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let children: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(4);
    let epochs: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(5);

    let device = archinfer::default_device();
    let task = Blobs::new(5, 3000, 196)
        .separation(0.35)
        .projection("proj64", 64)
        .projection("proj32", 32)
        .projection("proj16", 16)
        .seed(7)
        .task()?;
    let space = ArchitectureSpace::paper(
        task.features().iter().map(|f| EmbeddingSpec::new(f.name.clone(), f.dim)).collect(),
    )?;
    println!(
        "task {}: {} samples, {} classes; space: {} parametrized layers × {} base layers, u has {} entries",
        task.name(),
        task.samples(),
        task.num_classes(),
        space.num_layers(),
        space.num_base_layers(),
        space.dim()
    );
    let prepared = PreparedTask::new(&task, &device);
    // A larger learning rate than the paper's 1e-4 so a few epochs suffice for the demo.
    let trainer =
        AdamTrainer::new(TrainConfig::new().with_epochs(epochs).with_learning_rate(1e-3), device)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    for i in 0..children {
        let arch = DiscreteArchitecture::sample(&space, &mut rng);
        let out = trainer.train(&ChildSpec::Discrete(arch.clone()), &prepared, i as u64)?;
        println!(
            "discrete   val {:.3} test {:.3} {:>8} params {:>6.2}s  {arch}",
            out.val_accuracy, out.test_accuracy, out.num_params, out.seconds
        );
    }
    let child = ChildSpec::Continuous { space: space.clone(), encoding: Encoding::uniform(&space) };
    let out = trainer.train(&child, &prepared, 0)?;
    println!(
        "continuous val {:.3} test {:.3} {:>8} params {:>6.2}s  uniform u",
        out.val_accuracy, out.test_accuracy, out.num_params, out.seconds
    );
    Ok(())
}
