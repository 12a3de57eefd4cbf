"""One row's request: the cell's template filled in for that row, planned like a cell.

Each row is planned by the rule every cell follows (``chat.planning.plan`` in prompt mode,
``once=True``): the cell's ``--system``, the chat's and the notebook's options with the cell's
flags over them, the context budget. So a row sends exactly what the same text in a
``%%ygpt --once`` cell would. The template's other ``{names}`` are the notebook's variables, as
in any cell (filled in by the cell's own rule, ``expand``: values rendered for a model, bounded,
checked for credentials); a row's own names (``{item}``, ``{column}``, ``{row}``, ``{index}``)
come first. ``--system`` is filled in the same way, per row: ``--system 'You review {product}s'``
over a frame with a ``product`` column tells each row about its own product, as ``{product}`` in
the cell's text would, never a notebook variable that happens to share the column's name. So a
row is the pair of texts it was filled in as (:class:`RowText`), kept until it is sent.

Nothing is cut silently, in a row either: a value sent in part (a text over
``YGptMagics.max_value_chars``, a table over ``max_rows`` / ``max_columns``) gets the note a cell
shows above its reply, kept per row in :attr:`RowPlanner.cut`; the run's summary says which rows
those are and how to send them whole (:func:`said_cut`), bounded however many they are, and
``_ygpt.cut`` has every row's note. The other notes (how a value was rendered, an expression
evaluated) are the same for every row and say nothing was left out, so a run does not repeat them.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ..chat import ChatSession, Message, Plan, RequestOptions, planning
from ..chat.accounts import MAP_ROWS
from ..chat.counting import CountTokens
from ..context.interpolate import expression_names, references, unfilled
from ..errors import (
    ContextTooLong,
    EmptyPrompt,
    InterpolationError,
    OptionError,
    RefusedForEvery,
    RowSize,
    RowTooLong,
    ServerTimeout,
    ServerUnavailable,
    StoppedBeforeSending,
    UnknownChat,
    YGptError,
    stopping,
)
from ..ledger import Cache, Ledger
from ..words import some_of
from .items import Rows

if TYPE_CHECKING:
    from ..context.interpolate import Expanded
    from ..tools.schema import Schema


class Expand(Protocol):
    """(template, names) → the expanded text: the cell's own interpolation (``request.expand``);
    ``where`` names the text in a credential error (the cell's text, or ``--system``)."""

    def __call__(self, text: str, names: Mapping[str, Any], *, where: str = ...) -> Expanded: ...


class RowText(NamedTuple):
    """A row's texts as they were filled in when it was planned and keyed: what it is sent."""

    prompt: str
    system: str | None = None

#: rows a run's summary names when values were cut (``_ygpt.cut`` has them all)
CUT_SHOWN = 3
#: what a row's plan can raise that is not about its data, so every row would raise it: a name
#: that does not exist, the chat, and, from the tokenizer that measures a long row, the model,
#: credential or folder refused (RefusedForEvery) or a server out of reach. They refuse the
#: cell at the first row, as the same cell with --once is refused, instead of failing each row
#: with "_ygpt.errors says what is wrong with each one's data" and --out set to all None.
CELL_ERRORS = (InterpolationError, UnknownChat, RefusedForEvery, ServerUnavailable, ServerTimeout)


@dataclass
class RowPlanner:
    """Plans row ``position`` of ``rows`` from the cell's template (see the module docstring)."""

    session: ChatSession
    rows: Rows
    template: str
    namespace: Mapping[str, Any]
    expand: Expand
    options: RequestOptions
    chat: str | None = None
    system: str | None = None
    budget: int | None = None
    count_tokens: CountTokens | None = None
    schema: Schema | None = None                         # --schema: each answer read with it
    extras: dict[str, Any] = field(default_factory=dict)   # what every row's request adds: its schema
    mode: str = "sync"                                   # how every row's request is billed (chat/prices.py)
    source: str = MAP_ROWS                               # where its rows are entered in the accounts
    cut: dict[int, str] = field(default_factory=dict)    # row → the notes of its values sent in part
    reads: frozenset[str] = field(init=False)            # the names a row's text reads (checked present)
    reads_row: bool = field(init=False, default=False)   # a row's texts took a value of its row

    def __post_init__(self) -> None:
        texts = (self.template, self.system or "")
        self.rows.check_unfilled(set().union(*map(unfilled, texts)))
        self.reads = frozenset().union(*(references(text, self.rows.names) for text in texts))

    def filled(self, position: int) -> RowText:
        """Row ``position``'s template and ``--system`` filled in from its names over the
        notebook's (their cut values noted in :attr:`cut`)."""
        # typeshed wants mutable maps for a ChainMap, which writes only when written to; this one is only read
        row = self.rows.names_of(position)
        names: ChainMap[str, Any] = ChainMap(row, self.namespace)  # type: ignore[arg-type]
        self.rows.check_present(position, self.reads)
        self.cut.pop(position, None)
        prompt = self._expanded(position, self.template, names, "the cell's text").strip("\n")
        if not prompt.strip():
            raise EmptyPrompt(self.rows.labels[position])
        system = None if self.system is None else self._expanded(position, self.system, names, "--system")
        self.reads_row = self.reads_row or row.read
        return RowText(prompt, system)

    def _expanded(self, position: int, text: str, names: Mapping[str, Any], where: str) -> str:
        """``text`` filled in for row ``position``, what was cut noted; a name that is neither
        the row's nor the notebook's is said as a missing column over a DataFrame."""
        try:
            expanded = self.expand(text, names, where=where)
        except InterpolationError as error:
            raise self.rows.failed(position, error) from None
        if expanded.cut:
            self.cut[position] = "; ".join(filter(None, (self.cut.get(position), *expanded.cut)))
        return expanded.text

    def ledger(self, cache: Cache | None) -> Ledger:
        """Where the rows' answers are entered (ledger.py): under :attr:`source`, billed as
        :attr:`mode`, replayed from and kept in ``cache`` (the cell's reply cache, or None)."""
        return Ledger(self.session.accounts, self.source, self.mode, cache)

    def plan(self, position: int) -> Plan:
        """The row's plan, its template filled in now (each ``{expression}`` evaluated)."""
        return self.planned(self.filled(position))

    def plan_or_failure(self, position: int) -> Plan | YGptError:
        """The row's plan, or the error that makes it a failed row (an empty or too long
        prompt): the run goes on without it and ``--dry-run`` counts it so. An error that is
        not about the row's data fails the whole cell instead (:data:`CELL_ERRORS`, raised)."""
        try:
            text = self.filled(position)
            return self.planned(text)
        except CELL_ERRORS:
            raise
        except ContextTooLong as error:   # said of the row and its data, not of a cell (only planned raises it)
            self.cut.pop(position, None)
            return self._too_long(position, error, text)
        except YGptError as error:
            self.cut.pop(position, None)   # a row that fails is not sent, cut or whole
            return error

    def _too_long(self, position: int, error: ContextTooLong, text: RowText) -> RowTooLong:
        """Row ``position``'s ContextTooLong said of its data: the row's values its texts read,
        by name or through an ``{expression}``, longest first, and, when the longest is a text, the
        sizes from which the error works out a cut of it that fits (``[:N]`` of a Series or a
        list cuts fields or items, not characters)."""
        through = expression_names(self.template) | expression_names(self.system or "")
        named = sorted({r for r in self.reads | through if r.partition(".")[0] in self.rows.names})
        reads = sorted(named, key=lambda r: -self._length(position, r))
        longest = self.rows.value(position, reads[0]) if reads and reads[0].isidentifier() else None
        size = RowSize(len(longest), len(text.prompt) + len(text.system or "")) if isinstance(longest, str) else None
        return RowTooLong(self.rows.labels[position], error, reads, self.rows.name, size)

    def _length(self, position: int, read: str) -> int:
        """The characters of the row's value that ``read`` (``text``, ``text.attr``) starts from."""
        return len(str(self.rows.value(position, read.partition(".")[0])))

    def kept(self, plan: Plan) -> RowText:
        """What a row planned as ``plan`` is sent later: its texts (in prompt mode the plan's
        system message is the row's own ``--system``)."""
        return RowText(plan.prompt, plan.system)

    def read(self, text: RowText) -> list[Message]:
        """What the model reads of a row whose texts were filled in as ``text``: what the
        tokenizer counts to price it (rows/costs.py). Its rows were planned, and their budget
        checked, before they were priced (run.plan_rows), so the check is not asked again."""
        return self.planned(text, checked=False).messages

    @property
    def counted_by(self) -> RequestOptions:
        """Whose tokenizer counts :meth:`read`: the rows' own model and options."""
        return self.options

    @property
    def unshown_tokens(self) -> int:
        """Tokens the model reads of every row besides :meth:`read`, which the tokenizer cannot
        be shown: none for a completion (a classifier's instructions, rows/labels.py)."""
        return 0

    def planned(self, text: RowText, *, checked: bool = True) -> Plan:
        """The plan of a row whose texts were filled in as ``text``; ``checked=False`` skips
        the context-budget check (done once already: in prompt mode there is no history to
        trim, so the messages are the same)."""
        budgeted = checked and self.count_tokens is not None
        return planning.plan(self.session, text.prompt, chat=self.chat, once=True,
                             system=text.system, options=self.options,
                             budget=self.budget if budgeted else None,
                             count_tokens=self.count_tokens if budgeted else None)


def planner(session: ChatSession, rows: Rows, template: str, namespace: Mapping[str, Any],
            expand: Expand, *, settings: planning.Settings, get_client: Callable[[], Any],
            chat: str | None,
            system: str | None, flags: Mapping[str, Any], schema: str | None = None) -> RowPlanner:
    """The planner for a cell's rows: options resolved once, as for a cell
    (``planning.request_options``), their context budget, the tokenizer when needed, and the
    ``--schema`` (looked up and checked now, before anything is sent)."""
    known = session.state(chat)
    if not known.exists:   # the cell's, not its rows': refused once, as --once refuses it
        raise UnknownChat(known.name, list(session.chats))
    options = planning.request_options(session, chat, flags, settings)
    if options.tools:
        raise OptionError(f"--map answers each row in one request, without tools, but chat "
                          f"'{chat or session.current}' offers {', '.join(options.tools)}; use "
                          f"--chat with another chat, or %ygpt config --tools default for this one "
                          f"(it takes the chat's tools away).")
    shape, extras = None, {}
    if schema is not None:
        from ..exchange import request_extras
        from ..tools.schema import schema_named  # pydantic: only for --schema

        shape = schema_named(schema, namespace)
        extras = request_extras(None, shape)
    return RowPlanner(session, rows, template, namespace, expand, options, chat=chat, system=system,
                      budget=planning.context_budget(options, settings),
                      count_tokens=planning.Tokenizer(get_client, options),
                      schema=shape, extras=extras)


def said_cut(cut: Mapping[int, str], labels: Sequence[Any]) -> str:
    """What the run says of its rows whose values were sent in part ('' when none were): which
    rows, one note, and how to send them whole; one line for any number of rows."""
    if not cut:
        return ""
    positions = sorted(cut)
    count, first = len(positions), positions[0]
    how = ("raise %config YGptMagics.max_value_chars = N (max_rows / max_columns for a table) and "
           "run the cell again: only the rows that were cut are sent again.")
    if count == 1:
        return f"Row {labels[first]!r} was sent with a value cut short: {cut[first]}. To send it whole, {how}"
    shown = some_of([repr(labels[p]) for p in positions[:CUT_SHOWN]], count)
    return (f"{count:,} rows were sent with a value cut short: rows {shown} (_ygpt.cut has "
            f"each one's note; row {labels[first]!r}: {cut[first]}). To send them whole, {how}")


@contextmanager
def before_sending(during: str) -> Iterator[None]:
    """Ctrl-C in the block (the rows being planned, their cost estimated) as one line that
    says nothing was sent (StoppedBeforeSending), not a traceback: no row is in flight yet,
    so there is nothing to keep, unlike a Ctrl-C while rows are sent (run.send_rows)."""
    with stopping(lambda: StoppedBeforeSending(during)):
        yield
