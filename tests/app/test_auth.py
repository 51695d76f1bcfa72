"""The app's login file and what counts as this machine only."""

import pytest

from facecompare.app.auth import is_loopback, read_auth_file
from facecompare.errors import FacecompareError


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False),
     ("::", False), ("192.168.1.20", False), ("camera-gate.local", False)],
)  # fmt: skip
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def test_users_and_passwords_are_read_line_by_line(tmp_path):
    path = tmp_path / "users.txt"
    path.write_text("# staff\n alice : pa ss \n\nbob:x:y\n")
    assert read_auth_file(path) == [("alice", "pa ss"), ("bob", "x:y")]  # a password may hold colons


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("alice\n", "users.txt:1: expected user:password"),
        ("# c\nalice:\n", "users.txt:2: expected user:password"),
        (":secret\n", "users.txt:1: expected user:password"),
        ("# nobody\n\n", "users.txt: no user:password line"),
        ("a:1\na:2\n", "users.txt: a user is listed twice"),
    ],
)
def test_bad_files_name_the_file_and_line_and_never_the_password(tmp_path, text, message):
    path = tmp_path / "users.txt"
    path.write_text(text)
    with pytest.raises(FacecompareError, match=message) as info:
        read_auth_file(path)
    assert "secret" not in str(info.value)


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(FacecompareError, match=r"nope\.txt: auth file not found"):
        read_auth_file(tmp_path / "nope.txt")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(FacecompareError, match=r"bin\.txt: cannot read the auth file"):
        read_auth_file(tmp_path / "bin.txt")
