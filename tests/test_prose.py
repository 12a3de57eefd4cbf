"""Prose skips the Markdown parser only where the parser would give exactly the same HTML.

``render/prose.py`` claims: for a text it accepts, its HTML is markdown-it's, byte for byte; any
text that might hold Markdown goes to the parser. These tests compare the two over a corpus of
what replies look like (Cyrillic, entities, ``<``, ``&``, quotes, blank lines, numbers, dashes)
and over random texts built from every character and line start that means something to
Markdown, and check that the texts the fast path is for do take it.
"""

from __future__ import annotations

import random
import string

import pytest
from visible import published

from ygpt_magic.render import inert, prose

CORPUS = [
    "", "\n", "\n\n\n", "Быть или не быть: вот в чём вопрос.", "To be, or not to be: that is the question.",
    "Ответ: 42.", "Tom & Jerry", "a < b > c", 'He said "hi" and \'bye\'.', "AT&T; R&D", "&amp; &copy; &#169; &#x41;",
    "&nosuch;", "&", "1 + 1 = 2", "2024. A year.", "1. first", "1) first", "10.5 percent", "- item", "+ item",
    "# Title", "#hashtag", "> quote", "a > b", "first line\nsecond line", "para one\n\npara two",
    "para one\n\n\n\npara two\n", "\n\nleading and trailing\n\n", "line\n===", "line\n---", "line\n1. item",
    "trailing space ", " leading space", "trailing two  \nnext", "tab\tinside", "    indented code",
    "nbsp\u00a0inside", "\u00a0nbsp at start", "nbsp at end\u00a0", "em\u2003space", "line\u2028separator",
    "bom\ufeff", "cr\r\nlf", "nul\x00", "ctrl\x1c", "a: b; c, d? e! f", "*emphasis*", "_under_", "`code`",
    "[link](https://ya.ru)", "https://ya.ru", "<https://ya.ru>", "~~gone~~", "$x$", "\\(x\\)", "a | b",
    "Цена — 100 ₽ (с НДС).", "«Ёлки» 🙂", "x = {a: 1}", "50% off @ noon ^_^",
    "Hamlet's question:\nto be\nor not to be", "Вопрос.\n\nОтвет.\n\nИтог.",
]


def _random_texts(seed: int, count: int, alphabet: list[str], longest: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest))) for _ in range(count)]


#: every ASCII character, Cyrillic, the Unicode spaces and line ends, entities, list and heading
#: starts: most of these texts go to the parser
EVERYTHING = [*string.printable, *"абвгдеёжзийклмнопрстуфхцчшщъыьэюяЁЯ", "\u00a0", "\u2003", "\u2028",
              "\ufeff", "\x85", "\x1c", "\x00", "&amp;", "&copy;", "&#1;", "&x;", "1.", "2)", "\n\n", "  ",
              "---", "===", "é", "🙂"]
#: only what the fast path may accept, and the line starts and entity fragments next to it
NEAR = [*"aбZ19 .,;:()#-=+>&\"'?%@^{}/\n", "\n\n", "\u00a0", "\u2003", "&amp", "&#", "1.", "1)", "10.",
        "---", "==", "http://x.ru", "«", "»", "—", "é"]


#: each corpus is built when its test runs, not when the module is collected: collection runs in
#: every pytest worker, and the random texts are 340,000 random choices
@pytest.mark.parametrize("made", [
    pytest.param(lambda: CORPUS, id="corpus"),
    pytest.param(lambda: _random_texts(1, 20_000, EVERYTHING, 14), id="every-character"),
    pytest.param(lambda: _random_texts(2, 20_000, NEAR, 16), id="near-syntax"),
])
@pytest.mark.slow
def test_prose_html_is_the_parsers(made):
    texts, parser = made(), inert.markdown_parser()
    different = [(text, html, parser.render(text)) for text in texts
                 if (html := prose.paragraphs(text)) is not None and html != parser.render(text)]
    assert not different, different[:5]


@pytest.mark.parametrize("text", [
    "Быть или не быть: вот в чём вопрос.", "Tom & Jerry > Spike", 'He said "hi".',
    "Первый абзац.\n\nВторой абзац,\nв две строки.", "Цена — 100 ₽ (с НДС).",
])
def test_prose_takes_the_fast_path(text):
    assert prose.paragraphs(text) is not None
    assert inert.markdown(text) == inert.markdown_parser().render(text)


@pytest.mark.parametrize("text", ["*a*", "# h", "1. x", "a  \nb", "&copy;", "<b>", "x\n---", "    code", "$x$"])
def test_markdown_goes_to_the_parser(text):
    assert prose.paragraphs(text) is None


def test_quotes_and_ampersands_in_prose_stay_text():
    text = 'x" onmouseover="alert(1)" & y > z'
    assert prose.paragraphs(text) is not None
    assert published(inert.page(inert.markdown(text))) == '<p>x" onmouseover="alert(1)" &amp; y &gt; z</p>\n'
