#!/usr/bin/env bash
# Training throughput: `dermtool train` (real data pipeline: packed images, augmentation) against
# PyTorch eager on random tensors, same batch, input size, optimiser and precision, one run.
#   tests/benchmarks/compare_training.sh [BUILD_DIR] [BATCH] [SIZE] [STEPS] [THREADS]
set -euo pipefail
build="${1:-build}" batch="${2:-32}" size="${3:-299}" steps="${4:-5}" threads="${5:-$(nproc)}"
here="$(cd "$(dirname "$0")" && pwd)"
dermtool="$build/app/dermtool/dermtool"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
data="${DERMREADER_DATA:-$here/../../../shared/data}"
"$dermtool" pack --dataset "isic2017=$data/isic2017/validation" --out "$work/bench.drpack" >/dev/null 2>&1
# steps+1 steps; the first is a warm-up, as in the PyTorch script.
ours="$("$dermtool" train --pack "$work/bench.drpack" --out "$work/run" --epochs 1 --batch-size "$batch" \
        --input-size "$size" --max-steps-per-epoch "$((steps + 1))" --threads "$threads" --device cpu \
        --progress json 2>/dev/null | python3 "$here/train_rate.py" "$batch")"
python="${DERMREADER_TORCH_PYTHON:-/opt/dermreader/torch-venv/bin/python}"
theirs="$("$python" "$here/pytorch_training.py" --threads "$threads" --batch "$batch" --size "$size" --steps "$steps")"
echo "dermtool: $ours"
echo "pytorch:  $theirs"
"$python" -c "
import json, sys
a, b = json.loads('$ours'), json.loads('$theirs')
print(f'training images/s: dermtool {a[\"images_per_second\"]:.2f}, pytorch {b[\"images_per_second\"]:.2f}, ratio {a[\"images_per_second\"] / b[\"images_per_second\"]:.2f}')
"
