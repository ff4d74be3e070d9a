#!/usr/bin/env bash
# Installs every Debian package dermreader needs to build, test and run.
# Idempotent and non-interactive; runs as root or through sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git clang-format
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev qt6-qpa-plugins
  libgl-dev libvulkan-dev
  libtorch-dev
  libopencv-dev libjpeg-dev
  libdcmtk-dev
  libsqlite3-dev libsodium-dev
  nlohmann-json3-dev libcli11-dev
  python3-torch python3-torchvision python3-numpy
  xvfb xauth fonts-dejavu-core
  dpkg-dev fakeroot file desktop-file-utils
  poppler-utils
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
