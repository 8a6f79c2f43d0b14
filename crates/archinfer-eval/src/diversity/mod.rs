//! Diversity: how many distinct architectures one model proposes across a suite's tasks, and
//! how far apart they are. A model that ignores the task proposes one network for all of them.

mod table;

pub use table::{Diversity, DiversityTable};

use std::collections::{BTreeMap, BTreeSet};

use archinfer_encoding::DiscreteArchitecture;


/// The enabled layers of an architecture as `(width, activation)`: what makes two networks
/// the same network.
fn network(a: &DiscreteArchitecture) -> (String, Vec<(usize, String)>) {
    (
        a.embedding.name.clone(),
        a.layers.iter().filter(|l| l.enabled).map(|l| (l.width, format!("{:?}", l.activation))).collect(),
    )
}

/// Distance between two networks in `[0, 1]`: the fraction of positions that differ when both
/// are written as the embedding module followed by their hidden layers, the shorter padded with
/// "none".
pub fn distance(a: &DiscreteArchitecture, b: &DiscreteArchitecture) -> f64 {
    let (ea, la) = network(a);
    let (eb, lb) = network(b);
    let n = la.len().max(lb.len());
    let mut differ = usize::from(ea != eb);
    for i in 0..n {
        differ += usize::from(la.get(i) != lb.get(i));
    }
    differ as f64 / (n + 1) as f64
}

/// Summarises proposals, each with the class count of its task (for the parameter count).
pub fn diversity(proposals: &[(DiscreteArchitecture, usize)]) -> Diversity {
    let distinct: BTreeSet<_> = proposals.iter().map(|(a, _)| network(a)).collect();
    let mut modules = BTreeMap::new();
    for (a, _) in proposals {
        *modules.entry(a.embedding.name.clone()).or_insert(0) += 1;
    }
    let params: Vec<usize> = proposals.iter().map(|(a, c)| a.num_params(*c)).collect();
    let depths: Vec<usize> = proposals.iter().map(|(a, _)| a.layers.iter().filter(|l| l.enabled).count()).collect();
    let mut total = 0.0;
    let mut pairs = 0;
    for i in 0..proposals.len() {
        for j in i + 1..proposals.len() {
            total += distance(&proposals[i].0, &proposals[j].0);
            pairs += 1;
        }
    }
    let range = |v: &[usize]| (v.iter().copied().min().unwrap_or(0), v.iter().copied().max().unwrap_or(0));
    Diversity {
        proposals: proposals.len(),
        distinct: distinct.len(),
        modules,
        params: range(&params),
        depth: range(&depths),
        mean_distance: if pairs == 0 { 0.0 } else { total / pairs as f64 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use archinfer_encoding::{Activation, ArchitectureSpace, EmbeddingSpec};

    fn space() -> ArchitectureSpace {
        ArchitectureSpace::new(vec![8, 16], vec![Activation::Relu, Activation::Tanh], 3, vec![EmbeddingSpec::new("a", 4), EmbeddingSpec::new("b", 2)])
            .unwrap()
    }

    fn arch(s: &ArchitectureSpace, module: usize, layers: &[(bool, usize)]) -> DiscreteArchitecture {
        let mut a = DiscreteArchitecture::sample(s, &mut rand::rngs::StdRng::seed_from_u64(0));
        let (name, dim) = [("a", 4), ("b", 2)][module];
        a.embedding = archinfer_encoding::EmbeddingChoice { index: module, name: name.into(), dim };
        for (l, &(on, base)) in a.layers.iter_mut().zip(layers) {
            let b = s.base_layer(base);
            *l = archinfer_encoding::LayerChoice { enabled: on, base, width: b.width, activation: b.activation };
        }
        a
    }
    use rand::SeedableRng;

    #[test]
    fn absent_layers_do_not_make_a_network_distinct() {
        let s = space();
        // Same enabled layers, different base layers where the layer is off.
        let x = arch(&s, 0, &[(true, 0), (false, 1), (false, 2)]);
        let y = arch(&s, 0, &[(true, 0), (false, 3), (false, 0)]);
        approx::assert_abs_diff_eq!(distance(&x, &y), 0.0);
        let d = diversity(&[(x, 2), (y, 2)]);
        assert_eq!(d.distinct, 1);
        assert_eq!(d.params.0, d.params.1);
    }

    #[test]
    fn distance_counts_differing_positions() {
        let s = space();
        // a → 8 relu → 16 relu   against   b → 8 relu: module and second layer differ, 2 of 3.
        let x = arch(&s, 0, &[(true, 0), (true, 1), (false, 0)]);
        let y = arch(&s, 1, &[(true, 0), (false, 1), (false, 0)]);
        approx::assert_abs_diff_eq!(distance(&x, &y), 2.0 / 3.0, epsilon = 1e-12);
        let d = diversity(&[(x.clone(), 2), (y, 2), (x, 2)]);
        assert_eq!(d.distinct, 2);
        assert_eq!(d.modules.get("a"), Some(&2));
        assert_eq!(d.depth, (1, 2));
        // Pairs: (x, y) 2/3, (x, x) 0, (y, x) 2/3.
        approx::assert_abs_diff_eq!(d.mean_distance, 4.0 / 9.0, epsilon = 1e-12);
    }
}
