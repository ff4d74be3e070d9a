#!/usr/bin/env bash
# Screenshots for review, under Xvfb at full HD: the workstation on the samples (screenshots.sh),
# then what the GUI tests draw with DERMREADER_SCREENSHOT_DIR set: the DICOM banner and scale
# bar, the side-by-side comparison, the model card, the shortcut sheet, the case report (PDF,
# rendered to PNG), the reading screen (confidence unset, end screen), the coordinator's forms
# and warnings, the reader-study results, and the admin panel (training charts, model
# comparison, embedding map), the PACS query/retrieve dialog (needs Orthanc) and the lesion
# follow-up with two registered visits. Needs a build with tests.
#   packaging/review-screenshots.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(realpath -m "${1:-screenshots}")"
mkdir -p "$out"
bash packaging/screenshots.sh "$out" resources/samples --select 2
run_gui_test() {
  [ -x "build/tests/ui/$1" ] || return 0
  DERMREADER_SCREENSHOT_DIR="$out" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}" \
    xvfb-run -a -s "-screen 0 1920x1080x24" "build/tests/ui/$1" > /dev/null
}
run_gui_test tst_workstation
run_gui_test tst_reader_study_ui
run_gui_test tst_admin_panel
run_gui_test tst_pacs_ui
run_gui_test tst_follow_up_ui
if [ -f "$out/case-report.pdf" ] && command -v pdftoppm > /dev/null; then
  pdftoppm -png -r 80 -singlefile "$out/case-report.pdf" "$out/case-report"
fi
ls -1 "$out"
