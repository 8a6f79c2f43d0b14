#!/usr/bin/env python3
"""Writes a synthetic table for timing `archinfer infer` on a large CSV: ROWS rows of COLS
feature columns (a fifth categorical with 8 levels, the rest numbers; 1 % of cells missing) and
a 5-class label that depends on a few of them.

    python3 scripts/make_table.py 50000 100 /tmp/wide.csv
"""
import random
import sys

rows, cols, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(0)
cat = set(range(0, cols, 5))
levels = ["a", "b", "c", "d", "e", "f", "g", "h"]
with open(out, "w") as f:
    f.write(",".join(f"c{j}" if j in cat else f"x{j}" for j in range(cols)) + ",label\n")
    for _ in range(rows):
        cells, score = [], 0.0
        for j in range(cols):
            if j in cat:
                v = rng.choice(levels)
                score += (levels.index(v) % 3) * (j < 20)
            else:
                v = rng.gauss(0, 1)
                score += v * (j < 10)
            cells.append("" if rng.random() < 0.01 else (v if j in cat else f"{v:.4f}"))
        f.write(",".join(cells) + f",k{int(abs(score)) % 5}\n")
