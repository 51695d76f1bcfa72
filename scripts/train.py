"""Train a face-verification model: `python scripts/train.py backbone=resnet loss=triplet`.

Config: conf/train.yaml and its groups. The work is done by facecompare.training.train.train().
"""

import hydra
from omegaconf import DictConfig

from facecompare.training.resolvers import register_resolvers
from facecompare.training.train import run_cli

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> float:
    return run_cli(cfg)


if __name__ == "__main__":
    main()
