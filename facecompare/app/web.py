"""The local web app (Gradio): compare two faces, or identify one against the gallery.

Started by ``facecompare app --model bundle/ [--gallery gallery.db]``. It binds to 127.0.0.1 unless told
otherwise, refuses uploads over ``max_upload_mb``, and answers a file that is not an image with a message
naming it. Uploads are faces, so they are kept in a private temporary folder that is emptied as it goes
and removed when the server stops (launch.py); nothing is logged, and Gradio's usage reporting is switched off.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from facecompare.app.service import FaceService, Upload
from facecompare.errors import FacecompareError
from facecompare.inference.access import AccessDecision, parse_allow_list
from facecompare.inference.face_quality import quality_text
from facecompare.inference.faces import FoundFace, NoFaceError
from facecompare.inference.gallery_threshold import DEFAULT_FPIR, AccessRefusedError
from facecompare.inference.identify import Identification

CACHE_SWEEP_S = (60, 600)  # every minute, delete uploads and previews older than ten minutes
Result = tuple[Any, ...]


def upload_of(payload: dict[str, Any] | None, what: str) -> Upload:
    """The file behind a Gradio image payload. Events run with ``preprocess=False`` so that a file that is not
    an image reaches our decoder and its message, instead of failing inside Gradio's own PIL call; Gradio has
    already checked that the path is one of its uploads."""
    if not payload or not payload.get("path"):
        raise FacecompareError(f"{what}: no image yet; upload one or take a photo")
    return Upload(Path(payload["path"]), payload.get("orig_name") or what)


def _problem(err: FacecompareError) -> str:
    title = "No face found" if isinstance(err, NoFaceError) else "Cannot use this input"
    return f"### {title}\n{err}"


def _face_line(label: str, face: FoundFace) -> str:
    if face.prob is None:
        return f"{label}: whole image (detector none){quality_text(face)}"
    more = f", {face.faces_found} faces in the photo, used the {face.took} one" if face.faces_found > 1 else ""
    return f"{label}: face found (p={face.prob:.3f}){more}{quality_text(face)}"


def compare(service: FaceService, a: dict | None, b: dict | None, threshold: float) -> Result:
    try:
        result = service.compare(upload_of(a, "first image"), upload_of(b, "second image"), threshold)
    except FacecompareError as err:
        return None, None, _problem(err)
    v = result.verdict
    text = (
        f"## {'MATCH' if v.match else 'NO MATCH'}\n"
        f"score **{v.score:.4f}**, threshold {v.threshold:.4f}\n\n"
        f"- {_face_line('first', v.probe)}\n"
        f"- {_face_line('second', v.references[0])}"
    )
    return *result.previews, text


def _head(found: Identification, access: AccessDecision | None) -> str:
    if access is None:
        return f"## {found.best}" if found.best else "## UNKNOWN"
    word, who = access.verdict
    head = f"## {word}: {who}"
    if access.not_enrolled:
        head += "\n\non the allow list but not in the gallery: " + ", ".join(access.not_enrolled)
    return head


def _limits(found: Identification) -> str:
    """The threshold, how it was chosen, and what it means for strangers, readable next to the decision."""
    text = f"threshold {found.threshold:.4f} [{found.threshold_rule}], {found.people} people in the gallery"
    text += f"\n\n{_face_line('photo', found.face)}"
    if found.fpir_bound is not None:
        text = f"**Strangers taken for someone: at most {found.fpir_bound:.2%}**\n\n{text}"
    return text + (f"\n\n**Warning:** {found.warning}" if found.warning else "")


def identify(
    service: FaceService, probe: dict | None, threshold: float | None, top: float, allow: str | None = None
) -> Result:
    # the allow-list box reads like `identify --allow-file`; left empty, the tab only identifies
    allowed = parse_allow_list(allow or "")
    # A slider always has a value, so it is no deliberate threshold: it serves identification only, and an
    # access decision follows the service's rule (`app --threshold`, `--fpir`, the fitted default) or is refused.
    per_request = None if allowed else threshold
    try:
        lookup = service.identify(upload_of(probe, "image"), per_request, int(top), allowed)
    except AccessRefusedError as err:
        return None, f"## REFUSED: no access decision\n\n{err}", []
    except FacecompareError as err:
        return None, _problem(err), []
    r = lookup.result
    text = f"{_head(r, lookup.access)}\n\n{_limits(r)}"
    rows = [[rank, m.person, round(m.score, 4)] for rank, m in enumerate(r.matches, 1)]
    return lookup.preview, text, rows


def build_app(service: FaceService):
    """The two tabs. Imported lazily: the command line and the inference API work without Gradio."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio as gr
    except ImportError:
        raise FacecompareError("the web app needs Gradio: pip install 'facecompare[app]'") from None

    calibrated = float(service.bundle.threshold)
    threshold_help = f"calibrated: {calibrated:.4f}"

    def image_input(label: str, elem_id: str) -> gr.Image:
        sources = ["upload", "webcam", "clipboard"]
        return gr.Image(label=label, type="filepath", sources=sources, height=320, elem_id=elem_id)

    def face_output(label: str, elem_id: str) -> gr.Image:
        # no share button: it would offer to upload the face to a public host
        return gr.Image(label=label, interactive=False, buttons=["fullscreen"], height=260, elem_id=elem_id)

    with gr.Blocks(title="facecompare", analytics_enabled=False, delete_cache=CACHE_SWEEP_S) as app:
        gr.Markdown("# facecompare\nAre two photos the same person? Who in the gallery is this?")
        with gr.Tab("Compare two faces"):
            with gr.Row():
                first = image_input("first image", "first")
                second = image_input("second image", "second")
            threshold = gr.Slider(0.0, 1.0, value=calibrated, step=0.001, label="threshold", info=threshold_help)
            run = gr.Button("Compare", variant="primary", elem_id="compare")
            with gr.Row():
                face_a = face_output("face used, first", "face_first")
                face_b = face_output("face used, second", "face_second")
            verdict = gr.Markdown(elem_id="verdict")
            run.click(
                lambda a, b, t: compare(service, a, b, t),
                [first, second, threshold],
                [face_a, face_b, verdict],
                preprocess=False,
            )
        with gr.Tab("Identify"):
            gallery_note = str(service.gallery) if service.gallery else "none (start with --gallery FILE)"
            gr.Markdown(f"Gallery: `{gallery_note}`. Enrol people with `facecompare enroll NAME photos...`.")
            probe = image_input("photo", "probe")
            limit = [gr.State(None)]  # a number, not a control: the service's rule sets the threshold
            if service.threshold is not None:
                gr.Markdown(f"Threshold: {service.threshold:.4f}, set with `--threshold` (access decisions too).")
            elif service.fitted:
                rate = DEFAULT_FPIR if service.fpir is None else service.fpir
                gr.Markdown(
                    f"Threshold: fitted to the gallery's size at each request, so that at most {rate:g} of "
                    "strangers are taken for someone (`--fpir`)."
                )
            else:  # no open-set curve: a slider to explore identification, never an access threshold
                info = f"{threshold_help}; identification only (no open-set curve: access decisions are refused)"
                limit = [gr.Slider(0.0, 1.0, value=calibrated, step=0.001, label="threshold", info=info)]
            top = gr.Slider(1, 20, value=5, step=1, label="matches to list")
            allow = gr.Textbox(
                label="allowed people (access control)",
                info="one name per line: GRANTED only for them; empty: identify only",
                lines=3,
                elem_id="allow",
            )
            run_id = gr.Button("Identify", variant="primary", elem_id="identify")
            with gr.Row():
                face = face_output("face used", "face_probe")
                with gr.Column():
                    who = gr.Markdown(elem_id="identity")
                    table = gr.Dataframe(headers=["rank", "person", "score"], interactive=False, elem_id="matches")
            run_id.click(
                lambda p, t, k, a: identify(service, p, t, k, a),
                [probe, *limit, top, allow],
                [face, who, table],
                preprocess=False,
            )
    return app
