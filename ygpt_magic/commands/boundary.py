"""Where an error of ours meets IPython: how a YGptError is shown under a cell.

The errors package knows nothing of IPython (the panel shows the same errors itself), so the
magic turns each one into the UsageError IPython shows as one paragraph, here.
"""

from __future__ import annotations

import traceback

from IPython.core.error import UsageError

from ..errors import CacheMiss, CacheUnusable, YGptError
from ..render.controls import visible


def as_usage_error(error: YGptError) -> UsageError:
    """A plain UsageError carrying `error` (as `.error`) for IPython to show.

    IPython prints the message alone only for UsageError itself (`etype is UsageError` in
    InteractiveShell.showtraceback), so our subclasses would come with a full traceback; this is
    the workaround jupysql uses too (ipython/ipython#14024).

    IPython keeps the last error (``sys.last_value``, the last execution result): the frames in
    the tracebacks of `error` and of the exceptions it arose from are cleared of their variables,
    which hold the request's SDK objects, so the SDK dropped after a failure closes its channels
    (client/channels.py) and the next cell connects afresh. The chain, with its files and
    lines, stays for whoever looks at ``sys.last_value.error``.

    The message may quote a server or a value: its control characters are shown, never obeyed
    by the terminal that prints it (render/controls.py).
    """
    _clear_frames(error)
    usage = (_RunStopper if isinstance(error, (CacheMiss, CacheUnusable)) else UsageError)(visible(str(error)))
    usage.error = error  # type: ignore[attr-defined]  # on the instance: the class must stay UsageError itself
    return usage


def _clear_frames(error: BaseException | None) -> None:
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)
        error = error.__cause__ or error.__context__


class _RunStopper(UsageError):
    """A replay-mode cache error (CI) must fail the run the way a test fails: IPython shows this
    one line as an error (``_render_traceback_``), which nbval and nbconvert report with the
    cell; a plain UsageError only goes to stderr, where nbval does not look."""

    error: YGptError

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self.error).__name__}: {self}"]
