"""Nearest enrolled people to a query embedding: exact brute force in numpy (default) or FAISS.

Both rank by the bundle's own score (euclidean: 1 / (1 + d); cosine: (1 + cos) / 2), both exact, so they
return the same people; FAISS's BLAS kernels are the faster choice for large galleries (benchmarks/).
"""

from __future__ import annotations

import numpy as np

from facecompare.errors import ConfigError, FacecompareError
from facecompare.inference.bundle import distance_to_score
from facecompare.inference.gallery import Match

BACKENDS = ("numpy", "faiss")


class GalleryIndex:
    """``vectors`` (N, D) with the person of each row, searched by ``distance`` (``euclidean``/``cosine``)."""

    def __init__(
        self, vectors: np.ndarray, people: list[str], distance: str, backend: str = "numpy", scorer=None
    ) -> None:
        if backend not in BACKENDS:
            raise FacecompareError(f"search backend must be one of {list(BACKENDS)}, got {backend!r}")
        if distance not in ("euclidean", "cosine", "learned"):
            raise FacecompareError(f"unknown distance {distance!r}")
        if distance == "learned" and (scorer is None or backend != "numpy"):
            raise FacecompareError("a learned pair head scores every row itself: use --search numpy")
        self.scorer = scorer
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if distance == "cosine":
            # a new array: the caller's may be read-only (Gallery.matrix reads the SQLite blobs without a copy)
            # and is not ours to change
            self.vectors = self.vectors / np.maximum(np.linalg.norm(self.vectors, axis=1, keepdims=True), 1e-12)
        self.people = np.asarray(people, dtype=object)
        self.distance, self.backend = distance, backend
        self.sq_norms = (self.vectors**2).sum(1)
        self.faiss_index = self._faiss() if backend == "faiss" else None

    def _faiss(self):
        try:
            import faiss
        except ImportError:
            raise FacecompareError("search backend faiss needs the faiss-cpu package: pip install faiss-cpu") from None
        dim = self.vectors.shape[1]
        index = faiss.IndexFlatIP(dim) if self.distance == "cosine" else faiss.IndexFlatL2(dim)
        index.add(self.vectors)
        return index

    def __len__(self) -> int:
        return len(self.vectors)

    def _keys(self, query: np.ndarray) -> np.ndarray:
        """One number per row, larger = better: the score itself for a learned head, the cosine for
        ``cosine``, ``2 q.v - |v|^2`` (= |q|^2 - squared distance) for ``euclidean``."""
        if self.scorer is not None:  # a learned head: no shortcut, it scores every row
            return self.scorer(query[None], self.vectors)
        dots = self.vectors @ query
        return dots if self.distance == "cosine" else 2.0 * dots - self.sq_norms

    def _best_rows(self, query: np.ndarray, keys: np.ndarray | None, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``rows`` best rows and their scores, best first (``keys`` None: ask FAISS)."""
        if keys is None:
            values, ids = self.faiss_index.search(query[None], rows)
            keep = ids[0] >= 0
            ids, values = ids[0][keep], values[0][keep]  # inner products, or squared L2 distances
        else:
            ids = np.argpartition(-keys, rows - 1)[:rows] if rows < len(keys) else np.arange(len(keys))
            ids = ids[np.argsort(-keys[ids], kind="stable")]
            values = keys[ids]
            if self.scorer is not None:
                return ids, values
        if self.distance == "cosine":
            return ids, distance_to_score(1.0 - values, "cosine")
        # The ranking used |q|^2 - 2 q.v + |v|^2, which cancels in float32: a photo against its own enrolled
        # embedding came out 3.5e-4 apart (score 0.99965, not 1). The few rows kept are measured directly.
        distances = np.linalg.norm(self.vectors[ids] - query, axis=1)
        order = np.argsort(distances, kind="stable")
        return ids[order], distance_to_score(distances[order], "euclidean")

    def search(self, query: np.ndarray, top: int = 5) -> list[Match]:
        """The ``top`` people by their best score over their rows, highest first."""
        if top < 1:  # 0 rows, widened 4x at a time, stays 0: the loop below would never end
            raise ConfigError(f"top must be at least 1, got {top}")
        if not len(self.vectors):
            return []
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if self.distance == "cosine":
            query = query / max(float(np.linalg.norm(query)), 1e-12)
        keys = None if self.faiss_index is not None else self._keys(query)  # every row scored once
        rows = min(len(self.vectors), 16 * top)
        while True:  # widen until `top` different people are among the best rows, or every row is in
            ids, scores = self._best_rows(query, keys, rows)
            found: dict[str, float] = {}
            for person, score in zip(self.people[ids], scores.tolist(), strict=True):
                found.setdefault(person, score)  # rows come best first: a person's first row is their best
                if len(found) == top:
                    return [Match(p, s) for p, s in found.items()]
            if rows == len(self.vectors):
                return [Match(p, s) for p, s in found.items()]
            rows = min(len(self.vectors), rows * 4)
