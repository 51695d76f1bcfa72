"""Upload limits over real HTTP: a request over them is refused with 413 as soon as that is known, and
nothing of any request is written to disk."""

import http.client
import os
import tempfile
from pathlib import Path

import pytest
import requests
from serving import running

from facecompare.serve.form import Limits

SMALL = Limits(image_bytes=64 * 1024, images=2)


def test_too_large_or_too_many_images_are_refused(service, photos):
    small = (photos / "astronaut.jpg").read_bytes()
    assert len(small) < SMALL.image_bytes
    big = os.urandom(SMALL.image_bytes + 1)
    with running(service, SMALL) as url:
        # one image over the limit, in a request small enough to be read: refused at that part
        over = requests.post(f"{url}/enroll", files=[("image", ("big.jpg", big))], data={"name": "A"}, timeout=60)
        assert over.status_code == 413 and over.json() == {"error": "big.jpg: over the limit of 0.0625 MB a part"}
        three = [("image", (f"{i}.jpg", small)) for i in range(3)]
        many = requests.post(f"{url}/enroll", files=three, data={"name": "A"}, timeout=60)
        assert (
            many.status_code == 413 and many.json()["error"] == "more than 2 image(s) in one request to this endpoint"
        )
        two = requests.post(f"{url}/identify", files=three[:2], timeout=60)  # identify takes one
        assert two.status_code == 413
        assert not service.gallery.exists()  # nothing was enrolled


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(service):
    with running(service, SMALL) as url:
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=60)
        connection.putrequest("POST", "/identify")
        connection.putheader("Content-Type", "multipart/form-data; boundary=b")
        connection.putheader("Content-Length", str(50 * 2**20))
        connection.endheaders()  # and not one byte of the 50 MB: the answer cannot wait for them
        answer = connection.getresponse()
        assert answer.status == 413 and b"request of 50 MB is over the limit" in answer.read()
        connection.close()


def test_a_chunked_body_is_counted_as_it_arrives(service):
    def body():
        yield b'--b\r\nContent-Disposition: form-data; name="image"; filename="endless.jpg"\r\n\r\n'
        for _ in range(20):  # 20 x 16 KB, five times the limit of a part
            yield b"\xff" * 16 * 1024

    with running(service, SMALL) as url:
        headers = {"Content-Type": "multipart/form-data; boundary=b"}
        answer = requests.post(f"{url}/identify", data=body(), headers=headers, timeout=60)  # no Content-Length
        assert answer.status_code == 413 and answer.json()["error"] == "endless.jpg: over the limit of 0.0625 MB a part"


@pytest.mark.slow
def test_nothing_but_the_gallery_is_written(service, photos, tmp_path, monkeypatch):
    # larger than Starlette's 1 MB spool, beyond which its own form parser writes uploads to a temporary file
    from PIL import Image

    large = tmp_path / "large.png"
    Image.open(photos / "astronaut.jpg").resize((1200, 1200)).save(large)
    assert large.stat().st_size > 2**20
    temp, work = tmp_path / "temp", tmp_path / "work"
    temp.mkdir(), work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.chdir(work)
    sent = [("image", ("large.png", large.read_bytes()))]
    with running(service, Limits(image_bytes=4 * 2**20, images=2)) as url:
        assert requests.post(f"{url}/enroll", files=sent, data={"name": "A"}, timeout=60).status_code == 200
        assert requests.post(f"{url}/identify", files=sent, timeout=60).json()["identity"] == "A"
        assert requests.post(f"{url}/verify", files=sent * 2, timeout=60).json()["match"] is True
        assert requests.delete(f"{url}/people/A", timeout=60).status_code == 200
    assert list(temp.iterdir()) == [] and list(work.iterdir()) == []
    written = {p.name for p in Path(service.gallery).parent.iterdir()} - {"large.png", "temp", "work"}
    assert written <= {"gallery.db", "gallery.db-wal", "gallery.db-shm"}
