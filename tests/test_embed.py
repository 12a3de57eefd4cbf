"""%ygpt embed through a real shell and the local server: the matrix a user gets, what the server
received (TextEmbedding requests), the cache and memo sparing re-runs, and every bad input
answered with one paragraph. %ygpt similar's tests are in test_similar.py."""

from __future__ import annotations

import re
import threading
import time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from cellrun import assert_interrupted
from conftest import TEST_KEY, cell
from presses import ctrl_c_after

from ygpt_magic.chat import RequestOptions
from ygpt_magic.chat.prices import roubles
from ygpt_magic.emulator import start_local_server

CATS = ["Cats sleep in warm sunny places.", "Tax returns are due in April.",
        "Dogs like long walks in the park.", "A cat naps on the warm windowsill."]

#: pd.concat(axis=1) of two frames that share a column: df["text"] is a DataFrame
TWO_TEXT_COLUMNS = pd.concat([pd.DataFrame({"text": ["a cat"]}), pd.DataFrame({"text": ["a dog"]})], axis=1)


def embedded(server) -> list[str]:
    """The texts the server was asked to embed, in order."""
    return [r.messages[-1]["text"] for r in server.requests if r.method == "TextEmbedding"]


@pytest.fixture
def cache_file(shell, tmp_path):
    path = tmp_path / "replies.sqlite"
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(path)!r}")
    return path


def test_a_list_becomes_a_float32_matrix_in_its_order(shell, ygpt_server):
    shell.user_ns["docs"] = CATS
    run = cell(shell, "%ygpt embed docs --out vectors")
    assert run.ok, run.message
    vectors = shell.user_ns["vectors"]
    assert isinstance(vectors, np.ndarray) and vectors.dtype == np.float32 and vectors.shape == (4, 256)
    assert sorted(embedded(ygpt_server)) == sorted(CATS)
    assert all("text-search-doc" in r.model_uri for r in ygpt_server.requests if r.method == "TextEmbedding")
    done = shell.user_ns["_ygpt"]
    assert done.embeddings is vectors and done.errors == {} and done.answered == 4
    assert "✓ 4 answered" in run.stdout and "texts/s" in run.stdout
    assert repr(done).startswith("<EmbedRun 4 × 256 (text-search-doc)")
    # rows keep NAME's order: the two cat sentences are each other's closest
    similarity = vectors @ vectors.T
    assert np.argsort(-similarity[0])[1] == 3


def test_the_summary_says_what_the_texts_sent_cost_by_the_price_table(shell, ygpt_server):
    """Like every other run's summary and a reply's footer, the roubles follow the tokens; a
    price of your own (YGptMagics.prices) is the one shown."""
    shell.user_ns["docs"] = CATS
    run = cell(shell, "%ygpt embed docs")
    tokens = shell.user_ns["_ygpt"].usage.total_tokens
    table = Decimal("0.01")   # text-search-doc, roubles per 1,000 tokens (docs/guide/cost.md)
    assert tokens > 0 and f"{tokens:,} → 0 tokens · {roubles(tokens * table / 1000)} · " in run.stdout
    shell.run_line_magic("config", 'YGptMagics.prices = {"text-search-doc": 3}')
    shell.user_ns["docs"] = [text.upper() for text in CATS]
    run = cell(shell, "%ygpt embed docs")
    tokens = shell.user_ns["_ygpt"].usage.total_tokens
    assert f"{tokens:,} → 0 tokens · {roubles(Decimal(tokens) * 3 / 1000)} · " in run.stdout


def test_a_rerun_embeds_only_new_texts_and_a_restart_with_the_cache_none(shell, ygpt_server, cache_file):
    shell.user_ns["docs"] = CATS[:2]
    assert cell(shell, "%ygpt embed docs --out first").ok
    shell.user_ns["docs"] = CATS
    ygpt_server.requests.clear()
    run = cell(shell, "%ygpt embed docs --out second")
    assert run.ok, run.message
    assert sorted(embedded(ygpt_server)) == sorted(CATS[2:])   # only the new ones
    assert np.array_equal(shell.user_ns["first"], shell.user_ns["second"][:2])
    assert "(2 from this kernel's earlier runs)" in run.stdout
    shell.extension_manager.unload_extension("ygpt_magic")   # a kernel restart, the cache kept
    shell.extension_manager.load_extension("ygpt_magic")
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    ygpt_server.requests.clear()
    run = cell(shell, "%ygpt embed docs --out third")
    assert run.ok, run.message
    assert embedded(ygpt_server) == []
    assert np.array_equal(shell.user_ns["second"], shell.user_ns["third"])
    assert "4 texts already embedded (4 from the reply cache)" in run.stdout
    assert cache_file.read_bytes().count(b"Cats sleep") == 0   # the key holds no text


def test_a_series_and_a_dataframe_column_and_the_query_model(shell, ygpt_server):
    shell.user_ns["frame"] = pd.DataFrame({"body": CATS[:2], "stars": [5, 1]}, index=["a", "b"])
    assert cell(shell, "%ygpt embed frame --column body --model query --out v").ok
    assert shell.user_ns["v"].shape == (2, 256)
    assert all("text-search-query" in r.model_uri for r in ygpt_server.requests if r.method == "TextEmbedding")
    shell.user_ns["series"] = pd.Series(CATS[2:], index=[7, 9])
    assert cell(shell, "%ygpt embed series --out w").ok
    assert shell.user_ns["w"].shape == (2, 256)


@pytest.mark.parametrize(("value", "line", "words"), [
    (["fine", 5, None, float("nan")], "embed docs", ["3 of the 4 rows", "1 (int 5)", "2 (None)", "3 (NaN)"]),
    (["", "cats sleep", "   "], "embed docs", ["2 of the 3 rows", "0 (empty)", "2 (blank)", "t.strip()"]),
    (["cats sleep", ""], "similar cats --in docs", ["1 of the 2 rows", "1 (empty)"]),
    ([], "embed docs", ["has no rows"]),
    (pd.DataFrame({"body": ["x"]}), "embed docs --column text", ["no column 'text'", "'body'"]),
    (pd.DataFrame({"body": ["x"]}), "embed docs", ["--column C", "'body'"]),
    (["x"], "embed docs --model yandexgpt", ["not an embedding model", "doc", "query", "emb://"]),
    ("just one string", "embed docs", ["is a str", "list"]),
    ([], "similar cats --in docs", ["has no rows"]),
    (["x"], "embed missing", ["no variable named 'missing'"]),
    (["x"], "similar cats", ["--in NAME"]),
    (["x"], 'similar "" --in docs', ["TEXT is empty", "%ygpt similar where cats sleep --in docs"]),
    (["x"], "similar '   ' --in docs", ["TEXT is empty"]),
    (TWO_TEXT_COLUMNS, "embed docs --column text", ["2 columns named 'text'", "--column text", "docs.columns ="]),
    (TWO_TEXT_COLUMNS, "similar cat --in docs --column text", ["%ygpt similar", "2 columns named 'text'"]),
])
def test_bad_input_gets_one_paragraph_and_nothing_is_sent(shell, ygpt_server, value, line, words):
    shell.user_ns["docs"] = value
    run = cell(shell, f"%ygpt {line}")
    assert not run.ok and run.typed_error is not None, run.message
    assert "Traceback" not in run.message and "\n" not in run.message.strip()
    for word in words:
        assert word in run.message
    assert embedded(ygpt_server) == []


def test_a_text_the_server_refuses_says_what_to_check_for_an_embedding(shell, ygpt_server):
    shell.user_ns["docs"] = CATS
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", "a value is wrong", method="TextEmbedding")
    assert cell(shell, "%ygpt embed docs --out v --concurrency 1").ok
    reason = shell.user_ns["_ygpt"].errors[0]
    assert "INVALID_ARGUMENT" in reason and "embedding model" in reason and "temperature" not in reason


#: the cloud's words for a text over an embedding model's token limit (the completion's form of it,
#: "number of input tokens must be no more than 8192, got 9136", is the one the cloud was seen to send)
CLOUD_TOO_MANY_TOKENS = "number of input tokens must be no more than 2048, got 3003"


@pytest.mark.parametrize("injected", [None, CLOUD_TOO_MANY_TOKENS], ids=["local server", "cloud"])
def test_an_embedding_over_the_limit_says_so_in_embedding_words(shell, ygpt_server, injected):
    """An embedding reads one text: no chat history, system message or cell to shorten."""
    shell.user_ns["texts"] = ["word " * 3000]
    if injected:
        ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", injected, method="TextEmbedding")
    run = cell(shell, "%ygpt embed texts")
    assert "1 text too long to embed" in run.stdout, run.stdout
    reason = shell.user_ns["_ygpt"].errors[0]
    limit = "2,048" if injected else "2,000"
    assert f"This text is 3,003 tokens, and an embedding model takes at most {limit}" in reason, reason
    assert "Split it into shorter pieces" in reason
    assert "chat history" not in reason and "system message" not in reason and "cell" not in reason, reason


def test_an_embedding_model_the_server_does_not_know_is_named_with_the_embedding_models(shell, ygpt_server):
    """The local server answers as the cloud does (INVALID_ARGUMENT "invalid model_uri"); the
    advice is the embedding models', not a chat model's."""
    shell.user_ns["docs"] = CATS
    cell(shell, "%ygpt embed docs --model emb://b1gtestfolder/nosuch/latest")
    reason = shell.user_ns["_ygpt"].errors[0]
    assert "The embedding model 'nosuch/latest' was not found (INVALID_ARGUMENT)" in reason
    assert "--model doc" in reason and "query" in reason and "invalid model_uri" in reason, reason
    assert "yandexgpt" not in reason and "temperature" not in reason, reason


def test_a_failed_text_is_a_row_of_nan_with_its_reason_and_the_others_come_back(shell, ygpt_server):
    shell.user_ns["docs"] = CATS
    ygpt_server.faults.fail_next(1, "INTERNAL", "the model broke on this text", method="TextEmbedding")
    run = cell(shell, "%ygpt embed docs --out v --concurrency 1")
    assert run.ok, run.message
    done, vectors = shell.user_ns["_ygpt"], shell.user_ns["v"]
    assert done.failed == 1 and list(done.errors) == [0]
    assert "broke on this text" in done.errors[0]
    assert np.isnan(vectors[0]).all() and not np.isnan(vectors[1:]).any()
    assert "✗ 1 failed" in run.stdout
    ygpt_server.requests.clear()
    assert cell(shell, "%ygpt embed docs --out v").ok
    assert embedded(ygpt_server) == [CATS[0]] and not np.isnan(shell.user_ns["v"]).any()


def test_a_text_holding_the_credential_is_refused_naming_its_row_and_never_sent_or_cached(
        shell, ygpt_server, cache_file):
    leaky = f"my key is {TEST_KEY}"
    shell.user_ns["docs"] = [CATS[0], leaky]
    run = cell(shell, "%ygpt embed docs --out v")
    assert run.ok, run.message
    done = shell.user_ns["_ygpt"]
    assert list(done.errors) == [1] and "credential" in done.errors[1].lower()
    assert TEST_KEY not in done.errors[1] and TEST_KEY not in run.stdout + run.shown
    assert leaky not in embedded(ygpt_server)
    assert TEST_KEY[4:20].encode() not in cache_file.read_bytes()


@pytest.mark.parametrize("cached", [False, True])
def test_a_text_refused_before_sending_is_not_told_to_run_again_alone(shell, ygpt_server, cache_file, cached):
    if not cached:
        shell.run_line_magic("config", "YGptMagics.cache_mode = 'off'")
    shell.user_ns["docs"] = [f"my key is {TEST_KEY}", *CATS[:2]]
    run = cell(shell, "%ygpt embed docs --out v")
    assert run.ok, run.message
    assert "Run the cell again to send only those" not in run.stdout
    assert "1 row without an answer, not sent: _ygpt.errors says what is wrong with its data" in run.stdout


def test_a_text_the_server_refuses_as_too_long_is_told_to_fix_its_data_not_to_run_again(shell, ygpt_server):
    """findings/advice.md F4: the summary said "Run the cell again to send only those", and the
    re-run was refused the same way; a text too long is its data's fault, as --map says of a
    row too long. Done as it says (the row split), the run answers every row."""
    shell.user_ns["df"] = pd.DataFrame({"t": ["short", "word " * 3000, "ok"]})
    run = cell(shell, "%ygpt embed df --column t --out v")
    assert run.ok, run.message
    assert "Run the cell again to send only those" not in run.stdout, run.stdout
    assert "1 row without an answer: _ygpt.errors says what is wrong with its data" in run.stdout, run.stdout
    assert "Split it into shorter pieces" in shell.user_ns["_ygpt"].errors[1]
    shell.user_ns["df"] = pd.DataFrame({"t": ["short", *["word " * 1000] * 3, "ok"]})
    again = cell(shell, "%ygpt embed df --column t --out v")
    assert again.ok and shell.user_ns["_ygpt"].left == 0, again.stdout
    assert not np.isnan(shell.user_ns["v"]).any()


def test_bursts_of_resource_exhausted_lose_nothing(shell, ygpt_server):
    texts = [f"note number {i}" for i in range(40)]
    shell.user_ns["docs"] = texts
    ygpt_server.faults.fail_next(9, "RESOURCE_EXHAUSTED", method="TextEmbedding")
    run = cell(shell, "%ygpt embed docs --out v --concurrency 8")
    assert run.ok, run.message
    assert not np.isnan(shell.user_ns["v"]).any() and shell.user_ns["_ygpt"].answered == 40


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_a_server_killed_mid_run_loses_no_vector_and_the_next_server_gets_only_the_rest(shell):
    texts = [f"entry {i} of the log" for i in range(60)]
    shell.user_ns["docs"] = texts
    for setting in ("retries = 0", "timeout = 5", "connect_timeout = 1"):
        shell.run_line_magic("config", f"YGptMagics.{setting}")
    with start_local_server() as first:
        shell.run_line_magic("ygpt", f"connect {first.address} --insecure")
        first.faults.latency(0.05)
        threading.Timer(0.5, first.stop).start()
        started = time.monotonic()
        run = cell(shell, "%ygpt embed docs --out v --concurrency 2")
        took = time.monotonic() - started
    assert run.ok, run.message   # a failed row is a row of NaN with its reason, not a traceback
    done, vectors = shell.user_ns["_ygpt"], shell.user_ns["v"]
    kept = ~np.isnan(vectors).any(axis=1)
    assert 0 < done.answered == kept.sum() < 60 and "server" in " ".join(done.errors.values()).lower()
    # the rest end as soon as the server is known gone, not each after the 5 s request timeout,
    # and the reason is the server, not the reply's length
    assert took < 10, f"{took:.1f} s"
    assert all("stopped answering" in reason and "timeout" not in reason for reason in done.errors.values())
    with start_local_server() as second:
        shell.run_line_magic("ygpt", f"connect {second.address} --insecure")
        assert cell(shell, "%ygpt embed docs --out v").ok
        assert sorted(embedded(second)) == sorted(t for t, k in zip(texts, kept) if not k)
    assert not np.isnan(shell.user_ns["v"]).any()


def test_ctrl_c_keeps_every_vector_that_arrived(shell, ygpt_server):
    texts = [f"line {i}" for i in range(100)]
    shell.user_ns["docs"] = texts
    ygpt_server.faults.latency(0.05)
    presser = ctrl_c_after(ygpt_server, "TextEmbedding", 4)
    run = cell(shell, "%ygpt embed docs --out v --concurrency 2")
    presser.join()
    assert_interrupted(run)   # Run All stops here
    stopped, vectors = shell.user_ns["_ygpt"], shell.user_ns["v"]
    kept = ~np.isnan(vectors).any(axis=1)
    assert 0 < stopped.answered == kept.sum() < 100
    assert "Stopped:" in run.stdout
    ygpt_server.faults.clear()
    time.sleep(0.2)
    ygpt_server.requests.clear()
    assert cell(shell, "%ygpt embed docs --out v").ok
    assert sorted(embedded(ygpt_server)) == sorted(t for t, k in zip(texts, kept) if not k)


def test_dry_run_counts_tokens_and_embeds_nothing(shell, ygpt_server):
    shell.user_ns["docs"] = CATS
    run = cell(shell, "%ygpt embed docs --dry-run")
    assert run.ok, run.message
    assert "4 texts to embed" in run.shown and "tokenizer API" in run.shown
    assert embedded(ygpt_server) == []


def test_dry_run_counts_the_tokens_an_embedding_is_billed_not_a_chat_request(shell, ygpt_server, magics):
    """The only tokenizer counts a text as a chat message; the dry run takes the chat template
    off and adds the marks an embedding model adds to each text, so its estimate is what the run
    is billed, within a few percent, and well under what the texts count as chat messages."""
    docs = shell.user_ns["docs"] = [f"row {i} speaks of item {i * 3}" for i in range(10)]
    dry = cell(shell, "%ygpt embed docs --dry-run")
    assert dry.ok, dry.message
    estimated = int(re.search(r"([\d,]+) tokens in all", dry.shown).group(1).replace(",", ""))
    assert cell(shell, "%ygpt embed docs").ok
    billed, slack = shell.user_ns["_ygpt"].usage.input_tokens, 2 * len(docs)
    assert abs(estimated - billed) <= 0.03 * billed, (estimated, billed)
    client = magics.kernel.connection.client()
    as_chat = sum(client.count_tokens([{"role": "user", "text": text}], RequestOptions()) for text in docs)
    assert estimated < as_chat - slack, (estimated, as_chat)


def test_dry_run_prices_only_the_texts_the_run_sends_as_its_cost_cap_does(shell, ygpt_server, magics):
    """findings/meaning8.md 4: after a run, the dry run priced every text as if it were sent
    (300 texts, ≈0.03 ₽) while the run, and its --max-cost, sent and priced only the 2 edited;
    with every text embedded it still priced them all, where the run said none was sent again.
    It says how many are already embedded and where, and prices the rest, by the run's tokens."""
    magics.max_cost_per_cell = 100
    docs = shell.user_ns["docs"] = list(CATS)
    assert cell(shell, "%ygpt embed docs").ok
    docs[1] = "Tax returns are due in May this year."
    dry = cell(shell, "%ygpt embed docs --dry-run")
    assert dry.ok, dry.message
    assert ("4 texts to embed (3 already embedded by this kernel's earlier runs: nothing is sent for "
            "them; 1 to send)") in dry.shown, dry.shown
    estimated = int(re.search(r"([\d,]+) tokens in all", dry.shown).group(1).replace(",", ""))
    ygpt_server.reset()
    assert cell(shell, "%ygpt embed docs").ok
    assert embedded(ygpt_server) == [docs[1]]
    assert estimated == shell.user_ns["_ygpt"].usage.input_tokens
    ygpt_server.reset()
    dry = cell(shell, "%ygpt embed docs --dry-run")
    assert dry.ok, dry.message
    assert ("4 texts, all already embedded by this kernel's earlier runs: the run would send none of "
            "them") in dry.shown, dry.shown
    assert "Estimated cost" not in dry.shown and ygpt_server.requests == []


def test_a_notebook_of_embed_similar_and_dry_runs_replays_with_no_server(shell, ygpt_server, cache_file):
    shell.user_ns["docs"] = CATS
    lines = ["%ygpt embed docs --dry-run", "%ygpt embed docs --out v --max-cost 5",
             "%ygpt similar where do cats sleep --in docs --top 2"]
    recorded = [cell(shell, line) for line in lines]
    assert all(run.ok for run in recorded), [run.message for run in recorded]
    shell.extension_manager.unload_extension("ygpt_magic")   # a restart: no memo, no server
    shell.extension_manager.load_extension("ygpt_magic")
    shell.run_line_magic("ygpt", "connect 127.0.0.1:9 --insecure")  # nobody listens there
    shell.run_line_magic("ygpt", "cache --mode replay")
    ygpt_server.reset()
    replayed = [cell(shell, line) for line in lines]
    assert all(run.ok for run in replayed), [run.message for run in replayed]
    assert replayed[2].shown == recorded[2].shown
    assert "4 texts to embed" in recorded[0].shown   # recorded before the run: every text priced
    assert "4 texts, all already embedded in the reply cache: the run would send none" in replayed[0].shown
    assert ygpt_server.requests == []


def test_embeddings_are_entered_in_the_accounts(shell, ygpt_server):
    shell.user_ns["docs"] = CATS
    assert cell(shell, "%ygpt embed docs").ok
    run = cell(shell, "%ygpt usage")
    assert run.ok and "embeddings" in run.shown and "text-search-doc" in run.shown
