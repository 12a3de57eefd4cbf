"""--docs over a table (CSV, TSV): each chunk of rows reaches the model, and the index, under the
table's header line, so a source is readable on its own, and still cites the lines of its rows.
Through a real shell and the local server."""

from __future__ import annotations

import random
import re

import pytest
from conftest import cell, completions

from ygpt_magic.sources.chunks import MAX_TOKENS, estimate_tokens

pytestmark = pytest.mark.usefixtures("fresh_names")

HEADER = "city,month,revenue_thousand_rub,returns,orders"


@pytest.fixture
def sales(tmp_path, monkeypatch):
    """An export of 2,400 rows under one header line, the notebook's folder holding it."""
    rng = random.Random(1)
    rows = [f"{city},{month},{rng.randint(100, 999)},{rng.randint(1, 99)},{rng.randint(100, 999)}"
            for month in range(1, 13) for city in ("Moscow", "Kazan", "Tomsk", "Omsk", "Perm") for _ in range(40)]
    (tmp_path / "sales.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "sales.csv"


def doc_embeddings(server) -> list[str]:
    return [r.messages[0]["text"] for r in server.requests
            if r.method == "TextEmbedding" and r.model_uri.endswith("text-search-doc/latest")]


def test_every_source_of_a_csv_carries_its_header_and_cites_its_rows(shell, ygpt_server, sales):
    """Chunks after the first were rows of bare numbers (`Moscow,12,251,53,885`): the model could
    not tell revenue from orders, and only the chunk holding line 1 had a column's name."""
    ygpt_server.reset()
    run = cell(shell, "%%ygpt --docs sales.csv --once --top-k 2\nHow did Kazan do in month 11? Give the numbers.")
    assert run.ok, run.message
    chunks = doc_embeddings(ygpt_server)
    assert len(chunks) > 20 and all(text.startswith(HEADER + "\n") for text in chunks)
    assert all(estimate_tokens(text) <= MAX_TOKENS for text in chunks), "the header counts in a chunk's size"
    lines = sales.read_text(encoding="utf-8").split("\n")
    sources = shell.user_ns["_ygpt"].sources
    assert len(sources) == 2
    for source in sources:
        first, last = map(int, re.fullmatch(r":?(\d+)–(\d+)", source["where"]).groups())
        rows = source["text"].split("\n")
        assert rows[0] == HEADER
        assert rows[1:] == lines[first - 1:last] or (first == 1 and rows == lines[:last]), source["where"]
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    assert sent.count(f"\n{HEADER}\n") == 2, sent[:600]


def test_a_tsv_is_read_and_chunked_under_its_header(shell, ygpt_server, tmp_path, monkeypatch):
    header = "city\tmonth\trevenue"
    (tmp_path / "sales.tsv").write_text(header + "\n" + "\n".join(f"Kazan\t{m}\t{m * 37}" for m in range(3000)),
                                        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    ygpt_server.reset()
    run = cell(shell, "%%ygpt --docs sales.tsv --once --top-k 1\nWhat was Kazan's revenue in month 2500?")
    assert run.ok, run.message
    chunks = doc_embeddings(ygpt_server)
    assert len(chunks) > 5 and all(text.startswith(header + "\n") for text in chunks)
