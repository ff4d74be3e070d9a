#!/usr/bin/env bash
# The records layer links neither LibTorch nor Qt Widgets (nor any Qt): fails naming the
# binary and the library when one of its test programs does.
set -euo pipefail
status=0
for binary in "$@"; do
    libraries=$(ldd "$binary")
    for forbidden in libtorch libc10 libQt6Widgets; do
        if grep -q "$forbidden" <<<"$libraries"; then
            echo "$binary links $forbidden:" >&2
            grep "$forbidden" <<<"$libraries" >&2
            status=1
        fi
    done
done
[ "$status" -eq 0 ] && echo "checked $#: no LibTorch, no Qt Widgets"
exit "$status"
