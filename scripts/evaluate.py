"""Evaluate a checkpoint: `python scripts/evaluate.py ckpt=... data=lfw data.root=...`.

Config: conf/evaluate.yaml. The work is done by facecompare.evaluation.evaluate.evaluate().
"""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from facecompare.errors import FacecompareError
from facecompare.training.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="evaluate")
def main(cfg: DictConfig) -> None:
    # imported here, not above: a mistyped override is reported before Lightning and torch load
    from facecompare.evaluation.evaluate import evaluate
    from facecompare.training.train import check_required

    try:
        check_required(cfg)
        evaluate(cfg)
    except FacecompareError as err:  # bad input: one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print((Path(cfg.paths.output_dir) / "report.md").read_text())


if __name__ == "__main__":
    main()
