"""%%ygpt --docs PATHS: answers from the user's files, through a real shell and the local server.
What the user sees (the sources under the reply, _ygpt.sources), what the server received (the
numbered sources and the instruction in the request, the embedding requests by model), and what
the index keeps (an unchanged file is never embedded twice; no credential)."""

from __future__ import annotations

import os
import re
import signal
import threading
import time

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clean, assert_clear_error
from conftest import TEST_KEY, cell, completions
from sources_helpers import pdf_bytes, without_pypdf

from ygpt_magic import errors
from ygpt_magic.sources import SIZE_LIMIT

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

NOTES = {
    "cats.md": "# Cats\n\nCats sleep sixteen hours a day, mostly in warm sunny spots by the window.\n",
    "rockets.md": "# Rockets\n\nA rocket engine burns fuel and oxidizer to push the rocket upward.\n",
    "bread.md": "# Bread\n\nKnead the dough for ten minutes, let it rise, then bake at 220 degrees.\n",
}
QUESTION = "Where do cats sleep during the day?"
#: an address where no server listens
NOWHERE = "127.0.0.1:9"


@pytest.fixture
def notes(tmp_path, monkeypatch):
    """A folder of three small Markdown notes, the notebook's folder being its parent."""
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return folder


def embedded(server, model: str) -> list[str]:
    """The texts the server embedded with ``model`` (doc or query)."""
    return [r.messages[0]["text"] for r in server.requests
            if r.method == "TextEmbedding" and r.model_uri.endswith(f"text-search-{model}/latest")]


def test_the_right_note_is_source_one_and_the_reply_shows_its_sources(shell, ygpt_server, notes):
    ygpt_server.reset()
    run = cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}")
    assert run.ok, run.message
    assert_clean(run)
    sources = shell.user_ns["_ygpt"].sources
    assert sources[0]["number"] == 1 and sources[0]["path"] == "notes/cats.md"
    assert "sixteen hours" in sources[0]["text"] and 0 < sources[0]["score"] <= 1
    assert len(sources) == 3 and sorted(s["path"] for s in sources) == [f"notes/{n}" for n in sorted(NOTES)]
    assert f"[1] notes/cats.md:{sources[0]['where']} · " in run.stdout + run.shown
    [sent] = completions(ygpt_server)
    text = sent.messages[-1]["text"]
    assert text.startswith(shell.magics_manager.registry["YGptMagics"].docs_instruction)
    assert "[1] notes/cats.md:" in text and text.endswith(f"Question: {QUESTION}")
    assert len(embedded(ygpt_server, "doc")) == 3   # one chunk per small note
    assert embedded(ygpt_server, "query") == [QUESTION]
    assert f"(“{QUESTION.splitlines()[0][:40]}" in cell(shell, "%ygpt provenance").plain, "named by its question"


def _stop_while_it_streams(server) -> None:
    """Ctrl-C 0.6 s after the completion request reaches the server, from another thread."""
    before = len(server.requests)

    def press() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if any(request.method == "Completion" for request in server.requests[before:]):
                time.sleep(0.6)
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
                return
            time.sleep(0.01)
    threading.Thread(target=press, daemon=True).start()


@pytest.mark.slow
def test_a_reply_stopped_with_ctrl_c_keeps_its_sources(shell, ygpt_server, notes):
    """The stopped request was sent (and billed) with its sources: the partial answer drew on
    them, so they show under the ⏹ text and stay in _ygpt.sources, as a finished reply's do."""
    ygpt_server.faults.latency(0.2)
    _stop_while_it_streams(ygpt_server)
    run = cell(shell, f"%%ygpt --docs notes --once\n{QUESTION} Answer in a very long essay, at least 2000 words.")
    ygpt_server.faults.latency(0)
    stopped = shell.user_ns["_ygpt"]
    assert stopped.status == "INTERRUPTED" and "⏹" in run.stdout + run.shown
    assert getattr(stopped, "sources", None), "the stopped reply lost its sources"
    assert stopped.sources[0]["path"] == "notes/cats.md"
    assert f"[1] notes/cats.md:{stopped.sources[0]['where']} · " in run.stdout + run.shown


def test_a_rerun_embeds_no_file_and_a_changed_file_only_its_own_chunks(shell, ygpt_server, notes):
    assert cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}").ok
    ygpt_server.reset()
    assert cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}").ok
    assert embedded(ygpt_server, "doc") == [] and embedded(ygpt_server, "query") == [QUESTION]
    (notes / "bread.md").write_text(NOTES["bread.md"] + "\nRye bread needs a sourdough starter.\n",
                                    encoding="utf-8")
    ygpt_server.reset()
    assert cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}").ok
    again = embedded(ygpt_server, "doc")
    assert again and all("Rye" in text or "Knead" in text for text in again)


def test_dry_run_shows_the_instruction_and_the_sources_and_sends_nothing(shell, ygpt_server, notes, tmp_path):
    """Its vectors held (the files indexed, the question's recorded), a dry run shows the
    sources it would send; with none held it embeds nothing (test_max_cost_docs.py)."""
    shell.run_line_magic("ygpt", f"cache {tmp_path / 'replies.sqlite'}")
    assert cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}").ok
    shell.run_line_magic("config", "YGptMagics.docs_instruction = 'Use only these notes; cite [n].'")
    ygpt_server.reset()
    run = cell(shell, f"%%ygpt --docs notes --top-k 2 --dry-run\n{QUESTION}")
    assert run.ok, run.message
    assert "Use only these notes; cite [n]." in run.shown and "[1] notes/cats.md:" in run.shown
    assert "[2] notes/" in run.shown and "[3] notes/" not in run.shown
    assert completions(ygpt_server) == [] and embedded(ygpt_server, "doc") == embedded(ygpt_server, "query") == []


def test_each_chat_turn_retrieves_for_its_own_question(shell, ygpt_server, notes):
    assert cell(shell, f"%%ygpt --docs notes --chat study\n{QUESTION}", cell_id="a").ok
    assert cell(shell, "%%ygpt --docs notes --chat study\nHow does a rocket engine push upward?",
                cell_id="b").ok
    first, second = completions(ygpt_server)[-2:]
    assert "[1] notes/cats.md:" in first.messages[-1]["text"]
    assert "[1] notes/rockets.md:" in second.messages[-1]["text"]
    assert second.messages[0]["text"] == first.messages[-1]["text"]   # the history is what was sent
    assert shell.user_ns["_ygpt"].sources[0]["path"] == "notes/rockets.md"


def test_a_file_holding_the_key_is_refused_by_name_and_nothing_is_sent(shell, ygpt_server, notes):
    (notes / "settings.txt").write_text(f"api_key = {TEST_KEY}\n", encoding="utf-8")
    ygpt_server.reset()
    run = cell(shell, f"%%ygpt --docs notes\n{QUESTION}")
    assert_clear_error(run)
    assert "notes/settings.txt" in run.message
    assert ygpt_server.requests == []
    assert TEST_KEY not in run.shown


def test_the_index_file_beside_the_cache_keeps_no_credential(shell, ygpt_server, notes, tmp_path):
    cache = tmp_path / "ygpt.sqlite"
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(cache)!r}")
    (notes / "settings.txt").write_text(f"key {TEST_KEY}\n", encoding="utf-8")
    assert not cell(shell, f"%%ygpt --docs notes\n{QUESTION}").ok
    (notes / "settings.txt").unlink()
    assert cell(shell, f"%%ygpt --docs notes\n{QUESTION}").ok
    index = tmp_path / "ygpt.sources.sqlite"
    assert index.exists() and b"sixteen hours" in index.read_bytes()
    assert TEST_KEY.encode() not in index.read_bytes()
    assert TEST_KEY[4:20].encode() not in index.read_bytes()


@pytest.mark.parametrize(("paths", "said"), [
    ("nothing/*.md", "gave no file to read"),
    ("empty", "gave no file to read"),
])
def test_paths_with_nothing_to_read_get_one_clear_paragraph(shell, ygpt_server, notes, paths, said):
    (notes.parent / "empty").mkdir()
    ygpt_server.reset()
    run = cell(shell, f"%%ygpt --docs {paths}\n{QUESTION}")
    assert_clear_error(run)
    assert said in run.message and ygpt_server.requests == []


def test_a_binary_file_is_skipped_and_listed_above_the_reply(shell, ygpt_server, notes):
    (notes / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe" * 50)
    run = cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}")
    assert run.ok, run.message
    assert "photo.md" in run.shown and "Skipped" in run.shown
    assert all(s["path"] != "notes/photo.md" for s in shell.user_ns["_ygpt"].sources)


def test_sources_that_cannot_fit_the_budget_say_so(shell, ygpt_server, notes):
    shell.run_line_magic("config", "YGptMagics.context_budget = 70")   # the bare request takes 58
    ygpt_server.reset()
    run = cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}")
    assert_clear_error(run, "context budget", "context_budget = N", "shorten the question")
    assert "--once" not in run.message, "the cell is --once already"
    assert completions(ygpt_server) == []


def test_sources_that_cannot_fit_offer_once_only_when_the_chats_system_message_takes_room(shell, ygpt_server, notes):
    assert cell(shell, "%%ygpt --chat study --system 'You are a patient tutor who explains every step.'\nHi").ok
    shell.run_line_magic("config", "YGptMagics.context_budget = 80")   # the best source takes 30 tokens
    ygpt_server.reset()
    in_chat = cell(shell, f"%%ygpt --docs notes --chat study\n{QUESTION}")
    assert_clear_error(in_chat, "context budget", "leave the chat's system message out with --once")
    plain = cell(shell, f"%%ygpt --docs notes\n{QUESTION}")
    assert "--once" not in assert_clear_error(plain, "context budget"), "a chat with no system message"
    assert completions(ygpt_server) == []


def test_a_question_nothing_in_the_files_answers_is_asked_saying_so_with_no_sources(shell, ygpt_server, notes):
    ygpt_server.reset()
    run = cell(shell, "%%ygpt --docs notes/cats.md --once\nWho wrote War and Peace?")
    assert run.ok, run.message
    said = ("No part of notes/cats.md is related to the question (no chunk scored above 0), so the model "
            "was asked with no sources: its reply is not from your files.")
    assert said in run.shown and "Sources:" not in run.shown + run.stdout
    assert shell.user_ns["_ygpt"].sources == ()
    [sent] = completions(ygpt_server)
    assert "\n\n(No source: no passage of the files is related to the question.)\n\nQuestion: Who wrote War" \
        in sent.messages[-1]["text"]
    (notes / "dogs.md").write_text("# Dogs\n\nDogs bark.\n", encoding="utf-8")
    many = cell(shell, "%%ygpt --docs notes/cats.md,notes/dogs.md --once\nWho wrote War and Peace?")
    assert "No part of the 2 files searched is related to the question" in many.shown


def test_sources_cut_from_one_long_line_are_told_apart_and_found_in_it(shell, ygpt_server, notes):
    line = "The budget for rockets is large and grows every year. " * 600
    (notes / "long.md").write_text(f"# Budget\n\n{line}\n", encoding="utf-8")
    run = cell(shell, "%%ygpt --docs notes/long.md --once --top-k 3\nwhat is the budget for rockets?")
    assert run.ok, run.message
    sources = shell.user_ns["_ygpt"].sources
    labels = [f"{s['path']}:{s['where']}" for s in sources]
    assert len(sources) == 3 and len(set(labels)) == 3, labels
    for source in sources:
        if source["where"].startswith("3, chars "):
            first, last = (int(n.replace(",", "")) for n in source["where"][len("3, chars "):].split("–"))
            assert line[first - 1:last] == source["text"]
        assert source["text"].rstrip().endswith("year."), "cut at a sentence end"
    assert f"[1] {labels[0]} · " in run.shown


def test_top_k_without_docs_is_refused(shell, ygpt_server):
    run = cell(shell, "%%ygpt --top-k 3\nHello")
    assert_clear_error(run)
    assert "--docs" in run.message


def test_usage_counts_each_embedding_request(shell, ygpt_server, notes):
    ygpt_server.reset()
    assert cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}").ok
    usage = cell(shell, "%ygpt usage")
    [table] = [o["data"]["text/plain"] for o in usage.outputs if o["data"]["text/plain"].startswith("Tokens by chat")]
    [line] = [row for row in table.splitlines() if row.startswith("embeddings")]
    assert line.split()[1] == str(len([r for r in ygpt_server.requests if r.method == "TextEmbedding"])) == "4"


def test_a_fault_while_embedding_loses_nothing_and_the_next_run_embeds_the_rest(shell, ygpt_server, notes):
    ygpt_server.reset()
    ygpt_server.faults.fail_next(1, "PERMISSION_DENIED", "no embeddings for you", method="TextEmbedding")
    run = cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}")
    assert "permission" in assert_clear_error(run).lower()
    assert completions(ygpt_server) == []
    ygpt_server.reset()
    assert cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}").ok
    # the notes whose vectors came back before the fault are kept, the rest embedded now (a
    # request of the failed run cancelled in flight may still reach the server's log after the
    # reset); every note is searched, and the question answered once by this run
    assert set(embedded(ygpt_server, "doc")) <= {text.strip() for text in NOTES.values()}
    assert {source["path"] for source in shell.user_ns["_ygpt"].sources} == {f"notes/{name}" for name in NOTES}
    assert len(completions(ygpt_server)) == 1


def test_sources_past_the_budget_are_left_out_with_a_line_saying_so(shell, ygpt_server, notes):
    shell.run_line_magic("config", "YGptMagics.context_budget = 100")   # all three take 116 tokens
    run = cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}")
    assert run.ok, run.message
    assert len(shell.user_ns["_ygpt"].sources) < 3
    assert "less relevant were left out" in run.shown


#: a key of someone's Yandex Cloud account, inside files a cell skips
CANARY = "AQVNcanaryDocs-8c41d7e2a9b0f3-LEAKCHECK-z5Pq"


def test_files_over_the_limit_unreadable_or_pdf_without_pypdf_are_skipped_and_never_kept(
        shell, ygpt_server, notes, tmp_path, monkeypatch):
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'ygpt.sqlite')!r}")
    with (notes / "huge.md").open("wb") as huge:
        huge.write(f"# Cats\n\nCats sleep {CANARY}\n".encode())
        huge.truncate(SIZE_LIMIT + 1)
    (notes / "report.pdf").write_bytes(pdf_bytes([f"Cats sleep on the {CANARY} rug"]))
    without_pypdf(monkeypatch)
    run = cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}")
    assert run.ok, run.message
    shown = run.stdout + run.shown
    assert "notes/huge.md" in shown and "over the 10 MB limit per file" in shown
    assert "notes/report.pdf" in shown and "reading PDFs needs pypdf" in shown
    sources = shell.user_ns["_ygpt"].sources
    assert sorted(s["path"] for s in sources) == [f"notes/{n}" for n in sorted(NOTES)]
    assert CANARY not in repr(sources) and CANARY not in shown
    assert CANARY.encode() not in (tmp_path / "ygpt.sources.sqlite").read_bytes()
    assert all(CANARY not in text for text in embedded(ygpt_server, "doc"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_file_is_skipped_saying_so(shell, ygpt_server, notes):
    secret = notes / "locked.md"
    secret.write_text(f"Cats sleep {CANARY}\n", encoding="utf-8")
    secret.chmod(0)
    try:
        run = cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}")
    finally:
        secret.chmod(0o600)
    assert run.ok, run.message
    assert "notes/locked.md" in run.shown and "cannot be read" in run.shown
    assert CANARY not in repr(shell.user_ns["_ygpt"].sources)


def test_a_file_holding_the_kernels_own_key_gets_advice_about_the_file(shell, ygpt_server, notes, monkeypatch):
    """secrets2.md F6.3: a key in no Yandex shape went through the prompt's guard and was told to
    'leave that reference out of the cell'; it now gets the advice a key-shaped one gets."""
    secret = "plain-kernel-secret-5d1c9e"
    monkeypatch.setenv("YC_API_KEY", secret)
    (notes / "setup.md").write_text(f"export YC_API_KEY={secret}\n", encoding="utf-8")
    ygpt_server.reset()
    run = cell(shell, f"%%ygpt --docs notes\n{QUESTION}")
    message = assert_clear_error(run, "notes/setup.md contains your api key (from YC_API_KEY)",
                                 "into the sources index", "Remove it from the file", "leave the file out of --docs")
    assert "reference" not in message and secret[5:17] not in run.shown
    assert ygpt_server.requests == []


def test_sources_over_all_the_model_holds_are_sent_with_the_longer_model_named(shell, ygpt_server, notes):
    """findings/advice.md F1: with no budget set, --max-tokens leaves the sources no room in
    yandexgpt's context; raising the budget cannot help, so the refusal names a model whose
    context holds them, and the cell run with it answers from the notes."""
    flags = "--docs notes --once --max-tokens 32700"
    refused = cell(shell, f"%%ygpt {flags}\n{QUESTION}")
    message = assert_clear_error(refused, "all that yandexgpt's context holds", "%ygpt models",
                                 error_type=errors.SourcesTooLong)
    assert "context_budget" not in message, message
    advised = re.search(r"run the cell with (--model [\w.-]+)", message)
    assert advised, message
    answered = cell(shell, f"%%ygpt {flags} {advised[1]}\n{QUESTION}")
    assert answered.ok, answered.message
    assert shell.user_ns["_ygpt"].sources[0]["path"] == "notes/cats.md"


def test_a_question_too_long_to_embed_is_said_to_be_the_question_and_its_advice_answers(shell, ygpt_server, notes):
    """findings/advice.md F3: a question holding a pasted log was refused with "embed each
    piece", though the user embedded nothing: the question is what is embedded to choose the
    sources. Done as it says (the log into a file --docs reads, a short question), it answers."""
    log = "error at line 12 in module foo\n" * 400
    refused = cell(shell, f"%%ygpt --docs notes --once\nHere is my log:\n{log}Which note explains it?")
    message = assert_clear_error(refused, "The question is", "too long to embed", "The files are fine",
                                 "a file named in --docs", error_type=errors.TextTooLongToEmbed)
    assert "embed each piece" not in message, message
    assert completions(ygpt_server) == []
    (notes / "log.txt").write_text(log, encoding="utf-8")
    answered = cell(shell, "%%ygpt --docs notes --once\nWhich note explains the error in log.txt?")
    assert answered.ok, answered.message
    assert any(source["path"] == "notes/log.txt" for source in shell.user_ns["_ygpt"].sources)


def test_a_chunk_over_the_embedding_limit_is_said_in_embedding_words(shell, ygpt_server, notes):
    """Indexing embeds each chunk alone: the cloud's token-limit answer is the chunk's, not the cell's."""
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", "number of input tokens must be no more than 2048, got 3003",
                                 method="TextEmbedding")
    message = assert_clear_error(cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}"),
                                 "This text is 3,003 tokens, and an embedding model takes at most 2,048",
                                 "Split it into shorter pieces", error_type=errors.TextTooLongToEmbed)
    assert "chat history" not in message and "system message" not in message, message
