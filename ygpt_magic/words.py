"""Counts and short lines in the words users read: one rule for singular and plural, one for
shortening a value to a line, for every layer.

It sits below everything else (errors.py uses it too), so it imports nothing of the package.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

Name = TypeVar("Name")

#: Cyrillic letters and the Latin ones drawn the same, capitals too, in the same order: a name
#: typed with a letter of the other keyboard layout looks like the name meant and compares unequal
_CYRILLIC, _LATIN = "аеорсухкмтнвАЕОРСУХКМТНВ", "aeopcyxkmthbAEOPCYXKMTHB"
_AS_LATIN = str.maketrans(_CYRILLIC, _LATIN)


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 turn``, ``2 turns``, ``1,000 rows``: every count a user reads agrees with its number,
    and reads with thousands grouped, as every other count the extension shows."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def with_article(noun: str) -> str:
    """``an int``, ``a float``, ``a str``: a noun (a type's name, mostly) with the article its
    first letter asks for, so a note about a value reads as English whatever its type."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def short(text: str, limit: int = 40) -> str:
    """``text`` as one line of at most ``limit`` characters (an ellipsis marks a cut); only
    its start is read, so a 50 MB text costs what a short one does."""
    head = text[: limit * 4]
    line = " ".join(head.split())
    return line if len(line) <= limit and len(head) == len(text) else line[: limit - 1] + "…"


def closest(word: str, names: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The one of ``names`` a mistyped ``word`` most likely meant (``conect``: ``connect``), or
    None when none is close (difflib's ratio under ``cutoff``): the "did you mean" of flags,
    subcommands and priced model names."""
    close = difflib.get_close_matches(word, list(names), n=1, cutoff=cutoff)
    return close[0] if close else None


@dataclass(frozen=True)
class LookAlike:
    """A known ``name`` that differs from the one typed only by look-alike letters, and those
    letters as the user reads them (``a Latin 'e' (position 2)``)."""

    name: str
    letters: str

    def question(self, typed: str) -> str:
        """The sentence a "not found" message adds, so two names that look the same on screen
        are told apart: ``'пeреводчик' has a Latin 'e' (position 2); did you mean 'переводчик'?``."""
        return f"'{typed}' has {self.letters}; did you mean '{self.name}'?"


def in_latin(name: str) -> str:
    """``name`` (in NFC) with each Cyrillic look-alike letter written as its Latin twin: the form
    in which two names that differ only by such letters are equal."""
    return composed(name).translate(_AS_LATIN)


def look_alike(typed: str, names: Iterable[object]) -> LookAlike | None:
    """The one of ``names`` that differs from ``typed`` only by Cyrillic/Latin look-alike
    letters (а/a, е/e, о/o, р/p, с/c, у/y, х/x, к/k, м/m, т/t, н/h, в/b and capitals), or None:
    such a name reads as the one typed, so "not found" beside it is a riddle without this."""
    wanted, skeleton = composed(typed), in_latin(typed)
    for name in names:
        if isinstance(name, str) and composed(name) != wanted and in_latin(name) == skeleton:
            return LookAlike(name, _letters(wanted, composed(name)))
    return None


def _letters(typed: str, known: str) -> str:
    """The letters of ``typed`` that differ from ``known`` (same length: the twins are one
    letter each), named by script and 1-based position; the first three of a longer list."""
    differ = [f"a {unicodedata.name(letter).split()[0].capitalize()} '{letter}' (position {place})"
              for place, (letter, meant) in enumerate(zip(typed, known), start=1) if letter != meant]
    if len(differ) in (2, 3):
        return listed(differ)
    return some_of(differ[:3], len(differ))


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes: 2 for a CJK character or an emoji, 0 for a
    combining mark, so plain tables align where ``len`` would shift every column after such a
    name; ``len`` for text wcwidth cannot measure (a control character). wcwidth is imported
    here, when a table is first drawn: its tables are 18 ms of ``%load_ext`` otherwise."""
    from wcwidth import wcswidth

    width = wcswidth(text)
    return width if width >= 0 else len(text)


def padded(text: str, width: int) -> str:
    """``text`` and spaces up to ``width`` terminal columns (``str.ljust`` by display width)."""
    return text + " " * max(0, width - columns(text))


def composed(name: Name) -> Name:
    """``name`` in NFC, the one form a name the user types and the names it is matched against
    are compared in: ё and й are often stored decomposed (е + U+0308, и + U+0306: macOS file
    names, CSV headers made there, copy-pastes), look the same, and compare unequal. Python
    gives identifiers typed in a cell this form. Anything but text comes back as it is (the
    caller's shape check refuses it, naming it as given); the text sent is never changed."""
    return cast(Name, unicodedata.normalize("NFC", name)) if isinstance(name, str) else name


def matching(typed: str, names: Iterable[Name]) -> Name | None:
    """The one of ``names`` that is ``typed`` (itself first, then in either Unicode form), or
    None; ``names`` keep their own form (a frame's column as pandas holds it)."""
    pool = list(names)
    if typed in pool:
        return pool[pool.index(typed)]
    wanted = composed(typed)
    return next((name for name in pool if isinstance(name, str) and composed(name) == wanted), None)


def some_of(first: Sequence[str], total: int) -> str:
    """``'a', 'b', 'c' and 7 more``: the ``first`` few of ``total`` things and how many are left
    out, so a line about 100,000 rows stays one line."""
    head = ", ".join(first)
    return f"{head} and {total - len(first):,} more" if total > len(first) else head


def listed(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: things named in one sentence."""
    return " and ".join(filter(None, (", ".join(items[:-1]), items[-1] if items else "")))


def numbered(noun: str, numbers: Sequence[int], plural: str | None = None) -> str:
    """``Turn 3``, ``Turns 3 and 5``, ``Turns 1, 4 and 6``, or ``Turns 1–9`` when three or more
    run on without a gap: one rule for every line that names things by their numbers (the turns
    a chat file left out, those a long chat's next cell leaves out)."""
    if len(numbers) == 1:
        return f"{noun} {numbers[0]}"
    nouns = plural or noun + "s"
    if len(numbers) >= 3 and list(numbers) == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{nouns} {numbers[0]}–{numbers[-1]}"
    return f"{nouns} {listed([str(number) for number in numbers])}"
