"""What a user would run on a table instead of a network: scikit-learn's gradient-boosted trees
(`HistGradientBoostingClassifier()` at its defaults, categories native, missing values native)
and a one-hot + logistic-regression default, on the same splits archinfer uses.

Reads the splits that `archinfer evaluate classic --export DIR` wrote for table tasks
(NAME.json: `split`, `labels`, `columns` with each column's kind and values, nulls for missing),
and writes one line per task and model to OUT (JSONL in archinfer's ClassicRun form: task,
model, c, valid, test, features, seconds), which `archinfer evaluate compare --outside OUT`
adds beside the method as the rows `hgb` and `sk-onehot-lr`. Resumable: lines already in OUT are kept.

    pip install scikit-learn numpy
    archinfer evaluate classic --db data/tab40.sqlite --out /tmp/c --export /tmp/c/splits
    OMP_NUM_THREADS=1 python3 benches/peers/table_peer.py /tmp/c/splits results/compare-tab40/outside.jsonl

(One OpenMP thread: beside another process on a 2-core machine, more threads oversubscribe
and one boosted-trees fit took 195 s instead of 2.)

Definitions:
  hgb           HistGradientBoostingClassifier(random_state=0) with categorical_features for the
                categorical columns (ordinal codes; levels over 255 fall back to one-hot);
                early stopping is its default ('auto': on above 10,000 training rows; off
                where a class has a single training row, which its stratified split refuses)
  sk-onehot-lr  numbers standardised (mean-imputed, with a missing indicator), categories
                one-hot (missing as its own level) + LogisticRegression(C), C from
                {0.01, 0.1, 1, 10, 100} by validation accuracy: archinfer's onehot-lr, checked
"""

import json
import os
import sys
import time
import warnings

try:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
except ImportError as e:  # the peer is optional
    print(f"scikit-learn not installed ({e}); pip install scikit-learn numpy")
    sys.exit(0)

GRID = [0.01, 0.1, 1.0, 10.0, 100.0]


def columns(meta, a):
    """Numeric matrix with NaN, and per categorical column its codes (-1 missing), levels by training order."""
    num, cat = [], []
    for c in meta["columns"]:
        v = c["values"]
        if c["kind"] == "numeric":
            num.append(np.array([np.nan if x is None else x for x in v], dtype=np.float64))
        else:
            levels = {}
            for x in v[:a]:
                if x is not None and x not in levels:
                    levels[x] = len(levels)
            # Levels first seen outside training are unseen: a code of their own past the training ones.
            codes = np.array([-1 if x is None else levels.get(x, len(levels)) for x in v], dtype=np.int64)
            cat.append(codes)
    return num, cat


def hgb(meta, y, a, b):
    num, cat = columns(meta, a)
    parts, is_cat = [], []
    for x in num:
        parts.append(x)
        is_cat.append(False)
    for codes in cat:
        k = codes.max() + 1
        if k <= 250:
            parts.append(np.where(codes < 0, np.nan, codes).astype(np.float64))
            is_cat.append(True)
        else:  # too many levels for native categories
            for level in range(k):
                parts.append((codes == level).astype(np.float64))
                is_cat.append(False)
    x = np.stack(parts, axis=1)
    cats = np.array(is_cat) if any(is_cat) else None
    m = HistGradientBoostingClassifier(random_state=0, categorical_features=cats)
    try:
        m.fit(x[:a], y[:a])
    except ValueError as e:
        # Early stopping ('auto': on above 10,000 rows) holds out a stratified part, which a
        # class of one training row cannot be split into: the default then runs without it.
        if "least populated class" not in str(e):
            raise
        m = HistGradientBoostingClassifier(random_state=0, categorical_features=cats, early_stopping=False)
        m.fit(x[:a], y[:a])
    return 0.0, float((m.predict(x[a:a + b]) == y[a:a + b]).mean()), float((m.predict(x[a + b:]) == y[a + b:]).mean()), x.shape[1]


def onehot_lr(meta, y, a, b):
    num, cat = columns(meta, a)
    parts = []
    for x in num:
        tr = x[:a]
        mean = np.nanmean(tr) if np.isfinite(tr).any() else 0.0
        sd = np.nanstd(tr) if np.isfinite(tr).any() else 1.0
        sd = sd if sd > 1e-12 else 1.0
        parts.append(np.clip((np.where(np.isnan(x), mean, x) - mean) / sd, -5, 5))
        if np.isnan(tr).any():
            parts.append(np.isnan(x).astype(np.float64))
    for codes in cat:
        for level in range(-1, codes.max() + 1):
            col = (codes == level).astype(np.float64)
            if col[:a].any():
                parts.append(col)
    x = np.stack(parts, axis=1)
    mu, sd = x[:a].mean(0), x[:a].std(0)
    sd[sd < 1e-12] = 1.0
    x = (x - mu) / sd
    best = None
    for c in GRID:
        m = LogisticRegression(C=c, max_iter=1000)
        m.fit(x[:a], y[:a])
        va = float((m.predict(x[a:a + b]) == y[a:a + b]).mean())
        if best is None or va > best[1]:
            best = (c, va, float((m.predict(x[a + b:]) == y[a + b:]).mean()))
    return best[0], best[1], best[2], x.shape[1]


def main(split_dir, out):
    warnings.filterwarnings("ignore")
    done = set()
    if os.path.exists(out):
        for line in open(out):
            if line.strip():
                r = json.loads(line)
                done.add((r["task"], r["model"]))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    names = sorted(f[:-5] for f in os.listdir(split_dir) if f.endswith(".json"))
    with open(out, "a") as f:
        for task in names:
            meta = json.load(open(os.path.join(split_dir, task + ".json")))
            if "columns" not in meta:
                continue
            a, b, _ = meta["split"]
            y = np.array(meta["labels"])
            for model, fn in [("hgb", hgb), ("sk-onehot-lr", onehot_lr)]:
                if (task, model) in done:
                    continue
                t0 = time.time()
                c, va, te, d = fn(meta, y, a, b)
                row = {"task": task, "model": model, "c": c, "valid": va, "test": te, "features": d, "seconds": time.time() - t0}
                f.write(json.dumps(row) + "\n")
                f.flush()
                print(f"{task:32s} {model:14s} valid {va:.4f} test {te:.4f} ({row['seconds']:.1f} s)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
