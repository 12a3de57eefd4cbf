"""The rewind rule: a re-run cell goes back to the chat holding its turn and replaces it, and
what its dropped turns had done to the chat's system message is undone.

The notebook's cell order is the conversation, so re-running a cell drops its turn and the
turns after it (``ChatSession.record`` does, once the reply is complete). A ``--system`` flag
belongs to its cell's turn and goes with it; a system message set in the panel's System box
(``ChatSession.configure``) belongs to no turn and stays. Planning (chat/planning.py) asks these
functions; they change nothing.

A re-run can rewind only where it says which cell it is: JupyterLab sends each cell's id. The
classic Notebook, some other frontends and ``%rerun`` in a terminal send none, so there a re-run
adds a turn, and every later request sends both; the first chat cell that asks so is told, once
per kernel (:func:`unnamed_note`). A terminal's own cells and a headless run (nbconvert, papermill:
each cell runs once) are not: nothing runs them again.

A re-run with ``--once`` rewinds nothing, as prompt mode reads and writes no chat: the cell's
earlier turn stays where it is, and a note above the reply says so and how to replace or forget
it (:func:`kept_by_once`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..words import counted, short
from .session import ChatSession, ChatState
from .values import Turn

if TYPE_CHECKING:
    from .planning import Plan


def rewind_point(state: ChatState, *, append: bool, once: bool, asked_in: int | None = None) -> int | None:
    """Where the history of a request ends when its cell ran before: at the first turn of that
    cell's latest run.

    The notebook's cell order is the conversation, so a cell run again replaces its turns, and
    the turns after them are dropped when the reply is recorded. ``--append`` opts out; prompt
    mode has no history to rewind. None: nothing is rewound.

    Only a later run of the cell is a re-run: a second request of the run asking (``asked_in``,
    its `In [N]`: a loop of ``run_cell_magic``, ``%run`` of a notebook with two %%ygpt cells)
    continues the conversation, so a turn that run made is never rewound. A run without a number
    (a silent run) cannot tell its own turns apart and rewinds as a re-run.
    """
    if append or once or state.cell_turn is None:
        return None
    latest = state.turns[state.cell_turn]
    if asked_in is not None and latest.asked_in == asked_in:
        return None
    return _first_of_run(state.turns, state.cell_turn)


def _first_of_run(turns: tuple[Turn, ...], last: int) -> int:
    """The first of the turns just before ``last`` (included) that the same run of the same cell
    made, so a re-run replaces every turn its previous run asked, not only the latest."""
    made_by = _made_by(turns[last])
    first = last
    while made_by[1] is not None and first > 0 and _made_by(turns[first - 1]) == made_by:
        first -= 1
    return first


def _made_by(turn: Turn) -> tuple[str | None, int | None]:
    return turn.cell_id, turn.asked_in


def repeated(state: ChatState, prompt: str, cell_id: str | None, asked_in: int | None) -> int | None:
    """The number of the turn loaded from a file that a numbered cell with no id asks again,
    adding it again instead of replacing it (the caller checks that it rewinds nothing); None
    otherwise: a cell with an id, a panel Send (no cell), a new question. Its note:
    :func:`_repeated_note`.

    nbconvert, papermill and nbval send no cell id (nbclient's execute request carries nothing
    of the cell), so a notebook that loads a chat file and saves over it grows by the same turn
    at every headless run, each request longer and never replayed, where JupyterLab's re-run
    rewinds. Nothing names the cell there, so this is said rather than guessed from its text."""
    if cell_id is not None or asked_in is None:
        return None
    return next((number for number, turn in reversed(list(enumerate(state.turns, start=1)))
                 if turn.from_file and turn.prompt == prompt), None)


def _repeated_note(chat: str, number: int, *, dry: bool) -> str:
    """The ⚠ note of :func:`repeated`; ``dry``: above a ``--dry-run``, which adds nothing, so it
    says what running the cell would do."""
    adds = "running this cell would add it again" if dry else "this cell adds it again"
    return (f"⚠ Turn {number} of chat '{chat}', loaded from a file, asked this already, and "
            f"{adds}: no cell id came with it (nbconvert, papermill and nbval send "
            f"none), so it cannot replace the turn its earlier run made, as a re-run in JupyterLab "
            f"does. A notebook that loads a chat file and saves over it grows by this turn at every "
            f"such run, each request longer and never replayed from the cache: save to another "
            f"file than the one you load, or ask with --once.")


def unnamed_note(chat: str, by: str) -> str:
    """The note above the reply of the first chat cell that asks with no cell id where a cell can
    be run again (context/cells.py, ``NotebookCells.unnamed``): ``by`` is ``"rerun"`` for a cell
    another cell's code ran (``%rerun``, ``run_cell``), else the frontend sends no ids. A re-run
    there adds a turn to ``chat`` instead of replacing one, doubling the history and the cost
    unseen, so it is said once, with what to do instead."""
    who = ("%rerun and run_cell do not say which cell they run" if by == "rerun" else
           "This frontend does not say which cell ran (JupyterLab sends a cell id, this one none)")
    return (f"↺ {who}, so re-running a %%ygpt cell adds a turn to chat '{chat}' rather than replacing "
            f"that cell's earlier turn, and each later request sends both. For a one-off question use "
            f"--once; %ygpt history shows the chat's turns, %ygpt reset --chat {chat} forgets them. "
            f"(Said once.)")


def kept_by_once(session: ChatSession, cell_id: str | None, asked_in: int | None) -> str:
    """The note above a ``--once`` reply of a cell whose earlier run left a turn in a chat; ""
    when none did (or this same run made it: a loop asking twice).

    A re-run with ``--once`` rewinds nothing: prompt mode reads and writes no chat, and a rewind
    would drop that turn and every turn after it for a request that puts nothing in their place.
    But a user who changed a chat cell to ``--once`` may take the re-run for a replacement, as a
    re-run is everywhere else, and the chat would go on sending the old question and answer with
    every later request, unseen. So the note says the turn stays, and what to run to replace it
    (the cell without ``--once``) or forget it (``%ygpt reset``)."""
    holder = session.chat_of(cell_id) if cell_id is not None else None
    state = session.state(holder, cell_id) if holder is not None else None
    if state is None or state.cell_turn is None:
        return ""
    if asked_in is not None and state.turns[state.cell_turn].asked_in == asked_in:
        return ""  # this run's own turn: the run asks on, it is not a re-run (rewind_point)
    return (f"↺ Chat '{state.name}' still holds this cell's earlier turn (turn {state.cell_turn + 1} of "
            f"{len(state.turns)}): --once reads and changes no chat. To replace that turn, run the cell "
            f"without --once (the turns after it are dropped too); %ygpt reset --chat {state.name} "
            f"forgets the whole chat.")


def system_after_rewind(state: ChatState, keep: int) -> str | None:
    """The chat's system message once its turns from ``keep`` on are dropped.

    Each dropped turn that set one (``Turn.system_before``: what it replaced and what it set)
    is undone, newest first, while the chat still holds what that turn set. A message that
    differs was set after that turn in the panel, which no cell re-run takes back: it is kept,
    and so is anything older cells had set before it."""
    system = state.system
    for turn in reversed(state.turns[keep:]):
        if turn.system_before:
            before, set_to = turn.system_before
            if system != set_to:
                break
            system = before
    return system


def rerun_notes(plan: Plan, *, dry: bool) -> list[str]:
    """The notes above the reply of a cell that ran before: which turns the rewind dropped
    (:func:`_rerun_note`), the chat its earlier turn stays in (:func:`_elsewhere_note`), or the
    loaded turn it adds again (:func:`_repeated_note`); ``dry``: above a ``--dry-run``, which
    changes nothing, so they say what running the cell would do."""
    notes = []
    if plan.replaces:
        notes.append(_rerun_note(plan.chat, plan.rewound, plan.current_chat, dry=dry,
                                 undone=plan.undoes_system and not plan.sets_system, system=plan.system))
    if plan.earlier_turn_in:
        notes.append(_elsewhere_note(plan.earlier_turn_in, plan.chat, dry=dry))
    if plan.repeats is not None:
        notes.append(_repeated_note(plan.chat, plan.repeats, dry=dry))
    return notes


def _rerun_note(chat: str, rewound: int, current_chat: str | None, *, undone: bool,
                system: str | None, dry: bool) -> str:
    """The ↺ note above a re-run's reply: which turns the rewind dropped from ``chat`` (the
    previous turn and ``rewound`` later ones) and, when ``undone`` (it undid the system message
    a dropped cell set), the one it put back (``system``). ``dry`` (``--dry-run``) says what running the
    cell would do, in the conditional: a dry run changes nothing, and ``%ygpt history`` still
    shows those turns (it said they "were dropped")."""
    where = (f" in chat '{chat}', which holds its turn (the current chat is '{current_chat}')"
             if current_chat else "")
    if dry:
        later = f" and {counted(rewound, 'later turn')} would be" if rewound else " would be"
        return (f"↺ This cell ran before{where}: running it would rewind chat '{chat}' to before "
                f"this cell, so its previous turn{later} dropped{_undone(undone, system, dry=True)}. "
                f"This dry run changed nothing.")
    later = f" and {counted(rewound, 'later turn')} were" if rewound else " was"
    return (f"↺ Re-ran this cell{where}: its previous turn{later} dropped from chat "
            f"'{chat}'{_undone(undone, system, dry=False)}.")


def _elsewhere_note(earlier_in: str, chat: str, *, dry: bool) -> str:
    """The ↺ note when a cell's earlier turn stays in chat ``earlier_in`` and this request goes
    to ``chat``; ``dry``: said of a run to come (``--dry-run`` has no reply)."""
    goes = f"running it would continue chat '{chat}'" if dry else f"this reply continues chat '{chat}'"
    return f"↺ This cell's earlier turn stays in chat '{earlier_in}'; {goes}."


def _undone(undone: bool, system: str | None, *, dry: bool) -> str:
    """The words of the re-run's note when the rewind puts back an earlier system message
    (``system``, None for none); "" when it puts none back."""
    if not undone:
        return ""
    now = "none" if system is None else f"'{short(system)}'"
    if dry:
        return f", and the system message a dropped cell set would be undone (back to {now})"
    return f", and the system message a dropped cell set is undone (now {now})"


def chat_for(session: ChatSession, chat: str | None, cell_id: str | None, *, append: bool,
             once: bool) -> str | None:
    """The chat a request goes to: ``chat`` when named; for a re-run cell that names none, the
    chat holding its turn (:meth:`ChatSession.chat_of`), since the cell order is the
    conversation and a cell edited after ``%ygpt chat other`` still belongs to its own
    conversation; else (a new cell, ``--append``, ``--once``) the current chat (None)."""
    if chat is not None or cell_id is None or append or once:
        return chat
    return session.chat_of(cell_id)


def turn_elsewhere(session: ChatSession, state: ChatState, cell_id: str | None) -> str | None:
    """Another chat holding a turn of ``cell_id``, when this request adds one to ``state``'s
    chat without replacing it there (``--chat`` named another chat, ``--append``)."""
    holder = session.chat_of(cell_id) if cell_id is not None else None
    return holder if holder not in (None, state.name) else None
