"""Who may use the web app when it is reachable from the network: a password file, never a command line."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from facecompare.errors import FacecompareError

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


def read_auth_file(path: str | Path) -> list[tuple[str, str]]:
    """``user:password`` per line as Gradio's ``auth`` list. Blank lines and ``#`` comments are skipped, spaces
    around the user and the password are ignored, and a password may hold colons.

    A file rather than an argument, so that passwords stay out of the shell history and ``ps``. Every problem
    names the file and the line, and never echoes a password.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FacecompareError(f"{path}: auth file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise FacecompareError(f"{path}: cannot read the auth file ({type(err).__name__})") from None
    users: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        user, password = user.strip(), password.strip()
        if not sep or not user or not password:
            raise FacecompareError(f"{path}:{number}: expected user:password with a non-empty user and password")
        users.append((user, password))
    if not users:
        raise FacecompareError(f"{path}: no user:password line in the auth file")
    names = [u for u, _ in users]
    if len(set(names)) != len(names):
        raise FacecompareError(f"{path}: a user is listed twice")
    return users
