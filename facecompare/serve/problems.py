"""Every error of the service as JSON, ``{"error": "one line"}``, with the status that says what went wrong:
400 a bad request or image, 401/403 no or a wrong token, 404 nobody enrolled to answer from, 409 a gallery
this model cannot use or an access decision the service cannot vouch for, 413 too large, 422 no face (or one
too poor to enrol), 500 anything else (never a traceback)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from facecompare.app.service import NotFoundError
from facecompare.errors import FacecompareError
from facecompare.inference.face_quality import LowQualityError
from facecompare.inference.faces import NoFaceError, UnreadableImageError
from facecompare.inference.gallery import GalleryError
from facecompare.inference.gallery_threshold import AccessRefusedError

# the most specific class first: all of them are FacecompareErrors
STATUS = (
    (NoFaceError, 422),
    (LowQualityError, 422),
    (UnreadableImageError, 400),
    (NotFoundError, 404),
    (GalleryError, 409),
    (AccessRefusedError, 409),
)


class Problem(Exception):
    """A request the service refuses, with its HTTP status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def status_of(err: FacecompareError) -> int:
    return next((status for kind, status in STATUS if isinstance(err, kind)), 400)


def answer(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def add_handlers(api: FastAPI) -> None:
    async def problem(_: Request, err: Problem) -> JSONResponse:
        return answer(err.status, err.message, err.headers)

    async def facecompare_error(_: Request, err: FacecompareError) -> JSONResponse:
        return answer(status_of(err), str(err))

    async def invalid(_: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return answer(400, f"{where}: {first.get('msg', 'invalid request')}")

    async def http_error(_: Request, err: HTTPException) -> JSONResponse:
        return answer(err.status_code, str(err.detail), getattr(err, "headers", None))

    async def unexpected(_: Request, err: Exception) -> JSONResponse:
        return answer(500, f"internal error ({type(err).__name__})")

    api.add_exception_handler(Problem, problem)
    api.add_exception_handler(FacecompareError, facecompare_error)
    api.add_exception_handler(RequestValidationError, invalid)
    api.add_exception_handler(HTTPException, http_error)
    api.add_exception_handler(Exception, unexpected)
