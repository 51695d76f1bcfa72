"""Starting and stopping the web app: its private upload folder, Gradio's server, and what it prints.

Gradio writes every upload and every preview it shows under ``GRADIO_TEMP_DIR``, read when the page and
the server are built: pointed at the private folder before that, no copy of a face lands anywhere else.
The folder goes when the app stops by Ctrl-C, SIGTERM or SIGHUP, and one left by a killed app goes at the
next start (upload_dir.py).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from facecompare.app.service import FaceService
from facecompare.app.stopping import Stopped, end_as, stop_on_signals
from facecompare.app.upload_dir import make_upload_dir, remove_stale_upload_dirs
from facecompare.app.web import build_app
from facecompare.errors import FacecompareError


def startup_lines(url: str, gallery: str, max_upload_mb: float, folder: Path, stale: int) -> list[str]:
    """What the app prints when it is ready, in place of Gradio's own lines."""
    lines = [
        f"facecompare app: {url}  (Ctrl-C stops it)",
        f"gallery: {gallery}",
        f"uploads: up to {max_upload_mb:g} MB a file, kept in {folder} until the app stops",
    ]
    if stale:
        lines.append(f"removed {stale} upload folder(s) left by app processes that no longer run")
    return lines


def serve(
    service: FaceService,
    host: str = "127.0.0.1",
    port: int | None = None,
    max_upload_mb: float = 10.0,
    block: bool = True,
    auth: list[tuple[str, str]] | None = None,
):
    """Start the app. With ``block=False`` it returns ``(app, url, cleanup)`` and keeps serving in the
    background until ``cleanup()`` is called (the tests do this). ``auth``: ``(user, password)`` pairs that
    may log in (``facecompare.app.auth.read_auth_file``); None serves without a login. Blocking, it serves
    until Ctrl-C, SIGTERM or SIGHUP, removes the uploads, and ends as the signal would have ended it."""
    if max_upload_mb <= 0:
        raise FacecompareError(f"--max-upload-mb must be positive, got {max_upload_mb}")
    if not block:
        return _start(service, host, port, max_upload_mb, auth)[:3]
    gallery, stopped = service.gallery_summary(), None  # a gallery of another model fails here, before any work
    with stop_on_signals():  # from before the folder exists: a SIGTERM during start-up removes it too
        try:
            app, url, cleanup, folder, stale = _start(service, host, port, max_upload_mb, auth)
            try:
                print("\n".join(startup_lines(url, gallery, max_upload_mb, folder, stale)), flush=True)
                while app.is_running:
                    time.sleep(0.2)
            finally:
                cleanup()
        except KeyboardInterrupt:
            pass
        except Stopped as stop:
            stopped = stop.signum
    if stopped is not None:
        end_as(stopped)
    return None


def _start(service: FaceService, host: str, port: int | None, max_upload_mb: float, auth):
    stale = remove_stale_upload_dirs()
    folder = make_upload_dir()
    previous = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    app = None

    def cleanup() -> None:
        if app is not None:
            app.close()
        shutil.rmtree(folder, ignore_errors=True)
        if previous is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = previous

    try:
        app = build_app(service)
        _, url, _ = app.launch(
            server_name=host,
            server_port=port,
            auth=auth,
            max_file_size=int(max_upload_mb * 1024 * 1024),
            share=False,
            ssr_mode=False,
            mcp_server=False,
            prevent_thread_lock=True,
            quiet=True,  # no "set share=True" hint: startup_lines says what matters here
            allowed_paths=[],
        )
    except BaseException:
        cleanup()
        raise
    return app, url, cleanup, folder, stale
