"""`%ygpt help`: the subcommands, and where to read about the cell flags."""

from __future__ import annotations

from IPython.core.magic_arguments import magic_arguments

from ._common import parse, show

SUMMARY = "help: this list"


def text() -> tuple[str, str]:
    from . import COMMANDS

    lines = [f"%ygpt {module.SUMMARY}" for module in COMMANDS.values()]
    head = ("%%ygpt [flags] + text sends the cell to YandexGPT (%%ygpt? lists the flags). "
            "Line subcommands:")
    plain = "\n".join([head, *lines])
    markdown = "\n".join([head, "", *(f"- `{line}`" for line in lines)])
    return markdown, plain


@magic_arguments(name="ygpt help")
def run(magics, line: str) -> None:
    """List the subcommands."""
    parse(run, line, "ygpt help")
    show(*text())
