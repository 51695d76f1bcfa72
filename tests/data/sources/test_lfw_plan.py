"""LFW plans: identity-disjoint splits, balanced seeded validation that spares training images, missing files."""

import pytest
from lfw_fakes import DEV_TEST_PAIRS, DEV_TRAIN_PEOPLE, FOLD_PEOPLE, pairs_text, people_text, write_view1, write_view2

from facecompare.data.sources.lfw_plan import LFWPlan, plan_view1, plan_view2
from facecompare.data.sources.lfw_protocol import image_path
from facecompare.errors import ConfigError


def assert_disjoint(plan: LFWPlan) -> None:
    held = {name for p in plan.val + plan.test for name in p.names}
    assert held and not held & plan.train.keys()


def test_view1_plan(tmp_path):
    layout = write_view1(tmp_path)
    plan = plan_view1(layout, val_pairs=4, seed=0)
    assert_disjoint(plan)
    assert len(plan.test) == 4 and [p.name_a for p in plan.test] == [p[0] for p in DEV_TEST_PAIRS]
    assert [p.same for p in plan.val] == [True, True, False, False]
    # the cheapest pairs: 2-image people for matched, 1-image people first for mismatched; Big_Boss never
    assert {p.name_a for p in plan.val[:3]} == {"Bob_Barr", "Cy_Coe", "Amy_Adams"}
    assert "Big_Boss" in plan.train and "Eve_Ek" in plan.train
    val_people = {n for p in plan.val for n in p.names}
    assert plan.excluded["train_people_in_val_pairs"] == len(val_people)
    assert plan.excluded["train_images_in_val_pairs"] == sum(DEV_TRAIN_PEOPLE[n] for n in val_people) == 9
    assert plan.excluded["val_candidates_with_test_people"] == 0
    assert plan.train["Big_Boss"] == [image_path(layout.images, "Big_Boss", i) for i in range(1, 11)]
    assert sum(map(len, plan.train.values())) == sum(DEV_TRAIN_PEOPLE.values()) - 9
    assert plan.missing == [] and plan.missing_train == []


def test_view1_seed_is_deterministic_and_breaks_ties(tmp_path):
    layout = write_view1(tmp_path)
    picks = {seed: plan_view1(layout, 4, seed).val for seed in range(12)}
    assert plan_view1(layout, 4, 3).val == picks[3]
    # Gil_Gun+Hal_Hu and Bob_Barr+Dee_Dunn both cost 3 more images: the seed picks one, and both occur
    last = {tuple(sorted(v[3].names)) for v in picks.values()}
    assert last == {("Gil_Gun", "Hal_Hu"), ("Bob_Barr", "Dee_Dunn")}


@pytest.mark.parametrize(("count", "problem"), [(0, "positive even"), (3, "positive even"), (10, "offers 4")])
def test_view1_bad_val_pairs(tmp_path, count, problem):
    with pytest.raises(ConfigError, match=problem):
        plan_view1(write_view1(tmp_path), count, 0)


def test_view1_removes_leaks_from_an_edited_copy(tmp_path):
    layout = write_view1(tmp_path)
    people = DEV_TRAIN_PEOPLE | {"Tia_Tan": 2}  # a test person listed for training
    (tmp_path / "peopleDevTrain.txt").write_text(people_text([people], view2=False))
    train_pairs = [("Bob_Barr", 1, 2), ("Tod_Ty", 1, 2), ("Amy_Adams", 1, "Tom_To", 1), ("Gil_Gun", 1, "Fay_Fu", 1)]
    (tmp_path / "pairsDevTrain.txt").write_text(pairs_text([train_pairs], view2=False))
    plan = plan_view1(layout, 2, 0)
    assert_disjoint(plan)
    assert "Tia_Tan" not in plan.train
    assert plan.excluded["train_people_in_test_pairs"] == 1 and plan.excluded["train_images_in_test_pairs"] == 2
    assert plan.excluded["val_candidates_with_test_people"] == 2
    assert [sorted(p.names) for p in plan.val] == [["Bob_Barr"], ["Fay_Fu", "Gil_Gun"]]


def test_missing_images_are_reported_not_dropped(tmp_path):
    layout = write_view1(tmp_path)
    image_path(layout.images, "Tom_To", 1).unlink()  # in two test pairs
    image_path(layout.images, "Big_Boss", 7).unlink()
    plan = plan_view1(layout, 4, 0)
    assert len(plan.test) == 4
    assert [sorted(p.names) for p in plan.missing] == [["Tia_Tan", "Tom_To"], ["Tod_Ty", "Tom_To"]]
    assert plan.missing_train == [image_path(layout.images, "Big_Boss", 7)]
    assert image_path(layout.images, "Big_Boss", 7) in plan.train["Big_Boss"]
    line = plan.summary()
    assert "2 val/test pairs with missing images" in line and "Tom_To_0001.jpg" in line
    assert "1 missing train images" in line and "Big_Boss_0007.jpg" in line


@pytest.mark.parametrize(("test_fold", "val_fold", "train_fold"), [(0, None, 2), (2, None, 1), (1, 2, 0)])
def test_view2_plan(tmp_path, test_fold, val_fold, train_fold):
    write_view2(tmp_path)
    plan = plan_view2(tmp_path, test_fold, val_fold)  # a root folder works as well as a layout
    assert_disjoint(plan)
    assert {p.fold for p in plan.test} == {test_fold} and len(plan.test) == 4
    assert {p.fold for p in plan.val} == {(test_fold + 1) % 3 if val_fold is None else val_fold}
    assert sorted(plan.train) == sorted(FOLD_PEOPLE[train_fold])
    assert not any(plan.excluded.values())


def test_view2_removes_a_training_person_in_test_pairs(tmp_path):
    layout = write_view2(tmp_path)
    folds = [[("Pat_Ames", 1, 2), ("Rob_Ames", 1, 2), ("Pat_Ames", 1, "Pru_Cy", 1), ("Pia_Bo", 2, "Ru_Cy", 1)]]
    folds += [[(a, 1, 2), (b, 1, 2), (a, 1, c, 1), (b, 2, c, 1)] for a, b, c in FOLD_PEOPLE[1:]]
    (tmp_path / "pairs.txt").write_text(pairs_text(folds, view2=True))
    plan = plan_view2(layout, 0)
    assert_disjoint(plan)
    assert sorted(plan.train) == ["Ria_Bo"]
    assert plan.excluded["train_people_in_test_pairs"] == 2 and plan.excluded["train_images_in_test_pairs"] == 5


@pytest.mark.parametrize(
    ("test_fold", "val_fold", "problem"), [(3, None, "test_fold must be in 0..2"), (0, 0, "differ")]
)
def test_view2_bad_folds(tmp_path, test_fold, val_fold, problem):
    with pytest.raises(ConfigError, match=problem):
        plan_view2(write_view2(tmp_path), test_fold, val_fold)
