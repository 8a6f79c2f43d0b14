#!/usr/bin/env bash
# Children per hour of `build-db` on the shipped suites, for one build of archinfer (run it once
# with the build before a change and once after, on a quiet machine). Each run copies the
# shipped database, plans EXTRA more children per task (the same architectures and seeds for
# every build: the plan seed is the database's; pool members, indexed from 1,000,000, are not
# children and do not count), trains them with two workers, and reads from
# the trial records the span from the first claim to the last finish (start-up excluded).
#
#   BIN=/tmp/base/target/release/archinfer LABEL=before scripts/measure_child_throughput.sh
#   LABEL=after scripts/measure_child_throughput.sh
#   LABEL=after-burn-path ARGS="--train-path burn" scripts/measure_child_throughput.sh
#
# Writes one JSON line per suite to docs/measurements/child_throughput.jsonl, and keeps each
# run's database in $WORK so the two builds' accuracies on the same children can be compared.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/archinfer}
LABEL=${LABEL:?set LABEL (before / after)}
EXTRA=${EXTRA:-10}
ARGS=${ARGS:-}
OUT=docs/measurements/child_throughput.jsonl
WORK=${WORK:-/tmp/archinfer-children}
mkdir -p "$WORK" "$(dirname "$OUT")"
for suite in fmnist14 text14; do
    if grep -q "\"build\":\"$LABEL\",\"suite\":\"$suite\"" "$OUT" 2>/dev/null; then continue; fi
    have=$(python3 -c "import sqlite3; print(sqlite3.connect('data/$suite.sqlite').execute('select max(trial_index)+1 from trials where trial_index < 1000000').fetchone()[0])")
    db="$WORK/$suite-$LABEL.sqlite"; rm -f "$db" "$db-wal" "$db-shm"
    cp "data/$suite.sqlite" "$db"
    # shellcheck disable=SC2086
    "$BIN" build-db --db "$db" --children $((have + EXTRA)) --workers 2 $ARGS >"$WORK/$suite-$LABEL.log" 2>&1
    python3 - "$db" "$LABEL" "$suite" "$have" "$(grep -o 'children train on the .*' "$WORK/$suite-$LABEL.log" | head -1)" >>"$OUT" <<'PY'
import json, sqlite3, sys
db, label, suite, have, path = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
c = sqlite3.connect(db)
n, first, last, secs = c.execute(
    "SELECT count(*), min(claimed_at), max(finished_at), sum(seconds) FROM trials WHERE trial_index >= ? AND trial_index < 1000000 AND status = 'done'",
    (have,),
).fetchone()
hours = (last - first) / 3.6e6
print(json.dumps({"build": label, "suite": suite, "children": n, "wall_s": round((last - first) / 1000, 1),
                  "children_per_hour": round(n / hours), "train_s_per_child": round(secs / n, 4),
                  "path": path.replace("children train on the ", "") or "burn (before the fused path existed)"},
                 separators=(",", ":")))
PY
    tail -1 "$OUT"
done
