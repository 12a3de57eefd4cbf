"""A name is brought to one Unicode form in one place, words.composed (NFC), so every name the
user types and every name it is matched against or written as agree: findings/review13 found the
panel's export path normalising names with a copy of it. The emulator is left out: it imports
nothing of the magic side (tests/test_layers.py) and reads prompts, not names."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import ygpt_magic
from ygpt_magic.panel.export_path import file_name_part

ROOT = Path(ygpt_magic.__file__).parent


def test_only_words_composes_names():
    copies = sorted(str(path.relative_to(ROOT)) for path in ROOT.rglob("*.py")
                    if path.name != "words.py" and ROOT / "emulator" not in path.parents
                    and "unicodedata.normalize(" in path.read_text(encoding="utf-8"))
    assert not copies, f"normalise names with words.composed, not a copy of it: {copies}"


def test_a_decomposed_name_exports_to_the_file_its_composed_twin_does():
    """ё typed on a Mac (е + U+0308) names the same file as ё typed elsewhere."""
    typed = unicodedata.normalize("NFD", "отзывы о ёлке")
    assert typed != "отзывы о ёлке"
    assert file_name_part(typed) == "отзывы-о-ёлке"
