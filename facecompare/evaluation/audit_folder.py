"""``audit(cfg)``: run the data audit over a folder of people and write its lists; scripts/audit.py."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig

from facecompare.atomic import atomic_write_text
from facecompare.checkpoint import load_embedder
from facecompare.data.aligned_copy import check_aligned_copy
from facecompare.data.faceset import FaceSet
from facecompare.data.manifest import summary, write_manifest
from facecompare.data.sources.folder_scan import scan_people
from facecompare.errors import ConfigError
from facecompare.evaluation.audit import cross_person_duplicates, label_suspects
from facecompare.evaluation.embedding import embed_images
from facecompare.evaluation.quality_eval import fit_quality
from facecompare.evaluation.thresholds import resolve_threshold
from facecompare.evaluation.trained_faces import follow_training
from facecompare.inference.quality import EmbeddingQuality

log = logging.getLogger(__name__)


def audit_threshold(cfg: DictConfig, info: dict[str, Any]) -> tuple[float, str]:
    value, source = resolve_threshold(cfg.ckpt, info, cfg.get("threshold"))
    return value, "threshold=" if source == "given explicitly" else source


def _csv(path: Path, fields: list[str], rows: list[dict[str, Any]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buf.getvalue())


def audit(cfg: DictConfig) -> dict[str, Any]:
    net, loss, info = load_embedder(cfg.ckpt)
    cfg, face_settings = follow_training(cfg, info["config"])
    threshold, threshold_from = audit_threshold(cfg, info)
    size, channels = int(info["config"]["data"]["image_size"]), int(info["config"]["data"]["channels"])
    root = Path(cfg.data.root).expanduser()
    if not root.is_dir():
        raise ConfigError(f"data.root: {root} is not a folder (expected one sub-folder per person)")
    pre = instantiate(cfg.data.source.preprocess)
    check_aligned_copy(root, pre, size)
    items, notes = scan_people(root)
    records = pre.run(items, size)
    used = [r for r in records if r.used]
    names = sorted({r.person for r in used})
    if len(names) < 2:
        raise ConfigError(f"data.root: {root} has usable faces of {len(names)} people; an audit needs 2+")
    index = {n: i for i, n in enumerate(names)}
    labels = np.array([index[r.person] for r in used])
    faces = FaceSet.from_hwc(np.stack([r.crop for r in used]), labels, names, channels)
    emb = embed_images(net, faces.images)
    suspects = label_suspects(emb, labels, loss.score, threshold)
    duplicates = cross_person_duplicates(
        emb, faces.images, labels, loss.score, cfg.min_pixel_similarity, cfg.neighbours
    )

    quality = fit_quality(net, faces.images, str(root), None, 0)
    low_quality = [] if quality is None else _low_quality(quality, emb.numpy())

    def rel(i: int) -> str:
        return str(used[i].path.relative_to(root)) if used[i].path.is_relative_to(root) else str(used[i].path)

    out = Path(cfg.paths.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_manifest(records + notes, out / "manifest.csv", root)
    _csv(out / "mislabeled.csv", ["path", "person", "own_score", "looks_like", "other_score", "flagged"],
         [{"path": rel(s["index"]), "person": names[labels[s["index"]]], "own_score": f"{s['own']:.4f}",
           "looks_like": names[s["nearest"]], "other_score": f"{s['other']:.4f}", "flagged": s["flagged"]}
          for s in suspects])  # fmt: skip
    _csv(out / "duplicates.csv", ["path_a", "person_a", "path_b", "person_b", "pixel_similarity", "score"],
         [{"path_a": rel(d["a"]), "person_a": names[labels[d["a"]]], "path_b": rel(d["b"]),
           "person_b": names[labels[d["b"]]], "pixel_similarity": f"{d['pixel_similarity']:.4f}",
           "score": f"{d['score']:.4f}"} for d in duplicates])  # fmt: skip
    _csv(out / "low_quality.csv", ["path", "person", "quality"],
         [{"path": rel(i), "person": names[labels[i]], "quality": f"{q:.4f}"} for i, q in low_quality])  # fmt: skip
    counts = np.bincount(labels, minlength=len(names))
    result: dict[str, Any] = {
        "root": str(root),
        "threshold": threshold,
        "threshold_from": threshold_from,
        "faces": face_settings,
        "preprocessing": summary(records + notes),
        "people": len(names),
        "images": len(used),
        "images_checked": int((counts[labels] >= 2).sum()),
        "single_image_people": int((counts == 1).sum()),
        "below_threshold": len(suspects),
        "flagged": sum(s["flagged"] for s in suspects),
        "duplicates": len(duplicates),
        # photos scoring like blurred, dark or shrunk faces (inference/quality.py): flagged, kept in the clean list
        "low_quality": None if quality is None else len(low_quality),
        "low_quality_below": None if quality is None else quality.refuse_below,
    }
    if cfg.write_clean_list:
        # a cross-person duplicate has at least one wrong label and nothing says which: both are left out
        drop = {s["index"] for s in suspects if s["flagged"]} | {i for d in duplicates for i in (d["a"], d["b"])}
        kept = [rel(i) for i in range(len(used)) if i not in drop]
        text = "".join(f"{p}\n" for p in kept)
        atomic_write_text(out / "clean_files.txt", text)
        result |= {"clean_list": str(out / "clean_files.txt"), "clean_list_images": len(kept)}
    atomic_write_text(out / "audit.json", json.dumps(result, indent=1))
    return result


def _low_quality(quality: EmbeddingQuality, emb: np.ndarray) -> list[tuple[int, float]]:
    """(image, quality) of the images below the quality model's enrolment bar, worst first."""
    scores = quality.quality(emb)
    return [(int(i), float(scores[i])) for i in np.argsort(scores, kind="stable") if scores[i] < quality.refuse_below]
