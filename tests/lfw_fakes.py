"""Tiny LFW copies in the official formats (tab-separated, View 1 and View 2 headers), images as stub files."""

from __future__ import annotations

from pathlib import Path

from facecompare.data.sources.lfw_layout import LFWLayout

# View 1. Costs in training images, for the val selection: matched Bob_Barr 2, Cy_Coe 2, Dee_Dunn 3, Big_Boss 10;
# mismatched Amy+Fay 2, Gil+Hal 3, Eve+Big 15, Bob+Dee 5 (3 once Bob_Barr is taken).
DEV_TRAIN_PEOPLE = {
    "Amy_Adams": 1,
    "Bob_Barr": 2,
    "Cy_Coe": 2,
    "Dee_Dunn": 3,
    "Eve_Ek": 5,
    "Fay_Fu": 1,
    "Gil_Gun": 1,
    "Hal_Hu": 2,
    "Big_Boss": 10,
}
DEV_TEST_PEOPLE = {"Tia_Tan": 2, "Tom_To": 1, "Tod_Ty": 2}
DEV_TRAIN_PAIRS = [
    ("Bob_Barr", 1, 2),
    ("Cy_Coe", 1, 2),
    ("Dee_Dunn", 1, 3),
    ("Big_Boss", 1, 2),
    ("Amy_Adams", 1, "Fay_Fu", 1),
    ("Gil_Gun", 1, "Hal_Hu", 1),
    ("Eve_Ek", 1, "Big_Boss", 3),
    ("Bob_Barr", 2, "Dee_Dunn", 2),
]
DEV_TEST_PAIRS = [("Tia_Tan", 1, 2), ("Tod_Ty", 1, 2), ("Tia_Tan", 2, "Tom_To", 1), ("Tom_To", 1, "Tod_Ty", 2)]

# View 2: three folds of three people; each fold has 2 matched and 2 mismatched pairs among its own people.
FOLD_PEOPLE = [
    {"Pat_Ames": 3, "Pia_Bo": 2, "Pru_Cy": 1},
    {"Quin_Ames": 2, "Qia_Bo": 2, "Qu_Cy": 1},
    {"Rob_Ames": 4, "Ria_Bo": 2, "Ru_Cy": 1},
]


def fold_pairs(people: dict[str, int]) -> list[tuple]:
    a, b, c = people
    return [(a, 1, 2), (b, 1, 2), (a, 1, c, 1), (b, 2, c, 1)]


def _line(fields: tuple) -> str:
    return "\t".join(map(str, fields))


def pairs_text(folds: list[list[tuple]], view2: bool) -> str:
    per = len(folds[0]) // 2
    rows = [f"{len(folds)}\t{per}" if view2 else str(per)] + [_line(p) for fold in folds for p in fold]
    return "\n".join(rows) + "\n"


def people_text(folds: list[dict[str, int]], view2: bool) -> str:
    rows = [str(len(folds))] if view2 else []
    for fold in folds:
        rows += [str(len(fold))] + [_line(item) for item in fold.items()]
    return "\n".join(rows) + "\n"


def write_images(images: Path, people: dict[str, int]) -> None:
    for name, count in people.items():
        (images / name).mkdir(parents=True, exist_ok=True)
        for i in range(1, count + 1):
            (images / name / f"{name}_{i:04d}.jpg").write_bytes(b"\xff\xd8 stub")


def write_view1(root: Path, images_dir: str = "images") -> LFWLayout:
    images = root / images_dir
    write_images(images, DEV_TRAIN_PEOPLE | DEV_TEST_PEOPLE)
    (root / "pairsDevTrain.txt").write_text(pairs_text([DEV_TRAIN_PAIRS], view2=False))
    (root / "pairsDevTest.txt").write_text(pairs_text([DEV_TEST_PAIRS], view2=False))
    (root / "peopleDevTrain.txt").write_text(people_text([DEV_TRAIN_PEOPLE], view2=False))
    (root / "peopleDevTest.txt").write_text(people_text([DEV_TEST_PEOPLE], view2=False))
    return LFWLayout(images.resolve(), root.resolve())


def write_view2(root: Path, images_dir: str = "lfw-deepfunneled") -> LFWLayout:
    images = root / images_dir
    for fold in FOLD_PEOPLE:
        write_images(images, fold)
    (root / "pairs.txt").write_text(pairs_text([fold_pairs(f) for f in FOLD_PEOPLE], view2=True))
    (root / "people.txt").write_text(people_text(FOLD_PEOPLE, view2=True))
    return LFWLayout(images.resolve(), root.resolve())
