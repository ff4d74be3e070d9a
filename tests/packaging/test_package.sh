#!/usr/bin/env bash
# Builds the Debian package, installs it into a temporary root (dpkg-deb -x: no root rights
# needed) and checks the installed programs: they find the samples and the default model
# relative to their own location, `dermtool predict` works on an installed sample, and the
# workstation starts from the shell. Also checks the package's metadata and menu entry.
#   test_package.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/package" > "$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
deb="$(ls "$work"/package/dermreader_*.deb)"
echo "package: $(basename "$deb") ($(du -h "$deb" | cut -f1))"

info="$(dpkg-deb --info "$deb")"
grep -q "^ Package: dermreader" <<<"$info" || fail "package name"
depends="$(grep "^ Depends:" <<<"$info")"
for lib in libqt6widgets6 libopencv libdcmtk libsqlite3 libsodium qt6-qpa-plugins; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done

root="$work/root"
dpkg-deb -x "$deb" "$root"
for f in usr/bin/dermtool usr/bin/dermreader usr/share/applications/dermreader.desktop \
         usr/share/icons/hicolor/scalable/apps/dermreader.svg \
         usr/share/dermreader/taxonomy/dermreader-taxonomy.json \
         usr/share/dermreader/models/default/manifest.json; do
  [ -e "$root/$f" ] || fail "missing $f"
done
if command -v desktop-file-validate > /dev/null; then
  desktop-file-validate "$root/usr/share/applications/dermreader.desktop"
fi
grep -q "^Exec=dermreader" "$root/usr/share/applications/dermreader.desktop" || fail "Exec line"

# LibTorch (PyTorch's wheel, no Debian package) travels in the package and the installed
# programs load it from there, not from the build machine's environment.
bundle="$(dirname "$(find "$root/usr/lib" -name libtorch_cpu.so | head -1)")"
[ -n "$bundle" ] && [ -e "$bundle/libtorch_cuda.so" ] && [ -e "$bundle/libcudnn.so.9" ] ||
  fail "LibTorch is not bundled"
echo "bundled LibTorch: $bundle ($(du -sh "$bundle" | cut -f1))"
torch_used="$(ldd "$root/usr/bin/dermtool" | sed -n 's/.*libtorch_cpu.so => \(.*\) (.*/\1/p')"
[ "$(readlink -f "$torch_used")" = "$(readlink -f "$bundle/libtorch_cpu.so")" ] ||
  fail "dermtool loads another LibTorch: $torch_used"
ldd "$root/usr/bin/dermtool" | grep -v "libcuda.so" | grep -q "not found" &&
  fail "unresolved libraries: $(ldd "$root/usr/bin/dermtool" | grep "not found")"
info="$("$root/usr/bin/dermtool" info)"
grep -q '"cuda_compiled":true' <<<"$info" || fail "installed dermtool info: $info"

# Resources are found relative to the installed binary, not in the source tree.
resources="$("$root/usr/bin/dermtool" resources)"
grep -q "\"default_model\":\"$root/usr/share/dermreader/models/default\"" <<<"$resources" ||
  fail "installed dermtool does not use its own resources: $resources"

sample="$(ls "$root"/usr/share/dermreader/samples/*.jpg | head -1)"
out="$("$root/usr/bin/dermtool" predict "$sample")"
grep -q '"malignant":' <<<"$out" || fail "predict printed: $out"
grep -q "\"image\":\"$sample\"" <<<"$out" || fail "predict names another image: $out"
echo "installed dermtool predict: ok"

# The workstation from the shell: opens the installed samples with the installed model and
# renders its window (offscreen), with its own settings and database in the temporary root.
XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_RUNTIME_DIR="$work" \
  QT_QPA_PLATFORM=offscreen timeout 120 "$root/usr/bin/dermreader" --screenshots "$work/shots" \
  > "$work/app.log" 2>&1 || { cat "$work/app.log"; fail "installed dermreader did not run"; }
[ -s "$work/shots/main-window-overlay.png" ] || fail "no screenshot from the installed app"
[ -s "$work/data/dermreader/dermreader/workstation.sqlite" ] || fail "no workstation database"
echo "installed dermreader: ok"
