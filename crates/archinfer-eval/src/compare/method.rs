//! The name of a method of the comparison: the proposal, or a registered baseline.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A method of [`compare`](crate::compare()), by the name `archinfer evaluate compare --json`
/// writes (`proposal`, `single-best`, …). The built-in ones are associated constants; a new
/// baseline names itself with [`Method::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Method(&'static str);

#[allow(non_upper_case_globals)]
impl Method {
    /// The value network's first K distinct candidates, trained on the task, best by validation.
    pub const Proposal: Method = Method("proposal");
    /// The pool member with the best mean normalised validation score over the training tasks.
    pub const SingleBest: Method = Method("single-best");
    /// The greedy portfolio of K over the training tasks, best by validation on the task.
    pub const Portfolio: Method = Method("portfolio");
    /// The K best members of the training task nearest by simple meta-features.
    pub const NearestTask: Method = Method("nearest-task");
    /// K random pool members, best by validation, averaged over many orders.
    pub const Random: Method = Method("random");
    /// Few-shot adaptation: the value network as the prior over the ascent's argmaxes and the
    /// pool, each training observed, the next chosen by expected improvement (needs
    /// `--adaptive`).
    pub const Adaptive: Method = Method("adaptive");
    /// The first five of the greedy portfolio, then random search.
    pub const PortfolioRandom: Method = Method("portfolio-random");
    /// TPE over the pool, without meta-learning (needs `--adaptive`, whose priors name the
    /// members' choices).
    pub const Tpe: Method = Method("tpe");
    /// The pool member best on all tasks by test accuracy: chosen with hindsight, for reference.
    pub const HindsightDefault: Method = Method("hindsight-default");
    /// Of the classic defaults outside the space trained on the task (TF-IDF or pixels with
    /// logistic regression, an RBF kernel approximation), the one best by validation.
    pub const Classic: Method = Method("classic");

    /// The built-in methods over the pool, in the order tables list them (the first of what
    /// `methods()` returns; the classic models outside the space follow).
    pub const ALL: [Method; 9] = [
        Method::Proposal,
        Method::Adaptive,
        Method::SingleBest,
        Method::Portfolio,
        Method::PortfolioRandom,
        Method::NearestTask,
        Method::Random,
        Method::Tpe,
        Method::HindsightDefault,
    ];

    /// A method named `name` (kebab-case, as rows and tables show it).
    pub const fn new(name: &'static str) -> Self {
        Method(name)
    }

    /// The method's name (`proposal`, `single-best`, …).
    pub fn name(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Method {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        // The built-in names without building the registry's boxed baselines per value read.
        let classic = archinfer_classic::ClassicKind::ALL.map(|k| Method(k.name()));
        if let Some(m) = Method::ALL.into_iter().chain([Method::Classic]).chain(classic).find(|m| m.0 == name) {
            return Ok(m);
        }
        // Another baseline's rows (a registered one, or one of another build): kept by name.
        // Methods compare by name, and names are few and live as long as the rows.
        Ok(Method(Box::leak(name.into_boxed_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_json() {
        assert_eq!(serde_json::to_string(&Method::NearestTask).unwrap(), "\"nearest-task\"");
        let back: Method = serde_json::from_str("\"hindsight-default\"").unwrap();
        assert_eq!(back, Method::HindsightDefault);
        let classic: Method = serde_json::from_str("\"tfidf-char-lr\"").unwrap();
        assert_eq!(classic.name(), "tfidf-char-lr");
        assert_eq!(serde_json::from_str::<Method>("\"classic\"").unwrap(), Method::Classic);
        let other: Method = serde_json::from_str("\"my-own\"").unwrap();
        assert_eq!(other.name(), "my-own");
        assert_eq!(serde_json::from_str::<Method>("\"tpe\"").unwrap(), Method::Tpe);
        assert_eq!(crate::compare::methods()[..Method::ALL.len()], Method::ALL);
        assert_eq!(crate::compare::methods().last(), Some(&Method::Classic));
    }
}
