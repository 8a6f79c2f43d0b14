//! The registered baselines, one file each.

mod classic;
mod hindsight;
mod nearest_task;
mod portfolio;
mod random;
mod single_best;

pub use classic::{Classic, ClassicModel};
pub use hindsight::HindsightDefault;
pub use nearest_task::NearestTask;
pub use portfolio::Portfolio;
pub use random::RandomSearch;
pub use single_best::SingleBest;

use crate::compare::baseline::Baseline;
use crate::compare::method::Method;

/// Every baseline [`compare`](crate::compare()) runs, in the order tables list them after the
/// proposal. Registering a new one is one line here.
pub fn baselines() -> Vec<Box<dyn Baseline>> {
    let mut all: Vec<Box<dyn Baseline>> = vec![Box::new(SingleBest), Box::new(Portfolio), Box::new(NearestTask), Box::new(RandomSearch), Box::new(HindsightDefault)];
    all.extend(archinfer_classic::ClassicKind::ALL.iter().map(|k| Box::new(ClassicModel(Method::new(k.name()))) as Box<dyn Baseline>));
    all.push(Box::new(Classic));
    all
}

/// Every method of the comparison in table order: the proposal, then the registered
/// baselines in registration order.
pub fn methods() -> Vec<Method> {
    std::iter::once(Method::Proposal).chain(baselines().iter().map(|b| b.method())).collect()
}
