"""``evaluate(cfg)``: score a checkpoint on LFW (View 1 or 2) or a folder of people; scripts/evaluate.py."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, open_dict

from facecompare.allocator import retain_freed_memory
from facecompare.atomic import atomic_write_text
from facecompare.checkpoint import load_embedder
from facecompare.data.sources.base import FaceSource
from facecompare.data.sources.pair_sets import EvalSet
from facecompare.errors import ConfigError
from facecompare.evaluation.baselines import EigenfaceBaseline, PixelBaseline, cosine_score
from facecompare.evaluation.dlib_baseline import CROP_SIZE, DlibBaseline, load_face_recognition
from facecompare.evaluation.embedding import embed_images, pair_scores
from facecompare.evaluation.far_curve import FAR_CURVE_SUFFIX, far_curve, impostor_scores, subset
from facecompare.evaluation.figure_writer import write_figures
from facecompare.evaluation.folder_pairs import folder_pairs
from facecompare.evaluation.groups import group_breakdown, read_groups, write_group_csv
from facecompare.evaluation.kfold import check_disjoint, identity_folds, kfold_accuracy, usable_folds, within_folds
from facecompare.evaluation.protocol import embed_pairs, score_embedded, score_set, summarise_scores
from facecompare.evaluation.quality_eval import (
    BRANCH_SUFFIX,
    QUALITY_SUFFIX,
    fit_branch,
    fit_learned,
    fit_quality,
    quality_report,
)
from facecompare.evaluation.report import write_report
from facecompare.evaluation.resampling import accuracy_at
from facecompare.evaluation.result import EvaluationResult
from facecompare.evaluation.thresholds import best_accuracy_threshold, threshold_at_far, write_calibration
from facecompare.evaluation.trained_faces import follow_training

log = logging.getLogger(__name__)


def _with_pairs_file(cfg: DictConfig, source: FaceSource) -> DictConfig:
    """``cfg`` naming the pairs file of a source without protocol pairs (a folder): ``pairs_file``, or the
    pairs drawn now (once, however many times the sets are built) and saved as ``<run>/pairs.csv``."""
    if source.draws_eval_pairs and not cfg.get("pairs_file"):
        drawn = Path(cfg.paths.output_dir) / "pairs.csv"
        folder_pairs(Path(cfg.data.root), cfg.num_pairs, cfg.seed, drawn, int(cfg.calibration.folds))
        with open_dict(cfg):
            cfg.pairs_file = str(drawn)
    return cfg


def _sets(
    cfg: DictConfig, source: FaceSource, size: int, channels: int, train_ids: list[str] | None
) -> tuple[EvalSet, EvalSet | None, str, dict[str, int]]:
    """(test set, calibration set or None, protocol name) of the data the config selects, and with
    ``unseen_only`` the pairs each set lost (a person the model trained on; else empty)."""
    test, calib, protocol = source.eval_sets(size, channels, Path(cfg.pairs_file) if cfg.get("pairs_file") else None)
    if not cfg.get("unseen_only"):
        return test, calib, protocol, {}
    (test, calib), left_out = _unseen_only(train_ids, test, calib)
    return test, calib, protocol, left_out


def _trained_pairs(s: EvalSet, train: set[str]) -> np.ndarray:
    """Which pairs of ``s`` involve a person of ``train``."""
    names = np.asarray(s.names, dtype=object)
    return np.isin(names[s.pairs[:, 0]], list(train)) | np.isin(names[s.pairs[:, 1]], list(train))


def _unseen_only(train_ids: list[str], *sets: EvalSet | None) -> tuple[list[EvalSet | None], dict[str, int]]:
    """The sets without the pairs that involve a person the model trained on, and how many each lost. A model
    fine-tuned on some of a benchmark's people (LFW's DevTrain people, scored on View 2) is then scored on the
    others only, like a model that never saw the benchmark."""
    kept, left_out = [], {}
    for s in sets:
        if s is None:
            kept.append(None)
            continue
        hit = _trained_pairs(s, set(train_ids))
        if hit.all():
            raise ConfigError(f"unseen_only=true: every pair of {s.source} involves a person the model trained on")
        log.info("unseen_only: %d of %d pairs of %s left out (a person the model trained on)", hit.sum(), len(hit),
                 s.source)  # fmt: skip
        kept.append(dataclasses.replace(s, pairs=s.pairs[~hit], folds=s.folds[~hit]))
        left_out[s.source] = int(hit.sum())
    return kept, left_out


def _threshold(scores: np.ndarray, same: np.ndarray, cfg: DictConfig) -> dict[str, Any]:
    if cfg.calibration.method == "far":
        threshold, far, tar = threshold_at_far(scores, same, cfg.calibration.far)
        return {"threshold": threshold, "method": "far", "target_far": cfg.calibration.far, "far": far, "tar": tar}
    threshold, acc = best_accuracy_threshold(scores, same)
    return {"threshold": threshold, "method": "accuracy", "accuracy": acc}


def _kfold(test: EvalSet, scores: np.ndarray, cfg: DictConfig) -> dict[str, Any] | None:
    """Identity-disjoint k-fold calibration on the test pairs themselves (a folder of people, LFW View 2):
    the protocol's folds where the pairs file gives them, else folds of people dealt here, leaving out the
    pairs whose two people fall in different folds (counted). None, with a warning, where too few people."""
    same, names = test.pairs[:, 2], np.asarray(test.names, dtype=object)
    pair_people = np.stack([names[test.pairs[:, 0]], names[test.pairs[:, 1]]], axis=1)
    given = np.unique(test.folds)
    if len(given) > 1 and given.min() >= 0:
        check_disjoint(pair_people, test.folds, test.source)
        folds, how = test.folds, f"the {len(given)} folds of {test.source}"
    else:
        several = set(pair_people[same.astype(bool), 0])
        k = usable_folds(len(set(names)), len(several), int(cfg.calibration.folds))
        if k < 2:
            log.warning("no k-fold calibration: %d people with genuine pairs in %s", len(several), test.source)
            return None
        folds = within_folds(pair_people, identity_folds(list(set(names)), several, k, cfg.seed))
        how = f"{k} folds of people dealt with seed {cfg.seed}"
    kept = folds >= 0
    others = [same[kept & (folds != f)] for f in np.unique(folds[kept])]  # where each fold's threshold comes from
    if len(others) < 2 or any(len(set(o.tolist())) < 2 for o in others):
        log.warning("no k-fold calibration: the folds of %s leave one without genuine or impostor pairs", test.source)
        return None
    method, far = str(cfg.calibration.method), float(cfg.calibration.far)
    result = kfold_accuracy(scores[kept], same[kept], folds[kept], method, far)
    if (~kept).any():
        log.info("k-fold calibration: %d pairs across two folds' people left out of it", (~kept).sum())
    return {**result, "folds_from": how, "pairs": int(kept.sum()), "pairs_across_folds": int((~kept).sum())}


def _far_curve(
    scorer, emb: torch.Tensor, names: list[str], source: str, train_ids: list[str] | None
) -> dict[str, Any] | None:
    """The per-comparison FAR curve over every pair of different people among the images embedded as ``emb``
    (``names[i]``: row i's person), which the tools use to choose thresholds for a gallery's size
    (facecompare.inference.open_set).

    People the model trained on are left out: it learned to tell them apart, so their impostor scores are
    lower than a stranger's and would give thresholds that let more strangers in than they promise. LFW
    View 1's calibration pairs are mostly between training people; those left are the validation people."""
    trained = set(train_ids or ())
    unseen = np.array([i for i, name in enumerate(names) if name not in trained], np.int64)
    rows = unseen[subset(len(unseen))]
    kept = [names[i] for i in rows]
    impostor = impostor_scores(scorer, emb[torch.from_numpy(rows)], kept)
    try:
        curve = far_curve(impostor)
    except ValueError as err:
        log.warning("no open-set curve from the people of %s the model did not train on: %s", source, err)
        return None
    log.info("open-set curve: %d impostor pairs of %s, FAR down to %.1e", len(impostor), source, curve["far"][0])
    if train_ids is None:
        log.warning("the checkpoint does not record its training people: the open-set curve may include them")
    return {
        **curve,
        "on": source,
        "images": len(kept),
        "people": len(set(kept)),
        "training_people_left_out": len(set(names) & trained),
    }


def evaluate(cfg: DictConfig) -> EvaluationResult:
    groups = read_groups(cfg.groups) if cfg.get("groups") else None  # a bad file fails before any work
    if cfg.get("retain_freed_memory", True):  # evaluation embeds on the CPU: see facecompare/allocator.py
        retain_freed_memory()
    net, loss, info = load_embedder(cfg.ckpt)
    cfg, faces = follow_training(cfg, info["config"])
    source = instantiate(cfg.data.source)
    cfg = _with_pairs_file(cfg, source)
    data_cfg = info["config"]["data"]
    size, channels = int(data_cfg["image_size"]), int(data_cfg["channels"])
    train_ids = info.get("train_identities")
    if cfg.get("unseen_only") and train_ids is None:
        raise ConfigError(f"unseen_only=true: {cfg.ckpt} does not record the people it trained on")
    test, calib, protocol, left_out = _sets(cfg, source, size, channels, train_ids)
    flip, fars = cfg.get("flip"), tuple(cfg.fars)
    if flip and getattr(net, "flip_average", False):
        log.warning(
            "flip=%s: this network already averages each image with its mirror (backbone.flip_average), "
            "so the scores are the same as without flip and take twice the time",
            flip,
        )
    test_emb, test_used, test_rows = embed_pairs(net, test.images, test.pairs, flip=flip)
    scores, counts = score_embedded(loss.score, test_emb, test_used, test_rows)
    same = test.pairs[:, 2]
    kfold, calib_emb = None, None
    if calib is not None:
        calib_emb = embed_images(net, calib.images, flip=flip)
        calib_scores = pair_scores(loss.score, calib_emb, calib.pairs[:, :2]).numpy()
        calibration = {**_threshold(calib_scores, calib.pairs[:, 2], cfg), "on": calib.source}
    else:  # no separate calibration pairs: calibrate on these people, checked fold by fold on unseen ones
        kfold = _kfold(test, scores, cfg)
        calibration = {**_threshold(scores, same, cfg), "on": f"all {len(scores)} pairs of {test.source}"}
        if kfold:
            calibration |= {key: kfold[key] for key in ("mean", "std", "folds_from")}
    # the open-set curve from the calibration photos, or where there are none (a folder, View 2) the test photos:
    # it sets no threshold that the test figures use, only the tools' thresholds for a gallery
    if calib is not None:
        curve_emb, curve_names, curve_source = calib_emb, calib.names, calib.source
    else:
        curve_emb, curve_names, curve_source = test_emb, [test.names[i] for i in test_used], test.source
    open_set = _far_curve(loss.score, curve_emb, curve_names, curve_source, train_ids)
    # scored at a threshold not chosen on these pairs: the calibration set's, else the training's own
    threshold = calibration["threshold"] if calib is not None else info.get("threshold")
    baselines, baseline_curves = _baselines(test, calib, cfg, source, train_ids)
    result = EvaluationResult(
        protocol=protocol,
        checkpoint=str(cfg.ckpt),
        flip=flip,
        faces=faces,
        **counts,
        pairs_without_face=test.without_face,
        test=summarise_scores(scores, same, threshold, fars, cfg.bootstrap, cfg.seed),
        calibration=calibration,
        calibrated_apart=calib is not None,
        leakage=_leakage(train_ids, test, calib) | ({"unseen_only": left_out} if cfg.get("unseen_only") else {}),
        kfold=kfold,
        # the threshold picked on held-out validation identities during training
        acc_at_validation_threshold=accuracy_at(scores, same, info["threshold"])
        if info.get("threshold") is not None and calib is not None
        else None,
        open_set=open_set,
        baselines=baselines,
    )
    ckpt = Path(cfg.ckpt)
    if cfg.calibration.write:
        record = {**calibration, "checkpoint": ckpt.name, "flip": flip}
        result.calibration_file = str(write_calibration(ckpt.with_suffix(".threshold.json"), record))
        if open_set:
            path = ckpt.with_suffix(FAR_CURVE_SUFFIX)
            atomic_write_text(path, json.dumps({**open_set, "checkpoint": ckpt.name, "flip": flip}))
            result.far_curve_file = str(path)
    out = Path(cfg.paths.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    if groups is not None:
        result.groups = group_breakdown(test.names, test.pairs, scores, result.threshold_used, groups)
        result.groups_threshold = result.threshold_used
        write_group_csv(out / "groups.csv", result.groups, result.threshold_used)
    curves = {"this model": (scores, same), **baseline_curves}
    result.figures = write_figures(out, curves, test, scores, result.threshold_used, ckpt, net, cfg.projector)
    _quality(result, cfg, net, info, test, calib, (test_emb, test_used, scores, calib_emb), out)
    atomic_write_text(out / "metrics.json", json.dumps(result.to_json(), indent=1, sort_keys=True, default=float))
    write_report(out / "report.md", result)
    return result


def _quality(result: EvaluationResult, cfg: DictConfig, net, info, test, calib, embedded, out: Path) -> None:
    """Face quality fitted on the calibration photos where there are some (as the threshold), else the test's;
    its curves on the test pairs, and its models written beside the checkpoint for the tools."""
    test_emb, test_used, scores, calib_emb = embedded
    flip, fit_on = result.flip, calib or test
    quality = fit_quality(net, fit_on.images, fit_on.source, flip, cfg.seed)
    trained = info["quality_branch"]
    branch = None if trained is None else fit_branch(trained, net, fit_on.images, fit_on.source, flip, cfg.seed)
    if quality is not None:
        # learned from people with several calibration photos: only where they are other people than the test's
        learned = fit_learned(calib_emb, calib.names, calib.source) if calib is not None else None
        result.quality = quality_report(quality, test, test_emb, test_used, scores, cfg.seed, out, learned, branch)
        result.quality["fitted_on"] = fit_on.source
    for model, suffix, key in ((quality, QUALITY_SUFFIX, "quality_file"), (branch, BRANCH_SUFFIX, "branch_file")):
        if model is not None and cfg.calibration.write:
            path = Path(cfg.ckpt).with_suffix(suffix)
            record = {**model.to_json(), "on": fit_on.source, "checkpoint": Path(cfg.ckpt).name}
            atomic_write_text(path, json.dumps(record | {"flip": flip}))
            setattr(result, key, str(path))


def _baselines(
    test: EvalSet, calib: EvalSet | None, cfg: DictConfig, source: FaceSource, train_ids: list[str] | None
) -> tuple[dict, dict]:
    """Raw pixels and Eigenfaces (fitted, without labels, on the calibration images when there are some,
    else on the test images), and dlib's pretrained descriptor where it is installed, each scored like the
    model, on the model's pairs: at the threshold calibrated on the calibration set where there is one, else
    by the same k-fold calibration as the model (``kfold_mean``)."""
    torch.manual_seed(cfg.seed)  # pca_lowrank is randomised
    fit_on = (calib or test).images
    methods = [("raw pixels", PixelBaseline().fit(fit_on), test, calib),
               ("eigenfaces (PCA 100)", EigenfaceBaseline(100).fit(fit_on), test, calib)]  # fmt: skip
    dlib = cfg.baselines.dlib
    fr = load_face_recognition(required=dlib is True) if dlib in (True, "auto") else None
    if fr is not None:
        # its own crop size; detections come from the cache
        test_150, calib_150, *_ = _sets(cfg, source, CROP_SIZE, 3, train_ids)
        methods.append(("dlib face_recognition (pretrained)", DlibBaseline(fr), test_150, calib_150))
    out, curves = {}, {}
    for name, method, test_set, calib_set in methods:
        scores, _ = score_set(method, cosine_score, test_set.images, test_set.pairs)
        threshold = None
        if calib_set is not None:
            calib_scores, _ = score_set(method, cosine_score, calib_set.images, calib_set.pairs)
            threshold = _threshold(calib_scores, calib_set.pairs[:, 2], cfg)["threshold"]
        summary = summarise_scores(scores, test_set.pairs[:, 2], threshold, tuple(cfg.fars), bootstrap=0)
        keep = ("auc", "eer", "acc_at_best", "acc_at_threshold")
        out[name] = {k: float(summary[k]) for k in keep if k in summary} | {"pairs": len(test_set.pairs)}
        kfold = _kfold(test_set, scores, cfg) if calib_set is None else None
        if kfold:
            out[name]["kfold_mean"] = kfold["mean"]
        curves[name] = (scores, test_set.pairs[:, 2])
    return out, curves


def _leakage(train_ids: list[str] | None, *sets: EvalSet | None) -> dict[str, Any]:
    if train_ids is None:
        return {"checked": False, "why": "the checkpoint does not record its training identities"}
    train = set(train_ids)
    found: dict[str, int] = {}
    for s in sets:
        if s is None:
            continue
        hit = _trained_pairs(s, train)
        found[s.source] = int(hit.sum())
        if hit.any():
            log.warning("IDENTITY LEAKAGE: %d pairs of %s involve people the model trained on", hit.sum(), s.source)
    return {"checked": True, "pairs_with_training_identities": found}
