"""The service over real HTTP: uvicorn serving in a thread on a free port of 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from facecompare.app.service import FaceService
from facecompare.serve.form import Limits
from facecompare.serve.server import Listen, bind, make_server

LIMITS = Limits(image_bytes=2**20, images=3)


@contextmanager
def running(service: FaceService, limits: Limits = LIMITS, token: str | None = None) -> Iterator[str]:
    """The service's URL while it serves; stopped as on Ctrl-C (graceful shutdown) afterwards."""
    server = make_server(service, Listen(token=token), limits)
    sock = bind("127.0.0.1", 0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the service did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        sock.close()
        assert not thread.is_alive()
