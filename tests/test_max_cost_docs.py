"""What a --docs cell costs before it runs, and the cap that stops it: the dry run says what
indexing the files cost; a cap refuses a cell whose files cost more to index than it allows
with nothing embedded, caps the request with what choosing its sources cost, and prices only the
chunks the reply cache will not replay. Prices as in test_max_cost: a rouble a token."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from cellrun import assert_clear_error
from conftest import cell, completions
from test_max_cost import priced, roubles_in  # noqa: F401 (a fixture)

from ygpt_magic.errors import CostOverCap

pytestmark = pytest.mark.usefixtures("fresh_names")


#: a rouble a token for the answer and for both embedding models
EVERY_ROUBLE_A_TOKEN = ('YGptMagics.prices = {"yandexgpt": 1000, "text-search-doc": 1000, '
                        '"text-search-query": 1000}')


@pytest.mark.usefixtures("priced")
def test_a_docs_dry_run_embeds_nothing_and_says_what_indexing_and_the_answer_would_cost(
        shell, ygpt_server, folder, magics):
    """A dry run over a folder not yet indexed sent every chunk to be embedded (≈5.60 ₽ for a
    2 MB CSV), then said "Nothing was sent". It sends nothing that costs money now: the chunks
    and the question are priced by the tokenizer, and the answer with the longest chunks in
    place of the sources it cannot choose."""
    shell.run_line_magic("config", EVERY_ROUBLE_A_TOKEN)
    ygpt_server.reset()
    source = "%%ygpt --docs notes --once{}\nWhat about budgets?"
    dry = cell(shell, source.format(" --dry-run"))
    assert dry.ok, dry.message
    assert untokenized(ygpt_server) == [], "only the tokenizer, which costs nothing, was asked"
    said = re.search(r"Not embedded: choosing the sources needs 12 new chunks of 3 files \(([\d,]+) tokens in all "
                     r"by the tokenizer API\) and the question \((\d+) tokens\) embedded first, estimated at "
                     r"≈([\d\u00a0.]+)\u00a0₽\. A dry run sends nothing that costs money", dry.plain)
    assert said, dry.plain[:600]
    chunks, question = (int(n.replace(",", "")) for n in said.groups()[:2])
    assert Decimal(said[3].replace("\u00a0", "")) == chunks + question
    assert "The sources go here" in dry.plain and "[1] notes/" not in dry.plain
    answer = re.search(r"Estimated cost ≈[\d\u00a0.]+\u00a0₽: ([\d,]+) input tokens", dry.plain)
    assert "No request has been answered" in cell(shell, "%ygpt usage").plain
    run = cell(shell, source.format(""))
    assert run.ok, run.message
    assert f"Indexed 12 new chunks of 3 files: {chunks:,} tokens" in run.page, "the estimate is the bill"
    reply = shell.user_ns["_ygpt"]
    assert reply.usage.input_tokens <= int(answer[1].replace(",", "")), "the sources were counted at most"


@pytest.mark.usefixtures("priced")
def test_a_docs_dry_run_whose_vectors_are_held_shows_its_sources_and_embeds_nothing(
        shell, ygpt_server, folder, tmp_path):
    shell.run_line_magic("ygpt", f"cache {tmp_path / 'replies.sqlite'}")
    assert cell(shell, "%%ygpt --docs notes --once\nWhat about budgets?").ok
    ygpt_server.reset()
    dry = cell(shell, "%%ygpt --docs notes --once --dry-run\nWhat about budgets?")
    assert dry.ok and "[1] notes/" in dry.plain and "The sources go here" not in dry.plain
    assert "Choosing the sources sent no embedding request: every vector it needed was held already" in dry.plain
    assert untokenized(ygpt_server) == []
    asked = cell(shell, "%%ygpt --docs notes --once --dry-run\nWhat about rockets?")
    assert "choosing the sources needs the question (" in asked.plain and "new chunk" not in asked.plain
    assert untokenized(ygpt_server) == []


def doc_embeddings(server) -> list[str]:
    return [r.messages[0]["text"] for r in server.requests
            if r.method == "TextEmbedding" and r.model_uri.endswith("text-search-doc/latest")]


def untokenized(server) -> list:
    """The requests other than the tokenizer's: what the cap's counting sends is not embedded."""
    return [r for r in server.requests if not r.method.startswith("Tokenize")]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """Three notes of 12 chunks in all (about 3,100 tokens to index: ≈0.03 ₽ at the table's
    0.01 ₽ per 1,000 tokens), the notebook's folder being their parent."""
    notes = tmp_path / "notes"
    notes.mkdir()
    for n in range(3):
        (notes / f"n{n}.md").write_text("\n\n".join(
            f"# Part {p}\n\n" + f"Paragraph {n} {p} about budgets and rockets. " * 25 for p in range(4)),
            encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return notes


@pytest.mark.usefixtures("priced")
def test_a_docs_cell_whose_files_cost_more_to_index_than_its_cap_embeds_nothing(shell, ygpt_server, folder):
    ygpt_server.reset()
    message = assert_clear_error(cell(shell, "%%ygpt --docs notes --once --max-cost 0.00001\nWhat about budgets?"),
                                 "choosing the sources", "12 new chunks", "over the cap of 0.00001",
                                 "nothing was sent", "--max-cost 1", "fewer files", error_type=CostOverCap)
    assert "(text-search-doc, sync)" in message
    assert untokenized(ygpt_server) == [], "refused before any embedding, as it says"
    shell.run_line_magic("config", "YGptMagics.max_cost_per_cell = 0.00001")
    assert_clear_error(cell(shell, "%%ygpt --docs notes --once\nWhat about budgets?"), "nothing was sent",
                       error_type=CostOverCap)
    assert untokenized(ygpt_server) == []


@pytest.mark.usefixtures("priced")
def test_a_cap_that_lets_the_indexing_go_but_not_the_answer_is_refused_before_anything_is_embedded(
        shell, ygpt_server, folder):
    """The cap was checked against indexing alone: a cap above it (as the refusal advised) paid
    for every chunk, then refused the answer they were embedded for. The whole cell is checked
    now, indexing plus the answer as --dry-run prices them, before anything is sent; the cap it
    advises lets the whole cell run."""
    source = "%%ygpt --docs notes --once{}\nWhat about budgets?"
    dry = cell(shell, source.format(" --dry-run"))
    indexing = roubles_in(dry.plain.split("Not embedded:")[1])
    answer = roubles_in(dry.plain.split("Estimated cost")[1].join(["Estimated cost", ""]))
    ygpt_server.reset()
    message = assert_clear_error(cell(shell, source.format(" --max-cost 5")), "12 new chunks",
                                 "over the cap of 5", "so nothing was sent", error_type=CostOverCap)
    assert indexing < 5 < indexing + answer, (indexing, answer)
    said = re.search(r"Together ≈([\d\u00a0.]+)\u00a0₽, over the cap", message)
    assert said and Decimal(said[1].replace("\u00a0", "")) == indexing + answer, message
    assert "already spent on embeddings" not in message
    assert untokenized(ygpt_server) == [], "neither the chunks nor the question was embedded"
    advised = re.search(r"raise the cap \(--max-cost ([\d.]+)\)", message)
    assert advised and Decimal(advised[1]) >= indexing + answer, message
    ran = cell(shell, source.format(f" --max-cost {advised[1]}"))
    assert ran.ok, ran.message
    assert len(doc_embeddings(ygpt_server)) == 12 and len(completions(ygpt_server)) == 1


@pytest.mark.usefixtures("priced")
def test_a_docs_cell_prices_only_the_chunks_the_reply_cache_will_not_replay(shell, ygpt_server, folder, tmp_path):
    """A fresh checkout keeps the reply cache, not the index beside it: the chunks' vectors
    replay from the cache and cost nothing, so the cap prices only the chunks it will send."""
    shell.run_line_magic("config", 'YGptMagics.prices = {"text-search-doc": 1000}')   # 1 ₽ a token
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'replies.sqlite')!r}")
    source = "%%ygpt --docs notes --once --max-cost 100\nWhat about budgets?"
    assert_clear_error(cell(shell, source), "12 new chunks", "over the cap of 100", error_type=CostOverCap)
    assert cell(shell, source.replace("100", "100000")).ok and len(doc_embeddings(ygpt_server)) == 12
    shell.extension_manager.unload_extension("ygpt_magic")
    for index in tmp_path.glob("replies.sources.sqlite*"):
        index.unlink()
    shell.extension_manager.load_extension("ygpt_magic")
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    ygpt_server.reset()
    replayed = cell(shell, source)
    assert replayed.ok, replayed.message
    assert shell.user_ns["_ygpt"].cached and ygpt_server.requests == []
    (folder / "n3.md").write_text("\n\n".join(f"# New {p}\n\n" + f"Fresh words {p} on costs. " * 40
                                              for p in range(4)), encoding="utf-8")
    assert_clear_error(cell(shell, source), "4 new chunks", "over the cap of 100", error_type=CostOverCap)
    assert untokenized(ygpt_server) == []


@pytest.mark.usefixtures("priced")
@pytest.mark.slow
def test_indexing_stops_at_the_cap_when_the_chunks_hold_more_tokens_than_their_size_says(
        shell, ygpt_server, tmp_path, monkeypatch):
    """Chunks are priced before indexing from the tokenizer's count of a sample of them chosen
    by length, the others scaled by theirs; here every chunk has one length and the sample holds
    prose where the other chunks are tables of digits (under two bytes a token): priced low, 60
    chunks passed a cap that fitted their estimate, and used to spend more than twice it (every
    chunk embedded, then the request refused). Settled as each ends, like --map rows, the chunks
    stop being sent at the cap, and the cell says so."""
    from ygpt_magic.emulator.vectors import input_tokens
    from ygpt_magic.rows.scaled import sampled

    length = 1200
    prose = set(sampled([length] * 60))
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "numbers.txt").write_text("\n\n".join(
        (f"Table {p:02d}: " + ("Numbers follow in the next table. " * 40 if p in prose else
                               ", ".join(str((p + n) % 10) for n in range(500))))[:length]
        for p in range(60)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    shell.run_line_magic("config", 'YGptMagics.prices = {"text-search-doc": 1000, "yandexgpt": 1000}')
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'replies.sqlite')!r}")
    run = cell(shell, "%%ygpt --docs tables --once --max-cost 20000\nWhat is the largest number?")
    tokens = [input_tokens(text) for text in doc_embeddings(ygpt_server)]
    spent = sum(tokens)   # the server's count, 1 ₽ a token
    assert 0 < len(tokens) < 60, f"{len(tokens)} of 60 chunks embedded, {spent} ₽ for a cap of 20000 ₽"
    assert spent <= 20000 + 8 * max(tokens), f"{spent} ₽ for a cap of 20000 ₽"
    assert_clear_error(run, "stopped at the cost cap", f"once {len(tokens)} new chunks were embedded",
                       "the request were not sent", "higher --max-cost", error_type=CostOverCap)
    assert completions(ygpt_server) == []
    ygpt_server.reset()   # the reply cache kept every chunk embedded: a higher cap pays for the rest
    assert cell(shell, "%%ygpt --docs tables --once --max-cost 100000\nWhat is the largest number?").ok
    assert len(doc_embeddings(ygpt_server)) == 60 - len(tokens) and len(completions(ygpt_server)) == 1


@pytest.mark.usefixtures("priced")
def test_a_table_of_digits_is_priced_within_15_percent_of_its_bill_before_anything_is_sent(
        shell, ygpt_server, tmp_path, monkeypatch):
    """Priced from their size (4 bytes a token), 60 chunks of digits (under 2 bytes a token)
    came to less than half of what embedding them is billed. Counted by the tokenizer for a
    sample, as %ygpt embed counts its texts, the dry run names an estimate within 15% of the
    bill the run then gets by the server's count, and says what it is based on."""
    from ygpt_magic.emulator.vectors import input_tokens

    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "numbers.txt").write_text("\n\n".join(
        f"Table {p}: " + ", ".join(str((p * 7 + n * 3) % 100) for n in range(300)) for p in range(60)),
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    shell.run_line_magic("config", 'YGptMagics.prices = {"text-search-doc": 1000, "yandexgpt": 1000}')
    dry = cell(shell, "%%ygpt --docs tables --once --dry-run\nWhat is the largest number?")
    assert dry.ok, dry.message
    assert "60 new chunks of tables/numbers.txt (about " in dry.plain
    assert "of the 60 chunks counted by the tokenizer API" in dry.plain
    assert doc_embeddings(ygpt_server) == []
    estimate = roubles_in(dry.plain)
    assert cell(shell, "%%ygpt --docs tables --once\nWhat is the largest number?").ok
    billed = sum(input_tokens(text) for text in doc_embeddings(ygpt_server))   # 1 ₽ a token
    assert len(doc_embeddings(ygpt_server)) == 60
    assert abs(estimate - billed) <= Decimal("0.15") * billed, (estimate, billed)
