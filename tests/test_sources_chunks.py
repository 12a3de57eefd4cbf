"""Text → chunks: cut at headings and paragraphs, a few hundred tokens each, saying where they
are (lines, cells, pages), the same every time."""

from __future__ import annotations

from ygpt_magic.sources.chunks import MAX_TOKENS, TARGET_TOKENS, Part, chunk, estimate_tokens


def paragraph(word: str, words: int = 60) -> str:
    return " ".join([word] * words)


def lines_of(text: str, where: str) -> str:
    """The file's lines a ``:a–b`` location names, blank lines dropped (chunks join paragraphs
    with one blank line)."""
    first, _, last = where[1:].partition("–")
    picked = text.splitlines()[int(first) - 1:int(last or first)]
    return "\n".join(line for line in picked if line.strip())


def test_a_short_text_is_one_chunk_with_its_lines():
    text = "\n\nFirst paragraph.\n\nSecond one\nwith two lines.\n"
    assert [(c.where, c.text) for c in chunk([Part(text)])] == [
        (":3–6", "First paragraph.\n\nSecond one\nwith two lines.")]


def test_headings_start_chunks_and_paragraphs_stay_whole():
    sections = [f"## Section {n}\n\n" + "\n\n".join(paragraph(f"s{n}p{p}") for p in range(4)) for n in range(3)]
    text = "# Report\n\n" + "\n\n".join(sections)
    chunks = chunk([Part(text)])
    assert [c.text.splitlines()[0] for c in chunks if c.text.startswith("#")] == [
        "# Report", "## Section 1", "## Section 2"]
    for c in chunks:
        assert estimate_tokens(c.text) <= MAX_TOKENS
        assert lines_of(text, c.where) == "\n".join(line for line in c.text.splitlines() if line.strip())
    words = {word for c in chunks for paragraph_text in c.text.split("\n\n") for word in set(paragraph_text.split())}
    assert {f"s{n}p{p}" for n in range(3) for p in range(4)} <= words


def test_chunks_are_a_few_hundred_tokens_each():
    text = "\n\n".join(paragraph(f"w{n}", 40) for n in range(200))
    sizes = [estimate_tokens(c.text) for c in chunk([Part(text)])]
    assert all(size <= MAX_TOKENS for size in sizes)
    assert all(size >= TARGET_TOKENS * 0.8 for size in sizes[:-1])


def test_a_paragraph_too_long_is_cut_at_lines_and_a_line_too_long_at_characters():
    rows = "\n".join(f"{n},{'value ' * 10}" for n in range(400))
    chunks = chunk([Part("id,text\n" + rows)])
    assert len(chunks) > 1 and all(estimate_tokens(c.text) <= MAX_TOKENS for c in chunks)
    assert chunks[0].where.startswith(":1–") and chunks[-1].where.endswith("–401")
    assert "".join(c.text + "\n" for c in chunks) == "id,text\n" + rows + "\n"
    long_line = chunk([Part("x" * 9000)])   # no space to cut at: cut mid-word, and said where
    assert "".join(c.text for c in long_line) == "x" * 9000
    assert [c.where for c in long_line][:2] == [":1, chars 1–1,200", ":1, chars 1,201–2,400"]


def test_a_paragraph_on_one_line_is_cut_at_sentence_ends_and_each_piece_says_its_characters():
    sentence = "The budget for rockets is large and grows every year. "
    line = sentence * 800
    text = "# Budget\n\n" + line
    chunks = chunk([Part(text)])
    assert len(chunks) > 30 and all(estimate_tokens(c.text) <= MAX_TOKENS for c in chunks)
    assert chunks[0].text.startswith("# Budget\n\nThe budget") and chunks[0].where.startswith(":1–3, line 3 to char ")
    assert all(c.text.endswith("year. ") for c in chunks[:-1]), "cut at a sentence end"
    assert len({c.where for c in chunks}) == len(chunks), "no two pieces read the same"
    for c in chunks[1:]:
        first, last = (int(n.replace(",", "")) for n in c.where.removeprefix(":3, chars ").split("–"))
        assert line[first - 1:last] == c.text, f"{c.where} names another part of the line"
    words = chunk([Part("budget " * 2000)])
    assert all(c.text.endswith("budget ") for c in words[:-1]), "no sentence end: cut at a space"
    russian = chunk([Part("Бюджет растёт. " * 600)])
    assert all(len(c.text.encode()) <= 1200 and c.text.endswith("растёт. ") for c in russian[:-1])


def test_rst_and_setext_headings_and_top_level_definitions_count_as_headings():
    body = paragraph("filler", 150)
    text = f"Title\n=====\n\n{body}\n\nNext\n----\n\n{body}\n\ndef helper():\n    return 1\n"
    assert [c.text.splitlines()[0] for c in chunk([Part(text)])] == ["Title", "Next", "def helper():"]


def test_cells_and_pages_are_named_and_small_ones_share_a_chunk():
    cells = [Part("# Load\nimport pandas", "cell", 1), Part("df.head()", "cell", 2),
             Part(paragraph("big", 497), "cell", 4)]
    assert [c.where for c in chunk(cells)] == [" cells 1–2", " cell 4"]
    pages = [Part(paragraph("page", 300), "page", n) for n in (1, 2)]
    assert [c.where for c in chunk(pages)] == [" p. 1", " p. 2"]
    assert [c.where for c in chunk([Part("a", "page", 1), Part("b", "page", 2)])] == [" pp. 1–2"]


def test_the_same_text_gives_the_same_chunks():
    text = "\n\n".join(paragraph(f"w{n}", 30) for n in range(50))
    assert chunk([Part(text)]) == chunk([Part(text)])


def test_lines_are_numbered_as_an_editor_numbers_them_form_feeds_and_all():
    # what `pdftotext report.pdf` writes: a form feed starts each page after the first
    pages = ["\n".join(f"Page {p} line {i}: the revenue of region {p}-{i} grew by {i * p} percent."
                       for i in range(1, 30)) for p in range(1, 11)]
    text = "\n\x0c".join(pages) + "\n\x0b\x1c\x85\u2028 end\n"
    editor = text.split("\n")   # what an editor, grep -n and GitHub number
    chunks = chunk([Part(text)])
    for piece in chunks:
        first, _, last = piece.where[1:].partition("–")
        assert editor[int(first) - 1] == piece.text.split("\n")[0]
        assert int(last or first) <= len(editor) - 1
    assert chunks[-1].text.endswith("\x0b\x1c\x85\u2028 end")
