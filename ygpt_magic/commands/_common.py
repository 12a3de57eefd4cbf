"""What `%ygpt` subcommands show, and where they write: output bundles and output paths.

Output is a display bundle with both HTML (notebooks) and plain text (terminals, logs), so a table
reads well everywhere and tests can assert on either. The HTML is the subcommand's Markdown made
inert (render/inert.py): chat names, prompts and file contents in it show, never run. A
credential in a chat is shown masked (:func:`secrets_masked`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from IPython.display import display

from ..client.credentials import masked_in
from ..errors import FileNotWritten
from ..kernel import Kernel
from ..render import inert, terminal
from ..words import columns, padded


def secrets_masked(kernel: Kernel) -> Callable[[str], str]:
    """A text with this kernel's credentials masked as whoami masks them: a chat loaded from a
    file may hold one (the guard refuses to send it), and no command shows or writes it."""
    secrets = kernel.connection.known_secrets()
    return lambda text: masked_in(text, secrets)


def output_path(text: str) -> Path:
    """Where `%ygpt save` / `export` write, with missing parent folders created: a user expects
    `%ygpt save build/chat.json` to work in a fresh checkout. FileNotWritten when they cannot be
    (a file in the way, no permission): it is a failed write, not a chat file that failed to load."""
    path = Path(text).expanduser()
    parent = path.parent
    try:
        blocker = next((folder for folder in (parent, *parent.parents) if folder.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise FileNotWritten.no_folder(path, f"{blocker} is a file, not a folder")
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FileNotWritten.no_folder(path, f"cannot create the folder {parent} "
                                             f"({error.strerror or type(error).__name__})") from None
    return path


def show(markdown: str, plain: str | None = None) -> None:
    """Display Markdown (made inert) in notebooks and plain text elsewhere."""
    display(inert.bundle(inert.markdown(markdown), plain=plain if plain is not None else markdown),
            raw=True)


def table(headers: list[str], rows: list[list[str]], width: int | None = None) -> tuple[str, str]:
    """(markdown, plain) renderings of one small table. Plain columns are as wide as their widest
    cell; with a ``width``, a table wider than that wraps its widest column's cells onto more
    lines (a terminal would wrap the whole row, pushing the next column under the first), never
    fewer than MIN_WRAPPED columns, and never more than it needs (the table is then as narrow as
    it can be made, if not narrow enough)."""
    md = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    md += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    widths = [max(columns(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    wide = widths.index(max(widths))
    if width is not None and sum(widths) + 2 * (len(widths) - 1) > width:
        fitting = width - sum(widths) + widths[wide] - 2 * (len(widths) - 1)
        widths[wide] = min(widths[wide], max(MIN_WRAPPED, fitting))
    plain = [line for row in [headers, *rows] for line in _plain_lines([str(c) for c in row], widths, wide)]
    return "\n".join(md), "\n".join(plain)


#: the narrowest a wrapped column gets, however many columns beside it
MIN_WRAPPED = 20


def _plain_lines(row: list[str], widths: list[int], wide: int) -> list[str]:
    """One row as aligned plain lines: the ``wide`` column's cell wrapped to its width, the
    other cells on the first line (:func:`_wrapped`)."""
    fits = columns(row[wide]) <= widths[wide]
    pieces = [row[wide]] if fits else _wrapped(row[wide], widths[wide]) or [""]
    lines = []
    for index, piece in enumerate(pieces):
        cells = [piece if column == wide else (cell if index == 0 else "") for column, cell in enumerate(row)]
        lines.append("  ".join(padded(cell, size) for cell, size in zip(cells, widths)).rstrip())
    return lines


def _wrapped(text: str, width: int) -> list[str]:
    """``text`` wrapped to ``width`` at spaces; a longer word is broken across lines, but a URL
    (an endpoint, a model URI) overflows the column on a line of its own, whole: broken in two,
    it can no longer be copied, and the terminal wraps the overflow as one line."""
    lines = textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
    return [part for line in lines
            for part in ([line] if columns(line) <= width or "://" in line else textwrap.wrap(line, width))]


def plain_width() -> int | None:
    """How wide a table's plain form may be: in a terminal the terminal's width now, at most 80 (a
    line printed wider is wrapped by the terminal, and stays so in the scrollback and in a pasted
    log); elsewhere plain text is a copy beside the HTML, as wide as its cells."""
    return min(80, terminal.size().columns) if terminal.active() else None


def show_fields(rows: list[list[str]]) -> None:
    """Name–value pairs: a Markdown list (a table would need a header row with nothing to say)
    and aligned plain text."""
    width = max(columns(name) for name, _ in rows)
    show("\n".join(f"- **{name}**: {value}" for name, value in rows),
         "\n".join(f"{padded(name, width)}  {value}" for name, value in rows))


def show_table(headers: list[str], rows: list[list[str]], title: str | None = None) -> None:
    markdown, plain = table(headers, rows, plain_width())
    if title:
        markdown, plain = f"**{title}**\n\n{markdown}", f"{title}\n{plain}"
    show(markdown, plain)
