"""The web app's work without the web: compare, identify, previews, and the messages for bad uploads."""

import shutil
import threading

import numpy as np
import pytest

from facecompare.app.service import PREVIEW_SIDE, FaceService, NotFoundError, Upload, face_preview
from facecompare.errors import FacecompareError
from facecompare.inference import load_bundle
from facecompare.inference.faces import FaceFinder, NoFaceError, UnreadableImageError, make_detector
from facecompare.inference.gallery_threshold import AccessRefusedError
from facecompare.inference.identify import enroll, open_gallery
from facecompare.inference.quality import EmbeddingQuality
from facecompare.inference.verify import verify


@pytest.fixture(scope="module")
def service(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    return FaceService(bundle, FaceFinder(make_detector("mtcnn", bundle.meta), bundle.size))


def uploaded(photos, name, tmp_path):
    """A photo as an upload: under a meaningless temp name, as the web server stores it."""
    path = tmp_path / f"upload-{len(list(tmp_path.iterdir()))}"
    shutil.copy(photos / name, path)
    return Upload(path, name)


def test_compare_scores_as_verify_does_and_shows_both_faces(service, photos, tmp_path):
    a, b = uploaded(photos, "astronaut.jpg", tmp_path), uploaded(photos, "mirrored.jpg", tmp_path)
    result = service.compare(a, b, threshold=0.0)
    expected = verify(service.bundle, service.finder, photos / "astronaut.jpg", photos / "mirrored.jpg", 0.0)
    assert result.verdict.score == pytest.approx(expected.score, abs=1e-6) and result.verdict.match
    assert [f.box for f in (result.verdict.probe, *result.verdict.references)] == [
        f.box for f in (expected.probe, *expected.references)
    ]
    for preview in result.previews:
        assert preview.dtype == np.uint8 and max(preview.shape[:2]) == PREVIEW_SIDE and preview.shape[2] == 3
    # the preview is the face, not the whole 512 px photo: the astronaut's face is about 100 px wide
    assert result.previews[0].shape[:2] != (PREVIEW_SIDE, PREVIEW_SIDE)
    assert service.compare(a, b, threshold=1.5).verdict.match is False
    numbers = service.verify(a, b, threshold=0.0)  # the same verdict, without the previews
    assert (numbers.score, numbers.match, numbers.probe.box) == (result.verdict.score, True, result.verdict.probe.box)


def test_bad_uploads_are_named_by_the_users_file_name(service, photos, tmp_path):
    good = uploaded(photos, "astronaut.jpg", tmp_path)
    with pytest.raises(UnreadableImageError, match=r"^notes\.jpg: not an image") as err:
        service.compare(good, uploaded(photos, "notes.jpg", tmp_path))
    assert str(tmp_path) not in str(err.value)  # the temp path means nothing to the user
    with pytest.raises(NoFaceError, match=r"^blank\.png: "):
        service.compare(uploaded(photos, "blank.png", tmp_path), good)


def test_identify_needs_a_gallery_with_people(service, photos, tmp_path):
    probe = uploaded(photos, "astronaut.jpg", tmp_path)
    with pytest.raises(FacecompareError, match="no gallery"):
        service.identify(probe)
    missing = FaceService(service.bundle, service.finder, tmp_path / "missing.db")
    with pytest.raises(FacecompareError, match=r"missing\.db: no such gallery"):
        missing.identify(probe)
    assert not (tmp_path / "missing.db").exists()  # looking does not create it
    with open_gallery(tmp_path / "empty.db", service.bundle):
        pass
    with pytest.raises(FacecompareError, match="the gallery is empty"):
        FaceService(service.bundle, service.finder, tmp_path / "empty.db").identify(probe)


def test_identify_sees_people_enrolled_while_it_runs(service, photos, tmp_path):
    db = tmp_path / "g.db"
    app = FaceService(service.bundle, service.finder, db)
    with open_gallery(db, service.bundle) as gallery:
        enroll(service.bundle, service.finder, gallery, "mirror", [photos / "mirrored.jpg"])
    probe = uploaded(photos, "astronaut.jpg", tmp_path)
    assert [m.person for m in app.identify(probe, threshold=0.0).result.matches] == ["mirror"]
    with open_gallery(db, service.bundle) as gallery:  # e.g. `facecompare enroll` from another process
        enroll(service.bundle, service.finder, gallery, "astronaut", [photos / "astronaut.jpg"])
    lookup = app.identify(probe, top=1)
    assert lookup.result.best == "astronaut" and lookup.result.matches[0].score == pytest.approx(1.0)
    assert max(lookup.preview.shape[:2]) == PREVIEW_SIDE


def test_face_preview_crops_with_context_clips_at_edges_and_enlarges_small_faces():
    image = np.zeros((100, 200, 3), np.uint8)
    image[40:60, 90:110] = 255
    preview = face_preview(image, (90.0, 40.0, 110.0, 60.0))  # 20 px face, 6 px context each side
    assert preview.shape == (PREVIEW_SIDE, PREVIEW_SIDE, 3)
    centre = preview[PREVIEW_SIDE // 2 - 5 : PREVIEW_SIDE // 2 + 5, PREVIEW_SIDE // 2 - 5 : PREVIEW_SIDE // 2 + 5]
    assert centre.min() > 200 and preview[:5, :5].max() < 50  # the face in the middle, context around it
    corner = face_preview(image, (-10.0, -10.0, 20.0, 40.0))  # a box over the edge is clipped, not an error
    assert corner.shape[2] == 3 and max(corner.shape[:2]) == PREVIEW_SIDE
    assert face_preview(image, None).shape == (112, PREVIEW_SIDE, 3)  # detector none: the whole image


def test_identify_with_an_allow_list_decides_as_the_command_line_does(service, photos, tmp_path):
    db = tmp_path / "g.db"
    with open_gallery(db, service.bundle) as gallery:
        enroll(service.bundle, service.finder, gallery, "astronaut", [photos / "astronaut.jpg"])
        enroll(service.bundle, service.finder, gallery, "mirror", [photos / "mirrored.jpg"])
    app = FaceService(service.bundle, service.finder, db)
    probe = uploaded(photos, "astronaut.jpg", tmp_path)
    assert app.identify(probe).access is None  # no list: identification only
    granted = app.identify(probe, threshold=0.5, allowed=["mirror", "astronaut"]).access
    assert (granted.granted, granted.reason, granted.person, granted.not_enrolled) == (True, "allowed", "astronaut", [])
    # enrolled but not allowed: found as themselves, not matched against the allowed people only
    denied = app.identify(probe, threshold=0.5, allowed=["mirror", "nobody"]).access
    assert (denied.granted, denied.reason, denied.person, denied.not_enrolled) == (
        False,
        "not_allowed",
        "astronaut",
        ["nobody"],
    )
    unknown = app.identify(probe, threshold=1.5, allowed=["astronaut"]).access
    assert (unknown.granted, unknown.reason, unknown.person) == (False, "unknown", None)


def test_access_without_a_vouched_threshold_is_refused(curved_bundle, service, photos, tmp_path):
    db = tmp_path / "g.db"
    with open_gallery(db, service.bundle) as gallery:
        enroll(service.bundle, service.finder, gallery, "astronaut", [photos / "astronaut.jpg"])
    # no open-set curve and no threshold given: nobody is granted, before the photo is even read
    with pytest.raises(AccessRefusedError, match=r"access refused.*carries no open-set curve"):
        FaceService(service.bundle, service.finder, db).identify(
            Upload(tmp_path / "none.jpg", "door.jpg"), allowed=["x"]
        )
    # the operator's threshold (`app --threshold`) is a deliberate one
    chosen = FaceService(service.bundle, service.finder, db, threshold=0.5)
    lookup = chosen.identify(uploaded(photos, "astronaut.jpg", tmp_path), allowed=["astronaut"])
    assert lookup.access.granted and lookup.result.threshold_rule == "given" and lookup.result.threshold == 0.5
    # with a curve: decided at the threshold fitted for 1e-3 by default (1e-3 over 1 embedding, from 0.99)
    bundle = load_bundle(curved_bundle)
    curved_db = tmp_path / "curved.db"
    with open_gallery(curved_db, bundle) as gallery:
        enroll(bundle, service.finder, gallery, "astronaut", [photos / "astronaut.jpg"])
    fitted = FaceService(bundle, service.finder, curved_db)
    lookup = fitted.identify(uploaded(photos, "astronaut.jpg", tmp_path), allowed=["astronaut"])
    assert lookup.access.granted and (lookup.result.threshold, lookup.result.threshold_rule) == (0.99, "fpir 0.001")


def test_identify_refuses_top_below_one(service, photos, tmp_path):
    from facecompare.errors import ConfigError

    db = tmp_path / "g.db"
    with open_gallery(db, service.bundle) as gallery:
        enroll(service.bundle, service.finder, gallery, "astronaut", [photos / "astronaut.jpg"])
    app, probe, outcome = (
        FaceService(service.bundle, service.finder, db),
        uploaded(photos, "astronaut.jpg", tmp_path),
        [],
    )

    def lookup():
        try:
            app.identify(probe, top=0)
        except Exception as err:
            outcome.append(err)

    worker = threading.Thread(target=lookup, daemon=True)  # before the fix the search never returned
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive() and len(outcome) == 1 and isinstance(outcome[0], ConfigError)
    assert str(outcome[0]) == "top must be at least 1, got 0"


def test_a_service_with_an_fpir_fits_the_threshold_to_the_gallery(curved_bundle, service, photos, tmp_path):
    bundle = load_bundle(curved_bundle)
    db = tmp_path / "g.db"
    with open_gallery(db, bundle) as gallery:
        enroll(bundle, service.finder, gallery, "astronaut", [photos / "astronaut.jpg"])
        enroll(bundle, service.finder, gallery, "mirror", [photos / "mirrored.jpg"])
    app = FaceService(bundle, service.finder, db, fpir=0.002)
    probe = uploaded(photos, "astronaut.jpg", tmp_path)
    found = app.identify(probe).result  # 0.2 % over 2 embeddings: 1e-3 each, from 0.99
    assert found.best == "astronaut" and found.threshold == 0.99 and found.fpir_bound == pytest.approx(0.002)
    assert app.identify(probe, threshold=0.5).result.threshold == 0.5  # a threshold given per request wins
    assert FaceService(bundle, service.finder, db).identify(probe).result.threshold == 0.999  # the default 1e-3
    with pytest.raises(FacecompareError, match="carries no open-set curve"):
        FaceService(service.bundle, service.finder, db, fpir=0.002)  # at start-up, not at the first request


def test_uploads_held_in_memory_enrol_identify_and_are_removed_as_files_are(service, photos, tmp_path):
    db = tmp_path / "g.db"
    app = FaceService(service.bundle, service.finder, db)
    in_memory = Upload(None, "door.jpg", (photos / "astronaut.jpg").read_bytes())
    with pytest.raises(NotFoundError, match=r"g\.db: no such gallery yet"):
        app.people()
    assert not db.exists()  # only enrolment creates a gallery
    assert app.enroll(" Ada ", [in_memory, Upload(None, "b.png", (photos / "cropped.png").read_bytes())]) == 2
    assert app.people() == [("Ada", 2)] and app.gallery_summary() == f"{db}, 1 people"
    lookup = app.identify(in_memory, threshold=0.0)
    from_file = app.identify(uploaded(photos, "astronaut.jpg", tmp_path), threshold=0.0)
    assert lookup.result.matches == from_file.result.matches and lookup.result.face.path.name == "door.jpg"
    with open_gallery(db, service.bundle) as gallery:
        sources = [row[0] for row in gallery.db.execute("SELECT source FROM embeddings")]
    assert sources == ["door.jpg", "b.png"]  # the names given, as the command line records its paths
    with pytest.raises(UnreadableImageError, match=r"^notes\.bin: not an image"):
        app.enroll("Bob", [in_memory, Upload(None, "notes.bin", b"not a picture")])
    with pytest.raises(NoFaceError, match=r"^blank\.png: "):
        app.enroll("Bob", [in_memory, Upload(None, "blank.png", (photos / "blank.png").read_bytes())])
    assert app.people() == [("Ada", 2)]  # all or nothing
    with pytest.raises(NotFoundError, match="no person named 'Bob'"):
        app.remove("Bob")
    assert app.remove("Ada") == 2 and app.people() == []
    with pytest.raises(NotFoundError, match="the gallery is empty"):
        app.identify(in_memory)


def test_enrolment_through_the_service_applies_the_bundles_quality_bar(service, photos, tmp_path):
    import dataclasses

    from facecompare.inference.face_quality import LowQualityError

    axes = np.eye(service.bundle.meta["embedding"]["size"])
    strict = EmbeddingQuality(axes[0], 0.0, 1.0, axes[1], 0.5, refuse_below=1.0).to_json()  # no real face reaches
    bundle = dataclasses.replace(service.bundle, meta={**service.bundle.meta, "quality": strict})
    rated = FaceService(bundle, service.finder, tmp_path / "g.db")
    with pytest.raises(LowQualityError, match=r"astronaut\.jpg: face quality .* is below --min-quality 1\.00"):
        rated.enroll("astronaut", [uploaded(photos, "astronaut.jpg", tmp_path)])
    plain = FaceService(service.bundle, service.finder, tmp_path / "g.db")  # no quality model: no bar
    assert plain.enroll("astronaut", [uploaded(photos, "astronaut.jpg", tmp_path)]) == 1
