"""Every endpoint over real HTTP, its answers checked against the Python API's, and its errors as JSON."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from serving import running

from facecompare.app.service import FaceService, Upload
from facecompare.inference import load_bundle


def image(photos, name, sent_as=None):
    return ("image", (sent_as or name, (photos / name).read_bytes()))


@pytest.mark.slow
def test_verify_scores_as_the_python_api_does(service, photos):
    expected = service.compare(Upload(photos / "astronaut.jpg", "a"), Upload(photos / "mirrored.jpg", "b")).verdict
    with running(service) as url:
        pair = [image(photos, "astronaut.jpg", "door.jpg"), image(photos, "mirrored.jpg")]
        answer = requests.post(f"{url}/verify", files=pair, timeout=60)
        assert answer.status_code == 200
        body = answer.json()
        assert body["score"] == pytest.approx(expected.score, abs=1e-6) and body["match"] == expected.match
        assert body["threshold"] == service.bundle.threshold
        assert [f["image"] for f in body["faces"]] == ["door.jpg", "mirrored.jpg"]  # the names sent, no path
        strict = requests.post(f"{url}/verify", files=pair, data={"threshold": "1"}, timeout=60).json()
        assert strict["threshold"] == 1.0 and strict["score"] == body["score"]
        for data, message in [
            ({"threshold": "1.5"}, "threshold: must be in [0, 1], got 1.5"),
            ({"threshold": "high"}, "threshold: expected a number, got 'high'"),
            ({"treshold": "0.5"}, "unknown form field 'treshold'"),
        ]:
            refused = requests.post(f"{url}/verify", files=pair, data=data, timeout=60)
            assert refused.status_code == 400 and refused.json()["error"].startswith(message)
        one = requests.post(f"{url}/verify", files=pair[:1], timeout=60)
        assert one.status_code == 400 and one.json() == {"error": "send 2 image(s) as form parts named 'image', got 1"}


def test_enroll_list_identify_remove(service, photos):
    with running(service) as url:
        assert requests.get(f"{url}/people", timeout=60).status_code == 404  # only enrolment creates a gallery
        assert requests.get(f"{url}/health", timeout=60).json()["status"] == "ok"
        two = [image(photos, "astronaut.jpg"), image(photos, "cropped.png")]
        added = requests.post(f"{url}/enroll", files=two, data={"name": " Eileen Collins "}, timeout=60)
        assert added.json() == {"person": "Eileen Collins", "added": 2, "embeddings": 2}
        requests.post(f"{url}/enroll", files=[image(photos, "mirrored.jpg")], data={"name": "Mirror"}, timeout=60)
        assert requests.get(f"{url}/people", timeout=60).json() == {
            "people": [{"name": "Eileen Collins", "embeddings": 2}, {"name": "Mirror", "embeddings": 1}]
        }
        assert requests.get(f"{url}/health", timeout=60).json()["gallery"] == f"{service.gallery}, 2 people"
        found = requests.post(f"{url}/identify", files=[image(photos, "astronaut.jpg")], data={"top": "1"}, timeout=60)
        expected = service.identify(Upload(photos / "astronaut.jpg", "astronaut.jpg"), top=1).result.to_json()
        assert found.json() == expected and found.json()["identity"] == "Eileen Collins"
        gone = requests.delete(f"{url}/people/Eileen Collins", timeout=60)
        assert gone.json() == {"person": "Eileen Collins", "removed": 2}
        again = requests.delete(f"{url}/people/Eileen Collins", timeout=60)
        assert again.status_code == 404 and "no person named 'Eileen Collins'" in again.json()["error"]
        no_name = requests.post(f"{url}/enroll", files=[image(photos, "astronaut.jpg")], timeout=60)
        assert no_name.status_code == 400 and no_name.json()["error"].startswith("name: give the person's name")
        requests.delete(f"{url}/people/Mirror", timeout=60)
        empty = requests.post(f"{url}/identify", files=[image(photos, "astronaut.jpg")], timeout=60)
        assert empty.status_code == 404 and "the gallery is empty" in empty.json()["error"]


def test_access_control_decides_as_the_command_line_does(curved_bundle, tiny_model, photos, tmp_path):
    # a bundle with an open-set curve and an explicit false positive identification rate
    service = FaceService(load_bundle(curved_bundle), tiny_model[1], tmp_path / "staff.db", fpir=0.002)
    service.enroll("astronaut", [Upload(photos / "astronaut.jpg", "a.jpg")])
    service.enroll("mirror", [Upload(photos / "mirrored.jpg", "m.jpg")])
    probe = [image(photos, "astronaut.jpg")]
    with running(service) as url:

        def access(**data):
            answer = requests.post(f"{url}/identify", files=probe, data=data, timeout=60)
            return answer.status_code, answer.json()

        status, body = access(allow="astronaut")
        assert status == 200 and body["access"] == {"granted": True, "reason": "allowed", "not_enrolled": []}
        assert body["threshold"] == 0.99 and body["fpir_bound"] == pytest.approx(0.002)  # fitted to 2 embeddings
        status, body = access(allow="# floor 3\nmirror\nghost\n")  # one name per line, as in --allow-file
        assert body["access"] == {"granted": False, "reason": "not_allowed", "not_enrolled": ["ghost"]}
        assert body["identity"] == "astronaut"  # found as themselves: the whole gallery is searched
        status, body = access(allow="astronaut", threshold="0")  # the door's threshold is the service's
        assert status == 400 and body["error"].startswith("threshold: an access decision uses the service's")
        status, body = access(threshold="1")  # identification alone may ask for its own
        assert status == 200 and body["threshold"] == 1.0 and body["threshold_rule"] == "given"
        status, body = access(allow="astronaut", top="0")
        assert status == 400 and body == {"error": "top must be at least 1, got 0"}
        status, body = access(allow="# nobody\n")
        assert status == 400 and body == {"error": "allow: the allow list names nobody"}
        status, body = access()
        assert status == 200 and "access" not in body and body["identity"] == "astronaut"


def test_access_without_a_threshold_the_service_can_vouch_for_is_refused(service, photos):
    # the tiny bundle has no open-set curve and the service was given no threshold: nobody is granted
    service.enroll("astronaut", [Upload(photos / "astronaut.jpg", "a.jpg")])
    with running(service) as url:
        data = {"allow": "astronaut"}
        answer = requests.post(f"{url}/identify", files=[image(photos, "astronaut.jpg")], data=data, timeout=60)
        assert answer.status_code == 409 and answer.json()["error"].startswith("access refused, nobody is granted")


def test_bad_images_no_face_and_bad_requests_are_json_errors(service, photos):
    with running(service) as url:
        notes = requests.post(f"{url}/verify", files=[image(photos, "astronaut.jpg"), image(photos, "notes.jpg")])
        assert notes.status_code == 400 and notes.json()["error"].startswith("notes.jpg: not an image")
        blank = requests.post(f"{url}/verify", files=[image(photos, "astronaut.jpg"), image(photos, "blank.png")])
        assert blank.status_code == 422 and blank.json()["error"].startswith("blank.png: ")
        raw = requests.post(f"{url}/identify", data=(photos / "astronaut.jpg").read_bytes(), timeout=60)
        assert raw.status_code == 400 and "multipart/form-data" in raw.json()["error"]
        broken = requests.post(
            f"{url}/identify", data=b"--x\r\nnonsense", headers={"Content-Type": "multipart/form-data; boundary=x"}
        )
        assert broken.status_code == 400 and broken.json()["error"].startswith("malformed multipart/form-data")
        assert requests.get(f"{url}/nowhere", timeout=60).json() == {"error": "Not Found"}
        assert requests.get(f"{url}/docs", timeout=60).status_code == 404  # its page would load a CDN's scripts
        for answer in (notes, blank, raw, broken):
            assert "Traceback" not in answer.text and answer.headers["content-type"] == "application/json"


@pytest.mark.slow
def test_concurrent_requests_get_the_answers_of_sequential_ones(service, photos):
    service.enroll("astronaut", [Upload(photos / "astronaut.jpg", "a.jpg")])
    pairs = [("astronaut.jpg", "mirrored.jpg"), ("cropped.png", "astronaut.jpg"), ("mirrored.jpg", "cropped.png")]
    with running(service) as url:

        def verify(pair):
            return requests.post(f"{url}/verify", files=[image(photos, n) for n in pair], timeout=120).json()["score"]

        def identify(name):
            sent = [image(photos, name)]
            return requests.post(f"{url}/identify", files=sent, timeout=120).json()["matches"][0]["score"]

        alone = [verify(p) for p in pairs] + [identify(p[0]) for p in pairs]
        with ThreadPoolExecutor(4) as pool:  # the detector's worker threads and the ONNX session are shared
            together = [pool.map(verify, pairs * 2), pool.map(identify, [p[0] for p in pairs] * 2)]
            verified, identified = (list(results) for results in together)
    assert verified == alone[:3] * 2 and identified == alone[3:] * 2  # bit for bit
