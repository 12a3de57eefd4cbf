"""What a run over rows did, and the summary line it ends with (the bar: rows/progress_bar.py).

The summary (answered, failed by reason, tokens in/out, wall time, rows/s) is plain text, the
same in a notebook, a terminal and a test; the advice under it says what to do about the rows
left. The bar and the summary show one rate (``Tally.rate``): the rows this run finished,
answered or failed (reused ones are not sent), over the seconds since the run started; the run's
clock stops when the bar closes, so the summary divides by the same seconds as the bar.
"""

from __future__ import annotations

import re
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
    CELL,
    CancelledInFlight,
    ContextTooLong,
    NotSent,
    RefusedForEvery,
    ServerStayedBusy,
    TextTooLong,
    TextTooLongToClassify,
    TextTooLongToEmbed,
    YGptError,
)
from ..words import counted

if TYPE_CHECKING:
    from ..chat.budget import Budget
    from ..errors import Origin

#: a sent row's failures that are its data's: the server refused its text as too long, and would again
DATA_REFUSALS = (ContextTooLong, TextTooLong, TextTooLongToClassify, TextTooLongToEmbed)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def reason_of(error: BaseException) -> str:
    """A failure's kind in a few words, for the summary: ``QuotaExceeded`` → ``quota exceeded``."""
    return _kind(type(error))


def _kind(kind: type[BaseException]) -> str:
    return _CAMEL.sub(" ", kind.__name__).lower()


def one_line(error: BaseException, origin: Origin = CELL) -> str:
    """``error``'s message on one line, its advice worded for ``origin`` (errors/origin.py)."""
    said = error.words(origin) if isinstance(error, YGptError) else str(error)
    return " ".join(said.split()) or reason_of(error)


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
    repeats: int = 0   # of the answered, rows that repeat an earlier row's request: not sent again


@dataclass
class Tally:
    """What a map run did so far: the numbers the bar and the summary show."""

    total: int
    reused: int = 0
    cached: int = 0                # of the reused, those the reply cache answered in this run
    answered: int = 0
    repeats: int = 0               # of the answered, rows whose request an earlier row's answered (sent once)
    usage: Usage = field(default_factory=Usage)
    unfit: Usage = field(default_factory=Usage)   # the tokens of replies that did not fit --schema: paid all the same
    unfit_replies: int = 0         # how many such replies (one a request: a row's twins share it)
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
    temperature: float | None = 0.0    # the run's temperature (None: the model's default, above 0):
    #                                    above 0, repeats share one draw; 0 for a run that draws none (a classifier)
    sends: str = "prompt"          # what a row sends, as the summary names its repeats (embed: its text)
    reads_row: bool = True         # the template took a value from a row (rows/plans.py RowPlanner.reads_row)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def left(self) -> int:
        """Rows with no answer: failed ones and those never sent."""
        return self.total - self.reused - self.answered

    @property
    def paid(self) -> Usage:
        """The tokens of every answer the server gave this run, as ``%ygpt usage`` counts them:
        the answers the rows hold, and the replies that did not fit the ``--schema`` (failed
        rows, billed all the same)."""
        return self.usage + self.unfit

    def elapsed(self) -> float:
        return (time.monotonic() if self.ended is None else self.ended) - self.started

    def counts(self, errors: dict[Any, str], summary: str) -> dict[str, Any]:
        """The :class:`RunCounts` fields of this run, for its ``_ygpt``."""
        return {"errors": errors, "usage": self.paid, "answered": self.answered, "reused": self.reused,
                "failed": self.failed, "left": self.left, "elapsed": self.elapsed(), "summary": summary,
                "provenance": self.metadata(), "stopped": self.stopped, "repeats": self.repeats}

    def metadata(self) -> dict[str, Any]:
        """The run's provenance, as its summary's output metadata (cache/provenance.py). Its
        tokens are those of every answer the run holds, the reused rows' as recorded, as a
        replayed reply's provenance keeps its recorded tokens: Restart & Run All replays the
        rows, and their tokens (which %ygpt usage counts as replayed) are the same as the day
        they were sent, not 0 → 0."""
        return provenance.run_metadata(self.model, rows=self.total, sent=self.answered - self.repeats,
                                       replayed=self.reused, failed=self.failed,
                                       usage=self.usage + self.reused_usage, stopped=self.stopped,
                                       repeated=self.repeats)

    def end(self) -> None:
        self.ended = time.monotonic()

    def rate(self, elapsed: float) -> float:
        """Rows finished per second, as the bar counts them (see the module's docstring)."""
        return (self.answered + self.failed) / elapsed if elapsed > 0 else 0.0

    def add(self, input_tokens: int, completion_tokens: int) -> None:
        self.answered += 1
        self.usage += Usage(input_tokens, completion_tokens, 0, input_tokens + completion_tokens)

    def unfitting(self, usage: Usage) -> None:
        """A reply that did not fit the ``--schema``: its row failed, but its tokens were billed."""
        self.unfit += usage
        self.unfit_replies += 1

    def settle(self, answers: Iterable[Answer | None], repeated: int = 0) -> None:
        """Count the answers this run got as the results hold them (None: none): a Ctrl-C can
        land between an answer being kept and being counted, and the summary must say what
        ``--out`` holds, not what the bar saw. ``repeated``: the rows answered by an earlier
        row's request (its tokens are that row's, paid once)."""
        self.answered, self.repeats, self.usage = 0, 0, Usage()
        for answer in answers:
            if answer is not None:
                usage = answer.usage
                self.add(usage.input_tokens, usage.completion_tokens)
        self.repeat(repeated)

    def repeat(self, rows: int) -> None:
        """``rows`` more answered by the request of an earlier row: answered, not sent, no tokens."""
        self.answered += rows
        self.repeats += rows

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
        if self.refusal is None and isinstance(error, (RefusedForEvery, NotSent)):
            self.refusal = error.refusal if isinstance(error, NotSent) else error
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
        notes = [self.repeated(), *([self.reused_from()] if self.reused else [])]
        if any(notes):
            answered += f" ({'; '.join(filter(None, notes))})"
        parts = [answered]
        if self.failed:
            reasons = ", ".join(f"{n:,} {reason}" for reason, n in self.failures.most_common())
            parts.append(f"✗ {self.failed:,} failed ({reasons})")
        if self.tokens_known and (self.answered or self.unfit_replies):
            parts.extend(self._spent(cost, unpriced))
        parts.append(f"{elapsed:.1f} s")
        if self.answered:   # rows failed before sending (context too long) make no rate of their own
            parts.append(f"{self.rate(elapsed):,.0f} rows/s")
        return " · ".join(parts)

    def _spent(self, cost: Decimal | None, unpriced: bool) -> list[str]:
        """The summary's tokens and roubles: of every answer the server gave (:attr:`paid`),
        saying so when replies that did not fit the ``--schema`` are among them (their rows
        count as failed, which a summary of 0 tokens for 6 paid replies hid)."""
        paid = self.paid
        tokens = paid.completion_tokens
        parts = [f"{paid.input_tokens:,} → {tokens:,} {'token' if tokens == 1 else 'tokens'}"]
        if cost is not None:
            parts.append(roubles(cost))
        elif unpriced:
            parts.append("no price")
        if self.unfit_replies:
            parts[-1] += (f" ({counted(self.unfit_replies, 'reply', 'replies')} that did not fit the "
                          f"schema included)")
        return parts

    def repeated(self) -> str:
        """``60 sent; 40 repeat an earlier row's prompt`` ('' when no row did): rows answered
        once their request was, so the requests sent (and billed) are not taken to be rows."""
        if not self.repeats:
            return ""
        verb = "repeats" if self.repeats == 1 else "repeat"
        return f"{self.answered - self.repeats:,} sent; {self.repeats:,} {verb} an earlier row's {self.sends}"

    def draws(self) -> str:
        """What rows that repeat a prompt get at a temperature above 0 (one draw, shared), and
        how to get one each; '' when no row repeats another or the run draws nothing."""
        return shared_draw(self.temperature, self.repeats, self.reads_row)

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

    def advice(self, again: str | None = None) -> str:
        """What to do about the rows left, or '' when there are none. ``again``: what running it
        again sends, where "run the cell again" cannot be done (a headless run: rows/unattended.py)."""
        left = self.left
        if not left:
            return ""
        how = "stopped" if self.stopped else "without an answer"
        rows = counted(left, "row")
        if self.refusal is not None:   # the job stopped sending at it: saying it once is the fix
            return f"{self.refusal} {self._refused(rows, again)}"
        if self.outage is not None and not self.stopped:   # the job stopped sending at it: once
            return self.outage.advice(self.answered + self.reused, left, again)
        if self.budget is not None and self.budget.stopped and not self.stopped:
            return self.budget.advice(left, again)
        if self.stopped:
            return self._stopped(rows, again)
        if self.faulty == left:
            whose = "its" if left == 1 else "each one's"
            unsent = ", not sent" if self.unsent == left else ""
            return (f"{rows} {how}{unsent}: _ygpt.errors says what is wrong with {whose} data. "
                    f"Fix that and run the cell again; the answered rows are reused.")
        return (f"{rows} {how}: _ygpt.errors has each one's reason. Run the cell again to send "
                f"only those{self.fix_first()}; the answered rows are reused.")

    def fix_first(self) -> str:
        """Which rows' data to fix before sending the rows left again ('' when none failed for it)."""
        if not self.faulty:
            return ""
        which = "were not sent" if self.unsent == self.faulty else "were not sent or were too long"
        return f" (fix the data of those that {which} first)"

    def _refused(self, rows: str, again: str | None = None) -> str:
        """After a refusal every row would get: how many rows the server refused, how many were
        never sent or cancelled in flight (the summary's reasons), and what a re-run sends."""
        refused = self.failures[reason_of(self.refusal)] if self.refusal is not None else 0
        unsent, in_flight = self.failures[_kind(NotSent)], self.failures[_kind(CancelledInFlight)]
        told = f"The server refused {counted(refused, 'row')} so"
        if unsent or in_flight:
            told += (f"; as every row would be refused the same way, {_were(unsent)} not sent after the "
                     f"first refusal")
            told += f" and {_were(in_flight)} cancelled in flight" if in_flight else ""
        again = again or f"run the cell again: only the {rows} without an answer are sent."
        return f"{told}. Once that is fixed, {again}"

    def _stopped(self, rows: str, again: str | None = None) -> str:
        """The advice after Ctrl-C (in a headless run, nbclient's interrupt at its timeout): the
        rows in flight were sent (and may be billed), so they are told apart from those never
        sent, as a re-run pays for them again."""
        not_sent = self.total - self.reused - self.answered - self.failed - self.cancelled
        cancelled = self.cancelled
        in_flight = (f", {cancelled:,} sent, not answered (will be sent again and paid again on the "
                     f"re-run)" if cancelled else "")
        again = again or "run the cell again to send only those; the answered rows are kept and reused."
        left = f"{rows} left ({not_sent:,} not sent{in_flight}, {self.failed:,} failed)"
        return f"Stopped: {left}. {again[0].upper()}{again[1:]}"


def shared_draw(temperature: float | None, repeats: int, reads_row: bool = True) -> str:
    """At a ``temperature`` above 0, ``repeats`` rows take the one draw of an earlier row with
    their prompt (one request, one key: rows/run.py): a column of equal names asked for taglines
    gets one tagline, which the run and the dry run say, with what to do for a draw per row.
    None is the model's default temperature, above 0 too (0.3 for YandexGPT): a user who set
    none is the one most likely to expect a draw per row. A template that read nothing from
    any row (``reads_row`` False) is said to, at any temperature: its rows repeat because no
    row's data is in the prompt, and a draw each would not put it there."""
    if repeats and not reads_row:
        return ("The cell's text reads nothing from the rows (no {column}, {row}, {item} or "
                "{index} in it), so every row has the same prompt and shares one answer: put the "
                "column each row is about in it, as {column}.")
    if not repeats or temperature == 0:
        return ""
    at = "the model's default temperature" if temperature is None else f"temperature {temperature:g}"
    return (f"At {at}, rows with the same prompt share one answer: put "
            f"{{index}} in the prompt for a draw of each row's own.")


def _were(count: int) -> str:
    return f"{count:,} {'was' if count == 1 else 'were'}"
