#!/usr/bin/env bash
# Children per hour with 1, 2 and 4 `build-db` worker processes, on SQLite and on PostgreSQL,
# with the fmnist14 child settings. Each run starts from a copy of the shipped database,
# plans 30 more children per task, and has its processes train 120 new children in all. The
# rate is new children over the span from their first claim to their last finish (process
# start-up excluded), read from the trial records themselves.
#
#   PG=postgres://archinfer:archinfer@localhost/archinfer scripts/measure_store_throughput.sh
#
# Writes one JSON line per run to docs/measurements/store_throughput.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/archinfer}
PG=${PG:?set PG to a postgres:// URL}
OUT=docs/measurements/store_throughput.jsonl
WORK=${WORK:-/tmp/archinfer-throughput}
TOTAL=${TOTAL:-120}
mkdir -p "$WORK" "$(dirname "$OUT")"
for store in sqlite postgres; do
    for procs in 1 2 4; do
        if grep -q "\"store\":\"$store\",\"processes\":$procs," "$OUT" 2>/dev/null; then continue; fi
        if [ "$store" = sqlite ]; then
            db="$WORK/p$procs.sqlite"; rm -f "$db" "$db-wal" "$db-shm"
        else
            db="$PG?schema=throughput_p$procs"
            psql "${PG}" -qc "DROP SCHEMA IF EXISTS throughput_p$procs CASCADE" >/dev/null
        fi
        "$BIN" db copy --from data/fmnist14.sqlite --to "$db" >/dev/null 2>&1
        pids=()
        for i in $(seq 1 "$procs"); do
            n=$(( TOTAL / procs ))
            "$BIN" build-db --db "$db" --children 230 --workers 1 --max-trials "$n" >"$WORK/$store-$procs-$i.log" 2>&1 &
            pids+=($!)
        done
        wait "${pids[@]}"
        snap="$WORK/snap-$store-$procs.sqlite"; rm -f "$snap"
        "$BIN" db copy --from "$db" --to "$snap" >/dev/null 2>&1
        python3 - "$snap" "$store" "$procs" >>"$OUT" <<'PY'
import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
n, first, last, secs = c.execute(
    "SELECT count(*), min(claimed_at), max(finished_at), sum(seconds) FROM trials WHERE trial_index >= 200 AND status = 'done'"
).fetchone()
hours = (last - first) / 3.6e6
print(json.dumps({"store": sys.argv[2], "processes": int(sys.argv[3]), "children": n,
                  "wall_s": round((last - first) / 1000, 1), "children_per_hour": round(n / hours),
                  "train_s_per_child": round(secs / n, 3)}, separators=(",", ":")))
PY
        tail -1 "$OUT"
    done
done
