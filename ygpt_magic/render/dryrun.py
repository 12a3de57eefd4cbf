"""What ``%%ygpt --dry-run`` shows: the request a cell would send, and nothing sent.

The exact messages (a picture as its description), their token count and how it was made, the
cost estimate, and the tool declarations and response format when the request has them, as rich
HTML made by ``inert`` beside a plain form whose messages are real lines under their roles.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..chat.pictures import PICTURE_TOKENS
from ..modelname import model_name
from ..words import counted
from . import inert, plain
from .forms import Bundle, join
from .markdown import fenced

if TYPE_CHECKING:
    from ..chat.planning import Plan

__all__ = ["dry_run"]


def dry_run(plan: Plan, tokens: int, extras: dict[str, Any] | None = None, *, cost: str = "",
            estimated: str = "") -> Bundle:
    """What ``--dry-run`` shows: the plan's notes, its model (named as its footer names it: no
    folder id), the exact messages and their token count (the tokenizer's, or ``estimated`` says
    how it was), the ``cost`` estimate's sentence, and the tool declarations and response format
    (``extras``) when the request has them."""
    where = "prompt mode, no history" if plan.once else f"chat '{plan.chat}'"
    pictures = len(plan.pictures)
    pictured = f" + {PICTURE_TOKENS * pictures} for {counted(pictures, 'image')}" if pictures else ""
    model = model_name(plan.options.model).short
    head = (f"Dry run ({where}, model {model}): {counted(len(plan.messages), 'message')}, "
            f"{counted(tokens, 'token')} {estimated or 'by the tokenizer API'}{pictured}. Nothing was sent."
            + (f" {cost}" if cost else ""))
    sent: Any = {"messages": plan.messages, **extras} if extras else plan.messages
    body = json.dumps(sent, ensure_ascii=False, indent=2, default=_described)
    lines = [plain.messages(plan.messages, _described),
             *(plain.labelled(name, plain.structure(value)) for name, value in (extras or {}).items())]
    notes = plan.notes(dry=True)
    return inert.bundle(*map(inert.quiet, notes), inert.bold(head),
                        inert.markdown(fenced(body, "json")), plain=join("\n".join([*notes, head]), *lines))


def _described(picture: Any) -> str:
    """A picture as its description: its bytes would fill the screen."""
    described: str = picture.info.describe()
    return described
