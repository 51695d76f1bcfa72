import torch

from facecompare.evaluation.baselines import EigenfaceBaseline, PixelBaseline, cosine_score
from facecompare.evaluation.embedding import embed_images


def faces() -> torch.Tensor:
    """Two 'people': noisy copies of two different base images."""
    g = torch.Generator().manual_seed(0)
    base = torch.rand(2, 3, 24, 24, generator=g) * 255
    noisy = base.repeat_interleave(5, 0) + torch.randn(10, 3, 24, 24, generator=g) * 20
    return noisy.clamp(0, 255).to(torch.uint8)


def test_cosine_score_range():
    a = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    b = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    assert cosine_score(a, b).tolist() == [1.0, 0.0]


def test_baselines_separate_easy_people():
    images = faces()
    for method in (PixelBaseline(), EigenfaceBaseline(components=4)):
        emb = embed_images(method.fit(images), images)
        same = cosine_score(emb[0:1], emb[1:2])
        different = cosine_score(emb[0:1], emb[5:6])
        assert same > different, type(method).__name__


def test_eigenfaces_keep_the_requested_axes():
    method = EigenfaceBaseline(components=3).fit(faces())
    assert method.axes.shape == (24 * 24, 3)
    assert embed_images(method, faces()).shape == (10, 3)


def test_fitting_a_batch_at_a_time_is_fitting_the_whole_set():
    images = faces()
    whole = PixelBaseline._flat(images.float() / 255)
    assert torch.equal(PixelBaseline._flat_all(images, batch=3), whole)  # 10 images: batches of 3, 3, 3 and 1
    assert torch.allclose(PixelBaseline().fit(images).mean, whole.mean(0), atol=1e-7)
    eigen = EigenfaceBaseline(components=3).fit(images)
    assert torch.allclose(eigen.mean, whole.mean(0), atol=1e-7) and eigen.axes.shape == (24 * 24, 3)
