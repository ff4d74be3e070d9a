#!/usr/bin/env bash
# Fails (naming the files) when a tracked C++ file is not formatted as .clang-format says.
#   packaging/check-format.sh          check
#   packaging/check-format.sh --fix    format in place
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.h')
if [ "${1:-}" = "--fix" ]; then
    clang-format -i "${files[@]}"
    exit 0
fi
unformatted=()
for f in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        unformatted+=("$f")
    fi
done
if [ "${#unformatted[@]}" -gt 0 ]; then
    echo "not formatted (run packaging/check-format.sh --fix):" >&2
    printf '  %s\n' "${unformatted[@]}" >&2
    exit 1
fi
echo "${#files[@]} files formatted"
