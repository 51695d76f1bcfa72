"""Gallery search: scores by hand, each person's best row, and FAISS giving what numpy gives."""

import numpy as np
import pytest

from facecompare.errors import FacecompareError
from facecompare.inference.search import GalleryIndex


def test_euclidean_scores_by_hand_and_best_row_per_person():
    vectors = np.array([[0, 0], [3, 4], [1, 0], [0, 2]], np.float32)
    index = GalleryIndex(vectors, ["a", "b", "a", "c"], "euclidean")
    matches = index.search(np.array([1, 0], np.float32), top=5)
    # distances 1, sqrt(20), 0, sqrt(5): a's best row is the exact one
    assert [m.person for m in matches] == ["a", "c", "b"]
    np.testing.assert_allclose([m.score for m in matches], [1.0, 1 / (1 + 5**0.5), 1 / (1 + 20**0.5)], rtol=1e-6)


def test_cosine_scores_by_hand():
    index = GalleryIndex(np.array([[2, 0], [0, 5], [-1, 0]], np.float32), ["x", "y", "z"], "cosine")
    matches = index.search(np.array([1, 1], np.float32), top=2)
    assert [m.person for m in matches] == ["x", "y"]  # tie at cos 0.707: the earlier row first
    np.testing.assert_allclose([m.score for m in matches], [(1 + 2**-0.5) / 2] * 2, rtol=1e-6)


@pytest.mark.parametrize("backend", ["numpy", "faiss"])
def test_a_gallerys_own_read_only_rows_are_searched_and_left_as_they_are(tmp_path, backend):
    # Gallery.matrix reads the SQLite blobs without a copy: cosine search once normalised them in place and
    # every cosine bundle's identify failed with "output array is read-only"
    from facecompare.inference.gallery import Gallery

    with Gallery(tmp_path / "g.db", "m", 2) as gallery:
        gallery.enroll("x", np.array([[2, 0], [0, 5]], np.float32), ["x1.jpg", "x2.jpg"])
        vectors, people = gallery.matrix()
    assert not vectors.flags.writeable
    matches = GalleryIndex(vectors, people, "cosine", backend).search(np.array([0, 1], np.float32))
    assert [(m.person, m.score) for m in matches] == [("x", pytest.approx(1.0))]
    np.testing.assert_array_equal(vectors, [[2, 0], [0, 5]])


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
def test_faiss_returns_what_numpy_returns(distance):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((5000, 32)).astype(np.float32)
    people = [f"p{i % 700}" for i in range(5000)]  # several rows per person
    exact = GalleryIndex(vectors, people, distance, "numpy")
    fast = GalleryIndex(vectors, people, distance, "faiss")
    for query in rng.standard_normal((5, 32)).astype(np.float32):
        a, b = exact.search(query, top=10), fast.search(query, top=10)
        assert [m.person for m in a] == [m.person for m in b]
        np.testing.assert_allclose([m.score for m in a], [m.score for m in b], rtol=1e-4)


def test_many_rows_of_one_person_do_not_hide_the_others():
    vectors = np.zeros((500, 4), np.float32)
    vectors[-1] = 1.0  # the only row of "other", far behind 499 rows of "same"
    index = GalleryIndex(vectors, ["same"] * 499 + ["other"], "euclidean")
    assert [m.person for m in index.search(np.zeros(4, np.float32), top=3)] == ["same", "other"]


def test_empty_gallery_and_bad_backend():
    assert GalleryIndex(np.zeros((0, 4), np.float32), [], "cosine").search(np.ones(4, np.float32)) == []
    with pytest.raises(FacecompareError, match="backend must be one of"):
        GalleryIndex(np.zeros((1, 4), np.float32), ["a"], "cosine", "annoy")


@pytest.mark.parametrize("backend", ["numpy", "faiss"])
def test_a_query_equal_to_an_enrolled_row_scores_exactly_one(backend):
    # float32 |q|^2 - 2 q.v + |v|^2 cancels to ~1e-7 for q == v, whose square root (3e-4) used to be reported
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((200, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    people = [f"p{i}" for i in range(200)]
    index = GalleryIndex(vectors, people, "euclidean", backend)
    sq_norms = (vectors * vectors).sum(1)
    expanded = [float(v @ v) - float(2.0 * (vectors @ v)[i] - sq_norms[i]) for i, v in enumerate(vectors[:50])]
    assert max(abs(e) for e in expanded) > 1e-8  # the expansion is not exact in float32 for these vectors
    for i in range(50):
        best = index.search(vectors[i], top=2)
        assert best[0].person == f"p{i}" and best[0].score == 1.0


@pytest.mark.parametrize("top", [0, -1])
def test_top_below_one_is_refused_not_searched_forever(top):
    import threading

    from facecompare.errors import ConfigError

    index = GalleryIndex(np.eye(4, dtype=np.float32), list("abcd"), "euclidean")
    outcome = []

    def search():
        try:
            index.search(np.ones(4, np.float32), top=top)
        except Exception as err:
            outcome.append(err)

    # a daemon thread: before the fix this search never returned, and must not hang the test run with it
    worker = threading.Thread(target=search, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), f"search(top={top}) did not return"
    assert len(outcome) == 1 and isinstance(outcome[0], ConfigError) and isinstance(outcome[0], ValueError)
    assert str(outcome[0]) == f"top must be at least 1, got {top}"
