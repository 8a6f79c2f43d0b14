#!/usr/bin/env bash
# Re-renders the published result folders from copies, with the `archinfer` binary $1, into
# folder $2 (every run log is complete, so nothing is fitted or trained), then runs two live
# comparisons per suite (fitted and trained from scratch). Run it with the binaries of two
# commits and `cmp` the folders: a restructuring that changes no number leaves every file equal
# but the command line and wall time in summary.json and the timings in proposals.jsonl.
# Usage, from the repository root:
#   cargo build --release && cp target/release/archinfer /tmp/archinfer-new
#   scripts/rerender_check.sh /tmp/archinfer-new /tmp/rerender-new
set -u
BIN=$1; OUT=$2
rm -rf "$OUT"; mkdir -p "$OUT"
T14=dress-coat-occluded-noisy,all10-imbalanced,pullover-coat-imbalanced,tops-shoes-bags,all10-pixel-noise,clothes5-occluded,bag-footwear-imbalanced,all10-noisy-labels,all10-10k,all10-500,footwear3,tops4,shirt-tshirt,trouser-bag
S14=trouser-bag,shirt-tshirt,footwear3,tops4,all10-500,all10-noisy-labels,bag-footwear-imbalanced,clothes5-occluded,all10-pixel-noise,tops-shoes-bags,pullover-coat-imbalanced,all10-imbalanced,dress-coat-occluded-noisy,all10-10k
step() { local name=$1; shift; local t0=$(date +%s.%N); "$@" > "$OUT/$name.stdout" 2> "$OUT/$name.stderr"; echo "$name rc=$? $(echo "$(date +%s.%N) - $t0" | bc) s" >> "$OUT/steps.txt"; }
cp -r results/predict-task-aware "$OUT/predict"
step predict "$BIN" evaluate predict --variants none,learned --repeats 10 --tasks "$T14" --out "$OUT/predict"
cp -r results/ceiling-task-aware "$OUT/ceiling"
step ceiling "$BIN" evaluate ceiling --repeats 10 --out "$OUT/ceiling"
cp -r results/compare-fmnist14 "$OUT/compare-fmnist14"
step compare-fmnist14 "$BIN" evaluate compare --db data/fmnist14.sqlite --out "$OUT/compare-fmnist14"
cp -r results/compare-text14 "$OUT/compare-text14"
step compare-text14 "$BIN" evaluate compare --db data/text14.sqlite --out "$OUT/compare-text14"
step pooled "$BIN" evaluate compare --pooled "$OUT/compare-fmnist14,$OUT/compare-text14"
cp -r results/search-task-aware "$OUT/search"
step search "$BIN" evaluate search --no-continuous --candidates 5 --fixed "pca32 → 256 relu → softmax" --workers 1 --tasks "$S14" --out "$OUT/search"
step live-fmnist14 "$BIN" evaluate compare --db data/fmnist14.sqlite --tasks trouser-dress-100,all10-150 --out "$OUT/live-fmnist14"
step live-text14 "$BIN" evaluate compare --db data/text14.sqlite --tasks fortunes-people-computers-small,brown-fiction --out "$OUT/live-text14"
echo done >> "$OUT/steps.txt"
