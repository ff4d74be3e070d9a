#!/usr/bin/env bash
# Copies what the GPU machine lacks and packaging/gpu-check.sh needs into the repository's
# git-ignored .deps/include (nlohmann/json, CLI11: header-only, from Debian), so that it travels
# with the working tree. Then, on the device: bash packaging/gpu-check.sh "$OUT"
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .deps/include
cp -r /usr/include/nlohmann .deps/include/
cp -r /usr/include/CLI .deps/include/
du -sh .deps/include
