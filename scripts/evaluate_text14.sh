#!/usr/bin/env bash
# The paper's evaluation on the text14 suite, each step resumable (rerun after any stop):
# the shipped text model, Tables 2 / 3 (leave-one-task-out, 10 repeats), the Table 4 analogue
# with --candidates 3, and the task-awareness diagnostics.
set -euo pipefail
cd "$(dirname "$0")/.."
db=data/text14.sqlite
held=spam-3-kinds
bin=target/release/archinfer
cargo build --release -p archinfer-cli
[ -f "models/text14-without-$held/dvn.json" ] || "$bin" train-dvn --db "$db" --exclude "$held" --out "models/text14-without-$held"
"$bin" evaluate search --db "$db" --no-continuous --candidates 3 --out results/text14-search
"$bin" evaluate diversity --db "$db" --model "models/text14-without-$held" --out results/text14-diversity
"$bin" evaluate ceiling --db "$db" --out results/text14-ceiling
"$bin" evaluate predict --db "$db" --variants none,learned,statistical --repeats 10 --out results/text14-predict
"$bin" evaluate search --db "$db" --variant none --no-continuous --candidates 3 --out results/text14-search-none
"$bin" evaluate search --db "$db" --no-continuous --candidates 3 --fixed "wl256 → 256 relu → softmax" --out results/text14-search
