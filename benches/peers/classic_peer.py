"""The scikit-learn peer of archinfer's classic baselines (`archinfer evaluate classic`).

Reads the splits that `archinfer evaluate classic --export DIR` wrote (NAME.json, and NAME.f32
for images) and the runs it logged (OUT/classic.jsonl, OUT/classic-settings.json), fits the same
models with scikit-learn on the same splits, picks C on validation from the same grid, and prints
both test accuracies side by side. For images it also prints what an exact RBF SVM (`SVC()`)
scores, to show how far the kernel approximation is from it.

    pip install scikit-learn numpy
    archinfer evaluate classic --db data/text14.sqlite --tasks A,B --out /tmp/c --export /tmp/c/splits
    python3 benches/peers/classic_peer.py /tmp/c

Definitions (as archinfer-classic documents them):
  tfidf-word-lr  TfidfVectorizer(word 1-2-grams, sublinear_tf, min_df=2) + LogisticRegression(C)
  tfidf-char-lr  TfidfVectorizer(char_wb 2-5-grams, sublinear_tf, min_df=2) + LogisticRegression(C)
  pixels-lr      StandardScaler + LogisticRegression(C)
  pixels-rbf-lr  RBFSampler(gamma = 1 / (d * var(X)), D components) + LogisticRegression(C)
"""

import json
import os
import sys
import time
import warnings

try:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.kernel_approximation import RBFSampler
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
except ImportError as e:  # the peer is optional
    print(f"scikit-learn not installed ({e}); pip install scikit-learn numpy")
    sys.exit(0)


def best_by_validation(make_features, grid, ytr, yva, yte, settings):
    xtr, xva, xte = make_features()
    best = None
    for c in grid:
        m = LogisticRegression(C=c, max_iter=settings.get("max_iter", 1000), tol=settings.get("tol", 1e-4))
        m.fit(xtr, ytr)
        va = (m.predict(xva) == yva).mean()
        if best is None or va > best[1]:
            best = (c, va, (m.predict(xte) == yte).mean())
    return best


def main(out):
    warnings.filterwarnings("ignore", message=".*failed to converge.*")
    settings = json.load(open(os.path.join(out, "classic-settings.json")))
    grid = settings["c_grid"]
    ours = [json.loads(line) for line in open(os.path.join(out, "classic.jsonl")) if line.strip()]
    split_dir = os.path.join(out, "splits")
    rows = []
    for run in ours:
        task, model = run["task"], run["model"]
        meta = json.load(open(os.path.join(split_dir, task + ".json")))
        a, b, _ = meta["split"]
        y = np.array(meta["labels"])
        ytr, yva, yte = y[:a], y[a : a + b], y[a + b :]
        start = time.time()
        extra = ""
        if "texts" in meta:
            t = meta["texts"]
            if model == "tfidf-word-lr":
                vec = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=2)
            else:
                vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)

            def feats():
                xtr = vec.fit_transform(t[:a])
                return xtr, vec.transform(t[a : a + b]), vec.transform(t[a + b :])

        else:
            d = meta["side"] ** 2
            x = np.fromfile(os.path.join(split_dir, task + ".f32"), dtype="<f4").reshape(-1, d).astype(np.float64)
            xtr, xva, xte = x[:a], x[a : a + b], x[a + b :]
            if model == "pixels-lr":

                def feats():
                    s = StandardScaler().fit(xtr)
                    return s.transform(xtr), s.transform(xva), s.transform(xte)

            else:
                gamma = 1.0 / (d * xtr.var())
                comps = settings.get("rbf_components", 2048)
                rbf = RBFSampler(gamma=gamma, n_components=comps, random_state=settings.get("seed", 0)).fit(xtr)
                shared = os.path.join(split_dir, task + ".rbf.f32")
                if os.path.exists(shared):
                    # archinfer's own draw (its RNG is not NumPy's): the same random features, so
                    # what is compared is the logistic regression on them.
                    wb = np.fromfile(shared, dtype="<f4")
                    rbf.random_weights_ = wb[: d * comps].reshape(d, comps).astype(np.float64)
                    rbf.random_offset_ = wb[d * comps :].astype(np.float64)
                    extra = "archinfer's projection; "

                def feats():
                    return rbf.transform(xtr), rbf.transform(xva), rbf.transform(xte)

                svc = SVC().fit(xtr, ytr)
                extra += f"exact SVC() test {100 * (svc.predict(xte) == yte).mean():.2f}"
        c, va, te = best_by_validation(feats, grid, ytr, yva, yte, settings)
        if c != run["c"]:
            # Validation accuracies a sample apart pick another C: say what the same C gives.
            _, _, same = best_by_validation(feats, [run["c"]], ytr, yva, yte, settings)
            extra = f"at archinfer's C: {100 * same:.2f}; " + extra
        diff = 100 * (run["test"] - te)
        rows.append(diff)
        print(
            f"| {task} | {model} | {100 * run['test']:.2f} (C={run['c']}) | {100 * te:.2f} (C={c}) | {diff:+.2f} | {time.time() - start:.1f} s | {extra} |",
            flush=True,
        )
    if rows:
        print(f"\nmax |archinfer - scikit-learn| = {max(abs(r) for r in rows):.2f} points over {len(rows)} runs")


if __name__ == "__main__":
    print("| task | model | archinfer test % | scikit-learn test % | difference | peer time | note |")
    print("|---|---|---|---|---|---|---|")
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/classic")
