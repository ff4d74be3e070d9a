#!/usr/bin/env bash
# Screenshots for review, under Xvfb: the workstation (screenshots.sh), the reader-study results
# view of a synthetic study, and the admin panel's model comparison and embedding map after a
# tiny training run (both drawn by their GUI tests). Needs a build with tests.
#   packaging/review-screenshots.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-screenshots}"
bash packaging/screenshots.sh "$out" resources/samples --select 2
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
