#!/usr/bin/env bash
# Installs everything dermreader needs to build, test and run on Debian 12:
#  - Debian's packages (Qt, OpenCV, DCMTK, SQLite, libsodium, ...; Orthanc and openssl for the
#    PACS tests, which start their own Orthanc on loopback ports: the packaged service is left
#    as Debian installs it);
#  - LibTorch: the one inside PyTorch's wheel from Python's package index (pinned, CUDA-enabled,
#    the same family as the GPU machines the project is checked on), in a virtual environment
#    that CMake finds through torch's own cmake prefix (cmake/FindTorchWheel.cmake).
# Idempotent and non-interactive; runs as root or through sudo.
set -euo pipefail

# The pinned PyTorch. Its CUDA major version must match the toolkit's (nvcc), when one is installed.
TORCH_VERSION="2.11.0"
TORCHVISION_VERSION="0.26.0"
TORCH_CUDA_MAJOR="13"
VENV="${DERMREADER_TORCH_VENV:-/opt/dermreader/torch-venv}"

PACKAGES=(
  build-essential cmake ninja-build pkg-config git clang-format
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev qt6-qpa-plugins
  libgl-dev libvulkan-dev
  libopencv-dev libjpeg-dev
  libdcmtk-dev
  libsqlite3-dev libsodium-dev
  nlohmann-json3-dev libcli11-dev
  libgloo-dev
  python3 python3-venv
  xvfb xauth fonts-dejavu-core
  dpkg-dev fakeroot file desktop-file-utils
  poppler-utils
  orthanc openssl
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} Debian packages already installed"
else
  echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- LibTorch from PyTorch's wheel ---
if command -v nvcc >/dev/null; then
  toolkit_major="$(nvcc --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p')"
  if [ -n "$toolkit_major" ] && [ "$toolkit_major" != "$TORCH_CUDA_MAJOR" ]; then
    echo "setup: warning: CUDA toolkit $toolkit_major differs from PyTorch $TORCH_VERSION's" \
         "CUDA $TORCH_CUDA_MAJOR; the CUDA targets may not build" >&2
  fi
fi

installed_version() {
  "$VENV/bin/python" -c 'import torch, torchvision
print(torch.__version__.split("+")[0], torchvision.__version__.split("+")[0])' 2>/dev/null || true
}
if [ "$(installed_version)" = "$TORCH_VERSION $TORCHVISION_VERSION" ]; then
  echo "setup: PyTorch $TORCH_VERSION already in $VENV"
else
  echo "setup: installing PyTorch $TORCH_VERSION (CUDA $TORCH_CUDA_MAJOR) into $VENV"
  $SUDO mkdir -p "$(dirname "$VENV")"
  $SUDO /usr/bin/python3 -m venv "$VENV"
  $SUDO "$VENV/bin/pip" install --quiet --disable-pip-version-check --progress-bar off \
    "torch==$TORCH_VERSION" "torchvision==$TORCHVISION_VERSION" numpy
fi
echo "setup: LibTorch $("$VENV/bin/python" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)')" \
     "at $("$VENV/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')"
