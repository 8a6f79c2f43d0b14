//! Few-shot adaptation from Rust: propose → train → observe → propose, with the shipped value
//! network as the prior and any trainer and any record-keeper as parameters. What
//! `archinfer fit --trials N` does, without the command line:
//!
//! ```text
//! cargo run --release --example few_shot -- models/fmnist14-without-dress-coat data/dress-coat-occluded-noisy 5
//! ```

use std::path::Path;

use archinfer::adapt::{AdaptConfig, Adaptive, Trial, candidates_from_value, run_trials};
use archinfer::app::{DataSpec, bundle_task, load_scale, read_user_data, trial_candidates};
use archinfer::infer::Inferencer;
use archinfer::train::{AdamTrainer, PreparedTask};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(model), Some(data)) = (args.first(), args.get(1)) else {
        eprintln!("usage: few_shot MODEL_DIR DATA [TRAININGS]");
        std::process::exit(2);
    };
    let budget: usize = args.get(2).map_or(Ok(5), |s| s.parse())?;
    let device = archinfer::default_device();
    let inf = Inferencer::load(Path::new(model), &device)?;
    // The user's data as a task, split as `fit` splits it.
    let data = read_user_data(Path::new(data), &DataSpec::new(), &mut |_, _| {})?;
    let images = archinfer::data::default_embedders()?;
    let bundle = data.bundle_with(archinfer::data::USER_SPLIT, &images)?;
    let task = bundle_task(&bundle, "my-task", &images, &mut Default::default())?;
    // The candidates and the prior over them: the value network bound to this task.
    let space = &inf.dvn.config.space;
    let archs = trial_candidates(&inf, &task, None)?;
    let prior = candidates_from_value(&inf.task_value(&task)?, space, &archs)?;
    let mut adaptive = Adaptive::new(prior, load_scale(Path::new(model))?, AdaptConfig::default().with_holdout_mse(inf.holdout_mse()))?;
    // Any `ChildTrainer`, and any sink: here one line per training (a store would record it).
    let trainer = AdamTrainer::new(archinfer::app::default_train_config(), device.clone())?;
    let prepared = PreparedTask::new(&task, &device);
    let mut show = |t: &Trial| -> archinfer::adapt::Result<()> {
        println!("{:>2}. validation {:.4} (expected {:.3} ± {:.3}), best so far {:.4}: {}", t.number, t.outcome.val_accuracy, t.predicted.mean, t.predicted.sd, t.best.1, t.architecture);
        Ok(())
    };
    let trials = run_trials(&mut adaptive, &archs, budget, &trainer, &prepared, 0, &mut show)?;
    println!("{} candidates, {} trained; keep trial {}", archs.len(), trials.len(), trials.last().map_or(0, |t| t.best.0));
    Ok(())
}
