"""Errors of answering from the user's files (``--docs``): nothing to read, a file holding a
key, an index file that cannot be used, indexing the files over the cell's cost cap, sources
that cannot fit the context budget.

A file that cannot be read (binary, too large, unreadable, a PDF without pypdf) is not an error
by itself: it is skipped and listed. These are raised only when the cell cannot go on.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from decimal import Decimal

from ..words import counted
from .base import YGptError
from .origin import CELL, capital
from .too_long import Room
from .usage import CostOverCap, Found

#: why a file that is not UTF-8 is skipped (sources/reading.py): Cyrillic text saved as Windows-1251
#: (a legacy Windows file; never read as such silently), a text file in another encoding, or any
#: other file that does not decode. A Windows-1251 file is converted under its own name (a copy
#: beside it, FILE.utf8, would be of a type --docs does not read, or, as FILE.utf8.txt, leave the
#: original skipped with this advice on every run), by the commands :func:`worded` fills in
WINDOWS_1251 = "Windows-1251 text, it seems, not UTF-8"
OTHER_ENCODING = "text in an encoding other than UTF-8: save it as UTF-8"
NOT_UTF8 = "not UTF-8 text (binary, or another encoding: save it as UTF-8)"


def worded(reason: str, paths: Sequence[str]) -> str:
    """A skipped line's ``reason`` for ``paths``: the Windows-1251 one with the commands that
    convert those very files, their paths filled in and quoted, to be pasted as they are (a
    'FILE' to replace by hand, four times, with a path holding a space, was not); the rest as
    they are."""
    if reason != WINDOWS_1251:
        return reason
    if len(paths) == 1:
        name, new = shlex.quote(paths[0]), shlex.quote(f"{paths[0]}.new")
        return (f"{reason}: convert it to UTF-8 under its own name, in Python: from pathlib import Path; "
                f"p = Path({paths[0]!r}); p.write_text(p.read_text('cp1251'), 'utf-8') — or in a shell: "
                f"iconv -f cp1251 -t utf-8 {name} > {new} && mv {new} {name}")
    listed = ", ".join(map(repr, paths))
    return (f"{reason}: convert them to UTF-8 under their own names, in Python: from pathlib import Path; "
            f"[p.write_text(p.read_text('cp1251'), 'utf-8') for p in map(Path, [{listed}])] — or in a shell: "
            f"for f in {' '.join(map(shlex.quote, paths))}; do iconv -f cp1251 -t utf-8 \"$f\" > \"$f.new\" "
            f"&& mv \"$f.new\" \"$f\"; done")


class NoSources(YGptError):
    """PATHS named nothing that could be read: every pattern matched nothing, or every file
    found was skipped. ``skipped``: the lines saying what was skipped and why. When every line
    is a text file in another encoding, the advice is to convert them: "name text files" would
    contradict a .txt that was named."""

    def __init__(self, paths: str, skipped: list[str]) -> None:
        why = (" Skipped: " + "; ".join(skipped) + ".") if skipped else ""
        recoded = skipped and all(f"({WINDOWS_1251}: " in line or line.endswith(f"({OTHER_ENCODING})")
                                  for line in skipped)
        advice = ("Run the cell again once they are UTF-8." if recoded else
                  "Name text files (.txt, .md, .rst, .py, .ipynb, .csv, .tsv, .json, .html) or PDFs, folders "
                  "holding them, or globs such as 'reports/**/*.md' (comma-separated; relative to the "
                  "notebook's folder), then run the cell again.")
        super().__init__(f"--docs {paths!r} gave no file to read.{why} {advice}")
        self.skipped = skipped


class CredentialInSource(YGptError):
    """A file holds something shaped like a Yandex Cloud key or token, or this kernel's own
    credential: it is refused before anything of it is embedded, indexed or sent."""

    def __init__(self, path: str, what: Found) -> None:
        super().__init__(
            f"Nothing was sent or indexed: {path} contains {what.named()}, and a credential must never "
            f"go to a model or into the sources index. Remove it from the file (keep keys in the "
            f"environment, e.g. YC_API_KEY), or leave the file out of --docs, then run the cell "
            f"again.{what.rotation()}"
        )
        self.path = path


class IndexUnusable(YGptError):
    """The sources index file cannot be used (not an index, damaged, from a newer version,
    read-only, disk full). It only saves embedding requests, so deleting it loses nothing.
    Where the file cannot be created, opened or written, the index is kept in memory instead
    and the cell says so in one line (``line``); the rest refuse the cell with this message."""

    def __init__(self, path: object, problem: str) -> None:
        self.path, self.problem = path, problem.rstrip(".")
        super().__init__(
            f"The sources index {str(path)!r} cannot be used: {self.problem}. Fix the file or "
            f"its folder, or delete the file: it only saves embedding requests and is rebuilt "
            f"from your files at the next --docs cell."
        )

    def line(self) -> str:
        """The one line a kernel shows when it keeps its index in memory because of this."""
        return (f"ygpt sources index: {str(self.path)!r} cannot be used ({self.problem}); this kernel "
                f"keeps the index in memory instead.")


class SourcesOverCap(CostOverCap):
    """Embedding the chunks a ``--docs`` cell's index lacks (estimated by the tokenizer's count
    of ``counted_from`` of them) and then its ``answer`` (the most it can cost, its longest
    chunks counted in place of the sources, as ``--dry-run`` counts it) are over the cell's cap
    together: refused before anything is embedded or sent, so following the advice does not
    pay for indexing and then refuse the answer. ``estimate``, ``answer``: the estimates'
    sentences; ``total``: their sum; ``raise_to``: a cap that lets the whole cell go."""

    def __init__(self, cell: str, chunks: int, estimate: str, answer: str, total: str, cap: Decimal,
                 raise_to: str, *, counted_from: int) -> None:
        basis = ("every one counted by the tokenizer API" if counted_from >= chunks else
                 f"{counted_from:,} of them counted by the tokenizer API, from the shortest to the "
                 f"longest, the others scaled by their length")
        super().__init__(
            f"{cell}: choosing the sources needs {counted(chunks, 'new chunk')} of the files "
            f"embedded into the index first ({basis}). {estimate} The answer after them, with the "
            f"longest chunks counted in place of the sources (as --dry-run counts it): {answer} "
            f"Together {total}, over the cap of {cap:f} ₽ (--max-cost or "
            f"YGptMagics.max_cost_per_cell), so nothing was sent. To go ahead, raise the cap "
            f"(--max-cost {raise_to}): that lets the whole cell run, and the index keeps what it "
            f"embeds, so later cells pay only for files that change; or name fewer files in --docs."
        )


class IndexingOverCap(CostOverCap):
    """Indexing a ``--docs`` cell's files stopped at its cap: their chunks held more tokens than
    the tokenizer's count of a sample of them said (the sample missed the densest), so the chunks
    stopped being sent before the cap would be passed, and the request was not sent. Every chunk
    embedded is kept (docs_vectors.py), so raising the cap pays only for the rest."""

    def __init__(self, cell: str, embedded: int, spent: str, cap: Decimal) -> None:
        super().__init__(
            f"{cell}: indexing the files stopped at the cost cap once {counted(embedded, 'new chunk')} "
            f"{'was' if embedded == 1 else 'were'} embedded, for {spent} of the cap of {cap:f} ₽ "
            f"(--max-cost or YGptMagics.max_cost_per_cell): the chunks held more tokens than their "
            f"sample suggested, so the rest and the request were not sent. Every chunk embedded is "
            f"kept, so running the cell again with a higher --max-cost pays only for the rest; or "
            f"name fewer files in --docs."
        )


class SourcesTooLong(YGptError):
    """Not even the best source fits the tokens the request has left for sources. What takes
    the rest is the instruction, the question and a system message (the chat's older turns are
    trimmed, so --once frees nothing of theirs): --once is offered only when the chat's own
    system message took part (``chat_system``), which --once leaves out. ``room``: what the
    model holds for a prompt of ``needed`` plus the rest (:meth:`within`), so a budget that is
    all the model holds is not offered to be raised: a model with a longer context is."""

    def __init__(self, needed: int, budget: int, found: int, chat_system: bool = False,
                 room: Room | None = None) -> None:
        rest = ("shorten the question, or leave the chat's system message out with --once" if chat_system
                else "or shorten the question")
        whole = room is not None and not room.setting
        way = room.longer_model(CELL) if room is not None and whole else \
            "raise the budget with %config YGptMagics.context_budget = N"
        said = room.said(room.holds) if room is not None and whole and room.holds else ""
        todo = f"{capital(way)}, {rest}." if way else f"{capital(rest.removeprefix('or '))}."
        super().__init__(
            f"None of the {counted(found, 'source')} found fits the context budget{said}: the best "
            f"one needs up to {needed:,} tokens and {budget:,} are left for sources after the "
            f"instruction, the question and any system message. {todo}"
        )
        self.needed, self.budget, self.found, self.chat_system = needed, budget, found, chat_system

    def within(self, room: Room) -> SourcesTooLong:
        """The same refusal, its advice fitted to what the request's model holds (``room``)."""
        return SourcesTooLong(self.needed, self.budget, self.found, self.chat_system, room)
