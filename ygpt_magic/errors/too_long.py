"""The service refused a request as too long, said by what was too long and for what, so the
advice fits: a completion's whole request for the model's context (its chat history counts), a
text for a classifier or an embedding model (one text, no history), or a text over the cloud's
limit in characters.

How client/rpc_errors.py picks one for an INVALID_ARGUMENT: a detail about tokens or the context
with two numbers is ``ContextTooLong(needed, budget, history_turns=...)`` (the earlier turns sent
with it, so the advice fits), ``TextTooLongToClassify(needed, limit)`` for a classification and
``TextTooLongToEmbed(needed, limit)`` for an embedding; the cloud's "text length is N, which is
outside the range (0, LIMIT]" is ``TextTooLong(length, limit, asked)``. Planning raises
``ContextTooLong(needed, budget)`` too, before anything is sent.
"""

from __future__ import annotations

from ..words import counted
from .base import YGptError, _with_detail
from .origin import Origin


class ContextTooLong(YGptError):
    """The request does not fit the context: the prompt alone (found while planning), or the
    whole request as the server counted it (``history_turns``: earlier turns sent with it)."""

    def __init__(self, needed: int | None, budget: int | None, detail: object = None, *,
                 history_turns: int | None = None) -> None:
        numbers = needed is not None and budget is not None
        if history_turns is None:  # found while planning: only the prompt was counted
            head = (f"This request needs {needed} tokens but the context budget is {budget}, "
                    f"even with no chat history." if numbers
                    else _with_detail("The request is too long for the model's context.", detail))
        else:
            size = f" ({needed} tokens; the model's context holds {budget})" if numbers else ""
            alone = "" if history_turns else ", even with no chat history"
            head = _with_detail(f"The server refused the request as too long for the model's "
                                f"context{size}{alone}.", None if numbers else detail)

        def todo(origin: Origin) -> str:
            shorten = (f"Shorten {origin.text} or the system message, or split the text into "
                       f"{origin.several}")
            if history_turns is None:
                return f"{shorten}, or raise the budget with %config YGptMagics.context_budget = N."
            if not history_turns:
                return f"{shorten}."
            restart = origin.flag(", start over with %ygpt reset, or use --once", ", or start over with %ygpt reset")
            return (f"It carried {counted(history_turns, 'earlier turn')} of the chat: set a smaller "
                    f"budget with %config YGptMagics.context_budget = N so older turns are left out{restart}.")
        super().__init__(lambda origin: f"{head} {todo(origin)}")
        self.needed, self.budget = needed, budget


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
    DataFrame, a --docs chunk) with no chat history or system message, so the advice is the text's."""

    def __init__(self, needed: int, limit: int) -> None:
        super().__init__(f"This text is {needed:,} tokens, and an embedding model takes at most {limit:,} "
                         f"(the server refused it as too long). Split it into shorter pieces, a few "
                         f"paragraphs each, and embed each piece.")
        self.needed, self.limit = needed, limit


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
