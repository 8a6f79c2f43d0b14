//! Propose architectures for a new task with a saved model, from Rust: the shipped model and
//! the task it never saw, free and under a parameter budget.
//!
//! ```text
//! cargo run --release --example propose
//! ```

use std::path::Path;

use archinfer::data::{default_embedders, load_mnist_dir};
use archinfer::infer::{InferOptions, Inferencer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let device = archinfer::default_device();
    let model = Inferencer::load(&root.join("models/fmnist14-without-dress-coat"), &device)?;
    let images = load_mnist_dir(&root.join("data/dress-coat-occluded-noisy"))?;
    let task = images.to_task("dress-coat-occluded-noisy", [0.8, 0.1, 0.1], 0, &default_embedders()?)?;
    for budget in [None, Some(20_000), Some(2_000)] {
        let p = model.propose(&task, &InferOptions::new().with_max_params(budget))?;
        let best = p.best()?;
        println!(
            "budget {:>6}: {} ({} parameters, predicted {:.2}) in {:.1} ms",
            budget.map_or("none".to_string(), |b| b.to_string()),
            best.architecture,
            best.params,
            best.value,
            p.meta_ms + p.ascent_ms
        );
    }
    Ok(())
}
