"""What `%ygpt` subcommands show, and where they write: output bundles and output paths.

Output is a display bundle with both HTML (notebooks) and plain text (terminals, logs), so a table
reads well everywhere and tests can assert on either. The HTML is the subcommand's Markdown made
inert (render/inert.py): chat names, prompts and file contents in it show, never run. A
credential in a chat is shown masked (:func:`secrets_masked`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from IPython.display import display

from ..client.credentials import masked_in
from ..errors import ChatFileError
from ..kernel import Kernel
from ..render import inert


def secrets_masked(kernel: Kernel) -> Callable[[str], str]:
    """A text with this kernel's credentials masked as whoami masks them: a chat loaded from a
    file may hold one (the guard refuses to send it), and no command shows or writes it."""
    secrets = kernel.connection.known_secrets()
    return lambda text: masked_in(text, secrets)


def output_path(text: str) -> Path:
    """Where `%ygpt save` / `export` write, with missing parent folders created: a user expects
    `%ygpt save build/chat.json` to work in a fresh checkout. ChatFileError when they cannot be
    (a file in the way, no permission)."""
    path = Path(text).expanduser()
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise ChatFileError(path, f"{parent} is a file, not a folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ChatFileError(path, f"cannot create the folder {parent} "
                                  f"({error.strerror or type(error).__name__})") from None
    return path


def show(markdown: str, plain: str | None = None) -> None:
    """Display Markdown (made inert) in notebooks and plain text elsewhere."""
    display(inert.bundle(inert.markdown(markdown), plain=plain if plain is not None else markdown),
            raw=True)


def table(headers: list[str], rows: list[list[str]]) -> tuple[str, str]:
    """(markdown, plain) renderings of one small table."""
    md = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    md += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    plain = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()
             for row in [headers, *rows]]
    return "\n".join(md), "\n".join(plain)


def show_fields(rows: list[list[str]]) -> None:
    """Name–value pairs: a Markdown list (a table would need a header row with nothing to say)
    and aligned plain text."""
    width = max(len(name) for name, _ in rows)
    show("\n".join(f"- **{name}**: {value}" for name, value in rows),
         "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows))


def show_table(headers: list[str], rows: list[list[str]], title: str | None = None) -> None:
    markdown, plain = table(headers, rows)
    if title:
        markdown, plain = f"**{title}**\n\n{markdown}", f"{title}\n{plain}"
    show(markdown, plain)
