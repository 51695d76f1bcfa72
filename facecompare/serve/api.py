"""The JSON HTTP API over a FaceService: verify, identify (with access control), enroll, remove, list, health.

Images come as ``multipart/form-data`` parts named ``image`` (``curl -F image=@door.jpg``), what camera
integrations and HTTP clients send without encoding; options are text fields of the same form. Each
request's images stay in memory (form.py). The work runs in worker threads: the ONNX session and the face
finder are shared (onnxruntime's ``run`` and the MTCNN networks hold no per-call state; tested with
concurrent requests), and the gallery file is opened per request, as the web app does.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from facecompare.app.service import FaceService
from facecompare.inference.access import parse_allow_list
from facecompare.inference.gallery import person_name
from facecompare.serve.form import Form, Limits, read_form
from facecompare.serve.problems import Problem, add_handlers
from facecompare.serve.token import check_bearer


def build_api(service: FaceService, limits: Limits, token: str | None = None) -> FastAPI:
    """The service's routes; with ``token``, every request must carry it (checked before the body is read)."""

    async def authorized(request: Request) -> None:
        if token is not None:
            check_bearer(request.headers.get("authorization"), token)

    # no /docs: its page loads scripts from a CDN, and the form fields are described in the README
    api = FastAPI(title="facecompare", docs_url=None, redoc_url=None, openapi_url=None)
    add_handlers(api)
    routes = {"dependencies": [Depends(authorized)]}

    async def form(request: Request, fields: set[str], least: int, most: int) -> Form:
        got = await read_form(dict(request.headers), request.stream(), limits, fields, most)
        if not least <= len(got.images) <= most:
            wanted = str(least) if least == most else f"{least} to {most}"
            raise Problem(400, f"send {wanted} image(s) as form parts named 'image', got {len(got.images)}")
        return got

    @api.post("/verify", **routes)
    async def verify(request: Request) -> dict[str, Any]:
        got = await form(request, {"threshold"}, 2, 2)
        verdict = await run_in_threadpool(service.verify, *got.images, threshold=_threshold(got))
        return verdict.to_json()

    @api.post("/identify", **routes)
    async def identify(request: Request) -> dict[str, Any]:
        got = await form(request, {"threshold", "top", "allow"}, 1, 1)
        allowed = [name for text in got.fields.get("allow", []) for name in parse_allow_list(text)]
        if "allow" in got.fields and not allowed:  # as with --allow-file: a list naming nobody is a mistake
            raise Problem(400, "allow: the allow list names nobody")
        top = _number(got, "top", int, 5)
        threshold = _threshold(got)
        if allowed and threshold is not None:  # whoever runs the service vouches for the door's threshold
            raise Problem(400, "threshold: an access decision uses the service's (serve --fpir or --threshold)")
        lookup = await run_in_threadpool(
            service.identify, got.images[0], threshold=threshold, top=top, allowed=allowed or None
        )
        answer = lookup.result.to_json()
        return answer | ({"access": lookup.access.to_json()} if lookup.access else {})

    @api.post("/enroll", **routes)
    async def enroll(request: Request) -> dict[str, Any]:
        got = await form(request, {"name"}, 1, limits.images)
        names = got.fields.get("name", [])
        if len(names) != 1 or not person_name(names[0]):
            raise Problem(400, "name: give the person's name once, as a form field")
        count = await run_in_threadpool(service.enroll, names[0], got.images)
        return {"person": person_name(names[0]), "added": len(got.images), "embeddings": count}

    @api.delete("/people/{name}", **routes)
    async def remove(name: str) -> dict[str, Any]:
        return {"person": person_name(name), "removed": await run_in_threadpool(service.remove, name)}

    @api.get("/people", **routes)
    async def people() -> dict[str, Any]:
        listed = await run_in_threadpool(service.people)
        return {"people": [{"name": name, "embeddings": count} for name, count in listed]}

    @api.get("/health", **routes)
    async def health() -> dict[str, Any]:
        # reads the gallery, so that a gallery this model cannot use shows here (409) and not at the door
        summary = await run_in_threadpool(service.gallery_summary)
        meta = service.bundle.meta
        return {"status": "ok", "model": meta["checkpoint"]["sha256"][:12], "threshold": service.bundle.threshold,
                "fpir": service.fpir, "gallery": summary}  # fmt: skip

    return api


def _number(got: Form, name: str, kind: type, default: Any) -> Any:
    values = got.fields.get(name, [])
    if len(values) > 1:
        raise Problem(400, f"{name}: given more than once")
    if not values:
        return default
    try:
        return kind(values[0])
    except ValueError:
        raise Problem(
            400, f"{name}: expected a{'n integer' if kind is int else ' number'}, got {values[0]!r}"
        ) from None


def _threshold(got: Form) -> float | None:
    threshold = _number(got, "threshold", float, None)
    if threshold is not None and not 0.0 <= threshold <= 1.0:  # scores are in [0, 1]
        raise Problem(400, f"threshold: must be in [0, 1], got {threshold:g}")
    return threshold
