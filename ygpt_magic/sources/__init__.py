"""Answers from the user's files (``%%ygpt --docs PATHS``), below the magic: which files, their
chunks, the index of their vectors, and the search.

``gather`` finds and indexes the files (embedding only what the index lacks, through the
``embed`` callable the caller wires to the ``doc`` model); ``best`` ranks their chunks against
the question's vector (the ``query`` model); ``fit`` keeps those that fit the context budget;
``sources_block`` and ``source_lines`` are how they read. This package imports no IPython, SDK
or view: errors, the standard library and numpy only (tests/test_layers.py holds it).
"""

from .chunks import Chunk, Part, chunk
from .files import Skipped, find
from .index import Index, emptied, index_path
from .library import Library, gather
from .pending import Embed
from .reading import SIZE_LIMIT
from .search import Fitted, Hit, best, fit, source_lines, sources_block

__all__ = [
    "SIZE_LIMIT", "Chunk", "Embed", "Fitted", "Hit", "Index", "Library", "Part", "Skipped", "best",
    "chunk", "emptied", "find", "fit", "gather", "index_path", "source_lines", "sources_block",
]
