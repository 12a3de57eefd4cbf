"""The progress bar of a run over rows (``--map``, ``--batch``, ``%ygpt embed``), and the
summary that takes its place.

``tqdm.auto`` is an ipywidgets bar in Jupyter and a text bar in a terminal; it shows the count,
the rate and the ETA itself, and the postfix adds tokens so far and failures. Updating it costs a
redraw, so the postfix is rebuilt at most every ``INTERVAL`` seconds and tqdm's own
``mininterval`` throttles the bar: 100,000 rows do not mean 100,000 redraws.

tqdm's own rate is a moving average of recent rows from when the bar appeared, which read 361
rows/s above a summary of 236; so the bar averages over the whole run (``smoothing=0``) from the
tally's start (rows/progress.py ``Tally.rate``).

In Jupyter the widget bar lives only while the run does: the widget dies with the kernel, and a
saved notebook reopened later would show "Error displaying widget: model not found" where the
bar was, or its fallback text frozen at ``0%|``. So the bar is displayed under a display id and,
when the run ends, that output is replaced by plain text: the bar's final line, then the summary
(``report``). What the notebook stores is the summary, readable in every frontend.

A notebook run headless (saving.headless: ``jupyter execute``, ``nbconvert --execute``,
papermill) has no page to draw the bar, yet nbclient stores the state of every widget the run
opened in the file: three bars' 33 models were 26.7 KB of a 39.8 KB notebook, which no reader of
the file can use. A text bar there is no better: nbclient keeps every redraw in a stream output,
and papermill's ``--log-output`` does not print a display's updates. So there the bar draws
nowhere while the run goes on, and when it ends it is shown once as its final line, as plain
text, which the summary then replaces: the file and the log read as the widget bar's did.

In Jupyter the summary's output also carries the run's provenance in its metadata
(cache/provenance.py ``run_metadata``), as a reply's output does, so ``%ygpt provenance
NOTEBOOK`` lists the run; with no bar (no row sent) it is shown as that same plain text output. A
terminal prints the summary: a printed line has no metadata, and nothing saves a terminal.
"""

from __future__ import annotations

import io
import sys
import time
from typing import Any

from ..render.forms import echo
from ..render.terminal import ERASE_LINE
from ..saving import headless
from .progress import Tally

#: seconds between postfix updates (tqdm's mininterval throttles the bar itself the same way)
INTERVAL = 0.25
#: tqdm's delay while the bar is made: it is first drawn by Progress._draw
_UNDRAWN = float("inf")


def tell(summary: str, advice: str, progress: Progress | None, metadata: dict[str, Any] | None = None) -> None:
    """The run's summary and what to do next, where the ``progress`` bar was, with the run's
    provenance ``metadata`` in Jupyter; printed in a terminal (module docstring)."""
    text = f"{summary}\n{advice}" if advice else summary
    if progress is not None:
        progress.report(text, metadata)
        return
    from tqdm.auto import tqdm

    if _is_widget(tqdm):
        from ..render import show

        show({"text/plain": text}, metadata)
    else:
        print(text)


def _is_widget(bar_class: type) -> bool:
    """Whether ``tqdm.auto`` chose the ipywidgets bar (it imports tqdm.notebook when it does)."""
    notebook = sys.modules.get("tqdm.notebook")
    return notebook is not None and issubclass(bar_class, notebook.tqdm_notebook)


class Progress:
    """The bar for one run: ``advance`` per row (cheap), ``status`` for a batch job's state,
    ``close`` when the rows are done, ``report`` for the lines that stay in its place."""

    def __init__(self, tally: Tally, *, desc: str) -> None:
        from tqdm.auto import tqdm as shown
        from tqdm.std import tqdm as text

        self.tally = tally
        self._unseen = headless()   # no page draws it (module docstring)
        widget = not self._unseen and _is_widget(shown)
        tqdm = text if self._unseen else shown
        drawn: dict[str, Any] = {"file": _Nowhere()} if self._unseen else {"display": False} if widget else {}
        # leave=False: the bar's last line is drawn from the tally when it closes (``close``);
        # delay: not drawn while it is made, but by ``_draw``, which can take a Ctrl-C back
        self._bar = tqdm(total=tally.total, initial=tally.reused, desc=desc, unit="row",
                         mininterval=INTERVAL, smoothing=0, dynamic_ncols=True, leave=widget,
                         delay=_UNDRAWN, **drawn)
        self._bar.start_t -= tally.elapsed()   # its clock starts with the run's (module docstring)
        self._handle: Any = None
        self._status = ""
        self._closed = False
        self._last = 0.0
        self._pending = 0
        self._draw(widget)

    def _draw(self, widget: bool) -> None:
        """Show the bar for the first time. A Ctrl-C that lands while it draws (stoppable.bar
        says it as nothing sent) takes back what was drawn: in a terminal the half printed bar
        stayed, and the stop's line was printed on its row, after it."""
        bar = self._bar
        bar.delay = 0
        try:
            if widget:
                self._handle = _show(bar.container)
            else:
                bar.refresh()
        except KeyboardInterrupt:
            self._closed = True
            bar.close()
            if widget:
                for part in (bar.container, *bar.container.children):
                    part.close()
            else:   # tqdm's own clearing misses a line whose write the Ctrl-C cut short
                bar.fp.write(ERASE_LINE if bar.fp.isatty() else "\n")
                bar.fp.flush()
            raise

    def advance(self, rows: int = 1) -> None:
        self._pending += rows
        self.tick()

    def status(self, text: str) -> None:
        self._status = text
        self.tick(force=True)

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < INTERVAL:
            return
        self._last = now
        tally = self.tally
        postfix = [self._status] if self._status else []
        if tally.tokens_known:
            postfix.append(f"{tally.paid.total_tokens:,} tokens")   # replies that did not fit too
        if tally.failed:
            postfix.append(f"{tally.failed:,} failed")
        self._bar.set_postfix_str(", ".join(postfix), refresh=False)
        if self._pending:
            self._bar.update(self._pending)
            self._pending = 0
        else:
            self._bar.refresh()

    def resize(self, total: int) -> None:
        self._bar.total = total
        self.tick(force=True)

    def close(self) -> None:
        """End the bar (again: nothing) with its last line drawn over the run's seconds, as the
        summary divides by them (tqdm's own last line takes its clock as it closes, a little
        later); a widget bar becomes that line as text, so none outlives the run, and a bar no
        page draws is shown as that line then."""
        if self._closed:
            return
        self._closed = True
        self.tick(force=True)
        self.tally.end()
        bar = self._bar
        bar.close()
        widget = self._handle is not None
        last = bar.format_meter(**{**bar.format_dict, "elapsed": self.tally.elapsed(), "rate": None,
                                   **({"ncols": None} if widget or self._unseen else {})})
        if self._unseen:
            self._handle = _show({"text/plain": last}, raw=True)
            return
        if not widget:
            bar.fp.write(f"{last}\n")
            bar.fp.flush()   # before the summary, which goes to stdout
            return
        self._replace(last)
        for part in (bar.container, *bar.container.children):
            part.close()

    def report(self, text: str, metadata: dict[str, Any] | None = None) -> None:
        """Show ``text`` (the summary, what to do next) where the bar was, with ``metadata``, or
        below it in a terminal, whose bar is its own text."""
        if self._handle is None:
            print(text)
        else:   # sent again first, for frontends that ignore display updates (render/forms.py echo)
            echo(text)
            self._replace(text, metadata)

    def _replace(self, text: str, metadata: dict[str, Any] | None = None) -> None:
        if self._handle is not None:  # a widget bar was shown (Jupyter), under this display id
            self._handle.update({"text/plain": text}, raw=True, metadata=metadata)


def _show(shown: object, raw: bool = False) -> Any:
    """Display the widget bar (or, headless, its last line) under a display id, so ``report``
    can replace it."""
    from IPython.display import display

    return display(shown, raw=raw, display_id=True)


class _Nowhere(io.TextIOBase):
    """Where the bar of a run no page draws writes its redraws: tqdm's text bar needs a file."""

    def write(self, text: str) -> int:
        return len(text)
