#!/usr/bin/env bash
# Runs every fuzz target for as long as asked (the CTest `fuzz` label runs a fixed number of
# inputs each). Inputs that crash or hang are saved under OUTPUT_DIR.
#   packaging/fuzz.sh [SECONDS_PER_TARGET] [SEED] [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"; seed="${2:-$RANDOM}"; out="${3:-fuzz-failures}"
status=0
for target in build/tests/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  "$target" --seconds "$seconds" --seed "$seed" --save-crash "$out" 2>/dev/null || status=1
done
exit $status
