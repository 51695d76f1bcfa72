"""ModelCheckpoint that keeps a resumed run's best checkpoint when the run continues in a new folder."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from pytorch_lightning.callbacks import ModelCheckpoint

from facecompare.atomic import atomic_write

log = logging.getLogger(__name__)


def _copy(src: Path, folder: Path) -> Path:
    """Copy ``src`` into ``folder`` through a temporary file, so that a kill leaves no half checkpoint."""
    dst = folder / src.name
    with src.open("rb") as f:
        atomic_write(dst, lambda out: shutil.copyfileobj(f, out))
    return dst


class ResumableCheckpoint(ModelCheckpoint):
    """A resumed run (``ckpt_path=<old run>/checkpoints/last.ckpt``) gets a new run folder. Lightning's
    ModelCheckpoint then forgets the best score it had, because its folder changed: the first epoch after the
    resume became the "best" whatever it scored, and the test, the calibrated threshold, metrics.json and the
    value a sweep optimises all covered the epochs after the kill only.

    This one copies the best checkpoints it was tracking into the new folder and keeps tracking their scores
    there; the old run folder is left as it was. A best file that is gone is reported, and the best is then
    tracked from the resume on, as Lightning would.
    """

    @property
    def state_key(self) -> str:
        # Lightning's own key, so that checkpoints written by a plain ModelCheckpoint still resume into this one
        return super().state_key.replace(type(self).__qualname__, ModelCheckpoint.__qualname__, 1)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        old = state_dict.get("dirpath")
        if old is None or self.dirpath is None or Path(old).resolve() == Path(self.dirpath).resolve():
            super().load_state_dict(state_dict)
            return
        new_dir = Path(self.dirpath)
        carried: dict[str, Any] = {}
        if self.monitor is not None:
            for path, score in state_dict.get("best_k_models", {}).items():
                if Path(path).is_file():
                    carried[str(_copy(Path(path), new_dir))] = score
                else:
                    log.warning("resumed run: its checkpoint %s is gone; the best is tracked from here on", path)

        def moved(path: str) -> str:
            return str(new_dir / Path(path).name) if path and str(new_dir / Path(path).name) in carried else ""

        if carried:
            log.info("resumed run: best checkpoint(s) %s carried into %s", ", ".join(map(str, carried)), new_dir)
        state = dict(
            state_dict,
            dirpath=self.dirpath,
            best_k_models=carried,
            best_model_path=moved(state_dict.get("best_model_path", "")),
            kth_best_model_path=moved(state_dict.get("kth_best_model_path", "")),
            last_model_path="",
        )
        if not carried:  # nothing to compare against: start afresh, as an unmonitored checkpoint does
            state.update(best_model_score=None, kth_value=self.kth_value)
        super().load_state_dict(state)
