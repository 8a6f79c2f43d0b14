//! A hard parameter budget on discretised architectures.

use archinfer_encoding::{ArchitectureSpace, DiscreteArchitecture, LayerChoice};

use crate::error::InferError;
use crate::error::Result;

/// The smallest parameter count any architecture of `space` can have: every layer off, the
/// narrowest embedding module.
pub fn smallest_params(space: &ArchitectureSpace, num_classes: usize) -> usize {
    let e = space.embeddings().iter().map(|e| e.dim).min().unwrap_or(0);
    e * num_classes + num_classes
}

/// Shrinks `arch` until it has at most `max_params` parameters for `num_classes` classes,
/// one move at a time — turn a layer off, narrow a layer to the next width with the same
/// activation, or switch to a narrower embedding module — taking each time the move that
/// `score` (higher is better, one number per candidate) likes best. Returns the architecture
/// unchanged when it already fits, with `false`; a shrunk one with `true`.
///
/// Every move lowers the parameter count, so this ends; it ends within the budget unless the
/// budget is below the space's smallest architecture.
///
/// # Errors
/// [`InferError::Budget`] when nothing fits, and whatever `score` returns.
pub fn fit_budget<F>(
    space: &ArchitectureSpace,
    arch: &DiscreteArchitecture,
    num_classes: usize,
    max_params: usize,
    mut score: F,
) -> Result<(DiscreteArchitecture, bool)>
where
    F: FnMut(&[DiscreteArchitecture]) -> Result<Vec<f32>>,
{
    let smallest = smallest_params(space, num_classes);
    if max_params < smallest {
        return Err(InferError::Budget { max_params, smallest });
    }
    arch.check(space)?;
    let mut cur = arch.clone();
    let mut changed = false;
    while cur.num_params(num_classes) > max_params {
        let now = cur.num_params(num_classes);
        let moves: Vec<DiscreteArchitecture> = shrink_moves(space, &cur)
            .into_iter()
            .filter(|m| m.num_params(num_classes) < now)
            .collect();
        if moves.is_empty() {
            // Unreachable for budgets ≥ `smallest`: the all-off, narrowest-module architecture
            // is reachable by moves that each lower the count.
            return Err(InferError::Budget { max_params, smallest });
        }
        let scores = score(&moves)?;
        if scores.len() != moves.len() {
            return Err(InferError::ScoreCount { expected: moves.len(), got: scores.len() });
        }
        let best = (0..moves.len())
            .max_by(|&a, &b| {
                scores[a]
                    .total_cmp(&scores[b])
                    .then(moves[b].num_params(num_classes).cmp(&moves[a].num_params(num_classes)))
            })
            .unwrap_or(0);
        cur = moves[best].clone();
        changed = true;
    }
    Ok((cur, changed))
}

fn shrink_moves(space: &ArchitectureSpace, a: &DiscreteArchitecture) -> Vec<DiscreteArchitecture> {
    let acts = space.activations();
    let mut out = Vec::new();
    for (l, layer) in a.layers.iter().enumerate() {
        if !layer.enabled {
            continue;
        }
        let mut off = a.clone();
        off.layers[l].enabled = false;
        out.push(off);
        let wi = layer.base / acts.len();
        if wi > 0 {
            let base = (wi - 1) * acts.len() + layer.base % acts.len();
            let b = space.base_layer(base);
            let mut narrow = a.clone();
            narrow.layers[l] = LayerChoice { enabled: true, base, width: b.width, activation: b.activation };
            out.push(narrow);
        }
    }
    for (i, e) in space.embeddings().iter().enumerate() {
        if e.dim < a.embedding.dim {
            let mut m = a.clone();
            m.embedding = archinfer_encoding::EmbeddingChoice { index: i, name: e.name.clone(), dim: e.dim };
            out.push(m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use archinfer_encoding::EmbeddingSpec;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn never_exceeds_the_budget() {
        let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 49), EmbeddingSpec::new("b", 196)]).unwrap();
        let mut rng = StdRng::seed_from_u64(3);
        for k in 0..200 {
            let a = DiscreteArchitecture::sample(&space, &mut rng);
            let budget = [600, 2_000, 10_000, 50_000, 200_000][k % 5];
            // An adversarial scorer that prefers the largest candidate.
            let (b, changed) = fit_budget(&space, &a, 10, budget, |c| Ok(c.iter().map(|x| x.num_params(10) as f32).collect())).unwrap();
            assert!(b.num_params(10) <= budget, "{b} has {} > {budget}", b.num_params(10));
            assert_eq!(changed, a.num_params(10) > budget);
            if !changed {
                assert_eq!(a, b);
            }
            b.check(&space).unwrap();
        }
    }

    #[test]
    fn impossible_budget_is_a_typed_error() {
        let space = ArchitectureSpace::paper(vec![EmbeddingSpec::new("a", 49)]).unwrap();
        let a = DiscreteArchitecture::sample(&space, &mut StdRng::seed_from_u64(0));
        // Smallest: 49 · 10 + 10 = 500.
        assert_eq!(smallest_params(&space, 10), 500);
        let e = fit_budget(&space, &a, 10, 499, |c| Ok(vec![0.0; c.len()])).unwrap_err();
        assert!(matches!(e, InferError::Budget { max_params: 499, smallest: 500 }));
        let (b, _) = fit_budget(&space, &a, 10, 500, |c| Ok(vec![0.0; c.len()])).unwrap();
        assert_eq!(b.num_params(10), 500);
    }
}
