#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/setup-debian.sh
jobs="$(nproc)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDERMREADER_WERROR=ON
cmake --build build -j "$jobs"
# The PACS tests (ctest -L pacs) fail rather than skip when Orthanc is missing here.
export DERMREADER_REQUIRE_ORTHANC=1
ctest --test-dir build --output-on-failure -j "$jobs" "$@"
# The parsers, records and DICOM networking again under ASan/UBSan (a subset run skips it).
if [ $# -eq 0 ] && [ "${DERMREADER_SKIP_SANITIZERS:-0}" != 1 ]; then
  bash packaging/sanitizer-tests.sh
fi
