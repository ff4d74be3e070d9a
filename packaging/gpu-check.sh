#!/usr/bin/env bash
# The GPU check (issue 15.4) in one run, for a machine with an NVIDIA GPU and PyTorch but no
# Qt, OpenCV or DCMTK: builds the LibTorch-only targets against that PyTorch's LibTorch, checks
# the CUDA path against the CPU (`dermtool parity`), and prints dermtool beside PyTorch on the
# same card: batch-1 latency (eager and CUDA graph), batch-256 throughput (fp32, bf16
# channels-last, torch.compile), saliency latency and training images/s.
#
#   bash packaging/gpu-check.sh [OUT_DIR]            # on the GPU machine
#   DEVICE=cpu REPEATS=2 bash packaging/gpu-check.sh  # a quick dry run of the plumbing on a CPU
#
# Everything it needs travels in the repository; nlohmann/json and CLI11 come from the system
# or from .deps/include (packaging/prepare-gpu-check.sh copies Debian's there, git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-gpu-check}}"
python="${PYTHON:-python3}"
device="${DEVICE:-cuda}"
repeats="${REPEATS:-20}"
batch="${BATCH:-256}"
train_batch="${TRAIN_BATCH:-128}"
train_steps="${TRAIN_STEPS:-20}"
mkdir -p "$out"
log() { echo "gpu-check: $*" >&2; }

third_party=()
if [ -f .deps/include/nlohmann/json.hpp ]; then
  third_party=(-DDERMREADER_THIRD_PARTY_INCLUDE="$PWD/.deps/include")
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
log "building the LibTorch-only targets"
cmake -S . -B build-gpu "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DDERMREADER_TORCH_ONLY=ON \
  -DDERMREADER_BUILD_TESTS=OFF -DDERMREADER_TORCH_PYTHON="$(command -v "$python")" \
  "${third_party[@]}" > "$out/cmake.log"
cmake --build build-gpu -j "$(nproc)" --target dermtool > "$out/build.log"
dermtool=build-gpu/app/dermtool/dermtool

log "info and parity"
"$dermtool" info | tee "$out/info.json"
parity_ok=yes
if [ "$device" = cuda ]; then
  "$dermtool" parity --fresh | tee "$out/parity.json" || parity_ok=no
fi

log "inference: dermtool"
"$dermtool" bench --fresh --device "$device" --batch 1 --batch "$batch" --repeats "$repeats" --json \
  | tee "$out/dermtool-fp32.json"
bf16=()
[ "$device" = cuda ] && bf16=(--bf16)
"$dermtool" bench --fresh --device "$device" "${bf16[@]}" --batch "$batch" --repeats "$repeats" --json \
  | tee "$out/dermtool-bf16.json"
log "inference: PyTorch"
compile=()
[ "$device" = cuda ] && compile=(--compile)
"$python" tests/benchmarks/pytorch_inference.py --device "$device" --threads "$(nproc)" \
  --repeats "$repeats" --batch "$batch" "${compile[@]}" | tee "$out/pytorch-inference.json"

log "training: dermtool and PyTorch, batch $train_batch"
"$dermtool" pack --synthetic $((train_batch * (train_steps + 1))) --max-side 320 \
  --out "$out/synthetic.drpack" > /dev/null
rm -rf "$out/run"
"$dermtool" train --pack "$out/synthetic.drpack" --out "$out/run" --epochs 1 \
  --batch-size "$train_batch" --max-steps-per-epoch $((train_steps + 1)) --device "$device" \
  "${bf16[@]}" --progress json > "$out/dermtool-train.jsonl"
"$python" tests/benchmarks/train_rate.py "$train_batch" < "$out/dermtool-train.jsonl" \
  | tee "$out/dermtool-train.json"
channels_last=()
[ "$device" = cuda ] && channels_last=(--channels-last --bf16)
"$python" tests/benchmarks/pytorch_training.py --device "$device" --threads "$(nproc)" \
  --batch "$train_batch" --steps "$train_steps" "${channels_last[@]}" | tee "$out/pytorch-training.json"

"$python" - "$out" "$train_batch" "$batch" <<'PY' | tee "$out/table.md"
import json, sys, pathlib
out, batch, big = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
load = lambda name: json.loads((out / name).read_text())
info, ours, ours16, theirs = (load("info.json"), load("dermtool-fp32.json"),
                              load("dermtool-bf16.json"), load("pytorch-inference.json"))
train_ours = load("dermtool-train.json")["images_per_second"]
train_theirs = load("pytorch-training.json")["images_per_second"]
tput = lambda r, b: next((e["images_per_second"] for e in r["throughput"] if e["batch"] == b), None)
fmt = lambda v, unit: "-" if v is None else f"{v:,.1f} {unit}"
device = ", ".join(d["name"] for d in info["devices"]) or "CPU"
rows = [
    ("batch-1 latency, eager", ours.get("forward_batch1_eager_ms", ours["forward_batch1_ms"]),
     theirs["forward_batch1_ms"], "ms"),
    ("batch-1 latency, CUDA graph", ours.get("forward_batch1_ms") if "forward_batch1_eager_ms" in ours else None,
     theirs.get("forward_batch1_graph_ms"), "ms"),
    (f"batch-{big} fp32 channels-last", tput(ours, big), theirs.get("fp32_images_per_second"), "img/s"),
    (f"batch-{big} bf16 channels-last", tput(ours16, big),
     theirs.get("bf16_channels_last_images_per_second"), "img/s"),
    (f"batch-{big} torch.compile bf16 (PyTorch only)", None,
     theirs.get("compile_bf16_channels_last_images_per_second"), "img/s"),
    ("saliency (gradient, 299 px)", ours["saliency_gradient_299_ms"], theirs["saliency_gradient_ms"], "ms"),
    (f"training, batch {batch}", train_ours, train_theirs, "img/s"),
]
print(f"dermreader {info['version']}, LibTorch {info['torch_version']} (CUDA {info['cuda_version']}, "
      f"cuDNN {info['cudnn_version']}) vs PyTorch {theirs['torch']} on {device}\n")
print("| measure | dermtool | PyTorch | ratio |")
print("|---|---|---|---|")
for name, a, b, unit in rows:
    ratio = f"{a / b:.2f}" if a and b else "-"
    print(f"| {name} | {fmt(a, unit)} | {fmt(b, unit)} | {ratio} |")
if "compile_error" in theirs:
    print(f"\ntorch.compile failed: {theirs['compile_error']}")
PY
[ "$parity_ok" = yes ] || { log "PARITY FAILED: see $out/parity.json"; exit 1; }
log "done: $out/table.md"
