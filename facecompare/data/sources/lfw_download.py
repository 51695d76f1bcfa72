"""Find an LFW copy, or download and verify one: nothing half-written is ever left under the target names."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import requests

from facecompare.atomic import open_temporary
from facecompare.data.sources.lfw_extract import TARBALL, TARBALL_DIR, extract_tree
from facecompare.data.sources.lfw_layout import LFWLayout, find_images, find_layout, missing_files
from facecompare.errors import ConfigError

log = logging.getLogger(__name__)

# The official site. torchvision 0.29 (datasets/lfw.py) no longer downloads from it ("no longer available for
# automatic download"), so ensure_lfw takes base_url: any mirror serving the official file names.
BASE_URL = "http://vis-www.cs.umass.edu/lfw/"

# SHA-256 computed from the View 1 files of a local LFW copy and from View 2's pairs.txt (their MD5s equal the
# ones torchvision publishes for these names, so the copies are the official ones). people.txt and the tarball
# were not available to hash, so they are checked against torchvision's MD5 only; add their SHA-256 once checked.
SHA256: dict[str, str] = {
    "pairs.txt": "ea42330c62c92989f9d7c03237ed5d591365e89b3e649747777b70e692dc1592",
    "pairsDevTrain.txt": "1d454dada7dfeca0e7eab6f65dc4e97a6312d44cf142207be28d688be92aabfa",
    "pairsDevTest.txt": "7cb06600ea8b2814ac26e946201cdb304296262aad67d046a16a7ec85d0ff87c",
    "peopleDevTrain.txt": "2e58df13ba4cc143189336e001cc2c195f1dfa5b29a6475c02857be353c2a2fa",
    "peopleDevTest.txt": "c3ed1f90499473401542101a56c14c1d82396bb8218c67a356d7460601047555",
}

# For the files not hashed here, the MD5s torchvision publishes for the official LFW (datasets/lfw.py).
MD5: dict[str, str] = {
    "lfw-deepfunneled.tgz": "68331da3eb755a505a502b5aacb3c201",
    "pairs.txt": "9f1ba174e4e1c508ff7cdf10ac338a7d",
    "people.txt": "450f0863dd89e85e73936a6d71a3474b",
}

_CHUNK = 1 << 20


def how_to_fetch(root: Path, names: list[str], base_url: str = BASE_URL) -> str:
    """One line telling a user exactly which files to get, from where, and where to put them."""
    parts = []
    if TARBALL in names:
        parts.append(f"{base_url}{TARBALL} (extract it in {root}, giving {root / TARBALL_DIR}/<Name>/<Name>_0001.jpg)")
    files = [n for n in names if n != TARBALL]
    if files:
        parts.append(", ".join(base_url + n for n in files) + f" (into {root})")
    return "fetch " + " and ".join(parts) + ", or set data.source.download=true to download and verify them"


def _download(url: str, folder: Path, sha256: str | None, timeout: float, md5: str | None = None) -> Path:
    """Stream ``url`` to a hidden temporary file in ``folder`` and check it; the caller renames or removes it."""
    fd, tmp = open_temporary(folder, ".part")  # not mkstemp: its 0600 would stay with the renamed file
    digest = hashlib.sha256()
    md5_digest = hashlib.md5(usedforsecurity=False)
    try:
        with os.fdopen(fd, "wb") as out, requests.get(url, stream=True, timeout=timeout) as response:
            response.raise_for_status()
            for chunk in response.iter_content(_CHUNK):
                out.write(chunk)
                digest.update(chunk)
                md5_digest.update(chunk)
            out.flush()
            os.fsync(out.fileno())
        if sha256 is None and md5 is not None:
            if md5_digest.hexdigest() != md5:
                raise ConfigError(
                    f"{url}: MD5 {md5_digest.hexdigest()} does not match the expected {md5}; the file was not kept "
                    "(a corrupted download, or a mirror serving a different file)"
                )
        elif sha256 is None:
            log.warning("%s: no known checksum, not verified (SHA-256 %s)", url, digest.hexdigest())
        elif digest.hexdigest() != sha256:
            raise ConfigError(
                f"{url}: SHA-256 {digest.hexdigest()} does not match the expected {sha256}; the file was not kept "
                "(a corrupted download, or a mirror serving a different file)"
            )
    except requests.RequestException as e:
        os.unlink(tmp)
        raise ConfigError(f"could not download {url}: {e}") from None
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def ensure_lfw(
    root: str | Path,
    download: bool,
    view: str = "view1",
    base_url: str = BASE_URL,
    timeout: float = 60.0,
    files: tuple[str, ...] | None = None,
) -> LFWLayout:
    """The layout of the LFW copy under ``root`` for ``view`` ("view1" or "view2"); ``files``: only these of the
    view's protocol files are needed (``EVAL_FILES`` to score a network).

    What is missing is downloaded from ``base_url`` (any mirror with the official file names) when ``download``
    is true, else a ConfigError says what to fetch. Each file is renamed into place only once complete and
    verified, and the tarball is extracted beside its target and renamed, so an interrupted or failed download
    leaves nothing that looks finished.
    """
    root = Path(root).expanduser()
    layout = find_layout(root, view, files)
    if layout is not None:
        return layout
    need = missing_files(root, view, files) + ([TARBALL] if find_images(root) is None else [])
    if not download:
        raise ConfigError(f"LFW ({view}) is incomplete under {root}: {how_to_fetch(root, need, base_url)}")
    if TARBALL in need and (root / TARBALL_DIR).exists():  # found before the long download, not after
        raise ConfigError(f"{root / TARBALL_DIR} exists but is not an LFW image tree; move it away and retry")
    root.mkdir(parents=True, exist_ok=True)
    for name in need:  # the small protocol files first: a wrong base_url fails before the big download
        tmp = _download(base_url + name, root, SHA256.get(name), timeout, MD5.get(name))
        if name == TARBALL:
            try:
                extract_tree(tmp, root)
            finally:
                tmp.unlink()
        else:
            os.replace(tmp, root / name)
        log.info("LFW: %s is in place under %s", name, root)
    layout = find_layout(root, view, files)
    if layout is None:
        raise ConfigError(f"downloaded LFW into {root} but found no complete {view} layout there")
    return layout
