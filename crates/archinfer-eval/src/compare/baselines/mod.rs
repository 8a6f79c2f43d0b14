//! The registered baselines, one file each.

mod hindsight;
mod nearest_task;
mod portfolio;
mod random;
mod single_best;

pub use hindsight::HindsightDefault;
pub use nearest_task::NearestTask;
pub use portfolio::Portfolio;
pub use random::RandomSearch;
pub use single_best::SingleBest;

use crate::compare::Baseline;

/// Every baseline [`compare`](crate::compare()) runs, in the order tables list them after the
/// proposal. Registering a new one is one line here.
pub fn baselines() -> Vec<Box<dyn Baseline>> {
    vec![Box::new(SingleBest), Box::new(Portfolio), Box::new(NearestTask), Box::new(RandomSearch), Box::new(HindsightDefault)]
}
