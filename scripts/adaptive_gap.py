#!/usr/bin/env python3
"""Gap to the pool's best test accuracy, and the 80 % interval's coverage, of `adaptive` in an
`evaluate compare --adaptive --replicates R` folder (replicates.jsonl, adaptive-priors.jsonl).

    python3 scripts/adaptive_gap.py results/adaptive-fmnist14 [K ...]
"""
import json, sys

folder = sys.argv[1]
ks = [int(k) for k in sys.argv[2:]] or [1, 3, 10, 20]
runs = [json.loads(l) for l in open(f"{folder}/replicates.jsonl")]
for k in ks:
    gaps = []
    for r in runs:
        best_pool = max(t for _, t in r["pool"])
        steps = r["steps"][:k]
        kept = max(steps, key=lambda s: s["val"])  # first on ties, as the comparison keeps
        kept = next(s for s in steps if s["val"] == kept["val"])
        gaps.append(best_pool - kept["test"])
    print(f"K = {k}: adaptive is {100 * sum(gaps) / len(gaps):.2f} points below the pool's best test accuracy "
          f"(mean over {len(set(r['task'] for r in runs))} tasks × {len(set(r['replicate'] for r in runs))} replicates)")
priors = [json.loads(l) for l in open(f"{folder}/adaptive-priors.jsonl")]
for key, what in [("prior", "before any training"), ("after_five", "after five trainings")]:
    hit = sum(p["coverage"][key][0] for p in priors)
    tot = sum(p["coverage"][key][1] for p in priors)
    print(f"80 % interval {what}: {hit} of {tot} pool members' validation accuracies inside ({100 * hit / tot:.1f} %)")
steps = sum(len(p["steps"]) for p in priors)
print(f"choosing: {1e3 * sum(p['adapt_seconds'] for p in priors) / steps:.2f} ms per training "
      f"(posterior update and acquisition over {sum(p['candidates'] for p in priors) / len(priors):.0f} candidates on average)")
