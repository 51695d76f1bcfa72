"""Evaluate a checkpoint: `python scripts/evaluate.py ckpt=... data=lfw data.root=...`, or on insightface's
.bin sets: `python scripts/evaluate.py ckpt=... bins=[lfw.bin,cfp_fp.bin]`.

Config: conf/evaluate.yaml. The work is done by facecompare.evaluation.evaluate.evaluate().
"""

from pathlib import Path

import hydra
from omegaconf import DictConfig

from facecompare.config.entry_point import run_script, script_task
from facecompare.training.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="evaluate")
@script_task("evaluate")
def main(cfg: DictConfig) -> None:
    # imported here, not above: a mistyped override is reported before Lightning and torch load
    if cfg.get("ijb"):
        from facecompare.evaluation.ijb_eval import evaluate_ijb

        evaluate_ijb(cfg)
    elif cfg.get("bins"):
        from facecompare.evaluation.bins import evaluate_bins

        evaluate_bins(cfg)
    else:
        from facecompare.evaluation.evaluate import evaluate

        evaluate(cfg)
    print((Path(cfg.paths.output_dir) / "report.md").read_text())


if __name__ == "__main__":
    run_script(main)
