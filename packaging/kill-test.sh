#!/usr/bin/env bash
# The reader-study kill test, ROUNDS times per mode (the plain session and the reading window):
# each round SIGKILLs a reader's process after a random number of acknowledged decisions and
# counts the acknowledged ones missing from the database. Needs a build with tests.
#   packaging/kill-test.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-100}"
DERMREADER_KILL_ROUNDS="$rounds" QT_QPA_PLATFORM=offscreen \
  build/tests/ui/tst_reader_study killedReaderLosesNoAcknowledgedDecision 2>&1 |
  grep -E "kill test|FAIL|Totals"
