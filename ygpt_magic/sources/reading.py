"""A file ``--docs`` found (files.py) → its text as parts: a text file whole (a table with its
header line), a notebook's cells, a PDF's pages; or why it was skipped, in the words the cell
lists (too large, not readable, binary, not UTF-8, a notebook or PDF without text).

Finding walks folders and follows links; reading decodes bytes and knows each file type's
layout. Apart, each is read and changed without the other.
"""

from __future__ import annotations

import codecs
import io
import json

from ..errors.sources import NOT_UTF8, OTHER_ENCODING, WINDOWS_1251
from .chunks import Part, header_of
from .files import NOTEBOOK, PDF, TABLES, TEXT, Skipped, SourceFile

#: bytes; a larger file is skipped, with this limit said
SIZE_LIMIT = 10_000_000
PDF_EXTRA = "reading PDFs needs pypdf: pip install pypdf (or pip install -e '.[pdf]' in a clone) and restart the kernel"


def read(file: SourceFile, limit: int = SIZE_LIMIT) -> bytes | Skipped:
    """The file's bytes, or why it was not read (too large, not readable)."""
    try:
        size = file.path.stat().st_size
        if size > limit:
            return Skipped(file.shown, f"{size / 1e6:.1f} MB, over the {limit / 1e6:g} MB limit per file")
        return file.path.read_bytes()
    except OSError as error:
        return Skipped(file.shown, f"cannot be read: {error.strerror or error}")


def parts(file: SourceFile, data: bytes) -> list[Part] | Skipped:
    """The file's text as parts: a text file whole (a table with its header line), a notebook's
    cells, a PDF's pages."""
    suffix = file.path.suffix.lower()
    if suffix == PDF:
        return _pdf_pages(file, data)
    try:
        text = _decoded(data)
    except UnicodeDecodeError:
        return Skipped(file.shown, _not_utf8(suffix, data))
    if text is None:
        return Skipped(file.shown, "binary, not text")
    if suffix == NOTEBOOK:
        return _notebook_cells(file, text)
    if not text.strip():
        return Skipped(file.shown, "empty")
    return [Part(text, header=header_of(text) if suffix in TABLES else "")]


def _decoded(data: bytes) -> str | None:
    """The text of a UTF-8 file, or of a UTF-16 one with its byte-order mark (what Windows
    editors save as "Unicode"); None for binary data (a zero byte, which text has not)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8-sig")


def _not_utf8(suffix: str, data: bytes) -> str:
    """Why a file that does not decode as UTF-8 is skipped, with the encoding it seems to be in.
    A Windows-1251 file is named as such but not read: the credential guard and the citations
    assume the text is what the file says, and a guess at the encoding is not that."""
    if _looks_windows_1251(data):
        return WINDOWS_1251
    return OTHER_ENCODING if suffix in TEXT else NOT_UTF8


def _looks_windows_1251(data: bytes) -> bool:
    """Whether ``data`` (its first 64 KB) decodes as Windows-1251 into mostly lower-case Cyrillic
    letters, as Russian prose does. Almost any bytes decode as Windows-1251, so the letters
    decide; broken UTF-8 Cyrillic read so is mostly the capitals Р and С, and is not taken."""
    try:
        text = data[:65536].decode("cp1251")
    except UnicodeDecodeError:
        return False
    letters = [char for char in text if char.isalpha()]
    lower_cyrillic = sum("а" <= char <= "я" or char == "ё" for char in letters)
    return lower_cyrillic * 2 > len(letters)


def _notebook_cells(file: SourceFile, text: str) -> list[Part] | Skipped:
    try:
        cells = json.loads(text)["cells"]
        sources = ["".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                   for cell in cells]
    except (ValueError, KeyError, TypeError):
        return Skipped(file.shown, "not a notebook Jupyter can open (its JSON has no cells)")
    found = [Part(source, "cell", number) for number, source in enumerate(sources, start=1) if source.strip()]
    return found or Skipped(file.shown, "a notebook with no text in its cells")


def _pdf_pages(file: SourceFile, data: bytes) -> list[Part] | Skipped:
    try:
        import pypdf
    except ImportError:
        return Skipped(file.shown, PDF_EXTRA)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as error:  # pypdf raises many types for a damaged or encrypted file
        return Skipped(file.shown, f"a PDF pypdf cannot read ({type(error).__name__})")
    found = [Part(text, "page", number) for number, text in enumerate(pages, start=1) if text.strip()]
    return found or Skipped(file.shown, "a PDF with no text layer (scanned pages?)")
