"""The token: read from a file, required of every request when set, checked before a request's body is read."""

import http.client

import pytest
import requests
from serving import running

from facecompare.errors import FacecompareError
from facecompare.serve.token import read_token

TOKEN = "k3Jd9-aQ0v_Zr7LmP2xW8yTn"


def test_a_token_file_is_one_line_of_enough_characters(tmp_path):
    path = tmp_path / "token.txt"
    path.write_text(f"  {TOKEN}  \n")
    assert read_token(path) == TOKEN
    for text, problem in [("short\n", "at least 16 characters"), ("", "at least 16"), (f"{TOKEN} {TOKEN}", "spaces")]:
        path.write_text(text)
        with pytest.raises(FacecompareError, match=problem) as err:
            read_token(path)
        assert TOKEN not in str(err.value)  # a message never shows the token
    with pytest.raises(FacecompareError, match=r"missing\.txt: token file not found"):
        read_token(tmp_path / "missing.txt")


def test_every_request_needs_the_token(service, photos):
    with running(service, token=TOKEN) as url:
        for method, path in [("get", "/health"), ("get", "/people"), ("post", "/verify"), ("delete", "/people/A")]:
            missing = requests.request(method, f"{url}{path}", timeout=60)
            assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
            assert missing.json() == {"error": "send Authorization: Bearer <token>"}
            wrong = requests.request(method, f"{url}{path}", headers={"Authorization": f"Bearer {TOKEN}x"}, timeout=60)
            assert wrong.status_code == 403 and wrong.json() == {"error": "wrong token"}
        basic = requests.get(f"{url}/health", auth=("user", TOKEN), timeout=60)
        assert basic.status_code == 401
        good = requests.get(f"{url}/health", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        assert good.status_code == 200 and good.json()["status"] == "ok"
        # refused on its headers alone: the 50 MB announced are never waited for
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=60)
        connection.putrequest("POST", "/enroll")
        connection.putheader("Content-Type", "multipart/form-data; boundary=b")
        connection.putheader("Content-Length", str(50 * 2**20))
        connection.endheaders()
        assert connection.getresponse().status == 401
        connection.close()
