"""report.md for an evaluation: the numbers a reader needs, in the order they need them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facecompare.atomic import atomic_write_text
from facecompare.evaluation.result import EvaluationResult
from facecompare.evaluation.trained_faces import describe

TAR_PREFIX = "tar@far"  # summarise_scores's keys: tar@far1e-3 is the TAR at FAR 1e-3


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def write_report(path: Path, r: EvaluationResult) -> None:
    """``report.md`` from evaluate's result, one section after another; a section with nothing to say is left out."""
    sections = (_header, _leakage, _metrics, _baselines, _kfold, _calibration, _open_set, _groups, _quality, _figures)
    lines = [line for section in sections for line in section(r)]
    atomic_write_text(path, "\n".join(lines) + "\n")


def _header(r: EvaluationResult) -> list[str]:
    faces = f"Faces: {describe(r.faces)}" if r.faces else ""
    return [
        f"# Evaluation: {r.protocol}",
        "",
        f"Checkpoint: `{r.checkpoint}`  ",
        f"Flip TTA: {r.flip}  ",
        faces,
        "",
    ]


def _leakage(r: EvaluationResult) -> list[str]:
    leak = r.leakage
    if not leak["checked"]:
        return [f"> Identity leakage not checked: {leak['why']}.", ""]
    if "unseen_only" in leak:
        return [
            "> Only pairs of people the model never trained on are scored (unseen_only); pairs left out: "
            + ", ".join(f"{k}: {v}" for k, v in leak["unseen_only"].items())
            + ".",
            "",
        ]
    if any(leak["pairs_with_training_identities"].values()):
        return [
            "> **WARNING: identity leakage.** Pairs involving people the model trained on: "
            + ", ".join(f"{k}: {v}" for k, v in leak["pairs_with_training_identities"].items())
            + ". The numbers below overstate performance on new people.",
            "",
        ]
    return []


def _metrics(r: EvaluationResult) -> list[str]:
    t = r.test
    lines = [
        "| metric | value |",
        "|---|---|",
        f"| pairs evaluated | {r.pairs} ({t['genuine_pairs']} genuine, {t['impostor_pairs']} impostor) |",
        f"| pairs left out: no face in an image | {r.pairs_without_face} |",
        f"| images embedded / unique images | {r.embeddings} / {r.unique_images} |",
        f"| ROC AUC (95 % CI) | {t['auc']:.4f} ({t['auc_ci95'][0]:.4f}–{t['auc_ci95'][1]:.4f}) |"
        if "auc_ci95" in t
        else f"| ROC AUC | {t['auc']:.4f} |",
        f"| EER | {_pct(t['eer'])} |",
        f"| accuracy at the best threshold on these pairs (optimistic) | {_pct(t['acc_at_best'])} |",
    ]
    if "acc_at_threshold" in t:
        ci = f" (95 % CI {_pct(t['acc_ci95'][0])}–{_pct(t['acc_ci95'][1])})" if "acc_ci95" in t else ""
        # without a calibration set (folder pairs, View 2) the threshold is the one picked on validation in
        # training; the threshold calibrated on these pairs is checked by k-fold below instead
        which = "calibrated" if r.calibrated_apart else "training validation"
        lines.append(f"| accuracy at the {which} threshold {t['threshold']:.4f} | {_pct(t['acc_at_threshold'])}{ci} |")
    if r.acc_at_validation_threshold is not None:
        lines.append(f"| accuracy at the training validation threshold | {_pct(r.acc_at_validation_threshold)} |")
    for key in sorted(k for k in t if k.startswith(TAR_PREFIX)):
        far = key[len(TAR_PREFIX) :]
        # Below one impostor pair in 1/FAR the only FAR that can be met is zero false accepts
        few = float(far) * t["impostor_pairs"] < 1
        note = (
            f" (no false accept among {t['impostor_pairs']} impostor pairs: too few to measure this FAR)" if few else ""
        )
        lines.append(f"| TAR at FAR {far} | {_pct(t[key])}{note} |")
    if r.kfold:
        k = r.kfold
        lines.append(
            f"| {len(k['fold_accuracy'])}-fold accuracy, each fold at the threshold calibrated on the others "
            f"(mean ± std) | {_pct(k['mean'])} ± {_pct(k['std'])} |"
        )
    return lines


def _baselines(r: EvaluationResult) -> list[str]:
    # each row's accuracy the same way: at the threshold calibrated on the calibration pairs (View 1), or by the
    # k-fold calibration on these pairs (View 2, a folder), never one row at its best threshold and another not
    t = r.test
    if r.calibrated_apart or not r.kfold:
        column, model_acc, key = "accuracy at the calibrated threshold", t.get("acc_at_threshold"), "acc_at_threshold"
    else:
        column, model_acc, key = f"{len(r.kfold['fold_accuracy'])}-fold accuracy", r.kfold["mean"], "kfold_mean"
    lines = ["", "Baselines that need no training, on the same pairs:", "",
             f"| method | ROC AUC | EER | {column} |", "|---|---|---|---|",
             f"| **this model** | {t['auc']:.4f} | {_pct(t['eer'])} | {_pct_or_none(model_acc)} |"]  # fmt: skip
    for name, b in r.baselines.items():
        lines.append(f"| {name} | {b['auc']:.4f} | {_pct(b['eer'])} | {_pct_or_none(b.get(key))} |")
    return lines


def _pct_or_none(value: float | None) -> str:
    return "n/a" if value is None else _pct(value)


def _kfold(r: EvaluationResult) -> list[str]:
    return _kfold_section(r.kfold) if r.kfold else []


def _calibration(r: EvaluationResult) -> list[str]:
    c = r.calibration
    lines = ["", f"Threshold calibrated on `{c['on']}` by {c['method']}: {c['threshold']:.4f}."]
    if r.calibration_file:
        lines.append(f"Written to `{r.calibration_file}` for the verification tools.")
    return lines


def _open_set(r: EvaluationResult) -> list[str]:
    if not r.open_set:
        return []
    f = r.open_set
    lines = ["", (
        f"Open-set curve (for `facecompare identify --fpir`, which fits the threshold to a gallery's size): "
        f"per-comparison FAR from {f['far'][0]:.1e} to {f['far'][-1]:.1e}, on {f['impostor_pairs']:,} impostor "
        f"pairs among {f['images']:,} images of {f['people']:,} people of `{f['on']}` the model did not train on."
    )]  # fmt: skip
    if r.far_curve_file:
        lines.append(f"Written to `{r.far_curve_file}`; `scripts/export.py` puts it in the bundle.")
    return lines


def _groups(r: EvaluationResult) -> list[str]:
    if not r.groups:
        return []
    lines = ["", f"Per group, at the threshold {r.groups_threshold:.4f} (also in `groups.csv`):", "",
             "| group | people | genuine / impostor pairs | accuracy | FAR | FRR |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for g in r.groups:
        far, frr = (("–" if v is None else _pct(v)) for v in (g["far"], g["frr"]))
        pairs = f"{g['genuine_pairs']} / {g['impostor_pairs']}"
        lines.append(f"| {g['group']} | {g['people']} | {pairs} | {_pct(g['accuracy'])} | {far} | {frr} |")
    return lines


def _quality(r: EvaluationResult) -> list[str]:
    return _quality_section(r.quality, r.quality_file, r.branch_file) if r.quality else []


CAPTIONS = {
    "roc_det": "ROC and DET curves, model and baselines",
    "scores": "Genuine and impostor scores, with the threshold",
    "mistakes": "Worst false accepts and false rejects",
    "training": "The training run's loss and validation curves",
    "error_versus_reject": "FNMR as the lowest-quality pairs are rejected",
    "quality": "Face quality of the test images",
    "worst_quality": "The lowest-quality test crops",
}


def _figures(r: EvaluationResult) -> list[str]:
    figures = r.figures | (r.quality or {}).get("figures", {})
    return [line for name, file in figures.items() for line in ("", f"![{CAPTIONS.get(name, name)}]({file})")]


def _kfold_section(k: dict[str, Any]) -> list[str]:
    """Calibration on the evaluated people, fold by fold: what a threshold calibrated on some of one's own
    people does for the others."""
    left = f"; {k['pairs_across_folds']} pairs across two folds' people left out" if k["pairs_across_folds"] else ""
    lines = ["", f"Calibration on these people ({k['folds_from']}, by {k['method']}; {k['pairs']} pairs{left}):", "",
             "| fold | threshold (from the other folds) | accuracy | FAR | FRR |", "|---|---|---|---|---|"]  # fmt: skip
    rows = zip(k["fold_threshold"], k["fold_accuracy"], k["fold_far"], k["fold_frr"], strict=True)
    for i, (threshold, acc, far, frr) in enumerate(rows):
        lines.append(f"| {i} | {threshold:.4f} | {_pct(acc)} | {_pct(far)} | {_pct(frr)} |")
    lines.append(f"| mean ± std | | {_pct(k['mean'])} ± {_pct(k['std'])} | | |")
    return lines


def _quality_section(q: dict[str, Any], file: str | None, branch_file: str | None = None) -> list[str]:
    """Face quality: its distribution and what rejecting the lowest-quality pairs does to the errors."""
    curves = q["error_versus_reject"]
    fractions = curves["fractions"]
    shown = [i for i, f in enumerate(fractions) if f in (0.0, 0.1, 0.2, 0.3)]
    lines = ["", f"Face quality ({q['method']}, fitted on `{q['fitted_on']}`): mean {q['mean']:.3f} over "
             f"{q['images']} test images, {q['below_bar']} below the enrolment bar {q['refuse_below']:.2f}. "
             "FNMR at a threshold fixed on all pairs, as the pairs whose worse face has the lowest quality are "
             "rejected (random: the mean of 20 random rejections):", "",
             "| FAR | rejected by | " + " | ".join(f"{fractions[i]:.0%} rejected" for i in shown) + " |",
             "|---|---|" + "---|" * len(shown)]  # fmt: skip
    for far, by in curves["fnmr"].items():
        for name, fnmr in by.items():
            lines.append(f"| {far} | {name} | " + " | ".join(_pct(fnmr[i]) for i in shown) + " |")
    if file:
        lines += ["", f"The quality model is written to `{file}`; `scripts/export.py` puts it in the bundle."]
    if branch_file:
        lines += ["", f"The trained quality branch, put on the same scale, is written to `{branch_file}`: the bundle's "
                  "`learned` quality (`facecompare verify --quality learned`)."]  # fmt: skip
    return lines
