"""The web app in a real browser (headless Chromium through chromedriver), plus its handlers and limits.

The project's CI installs Debian's chromium and chromium-driver and sets FACECOMPARE_REQUIRE_BROWSER=1
(.ci/run), which makes a missing browser a failure; the GitHub workflow does the same with Chrome for Testing
(FACECOMPARE_CHROME, FACECOMPARE_CHROMEDRIVER). Elsewhere (a laptop) they are skipped when missing.
"""

import os
import shutil
import socket
import time
from pathlib import Path

import pytest
import requests

from facecompare.app.launch import serve
from facecompare.app.service import FaceService
from facecompare.app.web import compare, identify
from facecompare.errors import FacecompareError
from facecompare.inference import load_bundle
from facecompare.inference.faces import FaceFinder, make_detector
from facecompare.inference.identify import enroll, open_gallery

# Debian's packages (.ci/run), or any Chrome and matching chromedriver named here (the GitHub workflow)
CHROMIUM = os.environ.get("FACECOMPARE_CHROME", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("FACECOMPARE_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(os.environ.get("FACECOMPARE_TEST_ARTIFACTS", Path(__file__).parents[2] / "outputs" / "tests"))
MAX_UPLOAD_MB = 1.0


@pytest.fixture(scope="module")
def service(tiny_bundle, photos, tmp_path_factory):
    bundle = load_bundle(tiny_bundle)
    finder = FaceFinder(make_detector("mtcnn", bundle.meta), bundle.size)
    db = tmp_path_factory.mktemp("app_gallery") / "gallery.db"
    with open_gallery(db, bundle) as gallery:
        enroll(bundle, finder, gallery, "astronaut", [photos / "astronaut.jpg"])
        enroll(bundle, finder, gallery, "mirror", [photos / "mirrored.jpg"])
    return FaceService(bundle, finder, db)


@pytest.fixture(scope="module")
def server(service):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, cleanup = serve(service, port=port, max_upload_mb=MAX_UPLOAD_MB, block=False)
    yield url, os.environ["GRADIO_TEMP_DIR"]
    cleanup()


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("FACECOMPARE_REQUIRE_BROWSER"):
            pytest.fail(f"FACECOMPARE_REQUIRE_BROWSER is set but {CHROMIUM} or {CHROMEDRIVER} is missing (.ci/run)")
        pytest.skip(f"needs {CHROMIUM} and {CHROMEDRIVER} (Debian's chromium and chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # the background-networking flags stop Chromium calling Google's servers (refused on an offline machine)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--window-size=1280,1300"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _open(browser, url, tab=None):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#first input[type=file]"))
    if tab:
        next(b for b in browser.find_elements(By.CSS_SELECTOR, "button[role=tab]") if b.text == tab).click()


def _upload(browser, elem_id, path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.find_element(By.CSS_SELECTOR, f"#{elem_id} input[type=file]").send_keys(str(path))
    # the upload is done when the component shows the picture
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#{elem_id} img"))


def _result(browser, button, elem_id, previous=""):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def answer(d) -> str | bool:
        # while it works, Gradio's status tracker (queue: 1/1, processing | 0.1s, ...) sits over the previous
        # answer; done means the tracker is hidden and the markdown itself changed
        box = d.find_element(By.ID, elem_id)
        if box.find_elements(By.CSS_SELECTOR, "[data-testid=status-tracker]:not(.hide)"):
            return False
        text = box.find_element(By.CSS_SELECTOR, "[data-testid=markdown]").text.strip()
        return text not in ("", previous.strip()) and text

    browser.find_element(By.ID, button).click()
    return WebDriverWait(browser, 60).until(answer)


def _screenshot(browser, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOTS / name))
    assert (SCREENSHOTS / name).stat().st_size > 10_000


@pytest.mark.slow
def test_compare_two_uploads_in_a_browser(server, browser, service, photos):
    from selenium.webdriver.common.by import By

    url, _ = server
    assert url.startswith("http://127.0.0.1:")
    _open(browser, url)
    _upload(browser, "first", photos / "astronaut.jpg")
    _upload(browser, "second", photos / "cropped.png")
    text = _result(browser, "compare", "verdict")
    expected = service.compare(*[_as_upload(photos, n) for n in ("astronaut.jpg", "cropped.png")]).verdict
    assert text.splitlines()[0] == ("MATCH" if expected.match else "NO MATCH")
    assert f"score {expected.score:.4f}, threshold {expected.threshold:.4f}" in text
    # both detected faces are shown side by side
    for elem_id in ("face_first", "face_second"):
        image = browser.find_element(By.CSS_SELECTOR, f"#{elem_id} img")
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 100
    _screenshot(browser, "web_app_compare.png")
    # the page asked nothing of any other host (fonts, analytics): faces stay on this machine
    assert _hosts_contacted(browser) <= {url.split("/")[2]}


@pytest.mark.slow
def test_a_file_that_is_not_an_image_gets_a_message(server, browser, photos, tmp_path):
    url, _ = server
    _open(browser, url)
    _upload(browser, "first", photos / "astronaut.jpg")
    fake = tmp_path / "holiday.jpg"
    shutil.copy(photos / "notes.jpg", fake)  # text behind an image name: passes the browser's own type check
    from selenium.webdriver.common.by import By

    browser.find_element(By.CSS_SELECTOR, "#second input[type=file]").send_keys(str(fake))
    time.sleep(1.0)  # nothing to wait for: a broken picture never finishes loading
    text = _result(browser, "compare", "verdict")
    assert "Cannot use this input" in text and "holiday.jpg: not an image" in text
    _screenshot(browser, "web_app_not_an_image.png")


@pytest.mark.slow
def test_identify_tab_in_a_browser(server, browser, service, photos):
    url, _ = server
    _open(browser, url, tab="Identify")
    _upload(browser, "probe", photos / "astronaut.jpg")
    text = _result(browser, "identify", "identity")
    assert text.splitlines()[0] == "astronaut" and "2 people in the gallery" in text
    from selenium.webdriver.common.by import By

    cells = browser.find_element(By.ID, "matches").text.splitlines()
    assert cells[:3] == ["rank", "person", "score"]
    shown = [(cells[i + 1], float(cells[i + 2])) for i in range(3, len(cells), 3)]
    expected = service.identify(_as_upload(photos, "astronaut.jpg")).result.matches
    assert [p for p, _ in shown] == ["astronaut", "mirror"] == [m.person for m in expected]
    assert [s for _, s in shown] == pytest.approx([m.score for m in expected], abs=1e-4)
    _screenshot(browser, "web_app_identify.png")
    browser.find_element(By.CSS_SELECTOR, "#allow textarea").send_keys("astronaut")
    text = _result(browser, "identify", "identity", previous=text)
    # the tiny bundle has no open-set curve, and the slider is no deliberate threshold: nobody is granted
    assert text.splitlines()[0] == "REFUSED: no access decision" and "GRANTED" not in text
    _screenshot(browser, "web_app_access_refused.png")


def test_uploads_over_the_limit_are_refused_and_uploads_stay_private(server):
    url, upload_dir = server
    big = os.urandom(int(MAX_UPLOAD_MB * 1024 * 1024) + 1)
    response = requests.post(f"{url}gradio_api/upload", files={"files": ("big.jpg", big)}, timeout=30)
    assert response.status_code == 413
    small = requests.post(f"{url}gradio_api/upload", files={"files": ("ok.jpg", b"x" * 100)}, timeout=30)
    assert small.status_code == 200 and small.json()[0].startswith(upload_dir)
    assert os.stat(upload_dir).st_mode & 0o077 == 0  # other users cannot read the uploaded faces


@pytest.mark.slow
def test_serve_removes_its_private_folder_and_checks_the_limit(service):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    previous = os.environ.get("GRADIO_TEMP_DIR")
    _, url, cleanup = serve(service, port=port, block=False)
    folder = os.environ["GRADIO_TEMP_DIR"]
    assert requests.get(url, timeout=30).status_code == 200 and Path(folder).is_dir()
    cleanup()
    assert not Path(folder).exists() and os.environ.get("GRADIO_TEMP_DIR") == previous
    with pytest.raises(FacecompareError, match="max-upload-mb must be positive"):
        serve(service, max_upload_mb=0, block=False)


@pytest.mark.slow
def test_with_a_login_nothing_is_served_before_it(service):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, cleanup = serve(service, port=port, block=False, auth=[("guard", "s3cret")])
    try:
        assert requests.get(f"{url}config", timeout=30).status_code == 401
        refused = requests.post(f"{url}gradio_api/upload", files={"files": ("a.jpg", b"x" * 100)}, timeout=30)
        assert refused.status_code == 401
        wrong = requests.Session()
        assert wrong.post(f"{url}login", data={"username": "guard", "password": "no"}, timeout=30).status_code == 400
        assert wrong.get(f"{url}config", timeout=30).status_code == 401
        session = requests.Session()
        assert session.post(f"{url}login", data={"username": "guard", "password": "s3cret"}, timeout=30).ok
        assert session.get(f"{url}config", timeout=30).status_code == 200
    finally:
        cleanup()


def test_handlers_turn_problems_into_messages(service, photos):
    # what a click sends with preprocess=False: Gradio's file payload, or None before an upload
    payload = {"path": str(photos / "blank.png"), "orig_name": "blank.png"}
    assert compare(service, None, payload, 0.5) == (None, None, compare(service, None, None, 0.5)[2])
    assert compare(service, None, payload, 0.5)[2] == (
        "### Cannot use this input\nfirst image: no image yet; upload one or take a photo"
    )
    good = {"path": str(photos / "astronaut.jpg"), "orig_name": "astronaut.jpg"}
    face_a, face_b, text = compare(service, good, payload, 0.5)
    assert face_a is None and face_b is None and text.startswith("### No face found\nblank.png: ")
    preview, text, rows = identify(service, good, 0.0, 3)
    assert text.startswith("## astronaut\n") and [r[1] for r in rows] == ["astronaut", "mirror"]
    assert preview.shape[2] == 3
    assert identify(service, good, 1.5, 3)[1].startswith("## UNKNOWN\n")
    # the slider (0.0 here) is for identification: with the allow-list box filled in, this bundle without an
    # open-set curve has no threshold to decide at, and the answer is a refusal, never GRANTED
    for slider in (0.0, 0.5, 1.0):
        face, text, rows = identify(service, good, slider, 3, "astronaut\n")
        assert (face, rows) == (None, []) and text.startswith("## REFUSED: no access decision\n\naccess refused")
        assert "GRANTED" not in text and "scripts/evaluate.py" in text
    assert identify(service, good, 0.0, 3, " \n# nobody yet\n")[1].startswith("## astronaut\n")  # no names
    # the operator's threshold (`app --threshold`) decides: the decision heads the answer, the matches stay listed
    chosen = FaceService(service.bundle, service.finder, service.gallery, threshold=0.0)
    _, text, rows = identify(chosen, good, None, 3, "astronaut\n")
    assert text.startswith("## GRANTED: astronaut\n") and [r[1] for r in rows] == ["astronaut", "mirror"]
    assert "threshold 0.0000 [given]" in text
    text = identify(chosen, good, None, 3, "# floor 3\nmirror\n\n  ghost  ")[1]
    assert text.startswith("## DENIED: astronaut is not on the allow list\n")
    assert "on the allow list but not in the gallery: ghost" in text
    strict = FaceService(service.bundle, service.finder, service.gallery, threshold=1.5)
    assert identify(strict, good, None, 3, "astronaut")[1].startswith("## DENIED: UNKNOWN\n")


@pytest.mark.slow
def test_identify_tab_with_a_fitted_threshold_in_a_browser(curved_bundle, service, browser, photos):
    # `facecompare app --fpir`: no slider, the threshold of each request follows the gallery's size
    bundle = load_bundle(curved_bundle)
    fitted = FaceService(bundle, service.finder, service.gallery, fpir=0.002)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _, url, cleanup = serve(fitted, port=port, block=False)
    try:
        _open(browser, url, tab="Identify")
        assert "fitted to the gallery's size" in browser.page_source
        _upload(browser, "probe", photos / "astronaut.jpg")
        text = _result(browser, "identify", "identity")
        # 0.2 % over the gallery's 2 embeddings: 1e-3 each, from 0.99
        assert text.splitlines()[0] == "astronaut" and "threshold 0.9900" in text and "at most 0.20%" in text
        from selenium.webdriver.common.by import By

        browser.find_element(By.CSS_SELECTOR, "#allow textarea").send_keys("astronaut")
        text = _result(browser, "identify", "identity", previous=text)
        assert text.splitlines()[0] == "GRANTED: astronaut" and "Strangers taken for someone: at most 0.20%" in text
        _screenshot(browser, "web_app_access.png")
    finally:
        cleanup()


def test_identify_handler_without_a_slider_uses_the_fitted_threshold(curved_bundle, service, photos):
    fitted = FaceService(load_bundle(curved_bundle), service.finder, service.gallery, fpir=0.002)
    good = {"path": str(photos / "astronaut.jpg"), "orig_name": "astronaut.jpg"}
    text = identify(fitted, good, None, 3)[1]
    assert text == (
        "## astronaut\n\n**Strangers taken for someone: at most 0.20%**\n\n"
        "threshold 0.9900 [fpir 0.002], 2 people in the gallery\n\nphoto: face found (p=1.000)"
    )
    # by default (no --fpir) the same bundle decides access at the threshold fitted for 1e-3: from 0.999
    by_default = FaceService(fitted.bundle, service.finder, service.gallery)
    text = identify(by_default, good, None, 3, "astronaut")[1]
    assert text.startswith("## GRANTED: astronaut\n\n**Strangers taken for someone: at most 0.02%**")
    assert "threshold 0.9990 [fpir 0.001]" in text


def _as_upload(photos, name):
    from facecompare.app.service import Upload

    return Upload(photos / name, name)


def _hosts_contacted(browser) -> set[str]:
    import json

    hosts = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            address = message["params"]["request"]["url"]
            if address.startswith(("http://", "https://", "ws://", "wss://")):
                hosts.add(address.split("/")[2])
    return hosts
