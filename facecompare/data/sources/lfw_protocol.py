"""The LFW protocol files, View 1 (development) and View 2 (ten folds), parsed strictly into pairs and people.

Formats (LFW README, section 3): a pairs file starts with ``N`` (View 1) or ``folds N`` (View 2), then per fold
N matched lines ``name n1 n2`` and N mismatched lines ``name1 n1 name2 n2``. A people file starts with ``N``
followed by N ``name num_images`` lines (View 1), or with the number of folds, each fold a count line and that
many ``name num_images`` lines (View 2). Image numbers are 1-based: ``<name>/<name>_%04d.jpg``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from facecompare.errors import ConfigError


class LFWFormatError(ConfigError):
    """A protocol file breaks the LFW format; the message names the file, the 1-based line and the problem."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = path, line, problem


@dataclass(frozen=True)
class Pair:
    """Two LFW images a verifier must call same or different; ``fold`` is 0 in the single-fold View 1 files."""

    name_a: str
    num_a: int
    name_b: str
    num_b: int
    same: bool
    fold: int = 0

    @property
    def names(self) -> set[str]:
        return {self.name_a, self.name_b}

    def paths(self, images: Path) -> tuple[Path, Path]:
        return image_path(images, self.name_a, self.num_a), image_path(images, self.name_b, self.num_b)


@dataclass(frozen=True)
class Person:
    """One ``name num_images`` line of a people file; the images are numbered 1..num_images."""

    name: str
    num_images: int
    fold: int = 0


def image_path(root: str | Path, name: str, num: int) -> Path:
    """The file of image ``num`` (1-based) of ``name`` in an LFW image tree."""
    return Path(root) / name / f"{name}_{num:04d}.jpg"


class _Lines:
    """A cursor over a file's lines that turns every problem into an LFWFormatError at the right line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:  # utf-8-sig: a byte-order mark from an editor must not become part of the header
            self.rows = self.path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError(f"cannot read LFW protocol file {self.path}: {e}") from None
        while self.rows and not self.rows[-1].strip():  # a trailing newline or two is not content
            self.rows.pop()
        self.pos = 0
        self.promise = ""  # what the header said, quoted when the body disagrees

    def error(self, problem: str) -> LFWFormatError:
        return LFWFormatError(self.path, self.pos, problem)

    @staticmethod
    def _split(row: str, widths: tuple[int, ...]) -> list[str]:
        # Official files use tabs, but any whitespace is accepted. Splitting on tabs alone is tried first so
        # that names with spaces, as in pairs files facecompare writes for folders ("Ann Lee"), survive.
        tabbed = [f.strip() for f in row.strip().split("\t") if f.strip()]
        return tabbed if "\t" in row and len(tabbed) in widths else row.split()

    def peek_width(self) -> int:
        return len(self.rows[self.pos].split()) if self.pos < len(self.rows) else 0

    def take(self, widths: tuple[int, ...], what: str) -> list[str]:
        self.pos += 1
        hint = f"; {self.promise}" if self.promise else ""
        if self.pos > len(self.rows):
            raise self.error(f"file ends early: expected {what}{hint}")
        fields = self._split(self.rows[self.pos - 1], widths)
        if len(fields) not in widths:
            raise self.error(f"expected {' or '.join(map(str, widths))} fields ({what}), got {len(fields)}{hint}")
        return fields

    def number(self, text: str, what: str) -> int:
        # ASCII digits only: int() would also take '+3', ' 3' and other scripts' digits
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise self.error(f"{what} must be a positive integer, got {text!r}")
        return int(text)

    def name(self, text: str) -> str:
        # names become path components, so one that could leave the image tree is refused here
        if "/" in text or "\\" in text or text in (".", ".."):
            raise self.error(f"invalid person name {text!r}")
        return text

    def finish(self) -> None:
        if self.pos < len(self.rows):
            self.pos += 1
            raise self.error(f"extra line after the {self.pos - 1} lines the header accounts for ({self.promise})")


def read_pairs(path: str | Path) -> list[Pair]:
    """Every pair of a View 1 (``pairsDevTrain.txt``, ``pairsDevTest.txt``) or View 2 (``pairs.txt``) file."""
    lines = _Lines(path)
    header = lines.take((1, 2), "header: 'N' (View 1) or 'folds N' (View 2)")
    folds = lines.number(header[0], "number of folds") if len(header) == 2 else 1
    per = lines.number(header[-1], "pairs per class")
    lines.promise = f"line 1 promises {folds} fold(s) of {per} matched then {per} mismatched pairs"
    pairs: list[Pair] = []
    for fold in range(folds):
        for _ in range(per):
            name, a, b = lines.take((3,), "matched pair: name n1 n2")
            name, num_a, num_b = lines.name(name), lines.number(a, "n1"), lines.number(b, "n2")
            if num_a == num_b:
                raise lines.error(f"matched pair compares image {num_a} of {name} with itself")
            pairs.append(Pair(name, num_a, name, num_b, True, fold))
        for _ in range(per):
            name_a, a, name_b, b = lines.take((4,), "mismatched pair: name1 n1 name2 n2")
            if name_a == name_b:
                raise lines.error(f"mismatched pair names {name_a} twice")
            num_a, num_b = lines.number(a, "n1"), lines.number(b, "n2")
            pairs.append(Pair(lines.name(name_a), num_a, lines.name(name_b), num_b, False, fold))
    lines.finish()
    return pairs


def read_people(path: str | Path) -> list[Person]:
    """Every person of a View 1 (``peopleDevTrain.txt``, ``peopleDevTest.txt``) or View 2 (``people.txt``) file."""
    lines = _Lines(path)
    (first,) = lines.take((1,), "header: number of people (View 1) or of folds (View 2)")
    count = lines.number(first, "header count")
    # Both headers are one integer; View 2 is told apart by its second line, a fold's count, not 'name count'.
    view2 = lines.peek_width() == 1
    people: list[Person] = []
    for fold in range(count if view2 else 1):
        size = count
        if view2:
            (text,) = lines.take((1,), f"number of people in fold {fold + 1}")
            size = lines.number(text, f"number of people in fold {fold + 1}")
        lines.promise = f"line {lines.pos} promises {size} people" + (f" in fold {fold + 1}" if view2 else "")
        for _ in range(size):
            name, num = lines.take((2,), "person: name num_images")
            people.append(Person(lines.name(name), lines.number(num, "num_images"), fold))
    if view2:
        lines.promise = f"line 1 promises {count} folds"
    lines.finish()
    return people
