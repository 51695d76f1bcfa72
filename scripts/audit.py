"""Audit a folder of people with a trained model: `python scripts/audit.py ckpt=... data.root=...`.

Config: conf/audit.yaml. The work is done by facecompare.evaluation.audit_folder.audit().
"""

import hydra
from omegaconf import DictConfig

from facecompare.config.entry_point import run_script, script_task
from facecompare.training.resolvers import register_resolvers

register_resolvers()


@hydra.main(version_base="1.3", config_path="../conf", config_name="audit")
@script_task("audit")
def main(cfg: DictConfig) -> None:
    # imported here, not above: a mistyped override is reported before Lightning and torch load
    from facecompare.evaluation.audit_folder import audit
    from facecompare.evaluation.trained_faces import describe

    r = audit(cfg)
    print(f"preprocessing: {r['preprocessing']}")
    print(f"threshold:     {r['threshold']:.4f} ({r['threshold_from']})")
    print(f"faces:         {describe(r['faces'])}")
    print(f"checked:       {r['images_checked']} images of {r['people']} people "
          f"({r['single_image_people']} people with one image cannot be checked)")  # fmt: skip
    print(f"suspects:      {r['below_threshold']} below the threshold against their own folder, "
          f"{r['flagged']} flagged as looking like someone else (mislabeled.csv)")  # fmt: skip
    print(f"duplicates:    {r['duplicates']} near-identical pairs under different people (duplicates.csv)")
    if r["low_quality"] is None:
        print("low quality:   not checked (the model's embeddings do not set degraded faces apart)")
    else:
        print(f"low quality:   {r['low_quality']} images below face quality {r['low_quality_below']:.2f}, kept in "
              "the clean list (low_quality.csv)")  # fmt: skip
    if "clean_list" in r:
        print(f"clean list:    {r['clean_list_images']} of {r['images']} images in {r['clean_list']}")


if __name__ == "__main__":
    run_script(main)
