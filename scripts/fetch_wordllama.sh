#!/usr/bin/env bash
# Fetches the pre-trained static token embeddings archinfer's text modules read, from PyPI's
# `wordllama` wheel (MIT licence), into assets/wordllama/. The files are committed; this script
# reproduces them (and checks them against the committed checksums).
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/wordllama
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip download --no-deps --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 \
    wordllama==0.4.0.post1 -d "$tmp" >/dev/null
python3 -m zipfile -e "$tmp"/wordllama-0.4.0.post1-*.whl "$tmp/x"
mkdir -p "$out"
cp "$tmp/x/wordllama/weights/l2_supercat_256.safetensors" "$out/"
cp "$tmp/x/wordllama/tokenizers/l2_supercat_tokenizer_config.json" "$out/"
cp "$tmp/x/wordllama-0.4.0.post1.dist-info/licenses/LICENSE" "$out/LICENSE"
(cd "$out" && sha256sum -c SHA256SUMS)
