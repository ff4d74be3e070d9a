#!/usr/bin/env bash
# The code that takes untrusted bytes without LibTorch — image and DICOM loading, safetensors,
# model manifests, dataset CSV rows (the fuzz targets), the records database and the DICOM
# networking against Orthanc — built with AddressSanitizer and UndefinedBehaviorSanitizer and
# run: an out-of-bounds read, a use-after-free, a leak or undefined behaviour that does not
# crash a normal build fails here. packaging/run-tests.sh calls it after the test suite
# (DERMREADER_SKIP_SANITIZERS=1 skips it); about 6 minutes on 2 cores. LibTorch is not
# instrumented, so what links it stays out.
#
#   bash packaging/sanitizer-tests.sh [FUZZ_ITERATIONS]   # default 50000 inputs per fuzz target
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"
iterations="${1:-50000}"
build=build-sanitize
fuzzers=(fuzz_image_loader fuzz_dataset_csv fuzz_safetensors fuzz_model_manifest)
tests=(tst_taxonomy tst_inference tst_database tst_image_library tst_lesions tst_accounts
       tst_model_registry tst_received_instances tst_pacs_client)
flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

echo "sanitizers: building ${#fuzzers[@]} fuzz targets and ${#tests[@]} tests in $build" >&2
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$jobs" --target "${fuzzers[@]}" "${tests[@]}"

export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export QT_QPA_PLATFORM=offscreen
regex="^($(IFS='|'; echo "${tests[*]}"))\$"
ctest --test-dir "$build" --output-on-failure -j "$jobs" -R "$regex"
for fuzzer in "${fuzzers[@]}"; do
  echo "sanitizers: $fuzzer, $iterations inputs" >&2
  "$build/tests/fuzz/$fuzzer" --iterations "$iterations" --save-crash "$build/fuzz-failures"
done
echo "sanitizers: clean" >&2
