#!/usr/bin/env bash
# Compares `dermtool bench` with PyTorch eager (torchvision's inception_v3) on this machine,
# same LibTorch, same thread count, in one run. Prints both and the ratios (ours / PyTorch;
# below 1 means dermtool is faster).
#   tests/benchmarks/compare_inference.sh [BUILD_DIR] [THREADS] [REPEATS]
set -euo pipefail
build="${1:-build}" threads="${2:-$(nproc)}" repeats="${3:-7}"
here="$(cd "$(dirname "$0")" && pwd)"
ours="$("$build/app/dermtool/dermtool" bench --fresh --device cpu --threads "$threads" --repeats "$repeats" --batch 1 --json)"
python="${DERMREADER_TORCH_PYTHON:-/opt/dermreader/torch-venv/bin/python}"
theirs="$("$python" "$here/pytorch_inference.py" --threads "$threads" --repeats "$repeats")"
echo "dermtool: $ours"
echo "pytorch:  $theirs"
"$python" - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
# PyTorch's script works on a 299 x 299 input; dermtool's saliency_gradient_ms is for a
# 1024 x 768 image (gradient through the resize, map at full resolution), so compare the 299 one.
for ours_key, their_key in (("forward_batch1_ms", "forward_batch1_ms"),
                            ("saliency_gradient_299_ms", "saliency_gradient_ms")):
    a, b = ours[ours_key], theirs[their_key]
    print(f"{ours_key}: dermtool {a:.1f} ms, pytorch {b:.1f} ms, ratio {a / b:.2f}")
print(f"saliency at 1024x768 (dermtool only): {ours['saliency_gradient_ms']:.1f} ms")
PY
