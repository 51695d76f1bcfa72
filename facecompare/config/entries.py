"""The values each entry config (conf/train.yaml, evaluate.yaml, ...) holds at its top level, typed. The config
groups in them are ``_target_`` nodes, checked against what they build (arguments.py); these keys are read
by the scripts' own code, so their types and ranges are written down here."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from omegaconf import DictConfig, ListConfig, OmegaConf
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from facecompare.config.invalid import invalid_value

Fraction = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[float, Field(gt=0, lt=1)]
NonNegative = Annotated[int, Field(ge=0)]


class _Entry(BaseModel):
    # the config groups and Hydra's own keys are not described here
    model_config = ConfigDict(extra="ignore")


class Train(_Entry):
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] | None  # what Lightning's seed_everything accepts
    test: bool
    ckpt_path: str | None
    retain_freed_memory: bool | Literal["auto"]


class _Baselines(_Entry):
    dlib: bool | Literal["auto"]


class _Calibration(_Entry):
    method: Literal["accuracy", "far"]
    far: Rate
    write: bool


class Evaluate(_Entry):
    ckpt: str
    flip: Literal["sum", "concat"] | None
    fars: list[Rate]
    bootstrap: NonNegative
    seed: NonNegative  # numpy's generators take no negative seed
    retain_freed_memory: bool
    projector: NonNegative
    num_pairs: Annotated[int, Field(ge=2)]
    pairs_file: str | None
    unseen_only: bool
    groups: str | None
    baselines: _Baselines
    calibration: _Calibration


class Export(_Entry):
    ckpt: str
    out_dir: str
    overwrite: bool
    threshold: Fraction | None  # scores are in [0, 1]
    tolerance: Annotated[float, Field(gt=0)]
    opset: Annotated[int, Field(ge=1)]


class Align(_Entry):
    out_dir: str
    quality: Annotated[int, Field(ge=1, le=100)]  # JPEG quality
    seed: NonNegative


class Pack(_Entry):
    out_dir: str
    shard_size: Annotated[int, Field(ge=1)]
    seed: NonNegative


class Audit(_Entry):
    ckpt: str
    threshold: Fraction | None
    neighbours: Annotated[int, Field(ge=1)]
    min_pixel_similarity: Fraction
    write_clean_list: bool


ENTRIES: dict[str, type[_Entry]] = {"train": Train, "evaluate": Evaluate, "export": Export, "align": Align,
                                    "audit": Audit, "pack": Pack}  # fmt: skip


def check_entry(cfg: DictConfig, entry: str) -> None:
    """Raise ConfigError for the first top-level value of ``cfg`` that the ``entry`` script cannot take."""
    schema = ENTRIES[entry]
    values = {name: _plain(cfg[name]) for name in schema.model_fields if name in cfg}
    try:
        schema.model_validate(values)
    except ValidationError as err:
        raise invalid_value("", values, err.errors()) from None


def _plain(value: Any) -> Any:
    return OmegaConf.to_container(value, resolve=True) if isinstance(value, (DictConfig, ListConfig)) else value
