"""Write a dataset's aligned crops as a face store that training reads from disk: `python scripts/pack.py
data=rec data.root=... out_dir=...`; train on it with `data=store data.root=<out_dir>`.

Config: conf/pack.yaml. The work is done by facecompare.data.face_store.write_store().
"""

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig

from facecompare.config.entry_point import run_script, script_task
from facecompare.training.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="pack")
@script_task("pack")
def main(cfg: DictConfig) -> None:
    # imported here, not above: a mistyped override is reported before torch loads
    from facecompare.data.face_store_writer import write_store

    source = instantiate(cfg.data.source)
    size, channels = int(cfg.data.image_size), int(cfg.data.channels)
    names, faces, splits = source.iter_faces(size, channels)
    meta = write_store(cfg.out_dir, faces, names, cfg.shard_size, source=source.describe(), splits=splits)
    count = sum(s["count"] for s in meta["shards"])
    print(f"face store:   {cfg.out_dir} ({count} crops of {size} px in {len(meta['shards'])} shards)")
    print(f"train on it:  python scripts/train.py ... data=store data.root={cfg.out_dir} data.image_size={size}")


if __name__ == "__main__":
    run_script(main)
