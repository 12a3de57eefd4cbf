"""Tool functions that a Stop can walk away from: how a panel Send runs the notebook's functions.

A cell runs a tool on the kernel's main thread, where Ctrl-C interrupts the function itself. A
panel Send runs on the panel's own thread, where nothing can interrupt Python code, so a function
that never returned held the chat until a restart. There each call runs on a daemon thread of its
own, and the exchange waits for it while watching Stop: on Stop it stops waiting at once (the
exchange ends as interrupted, the chat is free and unchanged, the call's line says it was
abandoned). Python cannot kill a thread, so the function goes on in the background until it
returns; what it returns or raises then is dropped. Running it in another process instead would
end it, but it could no longer see or change the notebook's variables.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .declare import Tool

#: seconds between two looks at Stop while a function runs
POLL = 0.05
#: what the call's line says for an abandoned call
ABANDONED = "abandoned: Stop was pressed; the function goes on in the background, its result unused"


class Abandoned(KeyboardInterrupt):
    """Stop was pressed while a tool function ran. A KeyboardInterrupt, so the tool loop does not
    send it to the model as the function's error and run_exchange ends as a Ctrl-C would."""


def abandonable(tools: tuple[Tool, ...], stopped: Callable[[], bool]) -> tuple[Tool, ...]:
    """``tools`` whose functions run on a thread of their own, abandoned once ``stopped()``."""
    return tuple(replace(tool, function=_watched(tool.function, stopped, tool.name)) for tool in tools)


def _watched(function: Callable[..., Any], stopped: Callable[[], bool], name: str) -> Callable[..., Any]:
    """``function`` run on a thread named for the tool (a partial or a callable object has no
    ``__name__`` of its own)."""
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["value"] = function(*args, **kwargs)
            except BaseException as error:
                outcome["error"] = error

        worker = threading.Thread(target=target, name=f"ygpt-tool-{name}", daemon=True)
        worker.start()
        while worker.is_alive():
            if stopped():
                raise Abandoned()
            worker.join(POLL)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]
    return run
