//! The fused CPU trainer against the burn reference: same seed, same initial weights, same
//! batch order, so the same accuracies up to the drift of summing floats in another order.

#![allow(clippy::unwrap_used)]

use archinfer_data::Blobs;
use archinfer_encoding::{
    Activation, ArchitectureSpace, DiscreteArchitecture, DiscreteNetworkConfig, EmbeddingSpec, Encoding, LayerChoice,
};
use archinfer_train::{AdamTrainer, ChildSpec, ChildTrainer, PreparedTask, Status, TrainConfig, TrainError, TrainPath};
use burn::tensor::Device;

/// The stated tolerance: the two paths' validation and test accuracies differ by at most this
/// on every child (measured here: at most about one validation sample).
const TOLERANCE: f32 = 0.03;

fn space(dim: usize) -> ArchitectureSpace {
    ArchitectureSpace::paper(vec![EmbeddingSpec::new("raw", dim), EmbeddingSpec::new("proj", 8)]).unwrap()
}

/// An architecture of `space` reading `module` with the given `(base layer index)` per layer.
fn arch(space: &ArchitectureSpace, module: usize, layers: &[usize]) -> DiscreteArchitecture {
    let mut a = Encoding::uniform(space).discretize(space).unwrap();
    a.embedding = archinfer_encoding::EmbeddingChoice {
        index: module,
        name: space.embeddings()[module].name.clone(),
        dim: space.embeddings()[module].dim,
    };
    for (l, c) in a.layers.iter_mut().enumerate() {
        let (base, enabled) = layers.get(l).map_or((0, false), |&b| (b, true));
        let b = space.base_layer(base);
        *c = LayerChoice { enabled, base, width: b.width, activation: b.activation };
    }
    a
}

fn pair(config: TrainConfig, dev: &Device) -> (AdamTrainer, AdamTrainer) {
    let burn = AdamTrainer::new(config.clone(), dev.clone()).unwrap().with_path(TrainPath::Burn);
    let fused = AdamTrainer::new(config, dev.clone()).unwrap().with_path(TrainPath::Fused);
    (burn, fused)
}

#[test]
fn both_paths_start_from_the_same_weights() {
    let dev = Device::flex();
    let s = space(12);
    let a = arch(&s, 0, &[10, 3]);
    let config = DiscreteNetworkConfig::new(a.clone(), 4).with_seed(9);
    let host = config.init_host().unwrap();
    let net = config.init(&dev).unwrap();
    assert_eq!(net.to_host().unwrap(), host);
    // A negative control: another seed draws other weights.
    assert_ne!(config.with_seed(10).init_host().unwrap(), host);
}

#[test]
fn fused_and_burn_paths_reach_the_same_accuracy() {
    let dev = Device::flex();
    let task = Blobs::new(4, 1000, 12).projection("proj", 8).separation(1.2).seed(5).task().unwrap();
    let prepared = PreparedTask::new(&task, &dev);
    let s = space(12);
    let (burn, fused) = pair(TrainConfig::new().with_learning_rate(3e-3).with_epochs(8).with_batch_size(32), &dev);
    assert_eq!(fused.discrete_path(), TrainPath::Fused);
    assert_eq!(burn.discrete_path(), TrainPath::Burn);
    // No hidden layer, relu and tanh stacks, the other module.
    let children = [arch(&s, 0, &[]), arch(&s, 0, &[10, 6, 3]), arch(&s, 0, &[11, 9]), arch(&s, 1, &[8, 1])];
    assert!(children[2].layers[0].activation == Activation::Tanh);
    let mut worst = 0.0f32;
    for (i, child) in children.iter().enumerate() {
        for seed in [0u64, 1] {
            let spec = ChildSpec::Discrete(child.clone());
            let a = burn.train(&spec, &prepared, seed).unwrap();
            let b = fused.train(&spec, &prepared, seed).unwrap();
            assert_eq!((a.status.clone(), b.status.clone()), (Status::Done, Status::Done));
            assert_eq!((a.num_params, a.epochs_run), (b.num_params, b.epochs_run));
            let (dv, dt) = ((a.val_accuracy - b.val_accuracy).abs(), (a.test_accuracy - b.test_accuracy).abs());
            worst = worst.max(dv).max(dt);
            assert!(dv <= TOLERANCE && dt <= TOLERANCE, "child {i} seed {seed}: burn {a:?} fused {b:?}");
            assert!((a.final_loss - b.final_loss).abs() <= 0.02 * a.final_loss.max(0.05), "child {i}: loss {} vs {}", a.final_loss, b.final_loss);
            // The task is learnable but not trivial: both paths learned it.
            assert!(b.val_accuracy > 0.5, "child {i}: {b:?}");
        }
    }
    eprintln!("largest accuracy difference between the paths: {worst:.4}");
}

#[test]
fn recipe_settings_change_the_training_on_both_paths_alike() {
    let dev = Device::flex();
    let task = Blobs::new(3, 600, 12).projection("proj", 8).separation(0.8).seed(8).task().unwrap();
    let prepared = PreparedTask::new(&task, &dev);
    let s = space(12);
    let child = arch(&s, 0, &[10, 9]);
    let spec = ChildSpec::Discrete(child.clone());
    let base = TrainConfig::new().with_learning_rate(3e-3).with_epochs(3).with_batch_size(32);
    let trainer = |c: TrainConfig, path| AdamTrainer::new(c, dev.clone()).unwrap().with_path(path);
    let plain = [TrainPath::Burn, TrainPath::Fused].map(|p| trainer(base.clone(), p).train(&spec, &prepared, 3).unwrap());
    for c in [
        base.clone().with_weight_decay(Some(5e-2)),
        base.clone().with_dropout(Some(0.3)),
        base.clone().with_batch_size(128),
        base.clone().with_epochs(2),
    ] {
        let mut weights = Vec::new();
        for (path, plain) in [TrainPath::Burn, TrainPath::Fused].into_iter().zip(&plain) {
            let (out, net) = trainer(c.clone(), path).train_network(&child, &prepared, 3).unwrap();
            assert_eq!(out.status, Status::Done);
            assert_eq!(out.epochs_run, c.epochs);
            // Each setting changes the training on this path (a path that ignored it would not).
            assert!((out.final_loss - plain.final_loss).abs() > 1e-4, "{path}: {c:?} trained as the plain recipe");
            weights.push(net.unwrap().to_host().unwrap());
        }
        // Both paths took the same steps: the same weights up to rounding drift.
        let worst = weights[0]
            .iter()
            .zip(&weights[1])
            .flat_map(|(a, b)| a.weight.iter().zip(&b.weight).chain(a.bias.iter().zip(&b.bias)))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 2e-3, "{c:?}: weights of the two paths differ by {worst}");
    }
    // Dropout training still learns, and evaluation uses every unit.
    assert!(trainer(base.clone().with_dropout(Some(0.5)), TrainPath::Fused).train(&spec, &prepared, 3).unwrap().val_accuracy > 0.6);
}

#[test]
fn large_splits_and_batches_beyond_the_split() {
    // 600 validation rows: the fused path evaluates in several chunks of 256; a batch larger
    // than the training split is the whole split (no buffer sized by `batch_size` alone).
    let dev = Device::flex();
    let task = Blobs::new(3, 3000, 12).projection("proj", 8).separation(1.0).seed(4).task().unwrap();
    assert!(task.splits().validation.len() > 512, "{}", task.splits().validation.len());
    let prepared = PreparedTask::new(&task, &dev);
    let s = space(12);
    let spec = ChildSpec::Discrete(arch(&s, 1, &[8]));
    for bs in [64, 1 << 40] {
        let config = TrainConfig::new().with_learning_rate(1e-2).with_epochs(2).with_batch_size(bs);
        let (burn, fused) = pair(config, &dev);
        let (a, b) = (burn.train(&spec, &prepared, 1).unwrap(), fused.train(&spec, &prepared, 1).unwrap());
        assert!((a.val_accuracy - b.val_accuracy).abs() <= TOLERANCE, "batch {bs}: burn {a:?} fused {b:?}");
        assert!(b.val_accuracy > 0.5, "batch {bs}: {b:?}");
    }
}

#[test]
fn bad_recipes_are_refused_by_name() {
    let dev = Device::flex();
    for (c, name) in [
        (TrainConfig::new().with_weight_decay(Some(-1.0)), "weight_decay"),
        (TrainConfig::new().with_dropout(Some(1.0)), "dropout"),
        (TrainConfig::new().with_dropout(Some(f64::NAN)), "dropout"),
    ] {
        match AdamTrainer::new(c, dev.clone()) {
            Err(TrainError::Config { setting, .. }) => assert_eq!(setting, name),
            other => panic!("expected a config error for {name}, got {other:?}"),
        }
    }
    assert!("sideways".parse::<TrainPath>().is_err());
    // On the CPU backend the default path is the fused one, and says so.
    let auto = AdamTrainer::new(TrainConfig::new(), dev.clone()).unwrap();
    assert_eq!(auto.discrete_path(), TrainPath::Fused);
    assert!(auto.describe().starts_with("fused CPU trainer"), "{}", auto.describe());
    assert!(auto.clone().with_path(TrainPath::Burn).describe().starts_with("burn trainer"));
    assert_eq!("fused".parse::<TrainPath>().unwrap(), TrainPath::Fused);
}

#[test]
fn configs_written_before_the_recipe_fields_still_parse() {
    // What the shipped databases store as `train_config`.
    let old = r#"{"learning_rate":0.001,"epochs":20,"batch_size":64,"eval_batch_size":2048}"#;
    let c: TrainConfig = serde_json::from_str(old).unwrap();
    assert_eq!(c, TrainConfig::new().with_learning_rate(1e-3));
    assert_eq!((c.weight_decay, c.dropout), (None, None));
}

/// A child of a version-2 space trains with its own recipe, on both paths: its epochs, and its
/// learning rate (a recipe with another rate ends elsewhere than the base recipe).
#[test]
fn a_childs_recipe_is_the_one_it_trains_with() {
    let dev = Device::flex();
    let s = space(12).with_recipes(archinfer_encoding::RecipeSpace::around(1e-3, 4, 64).unwrap()).unwrap();
    let task = Blobs::new(3, 300, 12).projection("proj", 8).seed(3).task().unwrap();
    let prepared = PreparedTask::new(&task, &dev);
    let base = TrainConfig::new().with_learning_rate(1e-3).with_epochs(4).with_batch_size(64);
    let mut a = arch(&s, 0, &[6]);
    let long = s.recipes().unwrap().parse_parts(&["lr 1e-2", "10 ep", "bs 32", "dropout 0.2"]).unwrap();
    a.recipe = Some(long);
    let (burn, fused) = pair(base.clone(), &dev);
    let cfg = fused.config_for(&ChildSpec::Discrete(a.clone()));
    assert_eq!((cfg.learning_rate, cfg.epochs, cfg.batch_size, cfg.dropout, cfg.weight_decay), (1e-2, 10, 32, Some(0.2), None));
    for t in [&burn, &fused] {
        let o = t.train(&ChildSpec::Discrete(a.clone()), &prepared, 1).unwrap();
        assert_eq!((o.status.clone(), o.epochs_run), (Status::Done, 10));
    }
    // Without a recipe the trainer's own settings hold.
    let mut plain = a.clone();
    plain.recipe = None;
    assert_eq!(fused.config_for(&ChildSpec::Discrete(plain.clone())), base);
    let o = fused.train(&ChildSpec::Discrete(plain), &prepared, 1).unwrap();
    assert_eq!(o.epochs_run, 4);
}
