#!/usr/bin/env bash
# Renders screenshots of the workstation (without and with the saliency overlay) under Xvfb.
#   packaging/screenshots.sh [OUTPUT_DIR] [IMAGE_FOLDER] [--model BUNDLE] [--select ROW]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-screenshots}"; shift || true
folder="${1:-resources/samples}"; shift || true
mkdir -p "$out"
XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" xvfb-run -a -s "-screen 0 1400x900x24" \
  build/app/dermreader/dermreader "$folder" --screenshots "$out" "$@"
ls -1 "$out"
# The reader-study results view (a synthetic study built by the GUI test) for review.
if [ -x build/tests/ui/tst_reader_study_ui ]; then
  DERMREADER_SCREENSHOT_DIR="$out" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" \
    xvfb-run -a -s "-screen 0 1400x900x24" build/tests/ui/tst_reader_study_ui \
    resultsViewDrawsTheComparison > /dev/null
  ls -1 "$out/study-results.png"
fi
# The admin panel's model comparison and embedding map (after a tiny training run).
if [ -x build/tests/ui/tst_admin_panel ]; then
  DERMREADER_SCREENSHOT_DIR="$out" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" \
    xvfb-run -a -s "-screen 0 1400x900x24" build/tests/ui/tst_admin_panel > /dev/null
  ls -1 "$out/admin-compare-and-map.png"
fi
