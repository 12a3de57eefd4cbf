"""`%ygpt config`: identity (as whoami), the chat's options, and the YGptMagics settings.

The chat's options are shown as its next request uses them (``planning.resolve``), each with where
its value comes from (the chat, a ``YGptMagics`` setting, or the built-in default), so a chat's own
choice and the notebook's defaults are never mistaken for each other. ``--model yandexgpt`` and the
like set an option for the chat, as the panel does; ``--model default`` unsets it again.
"""

from __future__ import annotations

from IPython.core.magic_arguments import argument, magic_arguments

from .. import planning
from ..session import UNSET
from ._common import parse, show_table
from .whoami import identity_rows

SUMMARY = ("config [--chat NAME] [--model M|default ...]: endpoint, credential, the chat's "
           "options (and where each comes from), settings; sets the chat's options")


@magic_arguments(name="ygpt config")
@argument("--chat", "-c", default=None, help="The chat to show or change (default: current).")
@argument("--model", "-m", metavar="NAME|default",
          help="Set the chat's model; 'default' unsets it (YGptMagics.model applies).")
@argument("--temperature", "-t", metavar="X|default", help="Set the chat's temperature, 0..1.")
@argument("--max-tokens", metavar="N|default", help="Set the chat's reply limit in tokens.")
@argument("--format", metavar="FORMAT|default", help="Set how the chat's replies are shown.")
def run(magics, line: str) -> None:
    """Show what the next request uses and where each option comes from; with options, first
    set them for the chat (`default` unsets one). Change the notebook's defaults with
    `%config YGptMagics.model = "yandexgpt-lite"` (see `%config YGptMagics`)."""
    args = parse(run, line, "ygpt config")
    chat = magics.session.chat(args.chat, create=False)
    # the options a YGptMagics setting gives a default for (planning imports commands: read late)
    changes = {name: UNSET if value.strip().lower() == "default" else value
               for name in planning.SETTING_FOR if (value := getattr(args, name)) is not None}
    if changes:
        magics.session.configure(chat.name, **changes)
    options = planning.resolve(chat.options, magics)
    sources = planning.sources(chat.options, magics)
    rows = [[name, value, ""] for name, value in identity_rows(magics)]
    rows += [[f"chat '{chat.name}' {name}", _text(value, "model's default"), sources[name]]
             for name, value in options.to_dict().items()]
    rows.append([f"chat '{chat.name}' system", _text(chat.system), "chat" if chat.system else ""])
    rows += [[f"YGptMagics.{name}", _text(getattr(magics, name)), ""]
             for name in sorted(magics.class_own_traits(config=True))]
    show_table(["setting", "value", "from"], rows)


def _text(value, unset: str = "(not set)") -> str:
    if value is None:
        return unset
    text = str(value)
    return text if len(text) <= 60 else text[:59] + "…"
