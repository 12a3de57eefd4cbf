"""ygpt_magic: YandexGPT in Jupyter through %%ygpt cells and a widget panel.

Loading the extension must stay cheap: nothing here imports the SDK. Once loaded, a background
thread imports it (client/preload.py), so that the first request does not pay for it either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.core.formatters import BaseFormatter
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.lib.pretty import PrettyPrinter

    from .chat.values import Reply
    from .magics import YGptMagics

__version__ = "0.1.0"


#: ``_ygpt`` (a chat.values.Reply) shown as a cell's value, by type name: nothing imported to say so
_REPLY = ("ygpt_magic.chat.values", "Reply")


def _reply_html(reply: Reply) -> str:
    from .render import reply_html

    return reply_html(reply)


def _reply_pretty(reply: Reply, printer: PrettyPrinter, cycle: bool) -> None:
    """``_ygpt`` in a terminal: the text and footer the HTML form shows, not a dataclass dump."""
    from .render.forms import reply_plain

    printer.text(reply_plain(reply))


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register the magics (called by ``%load_ext ygpt_magic``), and the forms of a reply shown
    as a value: inert HTML (a ``_repr_markdown_`` would let the reply's HTML run in JupyterLab)
    and its plain text for a terminal (chat values import nothing of render/ for a ``_repr_pretty_``)."""
    from . import completion, help_syntax
    from .client import loader, preload
    from .commands.boundary import show_run_stoppers
    from .magics import LATER, YGptMagics

    magics = YGptMagics(shell=ipython)
    ipython.register_magics(magics)
    show_run_stoppers(ipython)
    completion.register(ipython, completion.Completer(magics.kernel, magics.ygpt.parser))
    help_syntax.register(ipython)
    _formatter(ipython, "text/html").for_type_by_name(*_REPLY, _reply_html)
    _formatter(ipython, "text/plain").for_type_by_name(*_REPLY, _reply_pretty)
    loader.ignore_sdk_warnings()  # on this thread, before the background import: loader says why
    # a replayed notebook (CI: a cache file in replay mode) never sends: nothing to warm up
    if not (magics.cache_path and magics.cache_mode == "replay"):
        preload.start(LATER)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """Stop what the extension started (a local server, open clients) and take ``%ygpt`` and
    ``%%ygpt`` away: left registered, they went on answering after ``%unload_ext``, with the
    kernel that was just closed; now IPython says they are not found until ``%load_ext``."""
    from . import completion, help_syntax
    from .commands.boundary import stop_showing_run_stoppers
    from .magics import YGptMagics

    magics = ipython.magics_manager.registry.pop(YGptMagics.__name__, None)
    if magics is not None:
        magics.close()
        _unregister(ipython, magics)
    stop_showing_run_stoppers(ipython)
    completion.unregister(ipython)
    help_syntax.unregister(ipython)
    for mime in ("text/html", "text/plain"):
        _formatter(ipython, mime).pop(".".join(_REPLY), None)


def _unregister(ipython: InteractiveShell, magics: YGptMagics) -> None:
    """Remove ``magics``' functions from the shell's tables (IPython has no call for it); a
    magic of the same name registered since by someone else stays."""
    tables = ipython.magics_manager.magics
    for kind, functions in magics.magics.items():
        for name, function in functions.items():
            if tables[kind].get(name) == function:
                del tables[kind][name]


def _formatter(ipython: InteractiveShell, mime: str) -> BaseFormatter:
    """The shell's formatter of ``mime`` (every shell has a display formatter; its type allows none)."""
    formatter = ipython.display_formatter
    assert formatter is not None, "an IPython shell without a display formatter"
    found: BaseFormatter = formatter.formatters[mime]
    return found
