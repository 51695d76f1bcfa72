"""Write a dataset's aligned face crops as a copy in its own layout: `python scripts/align.py data=lfw
data.root=... data.image_size=64 out_dir=...`; train on the copy with `detector=none`.

Config: conf/align.yaml. The work is done by facecompare.data.aligned_copy.write_aligned_copy().
"""

import hydra
from hydra.utils import instantiate
from omegaconf import DictConfig

from facecompare.config.entry_point import run_script, script_task
from facecompare.training.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="align")
@script_task("align")
def main(cfg: DictConfig) -> None:
    # imported here, not above: a mistyped override is reported before Lightning and torch load
    from facecompare.data.aligned_copy import write_aligned_copy

    source = instantiate(cfg.data.source)
    s = write_aligned_copy(source, cfg.out_dir, cfg.data.image_size, cfg.quality)
    left_out = ", ".join(f"{n} {status}" for status, n in s["left_out"].items()) or "none"
    print(f"aligned copy: {cfg.out_dir} ({s['written']} crops of {s['image_size']} px, {s['bytes'] / 1e6:.1f} MB)")
    print(f"left out:     {left_out} (every file and its outcome: aligned_manifest.csv there)")
    if s["removed_stale"]:
        print(f"removed:      {s['removed_stale']} crop(s) of an earlier copy whose photos are gone")
    if s.get("removed_temporary"):
        print(f"removed:      {s['removed_temporary']} temporary file(s) left by an interrupted run")
    print("train on it:  python scripts/train.py ... detector=none data.root=" + str(cfg.out_dir))


if __name__ == "__main__":
    run_script(main)
