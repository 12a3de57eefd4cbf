"""The words of a replay-mode cache miss (CacheMiss, errors/usage.py): what the cache holds, as far
as it tells why a request is not among it, and what to do about it.

A cache recorded by an older ygpt_magic keeps entries with no parts, or parts cut another way
(cache/misses.py), so a request cannot be compared with them; what they
tell is the server they were recorded against (their ``server`` part, or a reply's model
version saying the local server made it). A miss among them lists the server among the possible
causes, or names it when they tell it, with the replay that fixes it: recording again (the advice
for a changed cell) would cost tokens and fix nothing when the server is what differs.
"""

from __future__ import annotations

from ..words import counted, listed
from .origin import capital

#: the kind of server (besides cache/key.py SERVERS) of a recording whose reply says the local
#: server made it, but not at which address (an older entry, with no parts)
LOCAL_ANY = "local-any"

_CHANGED = "the cell, its flags, the model or an earlier turn of its chat changed"

#: how to replay against whichever server a cache was recorded against, when it does not tell
_ANY_SERVER = ("leave YGPT_ENDPOINT unset for Yandex Cloud, or set YGPT_ENDPOINT=local or "
               "YGPT_ENDPOINT=HOST:PORT, as when it was recorded")

#: what each part of a request (cache/key.py PARTS) is called in a CacheMiss
_PART_WORDS = {"written": "the cell's words as written (its {…} references fill in the same text)",
               "earlier": "an earlier turn of its chat", "instruction": "the system instruction",
               "framing": "the instruction --docs adds to the question (YGptMagics.docs_instruction: "
                          "a setting, or the built-in one, which an upgrade of ygpt_magic can reword)",
               "pictures": "a picture the cell sends (its bytes changed since the recording: does "
                           "matplotlib draw differently here?)",
               "results": "a tool's result (a function the cell names returned something else "
                          "than when it was recorded)",
               "sources": "the sources --docs sent (a source chunk changed: a file it reads was "
                          "edited, added or removed)",
               "tools": "the tools or --schema", "model": "the model",
               "options": "the flags (temperature, max tokens, reasoning, --json)",
               "server": "the server (the cloud, the local one or another)"}

#: each kind of server (cache/key.py SERVERS) as a CacheMiss names it, and how to replay against it
_SERVER_WORDS = {"cloud": "Yandex Cloud", "local": "the local server",
                 "other": "another server (HOST:PORT)",
                 LOCAL_ANY: "the local server (the replies say so)"}
_REPLAY_WITH = {"cloud": "leave YGPT_ENDPOINT unset or cloud (or %ygpt connect cloud)",
                "local": "YGPT_ENDPOINT=local (or %ygpt connect local)",
                "other": "YGPT_ENDPOINT=HOST:PORT (any address: only its kind is in the key), or "
                         "%ygpt connect HOST:PORT",
                LOCAL_ANY: "YGPT_ENDPOINT=local, or YGPT_ENDPOINT=HOST:PORT if it ran at an address "
                           "(or %ygpt connect local / HOST:PORT)"}

#: how to record what is missing: the command a running kernel takes (YGPT_CACHE_MODE is read
#: only when the extension loads, so it is for a CI run, set before the kernel starts)
_RECORD = ("Record the cache against a server with %ygpt cache --mode auto (or YGPT_CACHE_MODE=auto "
           "set before the kernel starts, as in CI) and commit the file.")


def advice(differs: tuple[str, ...] | None, servers: tuple[str, str] | None, older: int = 0) -> str:
    """What to do: record again, unless the nearest recording differs in the server, which a
    new recording would not change: then replay against the server it was recorded against."""
    if older and differs is None:
        return _older_advice(servers)
    if not (differs and "server" in differs and servers):
        return _RECORD
    recorded, asked = servers
    replay = (f"It was recorded against {_SERVER_WORDS[recorded]}, and this kernel replays "
              f"against {_SERVER_WORDS[asked]}. {_replay_there(recorded)}")
    return replay if differs == ("server",) else f"{replay} {_RECORD}"


def _replay_there(recorded: str) -> str:
    return (f"The server is part of a recording's key (a reply of the local server is not "
            f"YandexGPT's), so replay against the one it was recorded against: "
            f"{_REPLAY_WITH[recorded]}; a replay sends nothing to it.")


def _older_advice(servers: tuple[str, str] | None) -> str:
    """What to do about a miss among recordings of an older ygpt_magic (:func:`_older_held`)."""
    if servers is None:
        return (f"If the cell is as it was when the cache was recorded, replay against the server "
                f"it was recorded against ({_ANY_SERVER}); otherwise {_RECORD[0].lower()}{_RECORD[1:]}")
    recorded, asked = servers
    if recorded == asked:
        return _RECORD
    return (f"{_replay_there(recorded)} If it misses there too, the cell changed as well: "
            f"{_RECORD[0].lower()}{_RECORD[1:]}")


def holds(held: int | None, differs: tuple[str, ...] | None,
          servers: tuple[str, str] | None = None, older: int = 0) -> str:
    """What the cache holds, as far as it tells why this request is not among it."""
    changed = _CHANGED
    if held is None:
        return f"{capital(changed)} since the cache was recorded"
    if held == 0:
        return ("The cache is empty (0 recordings): it was never recorded into, or it is not the "
                "file that was (check the path %ygpt cache shows; %ygpt cache PATH uses another)")
    holds = f"The cache holds {counted(held, 'recording')}"
    if older and differs is None:
        return _older_held(holds, held, older, servers)
    if not differs:
        return f"{holds}, none for this request: {changed} since it was recorded"
    if differs == ("chunk",):
        return (f"{holds}, none of this source chunk: a source chunk changed (a file --docs reads "
                f"was edited or added since the cache was recorded; the cell itself may not have)")
    if "text" in differs and "written" not in differs:
        return _filled_in(holds, differs)
    if "text" in differs:
        return (f"{holds}, none of this text: the cell (or its row) changed since the cache was "
                f"recorded, or was not run then")
    words = ["the server" if part == "server" and servers else _PART_WORDS.get(part, part)
             for part in differs]   # with servers, _advice names them
    return f"{holds}; the nearest, of this same text, differs in {listed(words)}"


def _filled_in(holds: str, differs: tuple[str, ...]) -> str:
    """A recording of this cell as written, whose {…} references filled in another text: a
    value that differs between runs, not an edited cell (``differs``: what else differs)."""
    also = [_PART_WORDS.get(part, part) for part in differs if part != "text"]
    more = f"; it differs in {', '.join(also)} as well" if also else ""
    return (f"{holds}; the nearest is of this cell as written: the cell's words are as recorded, "
            f"but the text its {{…}} references filled in differs (a value that changes between "
            f"runs, such as a time, or a DataFrame in another row order: make it the same at every "
            f"run, e.g. sort the frame, or record again){more}")


def _older_held(holds: str, held: int, older: int, servers: tuple[str, str] | None) -> str:
    """What a cache holding ``older`` recordings of an older ygpt_magic can tell: their entries
    keep no parts, or parts cut another way, so the cell cannot be compared with them; but they
    may tell the server they were recorded against. ``servers``: that kind and this request's
    (equal when the server is the same; None when they do not tell)."""
    made = ("it was" if held == 1 else "all were" if older == held else f"{older} were")
    made += (f" made by an older ygpt_magic, which noted less of each request, so this one could "
             f"not be compared with {'it' if older == 1 else 'them'}")
    if servers is None:
        return (f"{holds}, none for this request: {made}. What differs may be the cell, its flags, "
                f"the model, an earlier turn of its chat, or the server it was recorded against")
    recorded, asked = servers
    if recorded == asked:
        return f"{holds}, none for this request: {_CHANGED} since it was recorded ({made})"
    return (f"{holds}, none for this request: {made}, but {'it was' if older == 1 else 'they were'} "
            f"recorded against {_SERVER_WORDS[recorded]}, and this kernel replays against "
            f"{_SERVER_WORDS[asked]}")
