#!/usr/bin/env bash
# The README's recipe comparison: equal-budget short runs from scratch and from an ImageNet init,
# each validated by the trainer (hold-out fold + the pack's validation images) and on ISIC 2017
# validation alone.
#   packaging/tools/compare_init_recipes.sh DERMTOOL PACK INIT_BUNDLE OUT_DIR [STEPS]
set -euo pipefail
dermtool=$1 pack=$2 init=$3 out=$4 steps=${5:-50}
common=(--pack "$pack" --epochs 1 --max-steps-per-epoch "$steps" --batch-size 32 --input-size 299
        --holdout-fold 0 --folds 9 --seed 1 --progress json --warmup-steps 10)
fromInit=(--init "$init" --batchnorm-images 640)
arm() {
    local name=$1
    shift
    "$dermtool" train "${common[@]}" "$@" --out "$out/$name" > "$out/$name.log"
    echo "== $name"
    python3 - "$out/$name.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    event = json.loads(line)
    if event.get("event") == "epoch":
        for b in event["validation"]["binary"]:
            low, high = b["auc_ci95"]
            print(f"  trainer validation, {b['task']}: AUC {b['auc']:.3f} ({low:.3f}-{high:.3f})")
PY
    "$dermtool" evaluate --model "$out/$name/model-last" \
        --data isic2017="$(dirname "$0")/../../../shared/data/isic2017/validation" 2>/dev/null |
        sed -n 's/^melanocytic/  ISIC 2017 validation, melanocytic/p'
}
mkdir -p "$out"
arm frozen-through-Mixed_6a "${fromInit[@]}" --freeze-through Mixed_6a
arm frozen-through-Mixed_6e "${fromInit[@]}" --freeze-through Mixed_6e
arm every-layer "${fromInit[@]}"
arm scratch
