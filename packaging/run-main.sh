#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds, and starts the workstation on the
# embedded sample images with the embedded default model. Without a display (no $DISPLAY or
# $WAYLAND_DISPLAY) it renders the workstation under Xvfb into ./screenshots instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup-debian.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec build/app/dermreader/dermreader "$@"
fi
echo "no display: rendering the workstation under Xvfb into ./screenshots"
bash packaging/screenshots.sh screenshots resources/samples "$@"
