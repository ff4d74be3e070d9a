#!/usr/bin/env python3
"""Writes MODEL_CARD.md for a model bundle from its manifest (training record, metrics and
calibration), plus subgroup AUCs from the held-out predictions `dermtool calibrate --report` writes.

    python3 packaging/tools/model_card.py resources/models/default [--note "free text"] \
        [--predictions REPORT/predictions.csv] [--pad-metadata ../shared/data/pad-ufes20/metadata.csv]

Reliability diagrams (reliability_*.png) found in the bundle are linked from the card.
"""
import argparse
import csv
import json
import os
import random


SET_NAMES = {"holdout": "hold-out group fold", "validation": "separate validation set"}

# Recipe keys whose 0 means "not used".
OPTIONAL_STEPS = ("batchnorm_images", "warmup_steps", "max_steps_per_epoch")


def auc(positives, negatives):
    """Mann-Whitney AUC: P(score of a positive > score of a negative), ties counted half."""
    if not positives or not negatives:
        return None
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid = (i + j + 1) / 2.0  # average 1-based rank of the tie group
        rank_sum += mid * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    n1, n0 = len(positives), len(negatives)
    return (rank_sum - n1 * (n1 + 1) / 2.0) / (n1 * n0)


def bootstrap_ci(positives, negatives, rounds=1000, seed=1):
    """95 % percentile interval, resampling positives and negatives separately."""
    rng = random.Random(seed)
    values = sorted(auc([rng.choice(positives) for _ in positives],
                        [rng.choice(negatives) for _ in negatives]) for _ in range(rounds))
    return values[int(0.025 * rounds)], values[int(0.975 * rounds) - 1]


def fitzpatrick_by_image(metadata_csv):
    """PAD-UFES-20 image id (file stem) -> Fitzpatrick type ('I'..'VI'); the column is spelt
    'fitspatrick' and holds 1.0..6.0 or nothing."""
    roman = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}
    out = {}
    with open(metadata_csv, newline="") as f:
        for row in csv.DictReader(f):
            value = (row.get("fitspatrick") or "").strip()
            if value:
                out[os.path.splitext(row["img_id"])[0]] = roman.get(int(float(value)), value)
    return out


def dataset_of(source):
    """The dataset an image came from, by the shared data's folder names (the CSV's `source` is
    the image's file)."""
    lowered = source.lower()
    for folder, name in (("ham10000", "HAM10000"), ("isic2017", "ISIC 2017"), ("pad-ufes", "PAD-UFES-20")):
        if folder in lowered:
            return name
    return os.path.basename(os.path.dirname(source)) or "unknown"


def subgroup_lines(predictions_csv, pad_metadata):
    rows = []
    with open(predictions_csv, newline="") as f:
        for row in csv.DictReader(f):
            if row["truth"] in ("malignant", "benign"):
                rows.append(row)
    fitz = fitzpatrick_by_image(pad_metadata) if pad_metadata else {}
    groups = {}

    def add(key, row):
        groups.setdefault(key, []).append(row)

    for row in rows:
        add(("all held-out images", SET_NAMES.get(row["set"], row["set"])), row)
        add(("modality", row["modality"]), row)
        dataset = dataset_of(row["source"])
        add(("source dataset", dataset), row)
        stem = os.path.splitext(os.path.basename(row["image_id"]))[0]
        if dataset == "PAD-UFES-20" and stem in fitz:
            add(("Fitzpatrick type (PAD-UFES-20)", fitz[stem]), row)
        elif dataset == "PAD-UFES-20":
            add(("Fitzpatrick type (PAD-UFES-20)", "not recorded"), row)
    lines = ["## AUC by subgroup", "",
             "Malignant vs benign (every neoplastic label; P(malignant) summed up the taxonomy, after "
             "calibration, which does not change a ranking) on the images the model never trained on: "
             "the hold-out group fold and the separate validation set. 95 % CI: 1000 bootstrap "
             "resamples of each class. Subgroups with fewer than 5 images of either class get no AUC.", "",
             "| grouping | subgroup | images | malignant | benign | AUC (95 % CI) |", "|---|---|---|---|---|---|"]
    for (grouping, name) in sorted(groups, key=lambda k: (k[0] != "all held-out images", k[0], k[1])):
        members = groups[(grouping, name)]
        pos = [float(r["p_malignant"]) for r in members if r["truth"] == "malignant"]
        neg = [float(r["p_malignant"]) for r in members if r["truth"] == "benign"]
        if len(pos) >= 5 and len(neg) >= 5:
            lo, hi = bootstrap_ci(pos, neg)
            cell = f"{auc(pos, neg):.3f} ({lo:.3f}-{hi:.3f})"
        else:
            cell = "— (too few)"
        lines.append(f"| {grouping} | {name} | {len(members)} | {len(pos)} | {len(neg)} | {cell} |")
    return lines + [""]


def calibration_lines(m, bundle):
    c = m.get("calibration")
    if not c:
        return ["## Calibration", "", "Not calibrated (temperature 1).", ""]
    lines = ["## Calibration", "",
             f"- Method: {c.get('method')}, fitted on {c.get('fitted_on')} by minimising the "
             f"{c.get('objective')}; temperature {c.get('temperature', 1):.3f}.",
             "- Expected calibration error (10 equal-width bins of P(malignant)) and log-loss, before -> after:"]
    for key, label in (("fit", "fit set"), ("check", "check set (the pack's validation images, not fitted on)")):
        if key in c:
            b, a = c[key]["before"], c[key]["after"]
            lines.append(f"  - {label}, {b['images']} images: ECE {b['ece']:.3f} -> {a['ece']:.3f}, "
                         f"log-loss {b['log_loss']:.3f} -> {a['log_loss']:.3f}, Brier {b['brier']:.3f} -> "
                         f"{a['brier']:.3f}")
    lines.append("")
    for key in ("fit", "check"):
        png = f"reliability_{key}.png"
        if os.path.exists(os.path.join(bundle, png)):
            lines += [f"![Reliability diagram, {key} set]({png})", ""]
    return lines


def pct(x):
    return "—" if x is None else f"{100 * x:.1f} %"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle")
    parser.add_argument("--note", default="")
    parser.add_argument("--predictions", help="predictions.csv from dermtool calibrate --report")
    parser.add_argument("--pad-metadata", help="PAD-UFES-20 metadata.csv, for Fitzpatrick subgroups")
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
    init = t.get("init")
    lines += ["", "## Initialisation", ""]
    if init:
        lines.append(f"- {init.get('provenance', 'imported weights')} (checkpoint `{init.get('checkpoint', '?')}`, "
                     f"Keras {init.get('keras_version', '?')}, imported by `dermtool import-weights --from "
                     f"{init.get('source', '?')}`).")
    else:
        lines.append("- From scratch (random initialisation)." if not t.get("init_bundle") else
                     f"- From the bundle `{t.get('init_bundle')}`.")
    lines += ["", "## Recipe", ""]
    for key in ("input_size", "epochs", "epochs_done", "batch_size", "learning_rate", "learning_rate_decay_epochs",
                "learning_rate_decay_factor", "rmsprop_decay", "momentum", "epsilon", "aux_loss_weight", "augment",
                "seed", "init_bundle", "freeze_through", "batchnorm_images", "warmup_steps",
                "max_steps_per_epoch"):
        if key in t:
            unset = t[key] == "" or (t[key] == 0 and key in OPTIONAL_STEPS)
            empty = "(none: from scratch)" if key == "init_bundle" else "(none)"
            lines.append(f"- {key.replace('_', ' ')}: {empty if unset else t[key]}")
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
    lines += [""] + calibration_lines(m, args.bundle)
    if args.predictions:
        lines += subgroup_lines(args.predictions, args.pad_metadata)
    lines += ["## History", "", "| epoch | train loss | validation loss | AUC melanocytic | AUC epidermal |",
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
