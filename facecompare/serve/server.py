"""Running the service with uvicorn: where it listens, who may call it, what it prints, and how it stops.

It listens on 127.0.0.1 unless told otherwise, and on any other address only with a token. Requests are not
logged (a path such as ``DELETE /people/<name>`` names a person). Ctrl-C, SIGTERM and SIGHUP stop it
gracefully: requests in progress are answered first; with nothing but the gallery written, and each change
to it one SQLite transaction, there is nothing else to clean up.
"""

from __future__ import annotations

import signal
import socket
from dataclasses import dataclass

import uvicorn

from facecompare.app.auth import is_loopback
from facecompare.app.service import FaceService
from facecompare.app.stopping import end_as
from facecompare.errors import FacecompareError
from facecompare.serve.api import build_api
from facecompare.serve.form import Limits


@dataclass
class Listen:
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None
    token_file: str | None = None  # only to say where the token came from


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, made before the server starts, so that a port in use is one line and port 0 works."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP by name: asyncio turns Nagle's algorithm off only on sockets that say so, and with it on, each
    # answer on a kept-alive connection waited 40 ms for the client's delayed acknowledgement
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # from now on connections wait in the backlog: the start-up lines may say it serves
    except OSError as err:
        sock.close()
        raise FacecompareError(f"cannot listen on {host}:{port} ({err.strerror or err})") from None
    return sock


def make_server(service: FaceService, listen: Listen, limits: Limits) -> uvicorn.Server:
    if listen.token is None and not is_loopback(listen.host):
        # the service names people and grants access: not for anyone who can reach the address
        raise FacecompareError(
            f"--host {listen.host} makes the service reachable from the network: give --token-file FILE "
            "(clients then send Authorization: Bearer <token>)"
        )
    api = build_api(service, limits, listen.token)
    config = uvicorn.Config(api, access_log=False, log_level="warning", server_header=False, lifespan="off")
    return uvicorn.Server(config)


def startup_lines(url: str, gallery: str, listen: Listen, limits: Limits) -> list[str]:
    who = f"token required (from {listen.token_file})" if listen.token else "this machine only, no token"
    return [
        f"facecompare serve: {url}  (Ctrl-C stops it)",
        f"gallery: {gallery}",
        f"access: {who}",
        f"limits: {limits.image_bytes / 2**20:g} MB an image, {limits.images} images a request",
    ]


def serve_forever(service: FaceService, listen: Listen, limits: Limits) -> None:
    """Serve until Ctrl-C, SIGTERM or SIGHUP; after SIGTERM or SIGHUP the process ends as the signal would."""
    gallery = service.gallery_summary()  # a gallery this model cannot use fails here, before listening
    server = make_server(service, listen, limits)
    sock = bind(listen.host, listen.port)
    host, port = sock.getsockname()[:2]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    print("\n".join(startup_lines(url, gallery, listen, limits)), flush=True)
    hung_up = []

    def hang_up(signum: int, _frame: object) -> None:  # uvicorn stops gracefully on SIGINT and SIGTERM only
        hung_up.append(signum)
        server.should_exit = True

    previous = signal.signal(signal.SIGHUP, hang_up) if hasattr(signal, "SIGHUP") else None
    try:
        server.run(sockets=[sock])  # on SIGTERM, it raises the signal again once it has stopped
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if previous is not None:
            signal.signal(signal.SIGHUP, previous)
    if hung_up:
        end_as(hung_up[0])
