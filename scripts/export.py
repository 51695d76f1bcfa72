"""Export a checkpoint as a bundle: `python scripts/export.py ckpt=... [out_dir=bundle]`.

Config: conf/export.yaml. The work is done by facecompare.export.export_bundle().
"""

import hydra
from omegaconf import DictConfig

from facecompare.config.entry_point import run_script, script_task
from facecompare.training.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="export")
@script_task("export")
def main(cfg: DictConfig) -> None:
    # imported here, not above: a mistyped override is reported before Lightning and torch load
    from facecompare.export import export_bundle

    meta = export_bundle(cfg.ckpt, cfg.out_dir, cfg.threshold, cfg.tolerance, cfg.opset, cfg.overwrite)
    diffs = meta["parity"]["max_abs_diff"]
    print(f"bundle:     {cfg.out_dir}")
    print(f"model:      {meta['backbone']['class']}, {meta['input']['size']} px, {meta['input']['channels']} "
          f"channel(s), {meta['embedding']['size']}-d embedding, {meta['distance']} distance")  # fmt: skip
    print(f"threshold:  {meta['threshold']['value']:.4f} ({meta['threshold']['source']})")
    curve = meta["threshold"].get("far_curve")
    if curve:
        print(f"open set:   FAR curve of {curve['impostor_pairs']:,} impostor pairs (identify --fpir)")
    else:
        print("open set:   no FAR curve (scripts/evaluate.py on this checkpoint makes one, for identify --fpir)")
    print(f"parity:     onnx {diffs['onnx']:.1e}, torchscript {diffs['torchscript']:.1e} "
          f"(tolerance {meta['parity']['tolerance']:g})")  # fmt: skip


if __name__ == "__main__":
    run_script(main)
