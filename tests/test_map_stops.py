"""%%ygpt --map stopped part way: by Ctrl-C (while sending, planning or pricing the rows), by a
server that died, by a refusal every row would get. Every answered row is kept, what was not
sent is said, and a re-run sends only the rows left (through a real shell and the local server).
"""

from __future__ import annotations

import re
import threading
import time

import pandas as pd
import pytest
from cellrun import assert_clear_error, assert_interrupted
from conftest import cell, completions
from presses import ctrl_c_after, ctrl_c_in

from ygpt_magic.emulator import start_local_server


@pytest.mark.slow
def test_ctrl_c_stops_sending_keeps_every_answered_row_and_says_how_many_are_left(shell, ygpt_server):
    shell.user_ns["numbers"] = list(range(100))
    assert cell(shell, "%%ygpt --map numbers\nWarm up").ok   # the SDK's first connection
    ygpt_server.faults.latency(0.05)
    source = "%%ygpt --map numbers --out answers --concurrency 2\nSay {item}"
    ygpt_server.requests.clear()
    presser = ctrl_c_after(ygpt_server, "Completion", 4)
    run = cell(shell, source)
    presser.join()
    assert_interrupted(run)   # Run All stops here
    stopped = shell.user_ns["_ygpt"]
    assert 0 < stopped.answered < 100
    assert sum(a is not None for a in shell.user_ns["answers"]) == stopped.answered
    assert f"Stopped: {100 - stopped.answered} rows left" in run.stdout
    left = {f"Say {i}" for i, answer in enumerate(shell.user_ns["answers"]) if answer is None}
    ygpt_server.faults.clear()
    time.sleep(0.2)   # requests cancelled in flight may still reach the server: not this run's
    ygpt_server.requests.clear()
    assert cell(shell, source).ok
    assert {r.messages[-1]["text"] for r in completions(ygpt_server)} == left   # only the rows left
    assert shell.user_ns["_ygpt"].answered == len(left) == 100 - stopped.answered
    assert all(shell.user_ns["answers"])


def test_ctrl_c_while_the_rows_are_planned_is_one_line_and_nothing_is_sent_or_overwritten(shell, ygpt_server):
    shell.user_ns.update(data=pd.DataFrame({"text": [f"review {i}" for i in range(200_000)]}), res="kept")
    timer = ctrl_c_in(0.5)   # planning 200,000 rows takes seconds
    run = cell(shell, "%%ygpt --map data --out res\nSay {text}")
    timer.join()
    assert_clear_error(run, "Stopped before any row was sent", "rows of data were being planned",
                       "Nothing was sent")
    assert completions(ygpt_server) == [] and shell.user_ns["res"] == "kept" and "_ygpt" not in shell.user_ns


def test_ctrl_c_while_a_cost_cap_estimates_the_rows_is_one_line(shell, ygpt_server):
    shell.user_ns["words"] = [f"w{i}" for i in range(50)]
    counting = ygpt_server.faults.hold_next(1, "TokenizeCompletion", seconds=1.0)
    timer = ctrl_c_in(10, when=counting)   # while the estimate waits for the tokenizer
    run = cell(shell, "%%ygpt --map words --out res --max-cost 100\nSpell {item}")
    timer.join()
    assert_clear_error(run, "Stopped before any row was sent", "cost of the rows of words")
    assert completions(ygpt_server) == []


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
def test_a_server_killed_mid_run_ends_the_rest_at_once_and_the_next_server_gets_only_them(shell):
    shell.user_ns["numbers"] = list(range(60))
    # the SDK's own retries of UNAVAILABLE as users have them (4, from 1 s): seconds per row
    for setting in ("retries = 4", "retry_backoff = 1.0", "timeout = 5", "connect_timeout = 1"):
        shell.run_line_magic("config", f"YGptMagics.{setting}")
    source = "%%ygpt --map numbers --out answers --concurrency 2\nSay {item}"
    with start_local_server() as first:
        shell.run_line_magic("ygpt", f"connect {first.address} --insecure")
        first.faults.latency(0.05)
        threading.Timer(0.5, first.stop).start()
        started = time.monotonic()
        run = cell(shell, source)
        took = time.monotonic() - started
    assert run.ok, run.message   # failed rows with their reasons, not a traceback
    done, answers = shell.user_ns["_ygpt"], shell.user_ns["answers"]
    assert 0 < done.answered == sum(a is not None for a in answers) < 60
    assert took < 10, f"{took:.1f} s"   # not 5 s (the request timeout) for each row left
    assert sorted(done.errors) == [i for i, answer in enumerate(answers) if answer is None]
    assert all("stopped answering" in reason and first.address in reason and "timeout" not in reason
               for reason in done.errors.values())
    assert "server stopped answering" in run.stdout
    left = {f"Say {i}" for i, answer in enumerate(answers) if answer is None}
    with start_local_server() as second:
        shell.run_line_magic("ygpt", f"connect {second.address} --insecure")
        assert cell(shell, source).ok
        assert {r.messages[-1]["text"] for r in completions(second)} == left   # only the rows left
    assert all(shell.user_ns["answers"]) and shell.user_ns["_ygpt"].errors == {}


def summary_and_advice(run) -> tuple[str, str]:
    """A run's summary line and the advice under it (a first run's notes may follow them)."""
    lines = run.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("✓"))
    return lines[at], lines[at + 1]


@pytest.mark.parametrize("fault, model, fix", [
    ("UNAUTHENTICATED", None, "Run %ygpt auth"),
    ("PERMISSION_DENIED", None, "ai.languageModels.user role"),
    (None, "nosuchmodel", "%ygpt models lists them"),
])
def test_a_refusal_every_row_would_get_stops_the_run_and_says_the_fix_once(shell, ygpt_server, fault, model,
                                                                           fix):
    shell.user_ns["words"] = [f"w{i}" for i in range(200)]
    if fault is not None:
        ygpt_server.faults.fail_next(10_000, fault)
    flag = f" --model {model}" if model else ""
    run = cell(shell, f"%%ygpt --map words --out answers{flag}\nSpell {{item}}")
    assert run.ok, run.message
    assert len(completions(ygpt_server)) <= 16          # a window of rows, not all 200
    done = shell.user_ns["_ygpt"]
    assert done.answered == 0 and len(done.errors) == 200 and all(fix in r for r in done.errors.values())
    summary, advice = summary_and_advice(run)
    assert summary.startswith("✓ 0 answered · ✗ 200 failed")
    assert advice.count(fix) == 1 and "not sent after the first refusal" in advice
    assert "_ygpt.errors has each one's reason" not in run.stdout


def test_a_refused_key_says_how_many_rows_the_server_refused_and_how_many_were_never_sent(shell, ygpt_server):
    """The summary said '✗ 40 failed (40 permission denied)' although the run stopped sending at
    the first refusal: rows never asked were counted as refused by the server."""
    shell.user_ns["words"] = [f"w{i}" for i in range(40)]
    ygpt_server.faults.fail_next(3, "PERMISSION_DENIED")
    source = "%%ygpt --map words --out answers\nSpell {item}"
    run = cell(shell, source)
    assert run.ok, run.message
    summary, advice = summary_and_advice(run)
    done = shell.user_ns["_ygpt"]
    said = re.search(r"✗ (\d+) failed \((.*?)\) ·", summary)
    reasons = {reason: int(n) for n, reason in re.findall(r"(\d+) ([a-z ]+)", said.group(2))} if said else {}
    assert set(reasons) <= {"permission denied", "not sent", "cancelled in flight"}, summary
    refused, unsent = reasons.get("permission denied", 0), reasons.get("not sent", 0)
    left = done.failed   # a row in flight may still have been answered (the fault refuses 3)
    assert 1 <= refused <= 3 and unsent >= 24 and sum(reasons.values()) == left >= 32, summary
    assert advice.count("ai.languageModels.user role") == 1   # what to do about the key, once
    assert f"The server refused {refused} row" in advice and f"{unsent} were not sent after the first refusal" in advice
    assert f"only the {left} rows without an answer are sent" in advice, advice
    assert sum(reason.startswith("Not sent:") for reason in done.errors.values()) == unsent
    unanswered = {f"Spell {word}" for word, answer in zip(shell.user_ns["words"], shell.user_ns["answers"])
                  if answer is None}
    ygpt_server.faults.clear()
    time.sleep(0.2)   # requests cancelled in flight may still reach the server: not the re-run's
    ygpt_server.requests.clear()
    assert cell(shell, source).ok
    assert {r.messages[-1]["text"] for r in completions(ygpt_server)} == unanswered   # only the rows left
    assert len(unanswered) == left and all(shell.user_ns["answers"])
