"""Per-task table of the proposal against the classic defaults, from an `evaluate compare`
output folder (rows.jsonl and classic.jsonl): test accuracy at budget K, the gap in points,
and the classic model that validation kept. Usage:

    python3 scripts/classic_gap.py results/compare-text14 [K] [METHOD]

METHOD (default `classic`) is any row of the comparison, e.g. `hgb` (gradient-boosted trees
from benches/peers/table_peer.py via `evaluate compare --outside`): then the table shows that
method's accuracy, and the summary adds the share of tasks the proposal is ahead on and a
Wilcoxon signed-rank test on the per-task test accuracies (scipy, when installed).
"""

import json
import sys
from statistics import mean, median

folder = sys.argv[1]
k = int(sys.argv[2]) if len(sys.argv) > 2 else 1
other = sys.argv[3] if len(sys.argv) > 3 else "classic"
rows = [json.loads(l) for l in open(f"{folder}/rows.jsonl") if l.strip()]
runs = [json.loads(l) for l in open(f"{folder}/classic.jsonl") if l.strip()]
acc = {(r["task"], r["method"]): r["test_accuracy"] for r in rows if r["k"] == k}
tasks = list(dict.fromkeys(r["task"] for r in rows if r["k"] == k))
kept = {}
for r in runs:
    best = kept.get(r["task"])
    if best is None or r["valid"] > best["valid"]:
        kept[r["task"]] = r
print(f"| task (K = {k}) | proposal % | single-best % | {other} % | classic model kept (C) | proposal − {other} |")
print("|---|---|---|---|---|---|")
gaps = []
for t in tasks:
    if (t, "proposal") not in acc or (t, other) not in acc or acc[(t, other)] is None:
        continue
    p, c, s = acc[(t, "proposal")], acc[(t, other)], acc.get((t, "single-best"), float("nan"))
    gaps.append(100 * (p - c))
    m = kept.get(t, {"model": "-", "c": 0})
    print(f"| {t} | {100 * p:.2f} | {100 * s:.2f} | {100 * c:.2f} | {m['model']} ({m['c']:g}) | {100 * (p - c):+.2f} |")
ahead = sum(g > 1e-4 for g in gaps)
tied = sum(abs(g) <= 1e-4 for g in gaps)
print(f"\nmean gap {mean(gaps):+.2f} points, median {median(gaps):+.2f}; proposal ahead / tied / behind: {ahead} / {tied} / {len(gaps) - ahead - tied} ({100 * ahead / len(gaps):.0f} % ahead)")
try:
    from scipy.stats import wilcoxon
    nz = [g for g in gaps if abs(g) > 1e-4]
    if len(nz) >= 2:
        print(f"Wilcoxon signed-rank on the per-task test accuracies (ties dropped): p = {wilcoxon(nz).pvalue:.3f}")
except ImportError:
    pass
