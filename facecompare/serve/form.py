"""A request's multipart form read into memory, within limits, as it arrives.

Starlette's form parser spools files over 1 MB to a temporary file: faces on disk. This one keeps every part
in memory and stops reading as soon as a limit is passed, so an oversized request costs neither memory nor
the time to receive it: a declared length over the limit is refused before any of the body is read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from facecompare.app.service import Upload
from facecompare.serve.problems import Problem

FIELD_BYTES = 64 * 1024  # a text field (a name, an allow list, a number)
IMAGE_FIELD = "image"


@dataclass
class Limits:
    image_bytes: int  # one image
    images: int  # per request

    def request_bytes(self, images: int) -> int:
        """The most a request of at most ``images`` images may hold, its text fields included."""
        return images * self.image_bytes + 4 * FIELD_BYTES


@dataclass
class Form:
    images: list[Upload] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)


class _Reader:
    """python-multipart's callbacks, collecting parts in memory and checking the limits part by part."""

    def __init__(self, limits: Limits, known: set[str], images: int) -> None:
        self.limits, self.known, self.images, self.form = limits, known, images, Form()
        self.name, self.filename, self.data = "", None, bytearray()
        self.header, self.value, self.disposition = b"", b"", b""
        self.ended = False

    def callbacks(self) -> dict:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda data, start, end: setattr(self, "header", self.header + data[start:end]),
            "on_header_value": lambda data, start, end: setattr(self, "value", self.value + data[start:end]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
            "on_end": lambda: setattr(self, "ended", True),
        }

    def part_begin(self) -> None:
        self.filename, self.data, self.disposition = None, bytearray(), b""

    def header_end(self) -> None:
        if self.header.lower() == b"content-disposition":
            self.disposition = self.value
        self.header, self.value = b"", b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if self.name not in self.known:
            raise Problem(400, f"unknown form field {self.name!r}; this endpoint takes {sorted(self.known)}")
        if self.name == IMAGE_FIELD:
            if len(self.form.images) >= self.images:
                raise Problem(413, f"more than {self.images} image(s) in one request to this endpoint")
            self.filename = options.get(b"filename", b"").decode("utf-8", "replace") or None

    def part_data(self, data: bytes, start: int, end: int) -> None:
        self.data += data[start:end]
        limit = self.limits.image_bytes if self.name == IMAGE_FIELD else FIELD_BYTES
        if len(self.data) > limit:
            shown = f"{self.filename or 'an image'}" if self.name == IMAGE_FIELD else f"field {self.name!r}"
            raise Problem(413, f"{shown}: over the limit of {_mb(limit)} a part")

    def part_end(self) -> None:
        if self.name == IMAGE_FIELD:
            shown = self.filename or f"image {len(self.form.images) + 1}"
            self.form.images.append(Upload(None, shown, bytes(self.data)))
            return
        try:
            text = self.data.decode("utf-8")
        except UnicodeDecodeError:
            raise Problem(400, f"field {self.name!r} is not UTF-8 text") from None
        self.form.fields.setdefault(self.name, []).append(text)


async def read_form(
    headers: dict[str, str], body: AsyncIterator[bytes], limits: Limits, known: set[str], images: int
) -> Form:
    """The images (at most ``images`` parts named ``image``) and text fields of a ``multipart/form-data``
    body; a field not in ``known`` is refused, so that a misspelt option is not silently ignored."""
    kind, options = parse_options_header(headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise Problem(400, "send the images as multipart/form-data (curl -F image=@photo.jpg)")
    most = limits.request_bytes(images)
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > most:
        raise Problem(413, f"request of {_mb(int(declared))} is over the limit of {_mb(most)}")
    reader = _Reader(limits, known | {IMAGE_FIELD}, images)
    parser = MultipartParser(options[b"boundary"], reader.callbacks())
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            if received > most:
                raise Problem(413, f"request over the limit of {_mb(most)}")
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as err:
        raise Problem(400, f"malformed multipart/form-data ({err})") from None
    if not reader.ended:  # a body cut short: its last part is incomplete, and must not be dropped silently
        raise Problem(400, "malformed multipart/form-data (no closing boundary: the body was cut short)")
    return reader.form


def _mb(size: int) -> str:
    return f"{size / 2**20:.3g} MB"
