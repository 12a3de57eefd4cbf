"""The progress bar of a ``--map`` cell and the summary line it ends with.

``tqdm.auto`` is an ipywidgets bar in Jupyter and a text bar in a terminal; it shows the count,
the rate and the ETA itself, and the postfix adds tokens so far and failures. Updating it costs a
redraw, so the postfix is rebuilt at most every ``INTERVAL`` seconds and tqdm's own
``mininterval`` throttles the bar: 100,000 rows do not mean 100,000 redraws. The summary
(answered, failed by reason, tokens in/out, wall time, rows/s) is plain text, the same in a
notebook, a terminal and a test.

The bar and the summary show one rate (``Tally.rate``): the rows this run finished, answered or
failed (reused ones are not sent), over the seconds since the run started. tqdm's own rate is a
moving average of recent rows from when the bar appeared, which read 361 rows/s above a summary of
236; so the bar averages over the whole run (``smoothing=0``) from the tally's start, and the
run's clock stops when the bar closes, so the summary divides by the same seconds.

In Jupyter the widget bar lives only while the run does: the widget dies with the kernel, and a
saved notebook reopened later would show "Error displaying widget: model not found" where the
bar was, or its fallback text frozen at ``0%|``. So the bar is displayed under a display id and,
when the run ends, that output is replaced by plain text: the bar's final line, then the summary
(``report``). What the notebook stores is the summary, readable in every frontend.

In Jupyter the summary's output also carries the run's provenance in its metadata
(cache/provenance.py ``run_metadata``), as a reply's output does, so ``%ygpt provenance
NOTEBOOK`` lists the run; with no bar (no row sent) it is shown as that same plain text output. A
terminal prints the summary: a printed line has no metadata, and nothing saves a terminal.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..cache import provenance
from ..chat import Answer, Usage
from ..chat.prices import roubles, saved
from ..chat.values import LOCAL_SERVER
from ..errors import (
    ContextTooLong,
    RefusedForEvery,
    ServerStayedBusy,
    TextTooLong,
    TextTooLongToClassify,
    TextTooLongToEmbed,
)
from ..render.forms import echo
from ..words import counted

if TYPE_CHECKING:
    from ..chat.budget import Budget

#: seconds between postfix updates (tqdm's mininterval throttles the bar itself the same way)
INTERVAL = 0.25
#: a sent row's failures that are its data's: the server refused its text as too long, and would again
DATA_REFUSALS = (ContextTooLong, TextTooLong, TextTooLongToClassify, TextTooLongToEmbed)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def reason_of(error: BaseException) -> str:
    """A failure's kind in a few words, for the summary: ``QuotaExceeded`` → ``quota exceeded``."""
    return _CAMEL.sub(" ", type(error).__name__).lower()


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or reason_of(error)


@dataclass
class RunCounts:
    """What ``_ygpt`` holds after any run over rows (``--map``, ``%ygpt embed``), besides its
    results: ``errors`` (row → its one-line reason), the tokens, the counts and the summary;
    ``stopped``: Ctrl-C ended it (or the wait for its batch job), so its cell ends as Interrupted."""

    errors: dict[Any, str]
    usage: Usage
    answered: int
    reused: int
    failed: int
    left: int
    elapsed: float
    summary: str
    provenance: dict[str, Any]   # the run's record for the provenance log: Tally.metadata()
    stopped: bool = False


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


@dataclass
class Tally:
    """What a map run did so far: the numbers the bar and the summary show."""

    total: int
    reused: int = 0
    cached: int = 0                # of the reused, those the reply cache answered in this run
    answered: int = 0
    usage: Usage = field(default_factory=Usage)
    reused_usage: Usage = field(default_factory=Usage)   # the reused rows' tokens, as recorded
    replayed: Usage = field(default_factory=Usage)   # those of the rows the reply cache replayed
    recorded: list[str] = field(default_factory=list)   # the day each of those was recorded
    local: bool = False            # one of them was recorded against the local server
    failures: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None     # when the bar closed: the run's seconds stop there
    stopped: bool = False
    tokens_known: bool = True      # a batch job's results carry no token counts
    budget: Budget | None = None   # the run's cost cap, when it has one (chat/budget.py)
    refusal: RefusedForEvery | None = None   # the first refusal every row would get (client/many.py)
    outage: ServerStayedBusy | None = None   # the service answered UNAVAILABLE to rows in a row (client/outage.py)
    unsent: int = 0                # failed before sending: their data is at fault, a re-run alone fails again
    faulty: int = 0                # failed for their data: the unsent, and texts refused as too long
    cancelled: int = 0             # sent, then cancelled in flight by Ctrl-C: maybe billed, sent again on a re-run
    model: str = ""                # the run's model, for its provenance

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def left(self) -> int:
        """Rows with no answer: failed ones and those never sent."""
        return self.total - self.reused - self.answered

    def elapsed(self) -> float:
        return (time.monotonic() if self.ended is None else self.ended) - self.started

    def counts(self, errors: dict[Any, str], summary: str) -> dict[str, Any]:
        """The :class:`RunCounts` fields of this run, for its ``_ygpt``."""
        return {"errors": errors, "usage": self.usage, "answered": self.answered, "reused": self.reused,
                "failed": self.failed, "left": self.left, "elapsed": self.elapsed(), "summary": summary,
                "provenance": self.metadata(), "stopped": self.stopped}

    def metadata(self) -> dict[str, Any]:
        """The run's provenance, as its summary's output metadata (cache/provenance.py). Its
        tokens are those of every answer the run holds, the reused rows' as recorded, as a
        replayed reply's provenance keeps its recorded tokens: Restart & Run All replays the
        rows, and their tokens (which %ygpt usage counts as replayed) are the same as the day
        they were sent, not 0 → 0."""
        return provenance.run_metadata(self.model, rows=self.total, sent=self.answered, replayed=self.reused,
                                       failed=self.failed, usage=self.usage + self.reused_usage,
                                       stopped=self.stopped)

    def end(self) -> None:
        self.ended = time.monotonic()

    def rate(self, elapsed: float) -> float:
        """Rows finished per second, as the bar counts them (see the module's docstring)."""
        return (self.answered + self.failed) / elapsed if elapsed > 0 else 0.0

    def add(self, input_tokens: int, completion_tokens: int) -> None:
        self.answered += 1
        self.usage += Usage(input_tokens, completion_tokens, 0, input_tokens + completion_tokens)

    def settle(self, answers: Iterable[Answer | None]) -> None:
        """Count the answers this run got as the results hold them (None: none): a Ctrl-C can
        land between an answer being kept and being counted, and the summary must say what
        ``--out`` holds, not what the bar saw."""
        self.answered, self.usage = 0, Usage()
        for answer in answers:
            if answer is not None:
                usage = answer.usage
                self.add(usage.input_tokens, usage.completion_tokens)

    def replay(self, answer: Answer) -> None:
        """A row the reply cache answered in this run (not the kernel's memory of an earlier
        run): its tokens, and the day it was recorded, for a summary that says what it saved."""
        self.cached += 1
        self.replayed += answer.usage
        self.recorded.append(answer.recorded[:10])
        self.local |= answer.model_version.startswith(LOCAL_SERVER)

    def fail(self, error: BaseException, *, sent: bool = True) -> None:
        self.failures[reason_of(error)] += 1
        self.unsent += not sent
        self.faulty += not sent or isinstance(error, DATA_REFUSALS)
        if self.refusal is None and isinstance(error, RefusedForEvery):
            self.refusal = error
        if self.outage is None and isinstance(error, ServerStayedBusy):
            self.outage = error

    def halted(self) -> bool:
        """Whether the run stopped before its end: a refusal every row gets, an outage, the cost
        cap, Ctrl-C."""
        capped = self.budget is not None and self.budget.stopped
        return self.refusal is not None or self.outage is not None or self.stopped or capped

    def summary(self, elapsed: float | None = None, cost: Decimal | None = None, *,
                unpriced: bool = False, saved_cost: Decimal | None = None) -> str:
        """``✓ 998 answered · ✗ 2 failed (2 quota exceeded) · 12,345 → 2,345 tokens · ≈0.62 ₽ · 3.1 s · 322 rows/s``;
        ``cost``: the answers' roubles, shown after their tokens (None: not shown, or "no price"
        when ``unpriced``, the model has none in the table: a missing cost is not a free one, as
        a reply's footer says); ``saved_cost``: the roubles of the rows the reply cache
        replayed, which a run replayed whole says it saved."""
        elapsed = self.elapsed() if elapsed is None else elapsed
        if self.reused and not self.answered and not self.failed and not self.left:
            if len(self.recorded) == self.reused:
                return self._replayed_whole(saved_cost)
            return (f"✓ {counted(self.reused, 'row')} already answered for these prompts "
                    f"({self.reused_from()}); nothing was sent.")
        answered = f"✓ {self.answered:,} answered"
        if self.reused:
            answered += f" ({self.reused_from()})"
        parts = [answered]
        if self.failed:
            reasons = ", ".join(f"{n:,} {reason}" for reason, n in self.failures.most_common())
            parts.append(f"✗ {self.failed:,} failed ({reasons})")
        if self.tokens_known and self.answered:
            tokens = self.usage.completion_tokens
            parts.append(f"{self.usage.input_tokens:,} → {tokens:,} {'token' if tokens == 1 else 'tokens'}")
            if cost is not None:
                parts.append(roubles(cost))
            elif unpriced:
                parts.append("no price")
        parts.append(f"{elapsed:.1f} s")
        if self.answered:   # rows failed before sending (context too long) make no rate of their own
            parts.append(f"{self.rate(elapsed):,.0f} rows/s")
        return " · ".join(parts)

    def reused_from(self) -> str:
        """Where the reused rows' answers came from, as every summary says it: ``2 from the
        reply cache``, ``1 from this kernel's earlier runs`` (its memory of answers, or of a
        batch job), or both. "2 reused" left the user to guess whether the cache file helped."""
        kept = self.reused - self.cached
        return ", ".join([*([f"{self.cached:,} from the reply cache"] if self.cached else []),
                          *([f"{kept:,} from this kernel's earlier runs"] if kept else [])])

    def _replayed_whole(self, saved_cost: Decimal | None) -> str:
        """``✓ 5 rows replayed from the reply cache; nothing was sent · 59 → 32 tokens · saved
        ≈0.01 ₽ · cached · recorded 2026-12-01``: as a replayed reply's footer says it (the
        recording's first and last days when the rows were recorded on several)."""
        tokens = self.replayed.completion_tokens
        parts = [f"✓ {counted(self.reused, 'row')} replayed from the reply cache; nothing was sent"]
        if self.replayed.total_tokens:   # a batch job's rows were recorded with no token counts
            parts.append(f"{self.replayed.input_tokens:,} → {tokens:,} {'token' if tokens == 1 else 'tokens'}")
            if saved_cost is not None:
                parts.append(saved(saved_cost, self.local))
        days = sorted(self.recorded)
        parts.append(f"cached · recorded {' – '.join(dict.fromkeys((days[0], days[-1])))}")
        return " · ".join(parts)

    def advice(self) -> str:
        """What to do about the rows left, or '' when there are none."""
        left = self.left
        if not left:
            return ""
        how = "stopped" if self.stopped else "without an answer"
        rows = counted(left, "row")
        if self.refusal is not None:   # the job stopped sending at it: saying it once is the fix
            return (f"{self.refusal} Every row would be refused the same way, so no more rows were "
                    f"sent after the first refusal. Once that is fixed, run the cell again: only "
                    f"the {rows} without an answer are sent.")
        if self.outage is not None and not self.stopped:   # the job stopped sending at it: once
            return self.outage.advice(self.answered + self.reused, left)
        if self.budget is not None and self.budget.stopped and not self.stopped:
            return self.budget.advice(left)
        if self.stopped:
            return self._stopped(rows)
        if self.faulty == left:
            whose = "its" if left == 1 else "each one's"
            unsent = ", not sent" if self.unsent == left else ""
            return (f"{rows} {how}{unsent}: _ygpt.errors says what is wrong with {whose} data. "
                    f"Fix that and run the cell again; the answered rows are reused.")
        which = "were not sent" if self.unsent == self.faulty else "were not sent or were too long"
        fix = f" (fix the data of those that {which} first)" if self.faulty else ""
        return (f"{rows} {how}: _ygpt.errors has each one's reason. Run the cell again to send "
                f"only those{fix}; the answered rows are reused.")

    def _stopped(self, rows: str) -> str:
        """The advice after Ctrl-C: the rows in flight were sent (and may be billed), so they are
        told apart from those never sent, as a re-run pays for them again."""
        not_sent = self.total - self.reused - self.answered - self.failed - self.cancelled
        cancelled = self.cancelled
        in_flight = (f", {cancelled:,} sent, not answered (will be sent again and paid again on the "
                     f"re-run)" if cancelled else "")
        return (f"Stopped: {rows} left ({not_sent:,} not sent{in_flight}, {self.failed:,} failed). Run "
                f"the cell again to send only those; the answered rows are kept and reused.")


def _is_widget(bar_class: type) -> bool:
    """Whether ``tqdm.auto`` chose the ipywidgets bar (it imports tqdm.notebook when it does)."""
    notebook = sys.modules.get("tqdm.notebook")
    return notebook is not None and issubclass(bar_class, notebook.tqdm_notebook)


class Progress:
    """The bar for one run: ``advance`` per row (cheap), ``status`` for a batch job's state,
    ``close`` when the rows are done, ``report`` for the lines that stay in its place."""

    def __init__(self, tally: Tally, *, desc: str) -> None:
        from tqdm.auto import tqdm

        self.tally = tally
        widget = _is_widget(tqdm)
        # leave=False: the bar's last line is drawn from the tally when it closes (``close``)
        self._bar = tqdm(total=tally.total, initial=tally.reused, desc=desc, unit="row",
                         mininterval=INTERVAL, smoothing=0, dynamic_ncols=True, leave=widget,
                         **({"display": False} if widget else {}))
        self._bar.start_t -= tally.elapsed()   # its clock starts with the run's (module docstring)
        self._handle = _show(self._bar.container) if widget else None
        self._status = ""
        self._closed = False
        self._last = 0.0
        self._pending = 0

    def advance(self) -> None:
        self._pending += 1
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
            postfix.append(f"{tally.usage.total_tokens:,} tokens")
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
        later); a widget bar becomes that line as text, so none outlives the run."""
        if self._closed:
            return
        self._closed = True
        self.tick(force=True)
        self.tally.end()
        bar = self._bar
        bar.close()
        widget = self._handle is not None
        last = bar.format_meter(**{**bar.format_dict, "elapsed": self.tally.elapsed(), "rate": None,
                                   **({"ncols": None} if widget else {})})
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


def _show(container: object) -> Any:
    """Display the widget bar under a display id, so ``report`` can replace it."""
    from IPython.display import display

    return display(container, display_id=True)
