"""Reading a bundle written by ``scripts/export.py``: ``model.json`` (plain JSON) and ``model.onnx`` run by
onnxruntime. Nothing is unpickled; each model file is checked against the SHA-256 that ``model.json``
records, so a swapped or truncated file is refused rather than run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facecompare.data.alignment import template
from facecompare.errors import FacecompareError
from facecompare.inference.branch_quality import BranchQuality
from facecompare.inference.numpy_pair_head import NumpyPairHead
from facecompare.inference.quality import EmbeddingQuality

FORMAT, FORMAT_VERSION = "facecompare-bundle", 1
REQUIRED = ("input", "alignment", "embedding", "distance", "threshold", "files")
# the fields the tools read, and their JSON types
FIELDS: dict[str, tuple[type, ...]] = {
    "input.size": (int,),
    "input.channels": (int,),
    "alignment": (dict,),
    "embedding.size": (int,),
    "distance": (str,),
    "threshold.value": (int, float),
    "files": (dict,),
}
# face quality methods, the model.json key that holds each and its reader; the first one present is the default
QUALITY_KEYS = {"embedding": "quality", "learned": "quality_learned"}
QUALITY_MODELS = {"embedding": EmbeddingQuality, "learned": BranchQuality}
LEARNED_HOW = (
    " (the learned one comes from a model trained with face_quality=branch and evaluated with scripts/evaluate.py "
    "before scripts/export.py)"
)


class BundleError(FacecompareError):
    """A bundle folder is missing, incomplete, corrupted or of an unknown format."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Bundle:
    """An exported model: ``embed`` turns aligned face crops into embeddings, ``score`` pairs of embeddings
    into [0, 1] scores (higher = more likely the same person), compared against ``threshold``."""

    path: Path
    meta: dict[str, Any]
    session: Any = field(repr=False)
    pair_head: NumpyPairHead | None = field(default=None, repr=False)
    quality_method: str | None = None

    @property
    def size(self) -> int:
        return int(self.meta["input"]["size"])

    @property
    def channels(self) -> int:
        return int(self.meta["input"]["channels"])

    @property
    def margin(self) -> float:
        """The alignment margin of the training crops, which deployed crops must repeat."""
        return float(self.meta["alignment"].get("margin", 0.0))

    @property
    def alignment(self) -> str:
        """Where the training crops put the five landmarks (``arcface`` or ``dlib``): deployed crops repeat it."""
        return str(self.meta["alignment"].get("name", "arcface"))

    @property
    def face_policy(self) -> dict[str, Any]:
        """Which face of a photo the training crops took (``several_faces``) and from what detection
        probability (``min_prob``); bundles exported before this was recorded: the largest, from 0.9."""
        # Not the training defaults (data.policy): what older bundles were trained with, even if those change.
        faces = self.meta["alignment"].get("faces") or {}
        return {"several_faces": faces.get("several_faces", "largest"), "min_prob": float(faces.get("min_prob", 0.9))}

    @property
    def threshold(self) -> float:
        return float(self.meta["threshold"]["value"])

    @property
    def quality_methods(self) -> list[str]:
        """The face quality methods this bundle can give: ``embedding`` (training-free, fitted at calibration)
        and ``learned`` (a quality branch trained with the network, ``face_quality=branch``)."""
        return [method for method, key in QUALITY_KEYS.items() if self.meta.get(key)]

    def use_quality(self, method: str | None) -> None:
        """Score face quality by ``method`` from now on (None: the default, ``embedding`` where the bundle has
        it); a method the bundle cannot give is refused, naming those it can."""
        if method is not None and method not in self.quality_methods:
            can = (
                ", ".join(self.quality_methods)
                or "none (calibrate it: facecompare calibrate PEOPLE_DIR --model BUNDLE)"
            )
            how = LEARNED_HOW if method == "learned" else ""
            raise BundleError(f"{self.path}: this model cannot give the {method!r} face quality; it gives: {can}{how}")
        self.quality_method = method

    @property
    def active_quality(self) -> str | None:
        """The face quality method in use: the one chosen, else the first the bundle has, else None."""
        methods = self.quality_methods
        return self.quality_method or (methods[0] if methods else None)

    @property
    def quality_model(self) -> EmbeddingQuality | BranchQuality | None:
        """The face quality the tools use (``use_quality``), or None for a bundle without one."""
        method = self.active_quality
        if method is None:
            return None
        key = QUALITY_KEYS[method]
        try:
            return QUALITY_MODELS[method].from_json(self.meta[key])
        except (KeyError, TypeError, ValueError) as err:
            raise BundleError(f"{self.path / 'model.json'}: {key} is malformed ({type(err).__name__}: {err})") from None

    @property
    def distance(self) -> str:
        return self.meta["distance"]

    def embed(self, crops: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """(N, size, size, C) uint8 aligned crops, as the detection step produces them -> (N, D) float32."""
        crops = np.asarray(crops)
        if crops.ndim == 3:
            crops = crops[None]
        if crops.dtype != np.uint8 or crops.shape[1:3] != (self.size, self.size):
            raise ValueError(f"expected (N, {self.size}, {self.size}, C) uint8 crops, got {crops.dtype} {crops.shape}")
        if self.channels == 1 and crops.shape[3] == 3:
            crops = (crops @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint8)[..., None]
        if crops.shape[3] != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {crops.shape[3]}")
        name = self.session.get_inputs()[0].name
        out = []
        for start in range(0, len(crops), batch_size):
            batch = crops[start : start + batch_size].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
            out.append(self.session.run(None, {name: np.ascontiguousarray(batch)})[0])
        width = int(self.meta["embedding"]["size"])
        return np.concatenate(out) if out else np.zeros((0, width), np.float32)

    def score(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Scores of row i of ``a`` against row i of ``b`` (or one row against many, by broadcasting)."""
        if self.pair_head is not None:
            return self.pair_head.score(a, b)
        a, b = np.atleast_2d(a).astype(np.float64), np.atleast_2d(b).astype(np.float64)
        if self.distance == "euclidean":
            return distance_to_score(np.linalg.norm(a - b, axis=1), "euclidean")
        cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)
        return distance_to_score(1.0 - cos, "cosine")


def distance_to_score(d: np.ndarray, kind: str) -> np.ndarray:
    """Distances -> [0, 1] scores, higher = more likely the same person: the numpy twin of
    facecompare.losses.distances.distance_to_score (the inference path does not import torch for it)."""
    if kind == "euclidean":
        return 1.0 / (1.0 + d)
    return np.clip(1.0 - d / 2.0, 0.0, 1.0)


def read_meta(folder: Path) -> dict[str, Any]:
    path = folder / "model.json"
    if not path.is_file():
        raise BundleError(f"{folder}: not a bundle (no model.json); write one with scripts/export.py ckpt=...")
    try:
        meta = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BundleError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise BundleError(f"{path}: not a facecompare bundle description (format is not {FORMAT!r})")
    if meta.get("format_version") != FORMAT_VERSION:
        raise BundleError(
            f"{path}: bundle format version {meta.get('format_version')!r}, this facecompare reads {FORMAT_VERSION}"
        )
    missing = [key for key in REQUIRED if key not in meta]
    if missing:
        raise BundleError(f"{path}: missing {', '.join(missing)}")
    for key, kinds in FIELDS.items():  # model.json is not covered by a hash: a hand edit must fail here, named
        value: Any = meta
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise BundleError(f"{path}: {key} is {value!r}, expected {' or '.join(k.__name__ for k in kinds)}")
    for name, entry in meta["files"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise BundleError(f"{path}: files.{name} is {entry!r}, expected {{'file': ..., 'sha256': ...}}")
    _check_template(path, meta)
    return meta


def _check_template(path: Path, meta: dict[str, Any]) -> None:
    """The tools crop by the alignment's name; a bundle whose recorded landmark template is not what that name
    makes today (a template refined since its export) would be fed other crops than its threshold was
    calibrated on, so it is refused rather than trusted."""
    recorded, name = meta["alignment"].get("template"), meta["alignment"].get("name", "arcface")
    if recorded is None:
        return
    margin, size = float(meta["alignment"].get("margin", 0.0)), meta["input"]["size"]
    try:
        now = template(size, margin, name)
        differs = np.abs(np.asarray(recorded, np.float64) - now).max() > 0.01
    except ValueError as err:  # an unknown alignment name, or a template that is not 5 points
        raise BundleError(f"{path}: alignment {meta['alignment']!r} is not usable ({err})") from None
    if differs:
        raise BundleError(
            f"{path}: its crops put the landmarks at {np.round(recorded, 2).tolist()}, this facecompare's "
            f"{name!r} alignment at {np.round(now, 2).tolist()} (the template was refined since the export). "
            "Its threshold holds for the other crops only: use the facecompare that exported it, or re-export "
            "the checkpoint and run `facecompare calibrate` on your own photos"
        )


def import_onnxruntime() -> Any:
    """onnxruntime with its telemetry off (facecompare/__init__.py opts out before any import; this also
    quiets events where the caller imported onnxruntime before facecompare)."""
    import onnxruntime

    onnxruntime.disable_telemetry_events()
    return onnxruntime


def bundle_folder(path: str | Path) -> Path:
    """The bundle folder ``path`` names: the folder itself, or the folder of a file in it (its model.json)."""
    path = Path(path)
    return path.parent if path.is_file() and (path.parent / "model.json").is_file() else path


def load_bundle(folder: str | Path, providers: list[str] | None = None) -> Bundle:
    """Load ``folder`` (or the bundle a file of it, such as its model.json, is in); ``providers`` are
    onnxruntime's (default: CUDA when onnxruntime has it, else CPU)."""
    ort = import_onnxruntime()
    folder = bundle_folder(folder)
    meta = read_meta(folder)
    model = _checked(folder, meta, "onnx")
    pair_head = None
    if meta["distance"] == "learned":
        try:
            pair_head = NumpyPairHead.load(_checked(folder, meta, "pair_head"))
        except ValueError as err:
            raise BundleError(f"{folder}: unreadable pair head ({err})") from None
    available = ort.get_available_providers()
    providers = providers or [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    try:
        options = ort.SessionOptions()
        # onnxruntime's threads otherwise spin for a while after each run, taking the cores from the MTCNN
        # pass that comes next: a warm verify loop went from 136 to 94 ms on 2 cores with this alone
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(str(model), options, providers=providers)
    except Exception as err:  # onnxruntime raises its own exception types for unreadable graphs
        raise BundleError(f"{model}: onnxruntime cannot load it ({err})") from None
    return Bundle(folder, meta, session, pair_head)


def _checked(folder: Path, meta: dict[str, Any], name: str) -> Path:
    """The bundle file ``name`` (as model.json lists it), present and with the recorded SHA-256."""
    entry = meta["files"].get(name)
    if not entry:
        raise BundleError(f"{folder / 'model.json'}: lists no {name} file")
    path = folder / entry["file"]
    if not path.is_file():
        raise BundleError(f"{path}: missing from the bundle")
    if entry.get("sha256") != file_sha256(path):
        raise BundleError(f"{path}: does not match the SHA-256 in model.json (modified or truncated); re-export")
    return path
