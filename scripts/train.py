"""Train a face-verification model: `python scripts/train.py backbone=resnet loss=triplet`.

Config: conf/train.yaml and its groups. The work is done by facecompare.training.train.train().
"""

import hydra
from omegaconf import DictConfig

from facecompare.config.entry_point import run_script, script_task
from facecompare.training.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
@script_task(None)  # train() checks the config, once trainer.precision=auto is resolved
def main(cfg: DictConfig) -> float:
    # imported here, not above: a mistyped override is reported before torch loads (and the config's values
    # before Lightning does: training/cli.py)
    from facecompare.training.cli import run_cli

    return run_cli(cfg)


if __name__ == "__main__":
    run_script(main)
