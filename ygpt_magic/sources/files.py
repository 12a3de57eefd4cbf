"""``--docs PATHS`` → the files to read, and what was skipped and why (reading.py reads them).

PATHS is comma-separated: files, folders (walked) and globs (``**`` included), relative to the
notebook's folder. Walking a folder takes the file types :data:`READ` lists; a file named
explicitly is read whatever its name. Hidden files and folders (``.env``, ``.git``) and
environments (a folder with ``pyvenv.cfg``, ``site-packages``, ``node_modules``,
``__pycache__``) are skipped unless named explicitly: they hold secrets or other people's code,
not the user's documents. Nothing is skipped silently: each skip is a :class:`Skipped` with its
reason, for the cell to list.
"""

from __future__ import annotations

import errno
import glob
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors.sources import worded
from ..words import matching

TEXT = frozenset({".txt", ".md", ".markdown", ".rst", ".py", ".csv", ".tsv", ".json", ".html", ".htm"})
#: tables: their header line is repeated at the top of each chunk (chunks.py)
TABLES = frozenset({".csv", ".tsv"})
NOTEBOOK, PDF = ".ipynb", ".pdf"
READ = TEXT | {NOTEBOOK, PDF}
ENVIRONMENTS = frozenset({"site-packages", "node_modules", "__pycache__"})
#: why a link that leads back to itself is skipped
LOOP = "a link that points to itself"


@dataclass(frozen=True)
class Skipped:
    """A path left out, and why, in the words the cell shows; ``typed``: a piece of PATHS as the
    user wrote it, quoted where it is listed, so two pieces of a name split at its comma do not
    read as the one name (``'reports/Отчёт', 'итог Q4.md'``)."""

    path: str
    reason: str
    typed: bool = False


@dataclass(frozen=True)
class SourceFile:
    """A file to read: where it is, and its path as the user reads it (relative to the base)."""

    path: Path
    shown: str


@dataclass(frozen=True)
class Found:
    files: tuple[SourceFile, ...]
    skipped: tuple[Skipped, ...]


def find(paths: str, base: Path | None = None) -> Found:
    """The files ``paths`` names, each once, in the order named (a folder's sorted)."""
    finder = _Finder(Path.cwd() if base is None else base)
    for pattern in _patterns(paths, finder.base):
        finder.add(pattern)
    return Found(tuple(finder.files.values()), tuple(dict.fromkeys(finder.skipped)))


def _patterns(paths: str, base: Path) -> Iterator[str]:
    """PATHS split at its commas, but pieces that together name an existing file or folder kept
    as that name: a path that exists as written (``reports/Отчёт, итог Q3.md``, as exported
    reports are often named) is that file, not two missing ones."""
    pieces = paths.split(",")
    start = 0
    while start < len(pieces):
        end = next((end for end in range(len(pieces), start + 1, -1)
                    if _exists(base, ",".join(pieces[start:end]).strip())), start + 1)
        pattern = ",".join(pieces[start:end]).strip()
        if pattern:
            yield pattern
        start = end


def _exists(base: Path, name: str) -> bool:
    path = base / Path(name).expanduser()
    return path.exists() or _in_other_form(path).exists()


def _in_other_form(path: Path) -> Path:
    """The file or folder of ``path``'s folder whose name is ``path``'s in another Unicode
    form (``ёлка.txt`` typed, ``е`` + U+0308 on disk, as macOS names files), else ``path``."""
    try:
        names = [entry.name for entry in path.parent.iterdir()] if path.parent.is_dir() else []
    except OSError:
        return path
    found = matching(path.name, names)
    return path if found is None else path.parent / found


class _Finder:
    """Why real paths: a folder or file reached through a symbolic link is the same folder or
    file, so each is read once, under its own name when it is also met by it (``notes/plan.md``,
    not ``notes/again/plan.md``). A link to a folder is followed once; one back into a folder
    already read (a loop) or to one read under another name is listed as skipped, with where it
    points, and never walked again."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.files: dict[str, SourceFile] = {}
        self.skipped: list[Skipped] = []
        self.walked: set[str] = set()

    def add(self, pattern: str) -> None:
        path = self.base / Path(pattern).expanduser()
        path = path if path.exists() else _in_other_form(path)
        if glob.has_magic(pattern):
            self._glob(pattern, path)
        elif path.is_dir():
            self._walk(path)
        elif path.exists():
            self._keep(path)
        else:
            looped = _loops(path)
            self.skipped.append(Skipped(pattern, LOOP if looped else _missing(pattern), typed=not looped))

    def _glob(self, pattern: str, path: Path) -> None:
        matches = sorted(glob.glob(str(path), recursive=True))
        if not matches:
            self.skipped.append(Skipped(pattern, "the pattern matches nothing", typed=True))
        root = _literal_root(path)
        for match in map(Path, matches):
            reason = _left_out_below(root, match)
            if reason:
                self.skipped.append(Skipped(self._shown(match), reason))
            elif not self._in_loop(root, match):
                if match.is_dir():
                    self._walk(match)
                else:
                    self._take_walked(match)

    def _in_loop(self, root: Path, match: Path) -> bool:
        """Whether ``match`` lies below a link back into a folder it is in (``**`` follows it
        round and round); the link is listed as skipped."""
        current = root
        for part in match.relative_to(root).parts[:-1]:
            current = current / part
            if current.is_symlink() and _is_inside(current.parent, current):
                self._skip_link(current)
                return True
        return False

    def _walk(self, folder: Path) -> None:
        if not self._enter(folder):
            return
        readable = 0
        for where, folders, names in os.walk(folder, followlinks=True):
            here = Path(where)
            for name in sorted(folders):
                reason = _left_out(here / name)
                if reason:
                    self.skipped.append(Skipped(self._shown(here / name), reason))
                if reason or not self._enter(here / name):
                    folders.remove(name)
            folders.sort()
            readable += sum(self._take_walked(here / name) for name in sorted(names))
        if not readable:
            self.skipped.append(Skipped(self._shown(folder), "no file --docs reads in it"))

    def _enter(self, folder: Path) -> bool:
        """Whether to walk ``folder``: not when its real folder was walked already (silently
        for a folder met twice by name, listed for a link)."""
        real = os.path.realpath(folder)
        if real in self.walked:
            if folder.is_symlink():
                self._skip_link(folder)
            return False
        self.walked.add(real)
        return True

    def _take_walked(self, path: Path) -> bool:
        """Keep or skip a file met by a walk or a glob; True when it is of a type --docs reads."""
        if path.name.startswith("."):
            self.skipped.append(Skipped(self._shown(path), "hidden: name it to read it"))
        elif _loops(path):
            self.skipped.append(Skipped(self._shown(path), LOOP))
        elif path.suffix.lower() in READ:
            self._keep(path)
            return True
        else:
            self.skipped.append(Skipped(self._shown(path), "not a type --docs reads"))
        return False

    def _keep(self, path: Path) -> None:
        """A file once, by its real path, under its own name when it is met by it too (a link
        met first gives way to the file it points to); a second copy's content is the index's
        key, so it is embedded once either way."""
        real = os.path.realpath(path)
        kept = self.files.get(real)
        if kept is None:
            self.files[real] = SourceFile(path, self._shown(path))
            return
        if _is_real(path) and not _is_real(kept.path):
            self.files[real] = SourceFile(path, self._shown(path))
            self._skip_link(_link_in(kept.path, self.base))
        elif not _is_real(path):
            self._skip_link(_link_in(path, self.base))

    def _skip_link(self, link: Path) -> None:
        target = self._shown(Path(os.path.realpath(link)))
        self.skipped.append(Skipped(self._shown(link), f"a link to {target}, read there"))

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.base).as_posix()
        except ValueError:
            return str(path)


def _missing(pattern: str) -> str:
    """Why a path that names nothing here is skipped: a web address or a ``{name}`` (which
    --docs takes as written: docs/guide/docs.md says why) get their own words."""
    if "://" in pattern:
        return "a URL: --docs reads local files; download it first (!curl -O URL) and name the file"
    if "{" in pattern and "}" in pattern:
        return ("--docs paths are taken as written, so {name} is not filled in: write the path "
                "itself")
    return "no such file or folder"


def _is_real(path: Path) -> bool:
    """Whether ``path`` is reached through no link (its own real path)."""
    return os.path.realpath(path) == os.path.abspath(path)


def _is_inside(folder: Path, link: Path) -> bool:
    """Whether ``link`` points at ``folder`` or a folder ``folder`` is in (a loop)."""
    target, here = os.path.realpath(link), os.path.realpath(folder)
    return here == target or here.startswith(target.rstrip(os.sep) + os.sep)


def _link_in(path: Path, base: Path) -> Path:
    """The link ``path`` is reached through: itself, or the first linked folder on its way
    from ``base``."""
    if path.is_symlink() or not path.is_relative_to(base):
        return path
    current = base
    for part in path.relative_to(base).parts:
        current = current / part
        if current.is_symlink():
            return current
    return path


def summary(skipped: Sequence[Skipped], names: int = 3) -> list[str]:
    """One line per reason, naming the first few paths: ``a.bin, b.bin and 3 more (binary,
    not text)``; a folder of a thousand pictures lists as one line. What the user typed is
    quoted (:class:`Skipped`)."""
    by_reason: dict[str, list[str]] = {}
    for item in skipped:
        by_reason.setdefault(item.reason, []).append(f"'{item.path}'" if item.typed else item.path)
    lines = []
    for reason, paths in by_reason.items():
        more = f" and {len(paths) - names} more" if len(paths) > names else ""
        lines.append(f"{', '.join(paths[:names])}{more} ({worded(reason, paths)})")
    return lines


def _loops(path: Path) -> bool:
    """Whether ``path`` is a link that leads back to itself (``ln -s self self``, or a ring of
    links): it holds nothing, and "not a type --docs reads" or "cannot be read" would send the
    user looking at its name or its permissions."""
    try:
        path.stat()
    except OSError as error:
        return error.errno == errno.ELOOP
    return False


def _left_out(folder: Path) -> str | None:
    """Why a folder met while walking is skipped, or None."""
    if folder.name.startswith("."):
        return "hidden: name it to read it"
    if folder.name in ENVIRONMENTS or (folder / "pyvenv.cfg").exists():
        return "an environment or a cache of installed code: name it to read it"
    return None


def _literal_root(path: Path) -> Path:
    """The folder a glob starts from: its parts before the first wildcard."""
    parts = path.parts
    for index, part in enumerate(parts):
        if glob.has_magic(part):
            return Path(*parts[:index])
    return path


def _left_out_below(root: Path, match: Path) -> str | None:
    """Why a glob's match is skipped: a hidden or environment folder between the glob's
    literal root and the match (``**`` walks into them; ``*`` already skips hidden names)."""
    current = root
    for part in match.relative_to(root).parts[:-1]:
        current = current / part
        reason = _left_out(current)
        if reason:
            return reason
    return None
