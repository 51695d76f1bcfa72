"""Every ``_target_`` node's arguments checked against the signature of what it builds, before anything is
built. The class or function is the schema: unknown keys and values of the wrong type (``optimizer.lr=abc``,
``data.batch_size=1.5``) are found without a second description of each config option that could drift from
the code; ranges stay with the constructors, which check them when they run."""

from __future__ import annotations

import functools
import inspect
import re
import sys
import typing
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from hydra.utils import get_object
from omegaconf import DictConfig, ListConfig, OmegaConf
from pydantic import ConfigDict, TypeAdapter, ValidationError

from facecompare.config.invalid import invalid_value
from facecompare.errors import ConfigError

SPECIAL_KEYS = ("_target_", "_partial_", "_recursive_", "_convert_", "_args_")
# a value that only repeats another key (`in_channels: ${data.channels}`) is reported under the key users set
_REFERENCE = re.compile(r"^\$\{([\w.]+)\}$")
# types such as Tensor or nn.Module are allowed in hints and checked with isinstance
_LENIENT = ConfigDict(arbitrary_types_allowed=True)


def check_arguments(cfg: DictConfig, built: tuple[str, ...] = ("",), late: tuple[str, ...] = ()) -> None:
    """Raise ConfigError for the first argument of a ``_target_`` node its callable does not take, or of a type
    its type hint refuses, in the subtrees ``built`` ("": all; a script checks what it instantiates). Nodes
    reached through an interpolation are checked where they are defined.

    Order: targets imported already first, the subtrees ``late`` last (whose imports take seconds: Lightning's
    for a training config's data module, model, trainer, callbacks and loggers), so that a mistyped value
    elsewhere (``optimizer.lr=abc``, ``scheduler.warmup=abc``) is reported before those imports."""
    nodes = []
    for root in built:
        node = OmegaConf.select(cfg, root) if root else cfg
        nodes += list(_target_nodes(node, root))
    nodes.sort(key=lambda item: (item[0].split(".")[0] in late, not _loaded(str(item[1]._target_))))
    for path, target_node in nodes:
        _check_node(path, target_node)


def _loaded(target: str) -> bool:
    # in the module's namespace already, not only its module loaded: a package's lazy export imports on access
    module, _, name = target.rpartition(".")
    return name in vars(sys.modules.get(module, object))


def _target_nodes(node: Any, path: str) -> Iterator[tuple[str, DictConfig]]:
    if isinstance(node, DictConfig):
        if "_target_" in node:
            yield path, node
        keys: list[Any] = list(node.keys())
    elif isinstance(node, ListConfig):
        keys = list(range(len(node)))
    else:
        return
    for key in keys:
        if not OmegaConf.is_interpolation(node, key):
            yield from _target_nodes(node._get_node(key), f"{path}.{key}" if path else str(key))


@functools.cache
def _signature(target: str) -> inspect.Signature | None:
    obj = get_object(target)
    try:
        return inspect.signature(obj, eval_str=True)
    except (TypeError, ValueError):  # some builtins have none: nothing to check against
        return None
    except Exception:  # a hint naming a type imported only for type checkers: check the names alone
        return inspect.signature(obj)


@functools.cache
def _adapter(target: str, key: str) -> TypeAdapter | None:
    signature = _signature(target)
    hint = signature.parameters[key].annotation if signature and key in signature.parameters else None
    if hint in (None, inspect.Parameter.empty):
        return None
    try:
        if isinstance(hint, str):  # a signature made by a metaclass (albumentations') keeps its hints as text
            module = vars(inspect.getmodule(get_object(target)))
            hint = typing.get_type_hints(SimpleNamespace(__annotations__={key: hint}), globalns=module)[key]
        return TypeAdapter(hint, config=_LENIENT)
    except Exception:  # a hint that cannot be read or that pydantic cannot express: the constructor checks it
        return None


def _check_node(path: str, node: DictConfig) -> None:
    target = str(node._target_)
    try:
        signature = _signature(target)
    except Exception as err:
        raise ConfigError(f"{path}._target_: cannot import {target} ({str(err).splitlines()[0]})") from None
    if signature is None:
        return
    params = signature.parameters
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for key in node:
        if key in SPECIAL_KEYS:
            continue
        if key not in params and not open_ended:
            takes = ", ".join(n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL)
            raise ConfigError(f"{path}.{key}: {target} takes no argument {key!r} (it takes {takes})")
        adapter = _adapter(target, key)
        if adapter is None:
            continue
        value = _value(node, key)
        if _built_separately(value):
            continue
        try:
            adapter.validate_python(value)
        except ValidationError as err:
            raise invalid_value(_user_key(node, key, path), value, err.errors()) from None


def _value(node: DictConfig, key: str) -> Any:
    value = node[key]
    if isinstance(value, (DictConfig, ListConfig)):
        return OmegaConf.to_container(value, resolve=True)
    return value


def _built_separately(value: Any) -> bool:
    """A nested ``_target_`` node (or a list of them): instantiate builds it first and checks it on its own."""
    items = value if isinstance(value, list) else [value]
    return any(isinstance(v, dict) and "_target_" in v for v in items)


def _user_key(node: DictConfig, key: str, path: str) -> str:
    if OmegaConf.is_interpolation(node, key):
        found = _REFERENCE.match(str(node._get_node(key)._value()))
        if found:
            return found.group(1)
    return f"{path}.{key}"
