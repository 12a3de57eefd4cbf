"""The sources index: each file's chunks and their vectors, keyed by the file's content hash, in
one SQLite file beside the reply cache (or in memory without one); its tables are in tables.py,
and what an update embeds (which chunk texts, in which batches) in pending.py.

Why keyed by content: an unchanged file is never embedded twice, whatever its path or mtime,
and a changed file is a new key. A chunk's vector is found by the hash of the chunk's text, so
a changed file re-embeds only the chunks whose text changed (and a file copied elsewhere
re-embeds nothing). Why by server as well as model (the ``space``, ``text-search-doc@local``):
the local server's vectors and Yandex Cloud's are unrelated, so after a switch of server the
files are embedded again for it, as ``%ygpt embed``'s memo and the reply cache key theirs. Each
batch of vectors is written as it comes back, and a file once all its vectors are there: a fault
while embedding (a killed server, RESOURCE_EXHAUSTED, Ctrl-C) keeps every vector that arrived,
and the next run embeds only the rest. Vectors are stored unit length as float32, so cosine
similarity is one matrix product. The index holds no paths (a file's version is found by its
path's hash) and nothing the caller has not checked for credentials first.

Why a file that cannot be created, opened or written (a read-only checkout, a missing folder, a
full disk) moves the index into memory instead of stopping the cell: the index only saves
embedding requests, and the reply cache holds every vector a notebook's CI replays. What the file
holds is copied along when it can still be read, and ``on_memory`` is told once, so the user reads
one line. A file that is not an index, is damaged or comes from a newer version is refused:
deleting it is the fix, and keeping it unused would hide that.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import numpy as np

from ..errors import IndexUnusable, InternalError
from ..errors.sqlite_words import of_place, ours, problem
from . import tables
from .chunks import CHUNKING
from .pending import BATCH, Embed, Pending, Run, hashed, unit_rows

BUSY_TIMEOUT_MS = 10_000
#: bytes a page: a chunk's text is about 2 KB, and at SQLite's 4 KB pages each took a page of
#: its own (a 2 MB CSV's index was 4.1 MB); at 8 KB three share one (3.1 MB; 16 KB saved 3% more
#: there, and doubled an index of a few notes, 123 kB)
PAGE_SIZE = 8192

_MEMORY = ":memory:"
#: what to do when a folder holds the index's name
_IN_A_FOLDER = "move it out of the way: the index of the reply cache is kept under its name"
_T = TypeVar("_T")

@dataclass(frozen=True)
class Vectors:
    """Every chunk of some files: row ``i`` of ``matrix`` is chunk ``ids[i]``."""

    ids: np.ndarray
    matrix: np.ndarray


@dataclass(frozen=True)
class Stored:
    """One chunk as the index holds it."""

    digest: str
    where: str
    text: str


def index_path(cache: str | os.PathLike[str]) -> Path:
    """Where the index of a reply cache lives: ``ygpt.sqlite`` → ``ygpt.sources.sqlite``."""
    return Path(cache).expanduser().with_suffix(".sources.sqlite")


def emptied(path: str | os.PathLike[str], shown: str = "") -> int:
    """Empty the index file at ``path`` (``%ygpt cache clear``; ``shown``: as named), giving its
    space back; how many file versions it held. IndexUnusable when the file cannot be written:
    it is never emptied in memory instead, which would say it was done."""
    def refuse(reason: IndexUnusable) -> None:
        raise reason

    index = Index(path, "", on_memory=refuse, shown=shown)
    try:
        return index.clear()
    finally:
        index.close()


def digest_of(data: bytes) -> str:
    """A file's key: the SHA-256 of its bytes."""
    return hashlib.sha256(data).hexdigest()


class Index:
    """The index in ``path`` (None: in memory, for this kernel only). ``space`` names the
    embedding model and the server that embeds (``text-search-doc@local``): vectors of different
    spaces are never mixed. ``on_memory(reason)`` is called once if the file cannot be used where
    it is and the index moves into memory; ``unused`` then holds that reason. ``shown``: the
    file as its messages name it (beside the reply cache as that is shown: never absolute)."""

    def __init__(self, path: str | os.PathLike[str] | None, space: str,
                 on_memory: Callable[[IndexUnusable], None] = lambda reason: None, shown: str = "") -> None:
        self.path = _MEMORY if path is None else str(Path(path).expanduser())
        self.shown = shown or self.path
        self.model = space
        self.space = f"{space}|{CHUNKING}"
        self.unused: IndexUnusable | None = None
        self._on_memory = on_memory
        self._lock = threading.Lock()
        self._held: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._db: sqlite3.Connection | None = None
        self._do(self._prepare)

    @property
    def in_memory(self) -> bool:
        """Whether the index lives in memory (by choice, or because the file could not be used)."""
        return self.path == _MEMORY or self.unused is not None

    def _prepare(self, db: sqlite3.Connection) -> None:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not self.in_memory:
            db.execute(f"PRAGMA page_size = {PAGE_SIZE}")   # a new file's; before WAL, which fixes it
            db.execute("PRAGMA journal_mode = WAL")
        tables.prepare(db, self.shown)

    def _do(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """``work(connection)`` under the lock, sqlite3's errors said as IndexUnusable. When the
        file's place fails it (read-only, full, cannot be opened), the index moves into memory
        and ``work`` runs there."""
        try:
            with self._lock:
                return work(self._connection())
        except sqlite3.Error as error:
            reason = self._unusable(error)
            if self.path == _MEMORY or not of_place(error) or isinstance(reason, InternalError):
                raise reason from None
            self._move_to_memory(reason)
        with self._guarded():
            return work(self._connection())

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = _connect(self.path)
        return self._db

    def _move_to_memory(self, reason: IndexUnusable) -> None:
        """Go on in memory, with a copy of what the file holds if it can still be read (a
        read-only checkout's committed index saves its requests there too). Once: a second
        failure in memory is raised."""
        with self._guarded():
            if self.unused is not None:
                return
            memory = _connect(_MEMORY)
            if self._db is None or not _copied(self._db, memory):
                _copy_read_only(self.path, memory)
            if self._db is not None:
                self._db.close()
            self._db, self.unused = memory, reason
            self._held.clear()  # read again from the copy: its chunk ids are the only ones now
            self._prepare(memory)
        self._on_memory(reason)

    def has(self, digest: str) -> bool:
        """Whether the file with this content hash is indexed, all its chunks with vectors."""
        if digest in self._held:
            return True
        return self._do(lambda db: tables.complete(db, self.space, digest))

    def unembedded(self, pending: Sequence[Pending]) -> list[str]:
        """The chunk texts ``update(pending, ...)`` would embed (each once): those of the
        files' chunks no vector is held for, so a caller can price them before anything is sent."""
        return list(Run(pending, self._known).texts.values())

    def update(self, pending: Sequence[Pending], embed: Embed, batch: int = BATCH) -> dict[str, int]:
        """Index ``pending`` files: embed the chunks whose text has no vector yet, ``batch``
        texts per call, keeping each batch's vectors as they come back and writing each file as
        soon as all its vectors are there. Returns how many texts were embedded for each file
        (content hash → count; a text two files share counts for the first). An exception
        from ``embed`` propagates after the batches before it were kept."""
        run = Run(pending, self._known)
        self._write([], run)
        for texts in run.batches(batch):
            vectors = unit_rows(embed(texts), len(texts))
            run.take(texts)
            self._write([(hashed(text), vector.tobytes()) for text, vector in zip(texts, vectors)], run)
        self._checkpoint()
        return run.embedded

    def refer(self, paths: Mapping[Path, str]) -> None:
        """Note which version (content hash) each of these files holds now, those indexed
        whole; a version a file held before that no file holds any more is dropped, with the
        texts and vectors only it held (tables.refer). Paths are kept as hashes, relative to
        the index's folder, so a committed index is found again in another checkout."""
        folders: dict[str, str] = {}   # a folder → as the key says it, worked out once a call

        def key(path: Path) -> str:
            folder, name = os.path.split(os.path.abspath(path))
            if folder not in folders:
                folders[folder] = self._relative(folder)
            return hashed(f"{folders[folder]}/{name}")

        keys = [(key(path), digest) for path, digest in paths.items() if self.has(digest)]
        for digest in self._do(lambda db: tables.refer(db, keys)):
            self._held.pop(digest, None)

    def _relative(self, folder: str) -> str:
        """``folder`` relative to the index's (absolute in memory, or on another drive)."""
        if not self.in_memory:
            with suppress(ValueError):
                folder = os.path.relpath(folder, os.path.dirname(os.path.abspath(self.path)))
        return Path(folder).as_posix()

    def clear(self) -> int:
        """Forget every file and vector (``%ygpt cache clear``), giving the file's space back;
        how many file versions it held."""
        self._held.clear()
        versions = self._do(tables.clear)
        if not self.in_memory:
            self._do(lambda db: db.execute("VACUUM"))
        self._checkpoint()
        return versions

    def _checkpoint(self) -> None:
        """Move what WAL holds into the file itself, so the file alone is the whole index
        (copied or committed without its ``-wal`` companion)."""
        if not self.in_memory:
            self._do(lambda db: db.execute("PRAGMA wal_checkpoint(TRUNCATE)"))

    def vectors(self, digests: Iterable[str]) -> Vectors:
        """The vectors of every chunk of these files, as one matrix. A file's vectors are read
        once per Index and kept: keyed by content, they never go stale (about 60 ms saved a
        cell for 20 MB of files), so a kernel keeps one Index across cells."""
        wanted = list(digests)
        self._hold([digest for digest in wanted if digest not in self._held])
        found = [self._held[digest] for digest in wanted if digest in self._held]
        if not found:
            return Vectors(np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32))
        return Vectors(np.concatenate([ids for ids, _ in found]), np.concatenate([matrix for _, matrix in found]))

    def _hold(self, digests: list[str]) -> None:
        """Read the vectors of these files (those indexed) into memory, one matrix per file."""
        if not digests:
            return
        rows = self._do(lambda db: tables.held(db, self.model, self.space, digests))
        for digest, group in itertools.groupby(rows, key=lambda row: row[0]):
            _, ids, blobs = zip(*group)
            matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), -1)
            self._held[digest] = (np.array(ids, dtype=np.int64), matrix)

    def chunks(self, ids: Sequence[int]) -> list[Stored]:
        """The chunks with these ids, in the order given."""
        rows = self._do(lambda db: tables.stored(db, [int(i) for i in ids]))
        found = {row[0]: Stored(*row[1:]) for row in rows}
        return [found[int(i)] for i in ids]

    def longest(self, digests: Sequence[str], count: int) -> list[Stored]:
        """The ``count`` longest chunks of these indexed files (the most sources can take)."""
        return [Stored(*row) for row in self._do(lambda db: tables.longest(db, self.space, digests, count))]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()

    def _known(self, hashes: Sequence[str]) -> set[str]:
        """Which of these chunk text hashes have a vector in this space, under any chunking: a
        text's vector depends on the text, the model and the server alone, so a new chunking
        re-embeds only the chunks whose text it changed."""
        return self._do(lambda db: tables.known(db, self.model, hashes))

    def _write(self, vectors: list[tuple[str, bytes]], run: Run) -> None:
        """A batch's vectors, and the files it completed (all their chunks), in one transaction."""
        files = [(file.digest, [(ordinal, hashed(chunk.text), chunk.where, chunk.text)
                                for ordinal, chunk in enumerate(file.chunks)]) for file in run.complete()]
        if vectors or files:
            self._do(lambda db: tables.write(db, self.model, self.space, vectors, files))

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        """The connection's lock, with sqlite3's errors said as IndexUnusable."""
        try:
            with self._lock:
                yield
        except sqlite3.Error as error:
            raise self._unusable(error) from None

    def _unusable(self, error: sqlite3.Error) -> IndexUnusable | InternalError:
        """sqlite3's ``error`` said as what a user can act on; one no file can cause as ours."""
        if ours(error):
            return InternalError(error)
        return IndexUnusable(self.shown, problem(error, Path(self.path), "a sources index", _IN_A_FOLDER,
                                                 self.shown))

def _connect(target: str, uri: bool = False) -> sqlite3.Connection:
    return sqlite3.connect(target, uri=uri, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False)


def _copied(source: sqlite3.Connection, memory: sqlite3.Connection) -> bool:
    """Whether all of ``source`` could be copied into ``memory``."""
    try:
        source.backup(memory)
    except sqlite3.Error:
        return False
    return True


def _copy_read_only(path: str, memory: sqlite3.Connection) -> None:
    """The file at ``path`` into ``memory`` if it can be read: read-only, else as immutable (a
    read-only folder, where SQLite cannot make the ``-shm`` file a WAL file needs)."""
    if not Path(path).is_file():
        return
    for mode in ("mode=ro", "immutable=1"):
        try:
            source = _connect(f"file:{quote(path)}?{mode}", uri=True)
        except sqlite3.Error:
            continue
        try:
            if _copied(source, memory):
                return
        finally:
            source.close()
