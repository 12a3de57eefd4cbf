"""A batch job found by its id alone (``%ygpt batch attach ID`` after a kernel restart): where
its answers go, and what the user is told about them.

The cell that started the job is gone with the kernel, so two things come from the job itself:

- **Where each answer belongs.** The job's dataset keeps the cell's row layout in its metadata
  (client/layout.py). With it, attach gives one entry per row of the cell, in row order, with
  None where a row was not in the job (reused, or its data could not be sent): ``again[10]`` is
  row 10's answer, ``df['x'] = again`` and ``pd.Series(again, index=df.index)`` line up.
  The index labels are not kept (see layout.py), only positions. A job without a layout (started
  by something else, or whose layout did not fit) gives the uploaded rows alone, in upload order,
  and attach says that how many rows were skipped, and which, is unknown.
- **The options its answers are kept under.** With a reply cache on, each answer is recorded
  under its request, as a ``--batch`` cell records it, so that a later ``--map`` cell over the
  same rows (even in a new kernel) replays them with nothing sent. The cache key holds the
  temperature, max tokens, reasoning and JSON mode, which the SDK does not give back for a job,
  so the cell that starts one keeps them in its layout (``Asked``), and attach records under
  exactly those: a ``--json`` job's answers replay for a ``--json`` cell, never for a plain one.
  A job without them (started by something else, or before they were kept) is taken to have
  the options of a cell with ``-m MODEL`` and no other flags here (the chat's options, then the
  settings), as before, and attach says so and which. A ``--schema`` job's answers are not
  recorded: its layout keeps only a digest of the schema, not the schema the key holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..chat import Answer, ChatSession, Message, RequestOptions, planning
from ..chat.accounts import MAP_ROWS
from ..client.layout import RowLayout
from ..ledger import Cache, Ledger
from ..modelname import model_name
from ..words import counted


@dataclass
class CacheKeeper:
    """Keeps an attached job's answers in the reply cache, under the job's own options when its
    layout keeps them, else under options taken to be a plain ``--map -m MODEL`` cell's (module
    docstring); counts what it kept, to say so."""

    ledger: Ledger
    options: RequestOptions
    kept: int = 0
    own: bool = False   # the options are the job's own (its layout's), not taken to be a cell's

    @classmethod
    def of(cls, cache: Cache | None, model: str, session: ChatSession,
           settings: planning.Settings) -> CacheKeeper | None:
        """The keeper for a job on ``model`` (its URI), or None without a reply cache."""
        if cache is None:
            return None
        options = planning.request_options(session, None, {"model": model_name(model).short}, settings)
        return cls(Ledger(session.accounts, MAP_ROWS, cache=cache), options)

    def follow(self, layout: RowLayout | None) -> bool:
        """Take the job's own options from its ``layout`` when it keeps them; False when its
        answers must not be kept at all (they follow a --schema, which the key holds whole)."""
        if layout is not None and layout.schema:
            return False
        if layout is not None and layout.asked is not None:
            self.options, self.own = layout.asked.request(self.options.model), True
        return True

    def __call__(self, messages: list[Message], answer: Answer) -> None:
        self.ledger.kept(messages, self.options, None, answer)
        self.kept += 1

    def said(self) -> str:
        """What attach did with the reply cache, and under which options."""
        kept = (f"{counted(self.kept, 'answer')} kept in the reply cache: a --map cell over the same "
                f"rows on {model_name(self.options.model).short}")
        if self.own:
            return (f"{kept} with the job's options ({options_said(self.options)}) replays them with "
                    f"nothing sent, also after a restart; a cell with other options does not.")
        return (f"{kept} replays them with nothing sent, also after a restart. The job keeps no "
                f"options of its own (it was started by something else, or by an older ygpt_magic) "
                f"and the service does not give them back, so they are taken to be this notebook's "
                f"({options_said(self.options)}); a cell with other --temperature, --max-tokens, "
                f"--json or --reasoning does not replay them.")


def options_said(options: RequestOptions) -> str:
    """The options that enter a reply's cache key, for a message: ``temperature 0.3, max tokens
    the model's default, --json``."""
    temperature = "the model's default" if options.temperature is None else f"{options.temperature:g}"
    max_tokens = "the model's default" if options.max_tokens is None else f"{options.max_tokens:,}"
    flags = [flag for flag, on in (("--json", options.json), ("--reasoning", options.reasoning)) if on]
    choice = [f"tool choice {options.tool_choice}"] if options.tool_choice is not None else []
    return ", ".join([f"temperature {temperature}", f"max tokens {max_tokens}", *flags, *choice])


def placed(layout: RowLayout | None, uploaded: int) -> list[int] | None:
    """The cell's positions of the job's ``uploaded`` rows, in upload order; None when the job
    does not say where they belong (or says it for another number of rows)."""
    positions = layout.positions() if layout is not None else None
    return positions if positions is not None and len(positions) == uploaded else None


def said_placement(task_id: str, layout: RowLayout | None, answers: int, not_held: int | None) -> str:
    """What the list attach gives holds, in one paragraph. ``not_held``: the rows of the cell it
    has None for, counted from the rows placed (the metadata's own counts are not ours to trust);
    None when the list is not on the cell's rows."""
    if not_held is not None and layout is not None:
        if not not_held:
            return ""
        return (f"The list has one entry per row of the cell that started job {task_id} "
                f"({layout.total:,}), in row order; {counted(not_held, 'row')} that the job did not "
                f"hold (answered before it, not sendable, or repeating a row's prompt) are None, with the reason in "
                f"_ygpt.errors. df['x'] = VAR or pd.Series(VAR, index=df.index) lines them up.")
    skipped = ("How many rows were skipped, and which, is unknown." if layout is None else
               f"The cell had {layout.total:,} rows and {counted(layout.total - layout.sent, 'row')} "
               f"were not uploaded, but which ones was not kept.")
    return (f"The list holds only the {answers:,} rows job {task_id} uploaded, in upload order: it "
            f"does not say where they sat among the cell's rows. {skipped} Run the same --map "
            f"--batch cell to get the answers on its rows.")


def twins_of(layout: RowLayout | None, uploaded: list[int], count: int) -> dict[int, list[int]]:
    """The twins a job's layout keeps (an uploaded row → the rows its answer is placed on), those
    within the ``count`` rows and not uploaded themselves (a dataset's metadata is not ours)."""
    if layout is None:
        return {}
    sent = set(uploaded)
    return {rows[0]: [t for t in rows[1:] if 0 <= t < count and t not in sent]
            for rows in layout.twins if rows and rows[0] in sent}
