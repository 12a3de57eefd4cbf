"""The shape of JSON data read from a file anyone may have written: each value checked for its
type and fields, and a problem named by its place (``chats[0].turns[3].reply.usage``) and by
JSON's names for types, which the file's author knows ("should be a whole number, not text").
chat/chatfile.py reads chat files with these; a problem is raised as :class:`Bad` and becomes
the reader's own error, naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .options import unencodable

_KIND_NAMES: dict[type, str] = {type(None): "null", Mapping: "an object", str: "text",
                                int: "a whole number", float: "a number", list: "a list"}


class Bad(Exception):
    """A problem found at one place in the data: becomes a ChatFileError naming that place."""


def kind_of(value: Any) -> str:
    """JSON's name for a value's type, as the file's author knows it."""
    if isinstance(value, bool):
        return "true/false"
    for kind, name in _KIND_NAMES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def field(data: Mapping[str, Any], key: str, kinds: tuple[type, ...], where: str) -> Any:
    """``data[key]``, which must be there and of one of ``kinds`` (true/false is no number)."""
    if key not in data:
        raise Bad(f"{where} has no {key!r}")
    value = data[key]
    # bool is an int in Python, but never a valid count or text here.
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        names = " or ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
        raise Bad(f"{where}.{key} should be {names}, not {kind_of(value)}")
    return value


def an_object(value: Any, keys: set[str], where: str) -> Mapping[str, Any]:
    """``value`` as an object with no field outside ``keys`` (a typo is named, not ignored)."""
    if not isinstance(value, Mapping):
        raise Bad(f"{where} should be an object, not {kind_of(value)}")
    unknown = set(value) - keys
    if unknown:
        raise Bad(f"{where} has unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    return value


def a_list(value: Any, where: str) -> list[Any]:
    """``value``, which must be a list."""
    if not isinstance(value, list):
        raise Bad(f"{where} should be a list, not {kind_of(value)}")
    return value


def check_encodable(data: Any) -> None:
    """Refuse text that could not be sent or saved again (JSON's ``"\\ud800"`` escape reads as
    an unpaired surrogate), naming its place. json.dumps checks the whole file at C speed; only
    a file that fails is walked to find where."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except RecursionError:  # (data given in memory; a file this deep fails in read)
        raise Bad("it is nested too deeply to be a chat file") from None
    except UnicodeEncodeError:
        _walk_for_unencodable(data)
    except (TypeError, ValueError):  # not JSON at all: the checks of each field say where
        return


def _walk_for_unencodable(data: Any) -> None:
    stack: list[tuple[Any, str]] = [(data, "the file")]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str) and (problem := unencodable(value)):
            raise Bad(f"{where} holds {problem}")
        if isinstance(value, Mapping):
            stack += [(key, f"a field name in {where}") for key in value]
            stack += [(item, _place(where, f".{key}")) for key, item in value.items()]
        elif isinstance(value, list):
            stack += [(item, _place(where, f"[{index}]")) for index, item in enumerate(value)]


def _place(where: str, step: str) -> str:
    """``chats[0].turns[1].prompt``, the way the other messages name a place in the file."""
    return step.lstrip(".") if where == "the file" else where + step
