"""`%ygpt config`: identity (as whoami), the chat's options, and the YGptMagics settings.

The chat's options are shown as its next request uses them (``planning.resolve``), each with where
its value comes from (the chat, a ``YGptMagics`` setting, or the built-in default), so a chat's own
choice and the notebook's defaults are never mistaken for each other. ``--model yandexgpt`` and the
like set an option for the chat, as the panel does; ``--model default`` unsets it again.
"""

from __future__ import annotations

from ..chat import planning
from ..kernel import Kernel
from ._common import secrets_masked, show_table
from .args import chat_arg, option_args, parse, subcommand, tool_args
from .whoami import identity_rows


@subcommand
@chat_arg("The chat to show or change (default: the current one); a new one is created, "
          "without sending anything, by %%ygpt chat NAME.")
@option_args(unset=True)
@tool_args(unset=True)
def run(kernel: Kernel, line: str) -> None:
    """Endpoint, credential, the chat's options (and where each comes from), settings.

    Shows what the next request uses. With options, first sets them for the chat, as the panel
    does; `default` unsets one (then the YGptMagics setting applies). `--tools f,g` gives the
    chat tools that every later cell and panel Send of the chat offers. Change the notebook's
    defaults with `%config YGptMagics.model = "yandexgpt-lite"` (see `%config YGptMagics`)."""
    args = parse(run, line)
    chat = kernel.session.chat(args.chat, create=False)
    # the options a YGptMagics setting gives a default for
    changes = {name: value for name in planning.SETTING_FOR
               if (value := getattr(args, name)) is not None}
    changes.update({name: value for name in ("tools", "tool_choice")
                    if (value := getattr(args, name)) is not None})
    if isinstance(changes.get("tools"), tuple):
        from ..tools.declare import declare_tools

        declare_tools(changes["tools"], kernel.namespace)  # refuse a bad function now
    if "tools" in changes or "tool_choice" in changes:
        from ..tools.loop import check_choice

        after = chat.options.with_changes(**changes)   # refuse a choice every later cell would be refused for
        check_choice(after.tool_choice, after.tools or ())
    if changes:
        kernel.session.configure(chat.name, **changes)
    options = planning.resolve(chat.options, kernel.settings)
    sources = planning.sources(chat.options, kernel.settings)
    rows = [[name, value, ""] for name, value in identity_rows(kernel)]
    rows += [[f"chat '{chat.name}' {name}", _text(value, "model's default"), sources[name]]
             for name, value in options.to_dict().items()]
    rows.append([f"chat '{chat.name}' system", _text(chat.system and secrets_masked(kernel)(chat.system)),
                 "chat" if chat.system else ""])
    rows += [[f"YGptMagics.{name}", _text(getattr(kernel.settings, name)), ""]
             for name in kernel.settings.names()]
    show_table(["setting", "value", "from"], rows)


def _text(value: object, unset: str = "(not set)") -> str:
    if value is None or value == ():
        return unset
    text = ", ".join(value) if isinstance(value, tuple) else str(value)
    return text if len(text) <= 60 else text[:59] + "…"
