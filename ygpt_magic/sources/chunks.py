"""A file's text → chunks of a few hundred tokens, cut at headings and paragraphs, each knowing
where it came from (lines of a text file, notebook cells, PDF pages).

Why chunks and not files: a search has to point at the passage that answers, and the request
can only carry a few of them within the context budget. Cuts fall where a reader's would: a
heading starts a new chunk (once the current one is not tiny), a paragraph is never split unless
it alone is too long (then at lines, and a line alone too long, one paragraph written on one
line, at the last sentence end, else the last space, within the piece's size; only a line with
no space at all is cut mid-word). A piece of a line says which characters of it it holds
(``:3, chars 1,181–2,390``), so each can be found in the file. The same text always gives the
same chunks, so a chunk's text names its vector in the index.

A table (CSV, TSV) is rows under a header line: a chunk of rows alone is numbers the model cannot
tell apart (revenue from orders) and an embedding with no column's word in it. So the part's
``header`` is written at the top of each of its chunks that does not hold line 1, counted in the
chunk's size; the chunk still cites the lines of its rows (``sales.csv:2209–2306``).

Sizes are estimated, not counted: the tokenizer is a request per text, too slow for 20 MB. One
token per :data:`BYTES_PER_TOKEN` UTF-8 bytes is close for English and safe for Russian (about
5–6 bytes a token); the context budget itself is checked later with the project's upper bound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

BYTES_PER_TOKEN = 4
#: a chunk closes once it reaches this size, and never grows past MAX_TOKENS
TARGET_TOKENS = 300
MAX_TOKENS = 500
#: below this a heading does not close the current chunk (a title over one short line)
MIN_TOKENS = TARGET_TOKENS // 3
#: the most UTF-8 bytes of a piece cut from one long line: a chunk of its own, about TARGET_TOKENS
PIECE_BYTES = TARGET_TOKENS * BYTES_PER_TOKEN
#: changes when the rules above change, so an index never mixes chunkings
CHUNKING = "paragraphs-300-500-v4"

_HEADING = re.compile(r"#{1,6}\s|(?:def|class|async def)\s")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_UNDERLINE = re.compile(r"(=+|-+|~+|\^+)\s*")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Part:
    """A piece of a file that reads as one text: a whole text file (``unit`` "line": chunks
    say their lines), a notebook cell ("cell") or a PDF page ("page"), ``number`` counted from 1;
    ``header``: a table's first line, repeated at the top of its chunks after the first ("": none)."""

    text: str
    unit: str = "line"
    number: int = 0
    header: str = ""


@dataclass(frozen=True)
class Chunk:
    """One passage: its text and where it is in its file (``:12–40``, `` cell 3``, `` p. 2``),
    written right after the file's path."""

    text: str
    where: str


@dataclass(frozen=True)
class _Block:
    """A paragraph (or a heading with what follows it up to a blank line) of one part, or a
    piece of one long line: ``chars``, the first and last character of it, counted from 1."""

    text: str
    part: Part
    first: int
    last: int
    heading: bool
    chars: tuple[int, int] | None = None

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)

    @property
    def carried(self) -> str:
        """What a chunk starting with this block carries above it: its table's header line and a
        newline when the block does not start at line 1 ("" otherwise)."""
        return _header(self.part, self.first)


def estimate_tokens(text: str) -> int:
    """About how many tokens ``text`` is (see the module's docstring)."""
    return _bytes_tokens(len(text.encode()))


def _bytes_tokens(size: int) -> int:
    return size // BYTES_PER_TOKEN + 1


def chunk(parts: Iterable[Part]) -> list[Chunk]:
    """The chunks of a file's parts, in order."""
    chunks: list[Chunk] = []
    current: list[_Block] = []
    size = 0
    for block in _pieces(_blocks(parts)):
        starts_section = block.heading and size >= MIN_TOKENS
        if current and (size >= TARGET_TOKENS or size + block.tokens > MAX_TOKENS or starts_section):
            chunks.append(_joined(current))
            current, size = [], 0
        if not current:
            size = _bytes_tokens(len(block.carried.encode()))
        current.append(block)
        size += block.tokens
    if current:
        chunks.append(_joined(current))
    return chunks


def header_of(table: str) -> str:
    """A table's first line, its column names ("" when it is blank): :attr:`Part.header`."""
    first = _NEWLINE.split(table, maxsplit=1)[0]
    return first if first.strip() else ""


def _lines(text: str) -> list[str]:
    """``text``'s lines as an editor, ``grep -n`` and GitHub number them: split at ``\n``,
    ``\r\n`` and ``\r`` only. ``str.splitlines`` also splits at a form feed (one per page of
    ``pdftotext`` output), ``\v``, ``\x1c``–``\x1e``, ``\x85``, ``\u2028`` and ``\u2029``, so
    every one of them moved the cited lines of the rest of the file down by one."""
    return _NEWLINE.split(text)


def _blocks(parts: Iterable[Part]) -> Iterator[_Block]:
    """Paragraphs: runs of non-blank lines; a heading line starts a new one."""
    for part in parts:
        lines = _lines(part.text)
        start: int | None = None
        for index, line in enumerate(lines):
            heading = _is_heading(line, lines[index + 1] if index + 1 < len(lines) else "")
            if start is not None and (not line.strip() or heading):
                yield _block(part, lines, start, index)
                start = None
            if line.strip() and start is None:
                start = index
        if start is not None:
            yield _block(part, lines, start, len(lines))


def _is_heading(line: str, following: str) -> bool:
    """A Markdown ``#`` heading, a top-level ``def``/``class``, or a line over an RST/setext
    underline."""
    if _HEADING.match(line):
        return True
    return bool(line.strip()) and bool(_UNDERLINE.fullmatch(following)) and len(following.strip()) >= 3


def _block(part: Part, lines: Sequence[str], start: int, end: int) -> _Block:
    text = "\n".join(lines[start:end])
    return _Block(text, part, start + 1, end, _is_heading(lines[start], lines[start + 1] if end - start > 1 else ""))


def _pieces(blocks: Iterable[_Block]) -> Iterator[_Block]:
    """Each block, cut at lines (and a too long line at characters) when over MAX_TOKENS."""
    for block in blocks:
        if estimate_tokens(block.carried + block.text) <= MAX_TOKENS:
            yield block
            continue
        yield from _cut_at_lines(block)


def _cut_at_lines(block: _Block) -> Iterator[_Block]:
    """Pieces of ``block`` under MAX_TOKENS, each with the header line its chunk will carry."""
    lines: list[str] = []
    first, size = block.first, len(block.carried.encode())
    for number, line in enumerate(block.text.split("\n"), start=block.first):
        line_size = len(line.encode()) + 1
        if lines and _bytes_tokens(size + line_size) > MAX_TOKENS:
            yield _Block("\n".join(lines), block.part, first, number - 1, block.heading and first == block.first)
            lines, first, size = [], number, len(_header(block.part, number).encode())
        if line_size // BYTES_PER_TOKEN + 1 > MAX_TOKENS:
            yield from _cut_line(line, block.part, number)
            first = number + 1
            continue
        lines.append(line)
        size += line_size
    if lines:
        yield _Block("\n".join(lines), block.part, first, block.last, False)


def _header(part: Part, line: int) -> str:
    """What a chunk starting at ``line`` of ``part`` carries above it: the table's header line."""
    return f"{part.header}\n" if part.header and line > 1 else ""


def _cut_line(line: str, part: Part, number: int) -> Iterator[_Block]:
    """A single line over MAX_TOKENS (a paragraph on one line, minified JSON, a long CSV cell):
    pieces of at most PIECE_BYTES, each ending at a sentence end or a space in its second half
    when there is one. The pieces join back into the line."""
    start = 0
    while start < len(line):
        end = _piece_end(line, start)
        yield _Block(line[start:end], part, number, number, False, (start + 1, end))
        start = end


def _piece_end(line: str, start: int) -> int:
    """Where the piece of ``line`` from ``start`` ends: the last sentence end, else the last
    space, in the second half of the most that fits PIECE_BYTES; else that most."""
    window = line[start:start + PIECE_BYTES]
    fits = len(window.encode()[:PIECE_BYTES].decode("utf-8", "ignore"))
    if start + fits >= len(line):
        return len(line)
    for boundary in (_SENTENCE_END, _SPACE):
        ends = [found.end() for found in boundary.finditer(window, fits // 2, fits)]
        if ends:
            return start + ends[-1]
    return start + fits


def _joined(blocks: list[_Block]) -> Chunk:
    """One chunk of ``blocks``: paragraphs apart, pieces of one line together as in the line, under
    the table's header line when it does not hold it."""
    text = blocks[0].carried + blocks[0].text
    for before, block in zip(blocks, blocks[1:]):
        text += ("" if before.chars and block.chars and before.first == block.first else "\n\n") + block.text
    return Chunk(text, _where(blocks[0], blocks[-1]))


def _where(first: _Block, last: _Block) -> str:
    """``:12–40`` for lines (``:3, chars 1–1,180`` within one long line, ``:1–3, line 3 to char
    1,180`` or ``:3–9, line 3 from char 2,391`` across lines), `` cell 3``/`` cells 3–5``,
    `` p. 2``/`` pp. 2–3``."""
    unit = first.part.unit
    if unit == "line":
        lines = f":{first.first}" if first.first == last.last else f":{first.first}–{last.last}"
        return lines + _chars(first, last)
    one, many = (" cell", " cells") if unit == "cell" else (" p.", " pp.")
    low, high = first.part.number, last.part.number
    return f"{one} {low}" if low == high else f"{many} {low}–{high}"


def _chars(first: _Block, last: _Block) -> str:
    """Which characters of a long line a chunk holds, when it holds part of one ("" if none)."""
    if first.chars and last.chars and first.first == last.last:
        return f", chars {first.chars[0]:,}–{last.chars[1]:,}"
    starts = [f", line {first.first} from char {first.chars[0]:,}"] if first.chars else []
    ends = [f", line {last.last} to char {last.chars[1]:,}"] if last.chars else []
    return "".join(starts + ends)
