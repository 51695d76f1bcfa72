"""``facecompare serve`` as started from the command line: where it may listen, what it prints, and how
SIGTERM and SIGHUP stop it."""

import os
import signal
import socket
import threading
import time

import pytest
import requests

from facecompare.cli import EXIT_BAD_INPUT, EXIT_MATCH, main
from facecompare.serve import server
from facecompare.serve.form import Limits
from facecompare.serve.server import Listen, make_server

TOKEN = "k3Jd9-aQ0v_Zr7LmP2xW8yTn"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_network_address_needs_a_token(tiny_bundle, service, tmp_path, capsys):
    start = ["serve", "--model", str(tiny_bundle), "--gallery", str(tmp_path / "g.db")]
    assert main([*start, "--host", "0.0.0.0"]) == EXIT_BAD_INPUT
    assert "--host 0.0.0.0 makes the service reachable from the network: give --token-file" in capsys.readouterr().err
    token = tmp_path / "token.txt"
    token.write_text("too short\n")
    assert main([*start, "--host", "0.0.0.0", "--token-file", str(token)]) == EXIT_BAD_INPUT
    assert "token.txt: the token must be one line of at least 16 characters" in capsys.readouterr().err
    assert make_server(service, Listen("0.0.0.0", 8000, TOKEN), Limits(2**20, 1)) is not None  # with one it may
    assert main([*start, "--max-images", "0"]) == EXIT_BAD_INPUT
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main([*start, "--port", str(port)]) == EXIT_BAD_INPUT
    assert f"cannot listen on 127.0.0.1:{port} (Address already in use)" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_stops_the_service_gracefully(signum, tiny_bundle, photos, tmp_path, capsys, monkeypatch):
    port, seen, received = free_port(), {}, []
    url = f"http://127.0.0.1:{port}"
    # in this process: what the signal would do to a process of its own is recorded instead
    previous = signal.signal(signal.SIGTERM, lambda s, _: received.append(s))  # uvicorn raises it again at the end
    monkeypatch.setattr(server, "end_as", received.append)  # after SIGHUP

    def use_then_stop() -> None:
        deadline = time.monotonic() + 120
        while not seen and time.monotonic() < deadline:
            try:
                seen["health"] = requests.get(f"{url}/health", timeout=5).status_code
            except requests.ConnectionError:
                time.sleep(0.05)
        os.kill(os.getpid(), signum)

    helper = threading.Thread(target=use_then_stop)
    helper.start()
    try:
        code = main(["serve", "--model", str(tiny_bundle), "--gallery", str(tmp_path / "g.db"), "--port", str(port)])
    finally:
        helper.join()
        signal.signal(signal.SIGTERM, previous)
    assert code == EXIT_MATCH and seen == {"health": 200} and received == [signum]
    out = capsys.readouterr().out
    assert out.startswith(f"facecompare serve: {url}  (Ctrl-C stops it)\n")
    assert "access: this machine only, no token" in out and "limits: 10 MB an image, 10 images a request" in out
    with pytest.raises(requests.ConnectionError):  # the port is closed
        requests.get(f"{url}/health", timeout=5)
    assert not (tmp_path / "g.db").exists()  # nothing written: no one was enrolled


def test_the_listening_socket_says_it_is_tcp():
    # asyncio switches Nagle's algorithm off only on sockets created with IPPROTO_TCP; without that, every
    # answer on a kept-alive connection waited for the client's delayed ACK (48 ms for GET /health, measured)
    sock = server.bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
