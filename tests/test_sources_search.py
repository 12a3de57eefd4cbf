"""Search: the chunks most like the question, best first with their scores; those that fit the
budget, saying how many did; the numbered sources block and the lines under a reply."""

from __future__ import annotations

import pytest
from sources_helpers import CountingEmbed, word_vector

from ygpt_magic.errors import InternalError, SourcesTooLong
from ygpt_magic.sources import Hit, Index, best, fit, gather, source_lines, sources_block
from ygpt_magic.sources.search import utf8_size

REVENUE = "Revenue grew by twelve percent in the third quarter, driven by cloud subscriptions. "
COSTS = "Office rent and salaries rose while travel costs fell. "
REPORT = f"# Quarterly report\n\n## Revenue\n\n{REVENUE * 15}\n\n## Costs\n\n{COSTS * 25}\n"
NOTES = "Meeting notes: the team agreed to hire two engineers and move the office."


@pytest.fixture
def library(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "q3.md").write_text(REPORT)
    (tmp_path / "notes.txt").write_text(NOTES)
    index = Index(None, "doc")
    return index, gather("reports, notes.txt", index, CountingEmbed(), base=tmp_path)


def test_the_best_chunks_come_first_with_their_scores(library):
    index, found = library
    hits = best(index, found.documents, word_vector("what drove revenue growth in the third quarter"), top_k=5)
    # the costs section shares no word with the question (cosine 0): it is no source
    assert [hit.label for hit in hits] == ["reports/q3.md:1–5", "notes.txt:1"]
    assert hits[0].score > hits[1].score > 0
    costs = best(index, found.documents, word_vector("office"), top_k=1)
    assert [(hit.label, round(hit.score, 2)) for hit in costs] == [("reports/q3.md:7–9", 0.3)]
    assert "twelve percent" in hits[0].text


def test_top_k_limits_the_hits_and_only_the_named_files_are_searched(library):
    index, found = library
    notes_only = {digest: path for digest, path in found.documents.items() if path == "notes.txt"}
    assert [hit.path for hit in best(index, notes_only, word_vector("the office"), top_k=5)] == ["notes.txt"]
    assert best(index, notes_only, word_vector("revenue"), top_k=5) == [], "nothing in common: no source"
    assert len(best(index, found.documents, word_vector("office"), top_k=1)) == 1
    assert len(best(index, found.documents, word_vector("office"), top_k=2)) == 2


def test_a_query_of_another_size_is_our_bug_said_as_such(library):
    index, found = library
    with pytest.raises(InternalError, match="the query vector has 3 dimensions, the index 256"):
        best(index, found.documents, word_vector("x")[:3], top_k=5)


def hits(*sizes: int) -> list[Hit]:
    return [Hit(f"f{n}.md", ":1", "x" * size, 0.9 - n / 10) for n, size in enumerate(sizes)]


def test_fit_keeps_the_best_hits_within_the_budget_and_says_how_many_fit():
    found = hits(100, 100, 100, 10)
    entry = utf8_size(sources_block(found[:1]))
    fitted = fit(found, budget=2 * entry + 5)
    assert [hit.path for hit in fitted.hits] == ["f0.md", "f1.md"]
    assert fitted.note() == ("✂ 2 of the 4 sources found fit the "
                             f"{2 * entry + 5:,} tokens left for sources; the 2 less relevant were left out.")
    assert fit(found, budget=10_000).note() is None


def test_when_not_even_the_best_fits_the_sizes_are_said():
    with pytest.raises(SourcesTooLong) as refused:
        fit(hits(500, 10), budget=100)
    assert str(refused.value) == (
        "None of the 2 sources found fits the context budget: the best one needs up to 512 tokens and 100 are "
        "left for sources after the instruction, the question and any system message. Raise the budget with "
        "%config YGptMagics.context_budget = N, or shorten the question.")
    with pytest.raises(SourcesTooLong, match=r"shorten the question, or leave the chat's system message out "
                                             r"with --once\.$"):
        fit(hits(500, 10), budget=100, chat_system=True)


def test_the_sources_block_and_the_lines_under_a_reply():
    found = [Hit("reports/q3.md", ":12–40", "Revenue grew.", 0.834), Hit("deck.pdf", " p. 3", "Costs fell.", 0.5)]
    assert sources_block(found) == "[1] reports/q3.md:12–40\nRevenue grew.\n\n[2] deck.pdf p. 3\nCosts fell."
    assert source_lines(found) == "[1] reports/q3.md:12–40 · 0.83\n[2] deck.pdf p. 3 · 0.50"
