#!/usr/bin/env bash
# Renders screenshots of the workstation (without and with the saliency overlay) under Xvfb.
#   packaging/screenshots.sh [OUTPUT_DIR] [IMAGE_FOLDER] [--model BUNDLE] [--select ROW]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-screenshots}"; shift || true
folder="${1:-resources/samples}"; shift || true
mkdir -p "$out"
# A fresh configuration: the window opens as on a first run (maximised), whatever was saved.
XDG_CONFIG_HOME="$(mktemp -d)" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" xvfb-run -a -s "-screen 0 1920x1080x24" \
  build/app/dermreader/dermreader "$folder" --screenshots "$out" "$@"
ls -1 "$out"
