"""Package ``__init__`` files that name their classes without importing them.

Importing one light module of a package (``facecompare.inference.gallery``, ``facecompare.data.alignment``) runs
the package's ``__init__`` first; had it imported its classes, every script and tool would pay for torch,
torchvision and torchmetrics (seconds each) before it could so much as say that a file is missing. Hydra's
``_target_: facecompare.data.detection.MTCNNDetector`` still finds the class: it reads it as an attribute of the
package, which the module-level ``__getattr__`` made here imports on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports ``name`` from ``package.<exports[name]>``."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
