"""A tutorial explains what its stored outputs show a learner (learner L5, L6): a note that
first appears under a cell is announced in the Markdown just above it, and the footer's reading in
tutorial 03 names every field of the footer shown above it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
#: what an output may show that a learner needs told: the words the Markdown above must use
NOTES = {"pandas tables now show $…$ as written": "mathjax", "no price": "no price"}


def _outputs(cell) -> str:
    return "\n".join(output.get("text", "") or output.get("data", {}).get("text/plain", "")
                     for output in cell.get("outputs", []))


def _unannounced(path: Path) -> list[str]:
    """The notes whose first appearance in the notebook has no word about them in the Markdown of
    the three cells above (once told, a learner knows them for the rest of the notebook)."""
    book = nbformat.read(path, as_version=4)
    found, told = [], set()
    for index, cell in enumerate(book.cells):
        above = " ".join(c.source for c in book.cells[max(0, index - 3):index] if c.cell_type == "markdown")
        shown = {note for note in NOTES if note in _outputs(cell)} - told
        found += [f"{path.name} cell {index}: {note!r} is not explained above it"
                  for note in shown if NOTES[note] not in above.lower()]
        told |= shown
    return found


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda path: path.stem)
def test_every_note_an_output_shows_is_announced_above_it(path):
    assert not _unannounced(path)


def test_the_footer_reading_in_03_names_the_cost_the_footer_shows():
    book = nbformat.read(NOTEBOOKS / "03_streaming.ipynb", as_version=4)
    index = next(i for i, c in enumerate(book.cells) if c.source.startswith("### The footer"))
    shown = next(line for c in book.cells[:index] for line in _outputs(c).splitlines()
                 if line.startswith("yandexgpt ·"))
    reading = book.cells[index].source
    assert "₽" in shown and "₽" in reading and "local server · scripted" in reading, (shown, reading)
