"""The one-line message for a config value that its type refused: the key, what is allowed, the value."""

from __future__ import annotations

import re
from typing import Any

from facecompare.errors import ConfigError

# pydantic says why after the allowed form ("a valid integer, unable to parse string as an integer"); the
# value given, printed after it, already shows why
_REASON = re.compile(r", (?:unable|got|input)\b")


def invalid_value(key: str, value: Any, errors: list[dict[str, Any]]) -> ConfigError:
    """A ConfigError for the first of the ``errors`` of one pydantic validation of ``value``, the value of
    ``key`` ("" for a whole config): named by the key inside ``value`` it concerns."""
    loc, value = _inside(value, errors[0]["loc"])
    if errors[0]["type"] == "missing":  # removed with ~key
        return ConfigError(f"{_join(key, loc)} is missing")
    allowed: list[str] = []
    for error in errors:
        if tuple(error["loc"][: len(loc)]) != loc:
            continue
        clause = _REASON.split(error["msg"].removeprefix("Input should be "), maxsplit=1)[0]
        if clause not in allowed:
            allowed.append(clause)
    # a member no config can hold (a Tensor, an Accelerator object) says nothing to someone editing YAML
    shown = [a for a in allowed if not a.startswith("an instance of")] or allowed
    return ConfigError(f"{_join(key, loc)} must be {' or '.join(shown)}, got {value!r}")


def _inside(value: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any]:
    """The part of ``loc`` that names keys and list positions in ``value``, and the value there; the rest
    names the member of a union that was tried (``('retain_freed_memory', 'bool')``)."""
    found: tuple[Any, ...] = ()
    for part in loc:
        if isinstance(value, dict) and part in value:
            pass
        elif not (isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)):
            break
        found, value = (*found, part), value[part]
    return found, value


def _join(key: str, loc: tuple[Any, ...]) -> str:
    return ".".join([key, *map(str, loc)] if key else map(str, loc))
