#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds, and runs the main job.
# Until the workstation GUI exists, the main job is the taxonomy and its partition of the
# shared training data (skipped with a message when ../shared/data is absent).
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup-debian.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
dermtool=build/app/dermtool/dermtool
"$dermtool" taxonomy info
"$dermtool" taxonomy show --depth 1
if "$dermtool" taxonomy partition --max-class-size 1000; then :; else
  echo "(no labelled data found for the partition; see README)"
fi
