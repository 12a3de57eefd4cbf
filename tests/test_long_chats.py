"""Long chats across a restart: the first cell after `%ygpt load` (or with another model) does not
ask the tokenizer once per kept turn, `%ygpt chats` says what the history holds, and the trim note
says which turns were left out and where to see them (findings of explore14_longrun)."""

from __future__ import annotations

import json
import re
import time

import comm
import pytest
from conftest import cell
from test_panel import RecordingComm

from ygpt_magic.client import loop

PROMPT = "Step {i}: in the churn table segment S{i} left after {i} months; median spend {i}00 roubles. What next?"
ROUND_TRIP = 0.1  # the cloud's pace, held at the server for every tokenizer call


def _chat(shell, turns: int, chat: str = "main", prefix: str = "t") -> None:
    for i in range(1, turns + 1):
        run = cell(shell, f"%%ygpt --chat {chat}\n{PROMPT.format(i=i)}", cell_id=f"{prefix}{i}")
        assert run.ok, run.message


@pytest.fixture
def patient(monkeypatch):
    """A waiting line only after a minute (loop.SLOW_AFTER, which the counting line and the
    tokenizer's waits read): a count that is quick here stays quick on a machine under load, where
    a 0.3 s threshold was crossed by a quick count (seen once in make test)."""
    monkeypatch.setattr(loop, "SLOW_AFTER", 60.0)


@pytest.fixture
def widget_comm(monkeypatch):
    monkeypatch.setattr(comm, "create_comm", lambda **kwargs: RecordingComm(**kwargs))


def _tokenizer_calls(server, since: int) -> int:
    return sum(1 for r in list(server.requests)[since:] if r.method == "TokenizeCompletion")


def _kept_column(shell, chat: str) -> str:
    table = cell(shell, "%ygpt chats").plain
    for line in table.splitlines():
        columns = re.split(r"\s{2,}", line.strip().lstrip("* ").strip())
        if columns and columns[0] == chat:
            return columns[3]
    raise AssertionError(table)


@pytest.mark.slow
def test_the_first_cell_after_loading_a_long_chat_asks_the_tokenizer_no_more_than_before_the_save(
        shell, ygpt_server, tmp_path):
    shell.run_line_magic("config", "YGptMagics.context_budget = 2500")
    _chat(shell, 40)
    before = len(ygpt_server.requests)
    assert cell(shell, "%%ygpt --chat main\nStill here?", cell_id="same-kernel").ok
    in_same_kernel = _tokenizer_calls(ygpt_server, before)
    assert cell(shell, f"%ygpt save {tmp_path}/chats.json").ok
    saved = json.loads((tmp_path / "chats.json").read_text(encoding="utf-8"))
    main = next(chat for chat in saved["chats"] if chat["name"] == "main")
    assert saved["version"] == 4 and any(turn.get("tokens", {}).get("yandexgpt") for turn in main["turns"])
    assert cell(shell, "%ygpt reset --all").ok
    assert cell(shell, f"%ygpt load {tmp_path}/chats.json").ok            # as after a restart
    ygpt_server.faults.hold_next(1000, "TokenizeCompletion", seconds=ROUND_TRIP)
    before = len(ygpt_server.requests)
    first = cell(shell, "%%ygpt --chat main\nGood morning, where were we?", cell_id="morning")
    assert first.ok, first.message
    assert "✂ Turns 1–" in first.page
    assert _tokenizer_calls(ygpt_server, before) <= in_same_kernel + 1


@pytest.mark.slow
def test_a_cell_with_another_model_counts_the_chats_turns_at_once_not_one_after_another(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.context_budget = 2500")
    _chat(shell, 40)
    ygpt_server.faults.hold_next(1000, "TokenizeCompletion", seconds=ROUND_TRIP)
    before, started = len(ygpt_server.requests), time.perf_counter()
    run = cell(shell, "%%ygpt --chat main --model yandexgpt-lite\nSame question, the cheaper model?",
               cell_id="lite")
    elapsed = time.perf_counter() - started
    assert run.ok, run.message
    calls = _tokenizer_calls(ygpt_server, before)
    assert calls > 10                                   # every turn sent was counted for this model
    assert elapsed < calls * ROUND_TRIP, f"{calls} tokenizer calls took {elapsed:.1f} s"   # one after another: more
    again = len(ygpt_server.requests)
    assert cell(shell, "%%ygpt --chat main --model yandexgpt-lite\nAnd then?", cell_id="lite2").ok
    assert _tokenizer_calls(ygpt_server, again) <= 2    # the counts stay with the turns


@pytest.mark.slow
def test_kept_tokens_are_what_the_history_holds_with_thousands_grouped(shell, ygpt_server, widget_comm):
    _chat(shell, 30)
    last = shell.user_ns["_ygpt"]
    kept = _kept_column(shell, "main")
    assert kept == f"{last.usage.input_tokens + last.usage.completion_tokens:,}"   # the last request + its reply
    assert "," in kept                     # a history of thousands of tokens, grouped
    panel = shell.run_line_magic("ygpt", "panel --chat main")
    try:
        assert panel.controls.totals.value.startswith(f"30 turns · {kept} tokens kept")
    finally:
        panel.close()


def test_kept_tokens_are_the_same_when_the_chat_was_replayed_from_the_cache(shell, ygpt_server, tmp_path):
    assert cell(shell, f"%ygpt cache {tmp_path}/replies.sqlite").ok
    _chat(shell, 5)
    recorded = _kept_column(shell, "main")
    assert cell(shell, "%ygpt reset --all").ok
    _chat(shell, 5, prefix="again")                # every reply replayed
    assert shell.user_ns["_ygpt"].cached
    assert _kept_column(shell, "main") == recorded != "0"


@pytest.mark.slow
def test_the_trim_note_names_the_turns_left_out_and_where_to_see_them(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.context_budget = 1500")
    first = shell.execution_count
    _chat(shell, 25)
    history = cell(shell, "%ygpt history --chat main").plain
    left_out = int(re.search(r"✂ Turns 1–(\d+) of 25", history).group(1))
    note = [line for line in cell(shell, "%%ygpt --chat main\nnext?", cell_id="n").page.splitlines()
            if "✂" in line][0]
    assert note == (f"✂ Turns 1–{left_out} (In [{first}]–In [{first + left_out - 1}]) were left out to "
                    f"fit the context budget of 1,500 tokens; they stay in the chat (%ygpt export shows "
                    f"every turn).")


def _counting_lines(run) -> list[str]:
    return [str(output["data"]) for output in run.outputs if "counting the tokens of" in str(output["data"])]


@pytest.mark.slow
def test_a_slow_count_of_many_turns_shows_a_waiting_line_that_the_reply_replaces(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.context_budget = 2500")
    _chat(shell, 40)
    ygpt_server.faults.hold_next(1000, "TokenizeCompletion", seconds=0.4)   # a round trip the user notices
    run = cell(shell, "%%ygpt --chat main --model yandexgpt-lite\nSame question, the cheaper model?",
               cell_id="lite")
    assert run.ok, run.message
    lines = _counting_lines(run)
    assert lines and "of chat 'main' for yandexgpt-lite, once: the counts stay with the chat…" in lines[0]
    assert re.search(r"counting the tokens of \d+ turns", lines[0])
    assert len(run.displays) == 1 and "counting the tokens" not in run.page   # replaced, in the same output
    assert "✂ Turns 1–" in run.page and "Same question, the cheaper model?" in run.final   # the reply


@pytest.mark.slow
def test_a_count_spread_over_quick_round_trips_still_shows_the_line_once_it_is_slow(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.context_budget = 6000")
    _chat(shell, 60)
    ygpt_server.faults.hold_next(1000, "TokenizeCompletion", seconds=0.15)  # no one round trip is slow
    run = cell(shell, "%%ygpt --chat main --model yandexgpt-lite\nAnd the cheaper model?", cell_id="lite")
    assert run.ok, run.message
    counts = [int(n.replace(",", "")) for line in _counting_lines(run)
              for n in re.findall(r"counting the tokens of ([\d,]+) turns", line)]
    assert counts and counts == sorted(counts) and counts[-1] > 16   # shown after waves, kept up to date
    assert "counting the tokens" not in run.page


@pytest.mark.slow
def test_a_quick_count_shows_no_waiting_line(shell, ygpt_server, patient):
    shell.run_line_magic("config", "YGptMagics.context_budget = 2500")
    _chat(shell, 40)
    run = cell(shell, "%%ygpt --chat main --model yandexgpt-lite\nSame question, the cheaper model?",
               cell_id="lite")
    assert run.ok and not _counting_lines(run)


@pytest.mark.slow
def test_a_dry_run_after_a_slow_count_keeps_no_waiting_line(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.context_budget = 2500")
    _chat(shell, 40)
    ygpt_server.faults.hold_next(1000, "TokenizeCompletion", seconds=0.4)
    run = cell(shell, "%%ygpt --chat main --model yandexgpt-lite --dry-run\nSame question?", cell_id="lite")
    assert run.ok and _counting_lines(run)
    assert "counting the tokens" not in run.page and "Dry run" in run.page


def _chat_file(tmp_path, turns: int, count: int):
    """A version 4 chat file of ``turns`` turns of about 800 tokens each, every one said to be
    ``count`` tokens long: a file edited by hand, or by someone hostile."""
    reply = {"text": "ok", "status": "FINAL", "model": "yandexgpt", "model_version": "x", "elapsed": 0.1,
             "usage": {"input_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
    chat = {"name": "main", "system": None, "options": {}, "turns": [
        {"prompt": f"Turn {i}: " + "word " * 800, "cell_id": f"c{i}", "reply": reply, "tokens": {"yandexgpt": count}}
        for i in range(turns)]}
    path = tmp_path / "chats.json"
    path.write_text(json.dumps({"version": 4, "current": "main", "chats": [chat]}), encoding="utf-8")
    return path


@pytest.mark.parametrize("count", [0, 10**12], ids=["none", "a trillion"])
@pytest.mark.slow
def test_a_chat_file_whose_counts_its_turns_cannot_have_is_counted_again(shell, ygpt_server, tmp_path, count):
    """findings/redteam4.md 2: turns said to be 0 tokens were all kept, the server refused the
    request as too long, and the advised smaller context budget could not help; a trillion left
    every turn out."""
    assert cell(shell, f"%ygpt load {_chat_file(tmp_path, 60, count)}").ok
    run = cell(shell, "%%ygpt --chat main\nWhere were we?", cell_id="n1")
    assert run.ok, run.message
    left_out = int(re.search(r"✂ Turns 1–(\d+) were left out", run.page).group(1))
    assert 10 < left_out < 50, run.page
    assert cell(shell, f"%ygpt save {tmp_path}/again.json").ok
    again = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    kept = [turn["tokens"]["yandexgpt"] for turn in again["chats"][0]["turns"][left_out:60]]
    assert all(800 < size < 1000 for size in kept), kept       # counted again, and saved so
