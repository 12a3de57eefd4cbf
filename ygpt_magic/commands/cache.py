"""`%ygpt cache [PATH|MODE] [--mode M]`, `%ygpt cache clear [--older-than D]` and `%ygpt cache
merge OTHER`: the reply cache (and the ``--docs`` sources index beside it, which a clear of every
entry empties too).

A word is a mode or a path by its look: ``%ygpt cache off`` turns the cache off (as ``--mode
off`` does), never makes a file named ``off``; a path holds a ``/`` or a suffix
(``replies.sqlite``, ``./off`` for a file of that name); any other bare word is refused with both
forms, since a typo of a mode (``of``, ``none``) would otherwise be a new cache file recorded into.

``--older-than`` goes by last use, not by recording time: an entry replayed in auto mode is
marked used (cache/store.py ``mark_used``), so a full re-run followed by a clear keeps every
entry the notebooks still replay and forgets only the dead ones. ``merge`` adds another cache
file's entries (a teammate's branch's, after a git conflict: cache/merge.py).

Setting a path or a mode here sets ``YGptMagics.cache_path`` / ``cache_mode`` (the same as
``%config`` or ``YGPT_CACHE`` / ``YGPT_CACHE_MODE``) and says only what it set, so a committed
setup cell's output stays the same while teammates record into the cache; without arguments it
says where the cache is, its mode, its entries and size, and what it did since the kernel started.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from IPython.core.magic_arguments import argument

from ..cache import MODES, ReplyCache
from ..errors import CacheNotMasked, CacheUnusable, OptionError
from ..kernel import Kernel
from ..words import closest, counted
from ._common import show_fields
from .args import parse, subcommand

if TYPE_CHECKING:
    from ..cache.store import Store

_AGE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@subcommand
@argument("target", nargs="?", default=None, metavar="PATH|MODE|clear|merge",
          help="The cache file to use (created if missing; a path holds a / or a suffix: "
               "replies.sqlite, or ./off for a file named off), a mode (the same as --mode), "
               "`clear` to forget entries (all of them: the --docs sources index beside it is "
               "emptied too), or `merge OTHER` to add the entries of another cache file this one "
               "lacks.")
@argument("other", nargs="?", default=None, metavar="OTHER",
          help="With merge: the other cache file (e.g. the other branch's, after a git conflict: "
               "git show BRANCH:notebooks/replies.sqlite > theirs.sqlite); it is only read.")
@argument("--mode", choices=MODES, default=None,
          help="auto: replay what is recorded, send and record the rest (the default); "
               "replay: a cell with no recording is an error and nothing is sent (for CI); "
               "record: always send and overwrite; off: do not use the cache.")
@argument("--older-than", metavar="D", default=None,
          help="With clear: only entries not used for D (30m, 12h, 7d, 2w) or since a date "
               "(2026-11-01): recorded before it and not replayed since (a replay in auto mode "
               "marks an entry used), so after a full re-run it forgets only what no cell used.")
@argument("--mask", action="store_true",
          help="Mask, in the file, this kernel's credentials where an entry holds them (an older "
               "version recorded replies unmasked; %%ygpt cache says how many there are), as "
               "whoami and replays show them: AQVN…x9Qz. A token shaped like a key that is not "
               "this kernel's is kept as recorded, as replays show it; %%ygpt cache counts it.")
def run(kernel: Kernel, line: str) -> None:
    """Show or set the reply cache, or clear it.

    A recorded reply is replayed instead of sent again (no tokens, no waiting, the same answer);
    YGptMagics.cache_path / cache_mode and YGPT_CACHE / YGPT_CACHE_MODE set the same."""
    args = parse(run, line)
    if args.mask:   # before the targets: `clear --mask` would clear, `merge --mask` mask nothing
        return _mask(kernel, (args.target, args.other, args.mode, args.older_than))
    if args.target == "merge":
        return _merge(kernel, args.other)
    if args.other is not None:
        raise OptionError(f"%ygpt cache: {args.other!r} goes with merge only: %ygpt cache merge "
                          f"{args.other}.")
    if args.target == "clear":
        return _clear(kernel, args.older_than)
    if args.older_than is not None:
        raise OptionError("%ygpt cache: --older-than goes with clear: %ygpt cache clear "
                          "--older-than 7d.")
    path, mode = _path_or_mode(args.target, args.mode)
    if path is not None:
        kernel.change(cache_path=path)
    if mode is not None:
        kernel.change(cache_mode=mode)
    if path is None and mode is None:
        return _status(kernel)
    _set(kernel)


def _set(kernel: Kernel) -> None:
    """What setting the cache set: its path and mode, and why the file cannot be used, if so.
    Never its entries, size or hits: a setup cell's output is stored in the notebook and
    compared by nbval, and those change whenever another notebook records into a shared cache
    (``%ygpt cache`` with no argument shows them)."""
    cache = kernel.cache
    if cache.path is None:
        return _status(kernel)
    contents = "entries, size and hits: %ygpt cache"
    try:
        if cache.active:
            cache.store()
    except CacheUnusable as error:
        contents = f"cannot be used: {error.problem}"
    show_fields([["cache", cache.shown()], ["mode", cache.mode], ["contents", contents]])


def _path_or_mode(target: str | None, mode: str | None) -> tuple[str | None, str | None]:
    """The path and the mode that ``target`` and ``--mode`` give: a mode's name is a mode, a word
    that looks like a path is a path; a bare word that is neither is refused."""
    if target in MODES:
        if mode not in (None, target):
            raise OptionError(f"%ygpt cache: {target} and --mode {mode} are two modes; give one: "
                              f"%ygpt cache {mode}.")
        return None, target
    if target is None or _looks_like_a_path(target):
        return target, mode
    meant = closest(target, MODES)
    guess = f" Did you mean the mode {meant}?" if meant else ""
    raise OptionError(
        f"%ygpt cache: '{target}' is neither a mode ({', '.join(MODES)}) nor a path.{guess} To set "
        f"the mode, write %ygpt cache {meant or 'off'} (or --mode {meant or 'off'}); for a cache "
        f"file, give a path with a / or a suffix: %ygpt cache {target}.sqlite, or %ygpt cache "
        f"./{target} for a file named {target}.")


def _looks_like_a_path(word: str) -> bool:
    """Whether ``word`` reads as a file's path rather than a word: a folder in it, a suffix, a
    home folder's ``~``."""
    return any(mark in word for mark in "/\\.") or word.startswith("~")


def _status(kernel: Kernel) -> None:
    cache = kernel.cache
    if cache.path is None:
        show_fields([["cache", "none: replies are always sent. Use %ygpt cache PATH (or "
                               "YGPT_CACHE=PATH set before the kernel starts, as in CI)."],
                     ["mode", cache.mode]])
        return
    held: list[list[str]] = []
    try:
        store = cache.store()
        contents = f"{counted(store.count(), 'entry', 'entries')}, {_size(store.size())}"
        held = _holding(kernel, store)
    except CacheUnusable as error:
        contents = f"cannot be used: {error.problem}"
    replayed = cache.replayed.total_tokens
    show_fields([["cache", cache.shown()], ["mode", cache.mode], ["contents", contents], *held,
                 ["this kernel", f"{counted(cache.hits, 'hit')}, {counted(cache.misses, 'miss', 'misses')}, "
                                 f"{cache.recorded} recorded; {counted(replayed, 'token')} replayed "
                                 f"instead of sent{_saved(kernel)}"], *_index(cache, cache.path)])


def _holding(kernel: Kernel, store: Store) -> list[list[str]]:
    """The rows saying how many entries hold one of the kernel's credentials (and how to mask
    them) and how many a key's shape that is not the kernel's (none when none does): named by
    count only, never by the secret."""
    from ..cache.masking import holding, left_in_file

    credentials = kernel.connection.known_secrets()
    found = holding(store, credentials)
    rows = _shaped(found.shaped)
    if not found.masked and left_in_file(store.path, credentials):   # CacheMaskUnfinished, in any kernel since
        return [["credentials", "no entry holds one of this kernel's credentials, but the file itself still does, "
                                "in pages an unfinished %ygpt cache --mask replaced and SQLite has not copied over "
                                "yet. Do not commit the file yet: close the other kernels and programs using it, "
                                "then run %ygpt cache --mask again, which finishes it."], *rows]
    if not found.masked:
        return rows
    return [["credentials", f"{_entries_hold(len(found.masked))} one of this kernel's credentials, in a "
                            f"reply an older version recorded unmasked: replays show it masked, but the file keeps it. "
                            f"%ygpt cache --mask masks it in the file."], *rows]


def _shaped(count: int) -> list[list[str]]:
    """The row saying how many entries hold text shaped like a key that is not the kernel's,
    which --mask keeps (none when none does)."""
    if not count:
        return []
    return [["key shapes", f"{_entries_hold(count)} text shaped like a key that is not this kernel's; replays "
                           f"show it as the model wrote it, and %ygpt cache --mask leaves it as it is (a "
                           f"kernel holding that key masks it)."]]


def _entries_hold(count: int) -> str:
    return "an entry holds" if count == 1 else f"{count:,} entries hold"


def _mask(kernel: Kernel, given: tuple[str | None, ...]) -> None:
    """``%ygpt cache --mask``: the entries holding a credential masked in the file. ``given``:
    the other words and flags of the line, refused: none of them goes with it."""
    from ..cache.masking import masked

    cache = kernel.cache
    if any(word is not None for word in given) or cache.path is None:
        raise OptionError("%ygpt cache --mask goes alone, with this kernel's cache set first: "
                          "%ygpt cache replies.sqlite, then %ygpt cache --mask.")
    try:
        done = masked(cache.store(), kernel.connection.known_secrets())
    except CacheUnusable as error:
        raise CacheNotMasked(error) from None
    show_fields([["cache", cache.shown()],
                 ["masked", f"{counted(len(done.masked), 'entry', 'entries')} that held one of this "
                            f"kernel's credentials, as whoami shows it"], *_shaped(done.shaped)])


def _index(cache: ReplyCache, path: str) -> list[list[str]]:
    """The row of the --docs sources index beside the cache, when there is one."""
    from ..sources.index import index_path

    index = index_path(path)
    if not index.is_file():
        return []
    return [["docs index", f"{cache.beside(index)}, {_size(index.stat().st_size)} (the --docs sources index)"]]


def _saved(kernel: Kernel) -> str:
    """What the replays saved, as ``%ygpt usage``'s "saved" total says it; "" before any had a price."""
    saved = kernel.session.accounts.total().saved
    return f", saving {saved} at Yandex Cloud prices" if saved.amount else ""


def _clear(kernel: Kernel, older_than: str | None) -> None:
    cache = kernel.cache
    if cache.path is None:
        raise OptionError("%ygpt cache clear: no cache is set; use %ygpt cache PATH first.")
    before = _before(older_than) if older_than else None
    done = cache.clear(before)
    which = f" not used since {before[:16].replace('T', ' ')} UTC" if before else ""
    show_fields([["cache", cache.shown()], ["cleared", f"{counted(done.removed, 'entry', 'entries')}{which}"],
                 ["size", f"{_size(done.size_after)} now (was {_size(done.size_before)})"],
                 *([] if before else _emptied(kernel, cache, cache.path))])


def _emptied(kernel: Kernel, cache: ReplyCache, path: str) -> list[list[str]]:
    """A clear of every entry empties the --docs sources index beside the cache too (its row;
    none without one): it is derived from them (rebuilt from the reply cache or the files), and
    it held the files' text. Its own tables keep only the files' current versions, so a clear
    by age leaves it. The kernel's open indexes are closed first: none keeps vectors read from
    it."""
    from ..sources.index import emptied, index_path

    index = index_path(path)
    if not index.is_file():
        return []
    kernel.close_sources()
    was = index.stat().st_size
    versions = emptied(index, cache.beside(index))
    return [["docs index", f"{cache.beside(index)}: {counted(versions, 'file version')} forgotten, "
                           f"{_size(index.stat().st_size)} now (was {_size(was)})"]]


def _merge(kernel: Kernel, other: str | None) -> None:
    cache = kernel.cache
    if cache.path is None or other is None:
        raise OptionError("%ygpt cache merge: give the other cache file, with this kernel's cache "
                          "set first: %ygpt cache replies.sqlite, then %ygpt cache merge theirs.sqlite.")
    done = cache.merge(other, "%ygpt cache merge")
    show_fields([["cache", cache.shown()],
                 ["merged", f"{counted(done.added, 'entry', 'entries')} added from {other}, "
                            f"{done.already} already here (kept as they were)"]])


def _before(text: str) -> str:
    """``7d`` / ``12h`` / ``30m`` / ``2w`` ago, or a date, as a recording time to compare."""
    text = text.strip()
    age = _AGE.match(text)
    if age:
        moment = _ago(int(age[1]), _UNITS[age[2]], text)
    else:
        try:
            moment = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
        except ValueError:
            raise OptionError(f"%ygpt cache clear: --older-than {text!r} is neither an age "
                              "(30m, 12h, 7d, 2w) nor a date (2026-11-01).") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ago(count: int, unit: str, text: str) -> datetime:
    """Now minus ``count`` ``unit``; an age reaching back before the year 1 (which datetime
    cannot hold) is refused: no entry is that old, and clearing none would look like a bug."""
    try:
        return datetime.now(timezone.utc) - timedelta(**{unit: count})
    except OverflowError:
        raise OptionError(f"%ygpt cache clear: --older-than {text} reaches back before the "
                          f"year 1, and no entry is that old. Use a shorter age (e.g. 30d), or "
                          f"%ygpt cache clear without --older-than to forget every entry.") from None


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} kB"
