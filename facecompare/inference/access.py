"""Access control on top of identification: is the face at the door one of the people allowed here?

The face is identified against the whole gallery, and access is granted only when the best match reaches the
threshold and is on the allow list. Searching only the allowed people would be less safe: an enrolled person
who is not allowed would then be compared with the allowed ones alone and could pass on a resemblance, where
the whole-gallery search finds them as themselves. One gallery then serves every door or floor, each with
its own list.

A decision is made only at a threshold the tool can vouch for (gallery_threshold.py): never at the bundle's
1:1 threshold, which takes most strangers for someone in a gallery of a hundred.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facecompare.errors import FacecompareError
from facecompare.inference.gallery_threshold import CALIBRATE, ONE_TO_ONE, AccessRefusedError
from facecompare.inference.identify import Identification


@dataclass
class AccessDecision:
    """``reason``: ``allowed`` (granted), ``not_allowed`` (someone enrolled, not on the list) or ``unknown``
    (nobody reached the threshold). ``not_enrolled``: names on the list that the gallery does not hold."""

    granted: bool
    reason: str
    identification: Identification
    not_enrolled: list[str]

    @property
    def person(self) -> str | None:
        return self.identification.best

    @property
    def verdict(self) -> tuple[str, str]:
        """The decision in words, as the command line and the web app show it: GRANTED or DENIED, and who."""
        if self.reason == "allowed":
            return "GRANTED", str(self.person)
        if self.reason == "not_allowed":
            return "DENIED", f"{self.person} is not on the allow list"
        return "DENIED", "UNKNOWN"

    def to_json(self) -> dict[str, Any]:
        return {"granted": self.granted, "reason": self.reason, "not_enrolled": self.not_enrolled}


def parse_allow_list(text: str) -> list[str]:
    """One name per line as enrolled (surrounding spaces ignored, like the gallery does); blank lines and
    lines starting with ``#`` are skipped."""
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def read_allow_list(path: Path) -> list[str]:
    """An allow-list file (parse_allow_list). A list that names nobody is an error, not a locked door."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise FacecompareError(f"{path}: cannot read the allow list ({e})") from None
    names = parse_allow_list(text)
    if not names:
        raise FacecompareError(f"{path}: the allow list names nobody")
    return names


def decide_access(identification: Identification, allowed: Iterable[str], enrolled: Iterable[str]) -> AccessDecision:
    """Grant when the identified person is on ``allowed``; ``enrolled`` (the gallery's people) only serves to
    report list names that can never be granted, e.g. a typo or a person removed from the gallery. An
    identification made at the 1:1 threshold is refused (AccessRefusedError), whoever made it."""
    if identification.threshold_rule == ONE_TO_ONE:
        raise AccessRefusedError(
            f"access refused, nobody is granted: the face was identified at the bundle's 1:1 threshold "
            f"{identification.threshold:.4f}, which is not fitted to a gallery; {CALIBRATE}"
        )
    allowed = {name.strip() for name in allowed if name.strip()}
    if not allowed:
        raise FacecompareError("the allow list names nobody")
    not_enrolled = sorted(allowed - set(enrolled))
    person = identification.best
    if person is None:
        return AccessDecision(False, "unknown", identification, not_enrolled)
    granted = person in allowed
    return AccessDecision(granted, "allowed" if granted else "not_allowed", identification, not_enrolled)
