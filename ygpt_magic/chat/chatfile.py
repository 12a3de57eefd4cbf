"""Chats on disk: the JSON chat file (save/load); the Markdown transcript (export) is transcript.py.

A chat file may come from anywhere (a colleague, an old version, a hostile attachment), so
:func:`parse` checks every field, type and size and builds the new chats aside; the session
swaps them in only when the whole file is good. The file format, version 1::

    {"version": 1, "current": "default",
     "chats": [{"name": "default", "system": null, "options": {"model": "yandexgpt", ...},
                "turns": [{"prompt": "...", "cell_id": "c1",
                           "reply": {"text": "...", "status": "FINAL", "model": "yandexgpt",
                                     "model_version": "23.10.2024", "elapsed": 1.4,
                                     "usage": {"input_tokens": 26, ...}}}]}]}

A chat's ``options`` hold only the options set for that chat; a missing (or null) option is not
set, so the notebook's ``YGptMagics`` setting, else the built-in default, applies to it. An option
that is in the file is a set value: files written before options could be "not set" list every
option, so after loading one, its chats keep ``yandexgpt``/``markdown`` whatever the notebook's
defaults say (``%ygpt config`` shows it as set by the chat; the panel's "(default)" entry unsets it).
Leaving unset options out, rather than writing nulls, keeps new files readable by older versions.
The options ``tools`` and ``tool_choice`` are written, and checked when read, but a load leaves
them out and says so: a file never lets the model run the notebook's code (chat/filetools.py).

What each version adds (tools and pictures, a system message a cell set), the fields added
without one (a replayed reply's ``cached``, a turn's ``notes``), which version a file is written
as, and how one this reader does not know is refused: chat/fileversions.py.
A turn's ``asked_in`` (the ``In [N]`` that asked, %ygpt history's label) is not saved: it numbers
the runs of one kernel session, and in another the same N names another cell.
A turn's ``tokens`` (its size per model, ``{"yandexgpt": 412}``) are saved once counted, so the
first cell after ``%ygpt load`` does not ask the tokenizer for every kept turn again.
A reply's ``messages`` (what was sent) are not saved: they repeat the history before it, which
would make a file grow with the square of the chat's length; they are rebuilt by the next request.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ChatFileError, OptionError
from ..words import numbered
from . import files, filetext, filetools
from .fileversions import VERSIONS, refusal, written_as
from .options import Options, shown
from .pictures import FORMATS as PICTURE_FORMATS
from .pictures import PictureInfo
from .shapes import Bad, a_list, an_object, check_encodable, field, kind_of
from .tooluse import ToolCall
from .values import Chat, Reply, Turn, Usage

MAX_BYTES = 20 * 1024 * 1024
MAX_NAME = 200
MAX_CHATS = 1_000
MAX_PICTURES = 100  # placeholders in one turn
MAX_COUNTS = 100  # token counts of one turn (one per model it was counted for)
_BREAKING = ("Cc", "Zl", "Zp")  # control characters (a newline, a tab), line and paragraph separators


def good_name(name: str) -> bool:
    """Whether ``name`` can name a chat: one line of at most MAX_NAME characters, not blank.
    Names are shown in the rows of tables (`%ygpt chats`, `%ygpt usage`) and in one-line
    messages; a line break or a control character in one split a row in two."""
    return (bool(name.strip()) and len(name) <= MAX_NAME
            and not any(unicodedata.category(char) in _BREAKING for char in name))


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    """A message's text: refused when empty or blank, as the server refuses such a message in
    every later request of the chat (a file cut short, or edited by hand, loaded without a word
    before and broke the chat at its next cell)."""
    text: str = field(data, key, (str,), where)
    if not text.strip():
        raise Bad(f"{where}.{key} is empty (every message of a chat needs text): give it some, "
                  f"or remove that turn")
    return text


def _usage(value: Any, where: str) -> Usage:
    data = an_object(value, set(Usage.__dataclass_fields__), where)
    counts = {}
    for key in Usage.__dataclass_fields__:
        count = field(data, key, (int,), where) if key in data else 0
        if count < 0:
            raise Bad(f"{where}.{key} is negative")
        counts[key] = count
    return Usage(**counts)


def _reply(value: Any, where: str) -> Reply:
    keys = {"text", "status", "usage", "model", "model_version", "elapsed", "tool_calls", "cached",
            "recorded"}
    data = an_object(value, keys, where)
    elapsed = field(data, "elapsed", (int, float), where)
    if not math.isfinite(elapsed) or elapsed < 0:
        raise Bad(f"{where}.elapsed should be a non-negative number of seconds")
    recorded = field(data, "recorded", (str,), where) if "recorded" in data else ""
    if len(recorded) > MAX_NAME:
        raise Bad(f"{where}.recorded should be a date and time, not {shown(recorded)}")
    return Reply(
        text=field(data, "text", (str,), where),  # an empty one leaves its turn out: _turns
        status=field(data, "status", (str,), where),
        usage=_usage(field(data, "usage", (Mapping,), where), f"{where}.usage"),
        model=field(data, "model", (str,), where),
        model_version=field(data, "model_version", (str,), where),
        elapsed=float(elapsed),
        tool_calls=tuple(_tool_call(item, f"{where}.tool_calls[{index}]") for index, item in
                         enumerate(a_list(data.get("tool_calls", []), f"{where}.tool_calls"))),
        cached=field(data, "cached", (bool,), where) if "cached" in data else False,
        recorded=recorded,
    )


def _pictures(value: Any, where: str) -> tuple[PictureInfo, ...]:
    items = a_list(value, where)
    if len(items) > MAX_PICTURES:
        raise Bad(f"{where} lists {len(items)} images, more than {MAX_PICTURES}")
    pictures = []
    for index, item in enumerate(items):
        at = f"{where}[{index}]"
        data = an_object(item, {"name", "format", "width", "height", "bytes", "sha256"}, at)
        name, sha256 = field(data, "name", (str,), at), field(data, "sha256", (str,), at)
        if len(name) > MAX_NAME or len(sha256) > 64:
            raise Bad(f"{at} has a name or sha256 that is too long")
        kind = field(data, "format", (str,), at)
        if kind not in PICTURE_FORMATS:
            raise Bad(f"{at}.format should be one of {', '.join(PICTURE_FORMATS)}, not {shown(kind)}")
        width, height, size = (field(data, key, (int,), at) for key in ("width", "height", "bytes"))
        if min(width, height, size) < 0:
            raise Bad(f"{at} has a negative size")
        pictures.append(PictureInfo(name, kind, width, height, size, sha256))
    return tuple(pictures)


def _notes(value: Any, where: str) -> tuple[str, ...]:
    """A turn's notes: lines of text, each shown as written (inert) above its reply; as many
    as the prompt had references, so bounded by the file's size alone."""
    items = a_list(value, where)
    for index, note in enumerate(items):
        if not isinstance(note, str):
            raise Bad(f"{where}[{index}] should be a text, not {kind_of(note)}")
    return tuple(items)


def _system_set(value: Any, where: str) -> tuple[str | None, str | None]:
    """What a turn's cell did to the chat's system message: the one it replaced, the one it set."""
    data = an_object(value, {"before", "to"}, where)
    return field(data, "before", (str, type(None)), where), field(data, "to", (str, type(None)), where)


def _tool_call(value: Any, where: str) -> ToolCall:
    data = an_object(value, set(ToolCall.__dataclass_fields__), where)
    number = field(data, "round", (int,), where)
    elapsed = field(data, "elapsed", (int, float), where) if "elapsed" in data else 0.0
    if number < 1 or not math.isfinite(elapsed) or elapsed < 0:
        raise Bad(f"{where} should have a round ≥ 1 and non-negative elapsed seconds")
    return ToolCall(name=field(data, "name", (str,), where),
                    arguments=dict(field(data, "arguments", (Mapping,), where)),
                    result=field(data, "result", (str,), where), round=number,
                    summary=field(data, "summary", (str,), where) if "summary" in data else "",
                    error=field(data, "error", (bool,), where) if "error" in data else False,
                    elapsed=float(elapsed))


def _chat(value: Any, where: str) -> tuple[Chat, list[str]]:
    """The chat at ``where``, and a note for each part of it left out: its tools
    (chat/filetools.py), turns with an empty reply (:func:`_turns`)."""
    data = an_object(value, {"name", "system", "options", "turns"}, where)
    name = field(data, "name", (str,), where)
    if not good_name(name):
        raise Bad(f"{where}.name should be one line of text of 1 to {MAX_NAME} characters, "
                  f"not {shown(name)}")
    options = an_object(field(data, "options", (Mapping,), where), set(Options.__dataclass_fields__),
                      f"{where}.options")
    try:
        parsed_options = Options(**options)
    except OptionError as error:
        raise Bad(f"{where}.options: {error}") from None
    parsed_options, tools_note = filetools.left_out(parsed_options, name)
    turns, empty = _turns(a_list(field(data, "turns", (list,), where), f"{where}.turns"), f"{where}.turns")
    system = field(data, "system", (str, type(None)), where) if "system" in data else None
    notes = [note for note in (tools_note, _left_out(name, empty)) if note]
    return Chat(name, system=system or None, options=parsed_options, turns=turns), notes


def _turns(items: list[Any], where: str) -> tuple[list[Turn], list[int]]:
    """The turns, and the numbers (from 1) of those left out for an empty reply: files saved
    before empty replies stopped being recorded hold them, and the server refuses an empty
    message in every later request of the chat. The prompt goes with its reply, so the turns
    left stay pairs of a question and its answer."""
    turns, empty = [], []
    for index, item in enumerate(items):
        turn = _turn(item, f"{where}[{index}]")
        if turn.reply.text.strip():
            turns.append(turn)
        else:
            empty.append(index + 1)
    return turns, empty


def _turn(value: Any, where: str) -> Turn:
    data = an_object(value, {"prompt", "cell_id", "reply", "images", "notes", "system_set", "tokens"}, where)
    turn = Turn(
        prompt=_text(data, "prompt", where),
        reply=_reply(field(data, "reply", (Mapping,), where), f"{where}.reply"),
        cell_id=field(data, "cell_id", (str, type(None)), where) if "cell_id" in data else None,
        images=_pictures(data["images"], f"{where}.images") if "images" in data else (),
        notes=_notes(data["notes"], f"{where}.notes") if "notes" in data else (),
        system_before=_system_set(data["system_set"], f"{where}.system_set") if "system_set" in data else (),
        from_file=True,  # whoever wrote the file, its replies are not this server's (filetext.py)
    )
    if "tokens" in data:
        turn.keep_counts(_token_counts(data["tokens"], f"{where}.tokens"))
    return turn


def _token_counts(value: Any, where: str) -> dict[str, int]:
    """A turn's size per model, as counted by that model's tokenizer: ``{"yandexgpt": 412}``.
    A wrong count only moves where a long chat is trimmed (the server still refuses a request
    that is too long, with its own message), so a count is checked for its shape alone."""
    if not isinstance(value, Mapping):
        raise Bad(f"{where} should be an object, not {kind_of(value)}")
    if len(value) > MAX_COUNTS:
        raise Bad(f"{where} has {len(value)} counts, more than {MAX_COUNTS}")
    for model in value:
        count = field(value, model, (int,), where)
        if len(model) > MAX_NAME or count < 0:
            raise Bad(f"{where} should name each model in at most {MAX_NAME} characters, "
                      f"with a count of 0 or more")
    return dict(value)


def _left_out(name: str, numbers: list[int]) -> str | None:
    """The one line that says which turns of chat ``name`` were left out, if any."""
    if not numbers:
        return None
    turns = f"{numbered('Turn', numbers)} of chat '{name}'"
    if len(numbers) == 1:
        return f"{turns} had an empty reply and was left out, with its prompt."
    return f"{turns} had empty replies and were left out, with their prompts."


def parse(data: Any, source: object, named: Callable[[str], str] = str) -> tuple[dict[str, Chat], str, tuple[str, ...]]:
    """Chats, the current chat's name and a note for each part of a chat left out (its tools,
    turns with an empty reply) or masked (a key in a reply), from chat-file data, or
    ChatFileError; touches nothing. ``named`` turns a name in the file into
    the chat's (``%ygpt load`` masks a credential in it: a name is shown by every view, and
    what a view shows is what ``--chat`` takes)."""
    try:
        check_encodable(data)
        top = an_object(data, {"version", "current", "chats"}, "the file")
        version = top.get("version")
        if version not in VERSIONS or isinstance(version, bool):
            raise Bad(refusal(version))
        items = a_list(field(top, "chats", (list,), "the file"), "chats")
        if not items or len(items) > MAX_CHATS:
            raise Bad(f"it should hold 1 to {MAX_CHATS} chats, not {len(items)}")
        chats: dict[str, Chat] = {}
        notes: list[str] = []
        for index, item in enumerate(items):
            chat, left_out = _chat(item, f"chats[{index}]")
            chat.name = named(chat.name)
            if chat.name in chats:
                raise Bad(f"chats[{index}] repeats the name {chat.name!r}")
            chats[chat.name] = chat
            notes += left_out
            notes += filetext.loaded(chat.name, filetext.withheld(chat.turns, 1))
        current = named(field(top, "current", (str,), "the file"))
        if current not in chats:
            raise Bad(f"its current chat {shown(current)} is not one of its chats")
    except Bad as problem:
        raise ChatFileError(source, str(problem)) from None
    return chats, current, tuple(notes)


def dump(chats: Mapping[str, Chat], current: str) -> dict[str, Any]:
    """Chat-file data for ``chats`` (the inverse of :func:`parse`)."""
    def reply(r: Reply) -> dict[str, Any]:
        data = {"text": r.text, "status": r.status, "model": r.model,
                "model_version": r.model_version, "elapsed": r.elapsed,
                "usage": {k: getattr(r.usage, k) for k in Usage.__dataclass_fields__}}
        if r.tool_calls:
            data["tool_calls"] = [{f: getattr(call, f) for f in ToolCall.__dataclass_fields__}
                                  for call in r.tool_calls]
        if r.cached:
            data.update(cached=True, recorded=r.recorded)
        return data

    def turn(t: Turn) -> dict[str, Any]:
        data: dict[str, Any] = {"prompt": t.prompt, "cell_id": t.cell_id, "reply": reply(t.reply)}
        if t.images:
            data["images"] = [info.to_dict() for info in t.images]
        if t.notes:
            data["notes"] = list(t.notes)
        if t.system_before:
            before, to = t.system_before
            data["system_set"] = {"before": before, "to": to}
        if counts := t.token_counts:
            data["tokens"] = counts
        return data

    return {
        "version": written_as(chats),
        "current": current,
        "chats": [
            {"name": chat.name, "system": chat.system, "options": chat.options.set_fields(),
             "turns": [turn(t) for t in chat.turns]}
            for chat in chats.values()
        ],
    }


def each_text(data: Any, change: Callable[[str], str]) -> Any:
    """``data`` (as :func:`dump` gives it) with ``change`` applied to every text in it: names,
    the system message, prompts, replies, tool calls, wherever a pasted secret may sit."""
    if isinstance(data, str):
        return change(data)
    if isinstance(data, Mapping):
        return {key: each_text(value, change) for key, value in data.items()}
    if isinstance(data, list):
        return [each_text(item, change) for item in data]
    return data


def read(path: str | Path) -> Any:
    """The JSON in ``path``, refusing files that are missing, not regular files, too big, not
    UTF-8 or not JSON."""
    return files.read_json(path, MAX_BYTES, lambda problem: ChatFileError(path, problem))


def write(path: str | Path, data: dict[str, Any]) -> None:
    """Write ``data`` as JSON to ``path`` the safe way (chat/files.py): a failed save never
    leaves half a file where a good one was, nor replaces a link or a device."""
    files.write_text(path, json.dumps(data, ensure_ascii=False, indent=1))
