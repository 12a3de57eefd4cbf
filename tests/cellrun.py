"""Run one cell in a real shell and keep everything the user would see, for the reliability tests.

The reliability promises are about what reaches the notebook: one clear paragraph on an error,
no traceback, no asyncio or gRPC noise, never a secret. So a run keeps the captured stdout and
stderr, every display output (each mimetype, updates included), the exception IPython reported,
and every log record of WARNING and above emitted while the cell ran (pytest's own log handler
means asyncio's complaints would never reach stderr, so they are checked here).

A lasting output's plain text sent again for frontends that ignore display updates
(render/forms.py echo) is drawn as nothing where HTML is drawn, and no saved notebook keeps it, so a run
leaves it out; tests/test_render.py, tests/test_frontends_console.py and
tests/test_browser_switch.py check it.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from IPython.utils.capture import capture_output
from visible import visible

from ygpt_magic.saving import is_live_only

#: Text that must never be in a cell's output: it means a traceback or library noise leaked.
NOISE = (
    "Traceback (most recent call last)",
    "Traceback",
    "Task exception was never retrieved",
    "Task was destroyed but it is pending",
    "Exception ignored in",
    "Exception in callback",
    "AioRpcError",
    "_InactiveRpcError",
    "_MultiThreadedRendezvous",
    "debug_error_string",
    "grpc._cython",
    "asyncio",
    "StatusCode.",
    "yandex_ai_studio_sdk",
    "yandex_cloud_ml_sdk",
    "DeprecationWarning",
    "File \"",
)


#: The marks of a module whose tests fail when an exception is lost in a thread or in a
#: finalizer (asyncio's "Task exception was never retrieved" kind), not pass silently. A lost
#: finalizer exception is checked by conftest's ``no_lost_exceptions``, which names it in the
#: failure's first line and leaves an earlier module's garbage to that module.
LOST_EXCEPTIONS = [
    pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning"),
    pytest.mark.usefixtures("no_lost_exceptions"),
]


def lost_in_finalizer(unraisable: sys.UnraisableHookArgs) -> str:
    """One line naming an exception lost in a finalizer: what raised it, where, in which thread
    (a CI log shows a failure's first line; pytest's own report is a traceback per exception)."""
    error, frames = unraisable.exc_value, traceback.extract_tb(unraisable.exc_traceback)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return (f"{type(error).__name__}: {error}{where}; {unraisable.err_msg or 'Exception ignored in'} "
            f"{unraisable.object!r:.200} (thread {threading.current_thread().name})")



@contextmanager
def lost_fails() -> Iterator[None]:
    """Fail (pytest.fail) when an exception is lost in a finalizer while the block runs
    (sys.unraisablehook), each named on one line; pytest's own hook still gets them (its
    warning, with tracebacks)."""
    lost: list[str] = []
    forward = sys.unraisablehook

    def keep(unraisable: sys.UnraisableHookArgs) -> None:
        lost.append(lost_in_finalizer(unraisable))
        forward(unraisable)

    sys.unraisablehook = keep
    try:
        yield
    finally:
        sys.unraisablehook = forward
    if lost:
        pytest.fail(f"lost in a finalizer ({len(lost)}): " + "\n".join(lost), pytrace=False)

class _Records(logging.Handler):
    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def log_records(level: int = logging.WARNING) -> Iterator[list[logging.LogRecord]]:
    """Every record of at least `level` sent to the root logger while the block runs."""
    handler = _Records(level)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)


@dataclass
class CellRun:
    """What one cell showed: streams, display outputs (updates included), the reported error,
    warnings logged. Every test that runs a cell gets one (conftest's `cell` is `run`)."""

    source: str
    stdout: str
    stderr: str
    outputs: list[dict]  # each {"data": {mimetype: value}, "update": bool}
    error: BaseException | None
    warnings: list[str] = field(default_factory=list)

    @property
    def shown(self) -> str:
        """All the text the notebook would show for this cell, every mimetype included."""
        parts = [self.stdout, self.stderr]
        for output in self.outputs:
            parts.extend(str(value) for value in output["data"].values())
        return "\n".join(parts)

    @property
    def final(self) -> str:
        """The last state of the cell's last display as a person reads it (its HTML's text if it
        has HTML, else its plain text)."""
        for output in reversed(self.outputs):
            if output["data"]:
                data = output["data"]
                return visible(data["text/html"]) if "text/html" in data else data.get("text/plain", "")
        return ""

    @property
    def displays(self) -> list[dict]:
        """The last state of every display the cell made, in order (updates applied): what the
        cell's output area holds once it ran (a tool call has an output of its own)."""
        shown: dict = {}
        for index, output in enumerate(self.outputs):
            shown[output.get("id") or index] = output["data"]
        return list(shown.values())

    @property
    def page(self) -> str:
        """Every display as a person reads it, top to bottom (HTML's text, else plain text)."""
        return "\n".join(visible(data["text/html"]) if "text/html" in data else data.get("text/plain", "")
                         for data in self.displays)

    @property
    def plain_page(self) -> str:
        """Every display's plain-text form, top to bottom (what a terminal shows)."""
        return "\n".join(data.get("text/plain", "") for data in self.displays)

    @property
    def plain(self) -> str:
        """The last display's plain-text form (what a terminal or a log shows)."""
        return self.outputs[-1]["data"].get("text/plain", "") if self.outputs else ""

    @property
    def updates(self) -> int:
        """Display messages sent: the first display plus every update."""
        return len(self.outputs)

    @property
    def message(self) -> str:
        return str(self.error) if self.error is not None else ""

    @property
    def typed_error(self) -> BaseException | None:
        """Our errors.py type behind the plain UsageError IPython was given (see magics.py)."""
        return getattr(self.error, "error", self.error)

    @property
    def ok(self) -> bool:
        return self.error is None


def run(shell, source: str, cell_id: str | None = None) -> CellRun:
    """Run `source` as a cell the way ipykernel does (with JupyterLab's cell id, if given) and
    capture what the user sees."""
    with log_records() as records, capture_output() as captured:
        result = shell.run_cell(source, store_history=True, cell_id=cell_id)
    error = result.error_before_exec or result.error_in_exec
    warnings = [f"{r.name}: {r.getMessage()}" for r in records]
    outputs = [{"data": o.data or {}, "update": o.update, "id": (o.transient or {}).get("display_id")}
               for o in captured.outputs if not _sent_again(o)]
    return CellRun(source, captured.stdout, captured.stderr, outputs, error, warnings)


def _sent_again(output) -> bool:
    """Whether ``output`` is render/forms.py echo's copy for frontends that ignore updates."""
    return output.data.get("text/html") == "" and is_live_only({"metadata": output.metadata or {}})


def assert_clean(cell: CellRun) -> None:
    """No traceback, no library noise, nothing logged at WARNING or above."""
    for noise in NOISE:
        assert noise not in cell.shown, f"{noise!r} leaked into the output of {cell.source[:60]!r}:\n{cell.shown}"
    assert not cell.warnings, f"log noise while running {cell.source[:60]!r}: {cell.warnings}"


def assert_clear_error(cell: CellRun, *keywords: str, error_type: type | None = None) -> str:
    """The cell failed with one clear paragraph holding every keyword; returns the message.

    One paragraph: a non-empty message of the plain UsageError the magics raise (carrying our
    type as ``.error``), no blank line inside, shown exactly once.
    """
    from IPython.core.error import UsageError

    assert cell.error is not None, f"{cell.source[:60]!r} succeeded; expected an error.\n{cell.shown}"
    assert isinstance(cell.error, UsageError), (
        f"{cell.source[:60]!r} raised {type(cell.error).__name__}, which IPython shows with a traceback: {cell.error!r}"
    )
    if error_type is not None:
        original = getattr(cell.error, "error", cell.error)  # the magics wrap ours in a plain UsageError
        assert isinstance(original, error_type), (
            f"expected {error_type.__name__}, got {type(original).__name__}: {original}")
    message = cell.message.strip()
    assert len(message) >= 20, f"message too short to say what to do: {message!r}"
    assert "\n\n" not in message, f"more than one paragraph: {message!r}"
    streams = cell.stdout + cell.stderr
    assert streams.count(message.splitlines()[0]) == 1, f"message not shown exactly once:\n{streams}"
    lowered = " ".join(message.lower().split())
    for keyword in keywords:
        assert keyword.lower() in lowered, f"{keyword!r} missing from the message: {message!r}"
    assert_clean(cell)
    return message


def assert_interrupted(cell: CellRun) -> None:
    """The cell Ctrl-C stopped ended as an interrupted cell does, so Run All stops there: after
    its own output (what it kept), one line as its error, never a traceback."""
    from ygpt_magic.errors import Interrupted

    assert_stopped(cell, "Ctrl-C stopped this cell", "queued after it", error_type=Interrupted)


def assert_stopped(cell: CellRun, *keywords: str, error_type: type) -> str:
    """A cell Ctrl-C stopped ended in its one paragraph (:func:`assert_clear_error`), shown as the
    cell's error, named as ours (``Interrupted: …``, ``StoppedBeforeAsking: …``), as Interrupted's
    line is: never as a ``UsageError: …`` on stderr, where nbval does not look and which reads
    as a mistake in the cell. Returns the message."""
    message = assert_clear_error(cell, *keywords, error_type=error_type)
    assert f"{error_type.__name__}: {message}" in cell.stdout, cell.stdout   # the cell's error
    assert "UsageError" not in cell.stderr, cell.stderr
    return message

