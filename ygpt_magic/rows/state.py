"""A run over rows while it fills them in: each row's key, answer or reason, the rows still to
send and the twins that one request answers (run.py plans them; batch.py and the dry run read
them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..chat import Answer
from ..client.credentials import Credential
from ..errors import CELL, Origin, ReplyNotValid, YGptError
from ..exchange import taken_in
from .failures import Failure, failure
from .items import Rows
from .plans import RowText


@dataclass
class RowState:
    """The rows' keys and answers while a run fills them in; with a ``schema``, each answer's
    validated value too (an answer that does not validate is a failed row, its text kept in
    ``raw``, not as the row's answer). ``secrets``: the kernel's own credentials, masked in
    every answer as it is taken in (:meth:`accept`); ``origin``: where the run is, which the
    failed rows' reasons word their advice for (rows/failures.py ``run_origin``)."""

    rows: Rows
    keys: list[str | None]
    answers: list[Answer | None]
    errors: dict[int, Failure] = field(default_factory=dict)
    pending: list[int] = field(default_factory=list)
    reused: set[int] = field(default_factory=set)      # answered before this run: not counted
    prompts: list[RowText | None] = field(default_factory=list)   # a pending row's filled-in texts
    schema: Any = None
    parsed: dict[int, Any] = field(default_factory=dict)
    raw: dict[int, str] = field(default_factory=dict)
    cut: dict[int, str] = field(default_factory=dict)   # the planner's: row → what was left out
    secrets: Sequence[Credential] = ()
    #: a pending row → the later rows whose request repeats its own: sent once, answered alike
    twins: dict[int, list[int]] = field(default_factory=dict)
    origin: Origin = CELL

    def accept(self, position: int, answer: Answer) -> Answer | YGptError:
        """Take row ``position``'s answer in: the one way every row's answer comes in (sent,
        replayed from the memo or the reply cache, a batch job's), so each passes the step a
        cell's answer passes (exchange.taken_in: the kernel's credentials masked, as a server
        may echo the key it was sent) before anything reads, shows or keeps it. Returns the
        answer as taken in, for the memo and the reply cache to keep; the ReplyNotValid instead
        when it does not fit the ``schema``."""
        answer = taken_in(answer, self.secrets)
        if self.schema is not None:
            try:
                self.parsed[position] = self.schema.parse(answer.text)
            except ReplyNotValid as error:
                self.raw[position] = answer.text
                self._share(position)
                for row in self.rows_of(position):   # each row's reason names its own label
                    self.errors[row] = failure(error.of_row(repr(self.rows.labels[row])), self.origin)
                return error.of_row(repr(self.rows.labels[position]))
        self.answers[position] = answer
        self.errors.pop(position, None)
        self.raw.pop(position, None)
        self._share(position)
        return answer

    def fail(self, position: int, reason: Failure) -> list[int]:
        """Row ``position`` failed for ``reason``, and so did its twins (the same request, the
        same reason on each): the rows that failed, for the tally to count each."""
        self.errors[position] = reason
        self._share(position)
        return self.rows_of(position)

    def rows_of(self, position: int) -> list[int]:
        """Row ``position`` and its twins: the rows one request answers."""
        return [position, *self.twins.get(position, ())]

    @property
    def repeats(self) -> list[int]:
        """The rows that take an earlier row's answer in this run, their request not sent again."""
        return [twin for twins in self.twins.values() for twin in twins]

    def _share(self, position: int) -> None:
        """Row ``position``'s outcome (answer, typed value, reason, unfitting text) on its twins."""
        for twin in self.twins.get(position, ()):
            self.answers[twin] = self.answers[position]
            outcomes: tuple[dict[int, Any], ...] = (self.parsed, self.raw, self.errors)
            for kept in outcomes:
                if position in kept:
                    kept[twin] = kept[position]
                else:
                    kept.pop(twin, None)

    def prompt(self, position: int) -> RowText:
        """A pending row's texts as they were filled in when the row was planned and keyed."""
        prompt = self.prompts[position]
        assert prompt is not None, "a pending row keeps its prompt until it is sent"
        return prompt

    def take(self, position: int) -> RowText:
        """A pending row's prompt, let go as the row is sent: a run holds only the unsent ones."""
        prompt, self.prompts[position] = self.prompt(position), None
        return prompt

    def results(self, name: str | None) -> Any:
        if self.schema is None:
            return self.rows.results([a.text if a is not None else None for a in self.answers], name=name)
        from ..tools.schema import as_record

        return self.rows.frame([as_record(self.parsed[p]) if p in self.parsed else None
                                for p in range(self.rows.count)], columns=self.schema.columns())
