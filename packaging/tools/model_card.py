#!/usr/bin/env python3
"""Writes MODEL_CARD.md for a model bundle from its manifest (training record and metrics).

    python3 packaging/tools/model_card.py resources/models/default [--note "free text"]
"""
import argparse
import json
import os


def pct(x):
    return "—" if x is None else f"{100 * x:.1f} %"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    with open(os.path.join(args.bundle, "manifest.json")) as f:
        m = json.load(f)
    t, metrics = m.get("training", {}), m.get("metrics", {})
    lines = [f"# Model card: {m['name']}", "",
             "Inception v3 trained with dermreader's training module (`dermtool train`), following "
             "Esteva et al. 2017 (Nature 542:115). Decision support for research use; not a medical device.", ""]
    if args.note:
        lines += [args.note, ""]
    lines += ["## Data", "",
              f"- Training images: {t.get('train_images')} (pack `{t.get('pack')}`), validation images: "
              f"{t.get('validation_images')}.",
              f"- Training classes ({len(m['classes'])}, partition with maxClassSize {t.get('max_class_size')}):"]
    for c in m["classes"]:
        lines.append(f"  - `{c['node']}`{' (residual)' if c.get('residual') else ''}: {c.get('images', '?')} images")
    lines += ["", "## Recipe", ""]
    for key in ("input_size", "epochs", "epochs_done", "batch_size", "learning_rate", "learning_rate_decay_epochs",
                "learning_rate_decay_factor", "rmsprop_decay", "momentum", "epsilon", "aux_loss_weight", "augment",
                "seed", "init_bundle"):
        if key in t:
            lines.append(f"- {key.replace('_', ' ')}: {t[key] if t[key] != '' else '(none: from scratch)'}")
    lines += ["", "## Hardware and time", "",
              f"- Device: {t.get('device')}", f"- Training time: {t.get('seconds', 0) / 60:.0f} minutes", "",
              f"Created {m.get('created')}; taxonomy {m['taxonomy']['version']} ({m['taxonomy']['digest']}).", "",
              "## Validation metrics (best epoch)", ""]
    if metrics:
        lines.append(f"- Images: {metrics.get('images')}, loss {metrics.get('loss'):.3f}" if metrics.get("loss") is not None
                     else f"- Images: {metrics.get('images')}")
        for level, name in (("first_level", "3-way"), ("second_level", "9-way")):
            lv = metrics.get(level, {})
            lines.append(f"- Mean per-class accuracy, {name}: {pct(lv.get('mean_class_accuracy'))} over "
                         f"{lv.get('images')} images")
        for b in metrics.get("binary", []):
            task = "melanoma vs nevus" if b["task"] == "melanocytic" else "carcinoma vs seborrheic keratosis"
            lo, hi = b["auc_ci95"]
            lines.append(f"- {task}: AUC {b['auc']:.3f} (95% CI {lo:.3f}-{hi:.3f}; {b['positives']} malignant, "
                         f"{b['negatives']} benign); sensitivity {pct(b['sensitivity_at_90_specificity'])} at 90% "
                         f"specificity, {pct(b['sensitivity_at_95_specificity'])} at 95%")
    lines += ["", "## History", "", "| epoch | train loss | validation loss | AUC melanocytic | AUC epidermal |",
              "|---|---|---|---|---|"]
    for h in t.get("history", []):
        def f(k):
            return f"{h[k]:.3f}" if isinstance(h.get(k), (int, float)) else "—"
        lines.append(f"| {h['epoch']} | {f('train_loss')} | {f('validation_loss')} | {f('auc_melanocytic')} | "
                     f"{f('auc_epidermal')} |")
    with open(os.path.join(args.bundle, "MODEL_CARD.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", os.path.join(args.bundle, "MODEL_CARD.md"))


if __name__ == "__main__":
    main()
