"""The service's access token: read from a file (never a command line, which ``ps`` shows to every user),
sent by clients as ``Authorization: Bearer <token>``, compared in constant time."""

from __future__ import annotations

import hmac
from pathlib import Path

from facecompare.errors import FacecompareError
from facecompare.serve.problems import Problem

MIN_LENGTH = 16  # python -c "import secrets; print(secrets.token_urlsafe(32))" gives 43 characters


def read_token(path: str | Path) -> str:
    """The token: the file's first line, without surrounding spaces. Problems name the file, never the token."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise FacecompareError(f"{path}: token file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise FacecompareError(f"{path}: cannot read the token file ({type(err).__name__})") from None
    token = lines[0].strip() if lines else ""
    if len(token) < MIN_LENGTH or any(ch.isspace() for ch in token):
        raise FacecompareError(
            f"{path}: the token must be one line of at least {MIN_LENGTH} characters without spaces "
            '(e.g. python -c "import secrets; print(secrets.token_urlsafe(32))" > token.txt)'
        )
    return token


def check_bearer(authorization: str | None, token: str) -> None:
    """Raise a 401 (no token sent) or 403 (a wrong one) unless ``authorization`` carries ``token``."""
    scheme, _, sent = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not sent.strip():
        raise Problem(401, "send Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(sent.strip().encode(), token.encode()):
        raise Problem(403, "wrong token")
