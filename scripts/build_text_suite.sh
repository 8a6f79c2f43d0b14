#!/usr/bin/env bash
# Builds the `text14` experiment database (the text14 and text-extra suites): prepares the suite's CSVs from the packaged corpora
# (scripts/prepare_text_suite.py), adds each task with `archinfer task add`, then trains
# CHILDREN children per task with `archinfer build-db` (resumable: run it again after any stop).
#   scripts/build_text_suite.sh [DB] [CHILDREN]     (defaults: data/text14.sqlite 300)
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:-data/text14.sqlite}
children=${2:-400}
out=.cache/text14
python3 scripts/prepare_text_suite.py "$out"
cargo build --release -p archinfer-cli
bin=target/release/archinfer
python3 - "$out/suite.json" <<'PY' > "$out/tasks.tsv"
import json, sys
for t in json.load(open(sys.argv[1])):
    print("\t".join([t["name"], t["file"], t["split"], t["description"], t.get("suite", "text14")]))
PY
while IFS=$'\t' read -r name file split description suite; do
    if "$bin" db status --db "$db" 2>/dev/null | grep -q "^$name "; then
        continue
    fi
    "$bin" task add --db "$db" --name "$name" --data "$out/$file" --split "$split" --suite "$suite" --description "$description"
done < "$out/tasks.tsv"
"$bin" build-db --db "$db" --children "$children" --workers 2 --space-version 2 --pool 64
