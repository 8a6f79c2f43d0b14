//! The registered baselines, one file each.

mod adaptive;
mod classic;
mod hindsight;
mod nearest_task;
mod portfolio;
mod portfolio_random;
mod random;
mod single_best;
mod tpe;

pub use adaptive::AdaptiveSearch;
pub use classic::{Classic, ClassicModel};
pub use hindsight::HindsightDefault;
pub use nearest_task::NearestTask;
pub use portfolio::Portfolio;
pub use portfolio_random::PortfolioThenRandom;
pub use random::RandomSearch;
pub use single_best::SingleBest;
pub use tpe::TpeSearch;

use crate::compare::baseline::Baseline;
use crate::compare::method::Method;

/// Models outside the space that a peer measures on the same splits and
/// [`CompareJob::outside`](crate::compare::CompareJob::outside) reads: scikit-learn's
/// gradient-boosted trees and its one-hot + logistic regression (`benches/peers/table_peer.py`).
pub const PEER_MODELS: [&str; 2] = ["hgb", "sk-onehot-lr"];

/// Every baseline [`compare`](crate::compare()) runs, in the order tables list them after the
/// proposal. Registering a new one is one line here.
pub fn baselines() -> Vec<Box<dyn Baseline>> {
    let mut all: Vec<Box<dyn Baseline>> = vec![
        Box::new(AdaptiveSearch),
        Box::new(SingleBest),
        Box::new(Portfolio),
        Box::new(PortfolioThenRandom),
        Box::new(NearestTask),
        Box::new(RandomSearch),
        Box::new(TpeSearch),
        Box::new(HindsightDefault),
    ];
    all.extend(archinfer_classic::ClassicKind::ALL.iter().map(|k| Box::new(ClassicModel(Method::new(k.name()))) as Box<dyn Baseline>));
    all.extend(PEER_MODELS.iter().map(|m| Box::new(ClassicModel(Method::new(m))) as Box<dyn Baseline>));
    all.push(Box::new(Classic));
    all
}

/// Every method of the comparison in table order: the proposal, then the registered
/// baselines in registration order.
pub fn methods() -> Vec<Method> {
    std::iter::once(Method::Proposal).chain(baselines().iter().map(|b| b.method())).collect()
}
