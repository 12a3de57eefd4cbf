"""The service refused a request as too long, said by what was too long and for what, so the
advice fits: a completion's whole request for the model's context (its chat history counts), a
text for a classifier or an embedding model (one text, no history), or a text over the cloud's
limit in characters.

How client/rpc_errors.py picks one for an INVALID_ARGUMENT: a detail about tokens or the context
with two numbers is ``ContextTooLong(needed, budget, history_turns=...)`` (the earlier turns sent
with it, so the advice fits), ``TextTooLongToClassify(needed, limit)`` for a classification and
``TextTooLongToEmbed(needed, limit)`` for an embedding; the cloud's "text length is N, which is
outside the range (0, LIMIT]" is ``TextTooLong(length, limit, asked)``. Planning raises
``ContextTooLong(needed, budget, room=...)`` too, before anything is sent: its :class:`Room` says
what would hold the prompt, so the advice is what works (a bigger budget only when the budget
is a setting below what the model holds; else a model with a longer context).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..words import counted
from .base import YGptError, _with_detail
from .origin import Origin, choices


@dataclass(frozen=True)
class Room:
    """What the request's model leaves for a prompt over its context budget, so the advice names
    what would hold it (chat/planning.py ``room``). ``holds``: the tokens the model's context
    leaves for the prompt, its whole context less the ``reply`` --max-tokens keeps (None: a model
    the catalogue does not know); ``setting``: the budget is YGptMagics.context_budget, not that
    (raising it is then part of the fix); ``longer``: a catalogued model, and its context, that
    holds the prompt and the reply (None: none does)."""

    model: str
    holds: int | None
    reply: int = 0
    setting: bool = False
    longer: tuple[str, int] | None = None

    def said(self, budget: int) -> str:
        """What ``budget`` is against what the model holds, as an aside of the head: all of it,
        or more than it ('' for a setting below it, which :meth:`advice` raises)."""
        if self.holds is None or budget < self.holds:
            return ""
        if self.setting:
            return f" (more than {self.model}'s context holds: {self.holds:,})"
        less = f" once --max-tokens keeps {self.reply:,} for the reply" if self.reply else ""
        return f" (all that {self.model}'s context holds{less})"

    def advice(self, needed: int, origin: Origin) -> str | None:
        """How to make room for ``needed`` tokens, as a clause after "or", or None when no
        catalogued model holds them."""
        if self.holds is None:
            return (f"raise the budget with %config YGptMagics.context_budget = {needed} or more, "
                    f"if {self.model}'s context holds that many")
        if needed <= self.holds:
            return (f"raise the budget with %config YGptMagics.context_budget = {needed} or more "
                    f"(up to {self.holds:,}, all that {self.model}'s context holds)")
        return self.longer_model(origin)

    def longer_model(self, origin: Origin) -> str | None:
        """The clause naming :attr:`longer` (None: no catalogued model is long enough); with a
        budget setting, which would hold the other model to it too, the setting's way out."""
        if self.longer is None:
            return None
        name, size = self.longer
        budget = (", with %config YGptMagics.context_budget = None so the budget is each model's "
                  "whole context" if self.setting else "")
        return (f"use a model with a longer context: {origin.model(name)} ({size:,} tokens; "
                f"%ygpt models lists each model's){budget}")

    def none_holds(self, needed: int) -> str:
        """The sentence for a prompt no catalogued model holds."""
        return f" No model %ygpt models lists holds {needed + self.reply:,} tokens."


class ContextTooLong(YGptError):
    """The request does not fit the context: the prompt alone (found while planning, ``room``:
    what would hold it), or the whole request as the server counted it (``history_turns``:
    earlier turns sent with it)."""

    def __init__(self, needed: int | None, budget: int | None, detail: object = None, *,
                 history_turns: int | None = None, room: Room | None = None) -> None:
        numbers = needed is not None and budget is not None
        if history_turns is None:  # found while planning: only the prompt was counted
            said = room.said(budget) if room and budget is not None else ""
            head = (f"This request needs {needed:,} tokens but the context budget is {budget:,}{said}, "
                    f"even with no chat history." if numbers
                    else _with_detail("The request is too long for the model's context.", detail))
        else:
            size = f" ({needed:,} tokens; the model's context holds {budget:,})" if numbers else ""
            alone = "" if history_turns else ", even with no chat history"
            head = _with_detail(f"The server refused the request as too long for the model's "
                                f"context{size}{alone}.", None if numbers else detail)

        def todo(origin: Origin) -> str:
            system = " or the system message" if origin.system else ""
            shorten, split = f"Shorten {origin.text}{system}", f"split the text into {origin.several}"
            if history_turns is None:
                way = self.more_room(origin)
                return f"{choices(shorten, split, way)}.{'' if way else self.none_holds()}"
            if not history_turns:
                return f"{choices(shorten, split, origin.longer)}."   # the server does not say which model
            restart = origin.flag(", start over with %ygpt reset, or use --once", ", or start over with %ygpt reset")
            return (f"It carried {counted(history_turns, 'earlier turn')} of the chat: set a smaller "
                    f"budget with %config YGptMagics.context_budget = N so older turns are left out{restart}.")
        self.needed, self.budget, self.room = needed, budget, room
        super().__init__(lambda origin: f"{head} {todo(origin)}")

    def more_room(self, origin: Origin) -> str | None:
        """The way to give a prompt found too long while planning the room it needs (None: no
        catalogued model holds it); with no :class:`Room` known, the budget's setting."""
        if self.room is None or self.needed is None:
            return "raise the budget with %config YGptMagics.context_budget = N"
        return self.room.advice(self.needed, origin)

    def none_holds(self) -> str:
        """The sentence for a prompt no catalogued model holds ('' when that is not known)."""
        return self.room.none_holds(self.needed) if self.room and self.needed is not None else ""


class TextTooLongToClassify(YGptError):
    """INVALID_ARGUMENT about size from a classifier: it reads the text alone, with no chat
    history, system message or context budget to shorten, so the advice is the text's."""

    def __init__(self, needed: int, limit: int) -> None:
        super().__init__(f"A classifier reads at most {limit:,} tokens of text, and this one is {needed:,} "
                         f"(the server refused it as too long). Shorten it, or split it into parts and "
                         f"classify each: a list of them with --map NAME --labels ... and {{item}} as the text.")
        self.needed, self.limit = needed, limit


class TextTooLongToEmbed(YGptError):
    """INVALID_ARGUMENT about size from an embedding model: it reads one text (a row of a list or
    DataFrame, a --docs chunk) with no chat history or system message, so the advice is the text's.
    A text the user asked with, not one to embed (a --docs question, %ygpt similar's TEXT), is
    said as that (:meth:`of_question`, :meth:`of_similar`): "embed each piece" means nothing there."""

    def __init__(self, needed: int, limit: int, words: str | None = None) -> None:
        super().__init__(words or (
            f"This text is {needed:,} tokens, and an embedding model takes at most {limit:,} (the "
            f"server refused it as too long). Split it into shorter pieces, a few paragraphs each, "
            f"and embed each piece."))
        self.needed, self.limit = needed, limit

    def of_question(self) -> TextTooLongToEmbed:
        """The refusal of a --docs cell's question, which is embedded to choose the sources."""
        return TextTooLongToEmbed(self.needed, self.limit, (
            f"The question is {self.needed:,} tokens, too long to embed: --docs embeds it to choose "
            f"the sources, and the query model takes at most {self.limit:,}, so nothing was asked. "
            f"The files are fine: they are embedded in pieces that fit. Shorten the question to "
            f"what you want to know; a long text it quotes, such as a log, can go into a file named "
            f"in --docs instead, where it is searched with the others."))

    def of_similar(self) -> TextTooLongToEmbed:
        """The refusal of ``%ygpt similar``'s TEXT, the query the rows are compared with."""
        return TextTooLongToEmbed(self.needed, self.limit, (
            f"%ygpt similar: TEXT is {self.needed:,} tokens, too long to embed (the query model "
            f"takes at most {self.limit:,}), so nothing was compared. The rows are not the problem: "
            f"shorten TEXT to what you are looking for, a sentence or a few."))

    @classmethod
    def said_in(cls, line: str) -> TextTooLongToEmbed | None:
        """The refusal a row's one-line reason says (a run over rows keeps its reasons as text,
        rows/progress.py), or None when it says another."""
        found = _EMBED_REFUSAL.match(line)
        if found is None:
            return None
        needed, limit = (int(number.replace(",", "")) for number in found.groups())
        return cls(needed, limit)


#: the first words of TextTooLongToEmbed's own message, with its two numbers
_EMBED_REFUSAL = re.compile(r"This text is ([\d,]+) tokens, and an embedding model takes at most ([\d,]+) ")


class TextTooLong(YGptError):
    """The cloud's INVALID_ARGUMENT "text length is N, which is outside the range (0, LIMIT]": a
    limit in characters, not tokens, so no context budget helps; the text is to be shortened
    (``asked``: a completion's is what the cell or panel wrote, with what it expanded)."""

    def __init__(self, length: int, limit: int, asked: str = "completion", detail: object = None) -> None:
        def todo(origin: Origin) -> str:
            if asked != "completion":
                return "Shorten the text, or split it into shorter pieces and send each."
            return (f"Shorten {origin.text} (a value or file it expands may be most of it), or split "
                    f"the text into {origin.several}.")
        super().__init__(lambda origin: _with_detail(
            f"The server refused the text as too long: it is {length:,} characters, and the service takes "
            f"at most {limit:,} (INVALID_ARGUMENT). {todo(origin)}", detail))
        self.length, self.limit = length, limit
