"""`%ygpt config`: identity (as whoami), the chat's options, and the YGptMagics settings."""

from __future__ import annotations

from IPython.core.magic_arguments import argument, magic_arguments

from ._common import parse, show_table
from .whoami import identity_rows

SUMMARY = "config [--chat NAME]: endpoint, credential, chat options and settings"


@magic_arguments(name="ygpt config")
@argument("--chat", "-c", default=None, help="The chat whose options to show (default: current).")
def run(magics, line: str) -> None:
    """Show what the next request uses. Change settings with
    `%config YGptMagics.model = "yandexgpt-lite"` (see `%config YGptMagics`)."""
    args = parse(run, line, "ygpt config")
    chat = magics.session.chat(args.chat, create=False)
    options = magics.effective_options(chat.name)
    rows = identity_rows(magics)
    rows += [[f"chat '{chat.name}' {name}", _text(value)]
             for name, value in options.to_dict().items()]
    rows.append([f"chat '{chat.name}' system", _text(chat.system)])
    rows += [[f"YGptMagics.{name}", _text(getattr(magics, name))]
             for name in sorted(magics.class_own_traits(config=True))]
    show_table(["setting", "value"], rows)


def _text(value) -> str:
    if value is None:
        return "(not set)"
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"
