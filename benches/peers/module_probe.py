"""Measure before choosing (issue 27): which dense modules could bring the classic models into
the space. For every task exported by `archinfer evaluate classic --export DIR`, a linear model
(L2 logistic regression, C by validation on 1, 4, 16, 64) on candidate features:

  texts:  TF-IDF (char_wb 2-5, min_df=2, sublinear tf; the classic row's usual winner) with the
          vocabulary cut to the K terms most frequent in the training split (K = 2048, 8192) and uncut:
          how wide a dense TF-IDF module must be to keep what the full vocabulary gives;
  images: fixed random convolutional features (F filters 5 x 5, zero mean, unit norm, ReLU of
          +/- responses, average-pooled on a 4 x 4 grid) against the raw pixels.

    pip install scikit-learn numpy
    archinfer evaluate classic --db data/text14.sqlite --out results/compare-text14 --export /tmp/text14-splits
    python3 benches/peers/module_probe.py /tmp/text14-splits

The numbers are scikit-learn's, a probe for a design decision, not archinfer results.
"""

import glob
import json
import os
import sys
import warnings

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

GRID = [1, 4, 16, 64]


def best(xtr, ytr, xva, yva, xte, yte):
    top = None
    for c in GRID:
        m = LogisticRegression(C=c, max_iter=300, tol=1e-3).fit(xtr, ytr)
        va = (m.predict(xva) == yva).mean()
        if top is None or va > top[0]:
            top = (va, (m.predict(xte) == yte).mean())
    return top[1]


def random_conv(x, side, filters, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((filters, 25))
    w -= w.mean(axis=1, keepdims=True)
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    imgs = x.reshape(-1, side, side)
    out = side - 4
    patches = np.lib.stride_tricks.sliding_window_view(imgs, (5, 5), axis=(1, 2)).reshape(len(x), out * out, 25)
    resp = patches @ w.T  # n x positions x filters
    feats = np.concatenate([np.maximum(resp, 0), np.maximum(-resp, 0)], axis=2).reshape(len(x), out, out, 2 * filters)
    cell = out // 4
    pooled = feats[:, : 4 * cell, : 4 * cell].reshape(len(x), 4, cell, 4, cell, 2 * filters).mean(axis=(2, 4))
    return pooled.reshape(len(x), -1)


def main(folder):
    warnings.filterwarnings("ignore")
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        meta = json.load(open(path))
        name = meta["task"]
        a, b, _ = meta["split"]
        y = np.array(meta["labels"])
        ytr, yva, yte = y[:a], y[a : a + b], y[a + b :]
        cells = []
        if "texts" in meta:
            t = meta["texts"]
            for analyzer, ngrams in [("char_wb", (2, 5))]:
                for k in [2048, 8192, None]:
                    v = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, min_df=2, sublinear_tf=True, max_features=k)
                    xtr = v.fit_transform(t[:a])
                    cells.append(100 * best(xtr, ytr, v.transform(t[a : a + b]), yva, v.transform(t[a + b :]), yte))
        else:
            side = meta["side"]
            x = np.fromfile(os.path.join(folder, name + ".f32"), dtype="<f4").reshape(-1, side * side).astype(np.float64)
            for f in [0, 16]:
                z = x if f == 0 else random_conv(x, side, f)
                s = StandardScaler().fit(z[:a])
                cells.append(100 * best(s.transform(z[:a]), ytr, s.transform(z[a : a + b]), yva, s.transform(z[a + b :]), yte))
        print("| " + name + " | " + " | ".join(f"{c:.2f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
