"""%%ygpt --map: one request per row of a list, DataFrame or Series, through a real shell and the
local server; what the server received, what the user sees, what _ygpt and --out hold."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pandas as pd
import pytest
from cellrun import assert_clean, assert_clear_error
from conftest import cell, completions


def sent_texts(server) -> list[str]:
    return sorted(r.messages[-1]["text"] for r in completions(server))


def test_a_list_is_sent_once_per_item_and_answers_come_back_in_its_order(shell, ygpt_server):
    shell.user_ns["fruits"] = ["apple", "pear", "plum", "fig"]
    run = cell(shell, "%%ygpt --map fruits --out answers\nTranslate to French: {item}")
    assert run.ok, run.message
    assert_clean(run)
    assert sent_texts(ygpt_server) == sorted(f"Translate to French: {f}" for f in shell.user_ns["fruits"])
    assert all(not r.stream for r in completions(ygpt_server))   # streaming is off for rows
    answers = shell.user_ns["answers"]
    assert isinstance(answers, list) and len(answers) == 4
    for fruit, answer in zip(shell.user_ns["fruits"], answers):
        assert fruit in answer   # the local server's fallback quotes the question
    assert shell.user_ns["_ygpt"].results is answers
    assert "✓ 4 answered" in run.stdout and "rows/s" in run.stdout


def test_a_dataframe_gives_its_columns_row_and_index_and_the_results_keep_its_index(shell, ygpt_server):
    frame = pd.DataFrame({"review": ["Great phone", "Broke in a week"], "stars": [5, 1]},
                         index=["r17", "r42"])
    shell.user_ns.update(frame=frame, lang="English")
    run = cell(shell, "%%ygpt --map frame --out labels --system 'Classify reviews.' -t 0.2\n"
                      "[{index}] {review} ({stars} stars), in {lang}\n---\n{row}")
    assert run.ok, run.message
    sent = {r.messages[-1]["text"]: r for r in completions(ygpt_server)}
    first = sent["[r17] Great phone (5 stars), in English\n---\nreview: Great phone\nstars: 5"]
    assert first.messages[0] == {"role": "system", "text": "Classify reviews."}
    assert first.options["temperature"] == 0.2
    labels = shell.user_ns["labels"]
    assert isinstance(labels, pd.Series) and list(labels.index) == ["r17", "r42"]
    assert "Broke in a week" in labels["r42"]


def test_a_series_gives_item_and_index(shell, ygpt_server):
    shell.user_ns["cities"] = pd.Series(["Paris", "Rome"], index=[10, 20])
    run = cell(shell, "%%ygpt --map cities --out facts\nOne fact about {item} (row {index})")
    assert run.ok, run.message
    assert sent_texts(ygpt_server) == ["One fact about Paris (row 10)", "One fact about Rome (row 20)"]
    assert list(shell.user_ns["facts"].index) == [10, 20]



def test_an_expression_is_evaluated_for_each_row_over_its_names_and_the_notebooks(shell, ygpt_server):
    frame = pd.DataFrame({"review": ["Great phone, love it", "Broke in a week"], "stars": [5, 1]})
    shell.user_ns.update(frame=frame, cap=6)
    run = cell(shell, "%%ygpt --map frame --out labels\n{review[:cap].upper()}({stars * 20}%)")
    assert run.ok, run.message
    assert sent_texts(ygpt_server) == ["BROKE (20%)", "GREAT (100%)"]

def test_a_failed_row_never_stops_the_others_and_a_rerun_sends_only_it(shell, ygpt_server):
    shell.user_ns["words"] = ["one", "two", "three", "four", "five"]
    ygpt_server.faults.fail_next(1, "INTERNAL", "the model broke on this row")
    source = "%%ygpt --map words --out answers --concurrency 1\nSpell {item}"
    run = cell(shell, source)
    assert run.ok, run.message
    answers = shell.user_ns["answers"]
    assert answers[0] is None and all(answers[1:])
    errors = shell.user_ns["_ygpt"].errors
    assert list(errors) == [0] and "the model broke on this row" in errors[0] and "\n" not in errors[0]
    assert "✗ 1 failed (1 server failed)" in run.stdout
    assert "Run the cell again to send only those" in run.stdout
    ygpt_server.requests.clear()
    again = cell(shell, source)
    assert again.ok
    assert sent_texts(ygpt_server) == ["Spell one"]          # exactly the missing row
    assert all(shell.user_ns["answers"]) and shell.user_ns["answers"][1:] == answers[1:]
    assert "(4 from this kernel's earlier runs)" in again.stdout and shell.user_ns["_ygpt"].errors == {}


def test_a_rerun_sends_only_rows_whose_prompt_or_options_changed(shell, ygpt_server):
    shell.user_ns["words"] = ["one", "two", "three"]
    assert cell(shell, "%%ygpt --map words\nSpell {item}").ok
    ygpt_server.requests.clear()
    same = cell(shell, "%%ygpt --map words\nSpell {item}")
    assert completions(ygpt_server) == [] and "already answered" in same.stdout
    shell.user_ns["words"] = ["one", "TWO", "three"]
    assert cell(shell, "%%ygpt --map words\nSpell {item}").ok
    assert sent_texts(ygpt_server) == ["Spell TWO"]
    ygpt_server.requests.clear()
    assert cell(shell, "%%ygpt --map words -t 0.9\nSpell {item}").ok   # new options: every row
    assert sent_texts(ygpt_server) == ["Spell TWO", "Spell one", "Spell three"]


def test_quota_bursts_back_off_and_every_row_is_still_answered(shell, ygpt_server):
    shell.user_ns["numbers"] = list(range(12))
    ygpt_server.faults.fail_next(9, "RESOURCE_EXHAUSTED")   # 3 attempts each (retries = 2): 3 rows
    run = cell(shell, "%%ygpt --map numbers --out answers --concurrency 4\nSquare {item}")
    assert run.ok, run.message
    assert all(shell.user_ns["answers"]) and shell.user_ns["_ygpt"].failed == 0
    assert len({r.messages[-1]["text"] for r in completions(ygpt_server)}) == 12


def test_at_most_n_requests_are_in_flight(shell, ygpt_server):
    """Four at once is at least twice as fast as one at a time, on the same server, same run
    (and never faster than rows / N latencies)."""
    ygpt_server.faults.latency(0.05)
    walls = {}
    for n in (1, 4):
        shell.user_ns["numbers"] = [f"{n}-{i}" for i in range(12)]
        started = time.monotonic()
        assert cell(shell, f"%%ygpt --map numbers --concurrency {n}\nSay {{item}}").ok
        walls[n] = time.monotonic() - started
    assert walls[4] >= 12 / 4 * 0.05
    assert walls[1] / walls[4] >= 2


def test_dry_run_shows_three_prompts_the_row_count_and_tokens_and_sends_nothing(shell, ygpt_server):
    shell.user_ns["words"] = [f"word{i}" for i in range(5)]
    run = cell(shell, "%%ygpt --map words --dry-run\nSpell {item}")
    assert run.ok, run.message
    assert completions(ygpt_server) == []
    assert "5 rows" in run.plain and "tokens in all by the tokenizer API" in run.plain
    assert "Spell word2" in run.plain and "Spell word3" not in run.plain and "2 more rows" in run.plain
    shell.user_ns["many"] = [f"word{i}" for i in range(1500)]
    big = cell(shell, "%%ygpt --map many --dry-run\nSpell {item}")
    assert "1,500 rows" in big.plain and "20 of the 1,500 rows counted by the tokenizer API" in big.plain
    assert sum(r.method == "TokenizeCompletion" for r in ygpt_server.requests) <= 5 + 20


@pytest.mark.parametrize("door", ["--map e --out o", "--map e --labels pos,neg --out o"])
def test_rows_of_empty_text_are_counted_as_their_datas_empty_prompt_not_an_option_error(shell, ygpt_server, door):
    """The user set no bad option: the summary named the empty rows "option error"."""
    shell.user_ns["e"] = pd.DataFrame({"text": ["good", "", "bad", "   "]})
    run = cell(shell, f"%%ygpt {door}\n{{text}}")
    assert run.ok, run.message
    assert "✓ 2 answered · ✗ 2 failed (2 empty prompt)" in run.stdout and "option error" not in run.stdout
    assert "what is wrong with each one's data" in run.stdout
    assert "Row 1 gives an empty prompt" in shell.user_ns["_ygpt"].errors[1]


def test_dry_run_counts_a_row_the_run_would_fail_apart_and_names_it(shell, ygpt_server):
    shell.user_ns["data"] = ["", "apple", "pear"]
    dry = cell(shell, "%%ygpt --map data --dry-run\n{item}")
    assert dry.ok, dry.message
    assert "3 rows (2 to send, 1 that would fail)" in dry.plain
    assert "One row would fail without being sent, as in the run: Row 0 gives an empty prompt" in dry.plain
    shell.user_ns["empties"] = ["", " "]
    every = cell(shell, "%%ygpt --map empties --dry-run\n{item}")
    assert "2 rows (0 to send, 2 that would fail)" in every.plain and "Estimated cost" not in every.plain
    assert "Row 1:" in dry.plain and "Row 0:" not in dry.plain
    assert completions(ygpt_server) == []
    assert cell(shell, "%%ygpt --map data\n{item}").ok
    done = shell.user_ns["_ygpt"]
    assert list(done.errors) == [0] and done.answered == 2 == len(completions(ygpt_server))   # as it said
    shell.user_ns["many"] = ["", " ", *[f"w{i}" for i in range(40)], "", ""]
    big = cell(shell, "%%ygpt --map many --dry-run\n{item}")
    assert "44 rows (40 to send, 4 that would fail)" in big.plain
    assert ("4 rows would fail without being sent, as in the run: rows 0, 1, 42 and 1 more "
            "(the first: Row 0 gives an empty prompt") in big.plain
    assert "of the 40 rows counted by the tokenizer API" in big.plain


def test_wrong_names_and_values_are_clear_errors(shell):
    assert_clear_error(cell(shell, "%%ygpt --map nowhere\nSpell {item}"), "no variable named 'nowhere'")
    shell.user_ns["text"] = "not rows"
    assert_clear_error(cell(shell, "%%ygpt --map text\nSpell {item}"), "is a str", "DataFrame")
    shell.user_ns["words"] = ["a"]
    assert_clear_error(cell(shell, "%%ygpt --map words\nSpell {item} {missing}"), "'missing'")
    assert_clear_error(cell(shell, "%%ygpt --concurrency 3\nHello"), "--concurrency goes with --map")


def test_a_list_needs_no_pandas():
    code = ("import sys; from ygpt_magic.rows.items import rows_of; rows = rows_of(('a', 'b'), 'x');"
            "assert rows.results(['A', 'B']) == ['A', 'B'] and rows.value(1, 'item') == 'b';"
            "assert 'pandas' not in sys.modules and 'tqdm' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_schema_gives_a_dataframe_of_the_parsed_fields_on_the_rows_index(shell, ygpt_server):
    assert cell(shell, "from pydantic import BaseModel\nfrom typing import Literal\n"
                       "class Verdict(BaseModel):\n    sentiment: Literal['positive', 'negative', 'mixed']\n"
                       "    score: int\n").ok
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["Loved it", "Hated it", "So-so"]}, index=[3, 5, 8])
    run = cell(shell, "%%ygpt --map reviews --schema Verdict --out verdicts\nClassify: {text}")
    assert run.ok, run.message
    sent = completions(ygpt_server)
    assert len(sent) == 3 and all(r.options["json_schema"]["title"] == "Verdict" for r in sent)
    verdicts = shell.user_ns["verdicts"]
    assert isinstance(verdicts, pd.DataFrame) and list(verdicts.index) == [3, 5, 8]
    assert list(verdicts.columns) == ["sentiment", "score"]
    assert set(verdicts["sentiment"]) <= {"positive", "negative", "mixed"}
    ygpt_server.requests.clear()
    assert cell(shell, "%%ygpt --map reviews --schema Verdict --out verdicts\nClassify: {text}").ok
    assert completions(ygpt_server) == []   # reused, parsed again
    assert shell.user_ns["verdicts"].equals(verdicts)
    assert_clear_error(cell(shell, "%%ygpt --map reviews --tools len\nClassify: {text}"), "--tools")


def test_a_row_that_does_not_fit_the_schema_keeps_its_raw_text_where_its_reason_says(shell, ygpt_server):
    assert cell(shell, "from pydantic import BaseModel, Field\n"
                       "class Strict(BaseModel):\n    code: str = Field(pattern='^[0-9]+$')\n").ok
    shell.user_ns["data"] = pd.Series(["abc"], index=["r7"])
    source = "%%ygpt --map data --schema Strict --out res\nCode: {item}"
    run = cell(shell, source)
    assert run.ok, run.message
    done = shell.user_ns["_ygpt"]
    reason = done.errors["r7"]
    assert "does not fit the schema Strict" in reason and "_ygpt.raw['r7']" in reason
    assert "_ygpt.text" not in reason and "in the chat" not in reason
    assert len(completions(ygpt_server)) == 1
    assert '"code"' in done.raw["r7"]                    # the answer that was paid for, as it came
    assert shell.user_ns["res"].loc["r7"].isna().all()   # the row has no result
    assert "1 reply not valid" in run.stdout
    ygpt_server.requests.clear()
    assert cell(shell, source).ok
    assert len(completions(ygpt_server)) == 1            # asked again, as the reason says


def test_the_in_flight_limit_halves_on_quota_and_grows_back_one_per_window():
    from ygpt_magic.client.many import AdaptiveLimit

    limit = AdaptiveLimit(16)
    limit.exhausted()
    limit.exhausted()
    assert limit.current == 4 and limit.backoffs == 2
    for _ in range(4):
        limit.answered()
    assert limit.current == 5          # one more after a window of 4 answers
    for _ in range(200):
        limit.answered()
    assert limit.current == 16         # never above the ceiling the user chose
    for _ in range(10):
        limit.exhausted()
    assert limit.current == 1 == limit.lowest


def test_a_list_maps_in_a_shell_where_pandas_cannot_be_imported(shell, ygpt_server, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)   # as if it were not installed
    shell.user_ns["words"] = ["one", "two"]
    run = cell(shell, "%%ygpt --map words --out spelled\nSpell {item}")
    assert run.ok, run.message
    assert len(shell.user_ns["spelled"]) == 2 and all(shell.user_ns["spelled"])


def test_with_the_reply_cache_each_row_is_one_entry_and_a_new_kernel_sends_only_new_rows(
        shell, ygpt_server, tmp_path):
    path = tmp_path / "replies.sqlite"
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(path)!r}")
    shell.user_ns["words"] = ["one", "two", "three"]
    assert cell(shell, "%%ygpt --map words --out spelled\nSpell {item}").ok
    first = shell.user_ns["spelled"]
    shell.extension_manager.reload_extension("ygpt_magic")   # a new kernel: nothing in memory
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(path)!r}")
    ygpt_server.requests.clear()
    shell.user_ns["words"] = ["one", "two", "three", "four"]
    run = cell(shell, "%%ygpt --map words --out spelled\nSpell {item}")
    assert run.ok, run.message
    assert sent_texts(ygpt_server) == ["Spell four"]          # the three recorded rows replayed
    assert shell.user_ns["spelled"][:3] == first and "(3 from the reply cache)" in run.stdout
    ygpt_server.requests.clear()
    assert cell(shell, "%%ygpt --map words --no-cache\nSpell {item}").ok   # the kernel's memo still counts
    assert completions(ygpt_server) == []


def test_the_bar_and_the_summary_show_one_rate(shell, ygpt_server):
    """Rows that fail count as finished in both (the bar reaches its total with them), and both
    divide by the run's seconds: the bar's last rate, rounded, is the summary's."""
    shell.user_ns["words"] = [f"word {i}" for i in range(12)]
    ygpt_server.faults.latency(0.02)
    ygpt_server.faults.fail_next(6, "INTERNAL", "the model broke on this row")
    run = cell(shell, "%%ygpt --map words --concurrency 1\nSpell {item}")
    assert run.ok, run.message
    bar_rate = float(re.findall(r"([\d.]+)row/s", run.stderr)[-1])
    summary_rate = int(re.search(r"([\d,]+) rows/s", run.stdout)[1].replace(",", ""))
    assert "12/12" in run.stderr and "✗ 6 failed" in run.stdout
    # the bar shows its rate to two decimals (82.50 for 82.503, which the summary rounds to 83)
    assert abs(bar_rate - summary_rate) <= 0.505, (run.stderr, run.stdout)
    assert bar_rate == round(12 / shell.user_ns["_ygpt"].elapsed, 2)   # the run's seconds, not later ones
