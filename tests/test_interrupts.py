"""Ctrl-C in the steps of a cell before or beside its streamed reply (a real SIGINT on the
kernel's thread, timed on the server holding the call): one paragraph that says what was done
and what was not, never a KeyboardInterrupt traceback, and the chat as it was; and a --map's
summary after Ctrl-C, which tells the rows in flight from those never sent. The streamed reply's
own Ctrl-C is in test_exchange.py, the rest of a --map's in test_map.py and test_map_batch.py."""

from __future__ import annotations

import re
import signal
import threading
import time

import pytest
from cellrun import CellRun, assert_stopped
from conftest import cell, completions
from presses import ctrl_c_after, ctrl_c_in

from ygpt_magic.errors import BatchNotStarted, StoppedBeforeAsking, StoppedBeforeSending, StoppedInFlight

BATCH = "%%ygpt --map reviews --batch --model gemma-3-12b-it --out lab\nReview: {item}"

#: case → (the cell, the call the server holds, the error, words the paragraph must hold)
CASES = {
    "the cost cap's tokenizer": ("%%ygpt --max-cost 5\nHello there", "TokenizeCompletion", StoppedBeforeAsking,
                                 ("Stopped before the request was sent", "counted to check the cost cap",
                                  "Nothing was sent", "the chat, _ygpt and the --out variable are as they were")),
    "--labels --max-cost's tokenizer": ("%%ygpt --labels good,bad --max-cost 5 --out lab\nI loved it",
                                        "TokenizeCompletion", StoppedBeforeAsking,
                                        ("Stopped before the request was sent", "counted to check the cost cap",
                                         "Nothing was sent")),
    "--dry-run's tokenizer": ("%%ygpt --dry-run\nHello there", "TokenizeCompletion", StoppedBeforeAsking,
                              ("Stopped before the request was sent", "counted for --dry-run",
                               "Nothing was sent")),
    "--labels on one text": ("%%ygpt --labels good,bad --out lab\nI loved it", "FewShotClassify", StoppedInFlight,
                             ("Ctrl-C came while the text was classified", "may have reached the service",
                              "no answer was kept", "run the cell again to classify it")),
    "--docs embedding the files": ("%%ygpt --docs notes --once\nWhen is the release?", "TextEmbedding",
                                   StoppedBeforeAsking,
                                   ("Stopped before the request was sent", "embedded for --docs",
                                    "Every chunk embedded so far is kept", "it embeds only the rest")),
    "--batch estimating the job's cost": (BATCH, "TokenizeCompletion", StoppedBeforeSending,
                                          ("Stopped before any row was sent", "estimated for the batch job",
                                           "Nothing was sent")),
    "--batch uploading the rows": (BATCH, "CreateDataset", BatchNotStarted,
                                   ("uploaded as a dataset", "no job was started", "nothing is billed")),
    "--batch asking for the job": (BATCH, "BatchCompletion", BatchNotStarted,
                                   ("the job was asked for", "may have started", "%ygpt batch list",
                                    "%ygpt batch cancel ID")),
}


#: a press while the job is asked for waits out client/batch.py's ASK_GRACE for the service's answer
SLOW = {"--batch asking for the job"}


@pytest.mark.parametrize("case", [pytest.param(case, marks=pytest.mark.slow) if case in SLOW else case
                                  for case in CASES])
def test_ctrl_c_before_the_reply_is_one_paragraph_and_the_chat_is_as_it_was(shell, magics, ygpt_server, tmp_path,
                                                                            monkeypatch, case):
    source, method, error_type, words = CASES[case]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("# Release\n\nThe release is on Friday.\n", encoding="utf-8")
    shell.user_ns.update(reviews=["Great phone", "Broke in a week"], lab="kept")
    held = ygpt_server.faults.hold_next(1, method, seconds=5)
    presser = ctrl_c_in(10, when=held)
    run = cell(shell, source)
    presser.join()
    assert held.is_set()
    assert_stopped(run, *words, error_type=error_type)
    assert magics.kernel.session.chats["default"].turns == []
    assert "_ygpt" not in shell.user_ns and shell.user_ns["lab"] == "kept"


def test_ctrl_c_while_a_batch_jobs_rows_are_checked_for_credentials_says_nothing_was_uploaded(
        shell, ygpt_server, monkeypatch):
    """Between the rows' planning and their upload every row passes the credential guard: a
    press there gave a raw KeyboardInterrupt traceback (a moment earlier or later, one paragraph).
    No call of the server marks that moment, so the press comes from inside the guard of the
    1,500th of 3,000 rows, where a user's lands about a second into a 20,000-row cell. The
    kernel's secrets are read once for the job, not once a row (they were, 1,500 times by then)."""
    from ygpt_magic.client import guard, sdk

    shell.user_ns.update(reviews=[f"review {i}" for i in range(3000)], lab="kept")
    checks, reads = [0], [0]
    check, known = guard.check_request, sdk.known_secrets

    def pressed(*args, **kwargs):
        checks[0] += 1
        if checks[0] == 1500:   # the estimate's tokenizer checked at most 20 rows before these
            signal.raise_signal(signal.SIGINT)
        return check(*args, **kwargs)

    def counted(*args, **kwargs):
        reads[0] += 1
        return known(*args, **kwargs)

    monkeypatch.setattr(guard, "check_request", pressed)
    monkeypatch.setattr(sdk, "known_secrets", counted)
    message = assert_stopped(cell(shell, BATCH), "Stopped before any row was sent",
                             "the 3,000 rows were checked for credentials before their upload", "Nothing was sent",
                             error_type=StoppedBeforeSending)
    assert checks[0] >= 1500 and "Traceback" not in message
    assert reads[0] <= 30, f"the environment's credentials were read {reads[0]:,} times"
    assert not [r for r in ygpt_server.requests if r.method in ("CreateDataset", "BatchCompletion")]
    assert "_ygpt" not in shell.user_ns and shell.user_ns["lab"] == "kept"


@pytest.mark.slow
def test_ctrl_c_after_the_rows_were_uploaded_names_the_dataset_left_in_the_folder(shell, ygpt_server):
    shell.user_ns["reviews"] = ["Great phone", "Broke in a week"]
    held = ygpt_server.faults.hold_next(1, "BatchCompletion", seconds=5)
    presser = ctrl_c_in(10, when=held)
    message = assert_stopped(cell(shell, BATCH), error_type=BatchNotStarted)
    presser.join()
    [dataset] = re.findall(r"dataset (\S+) uploaded", message)
    assert dataset != "None" and f"dataset {dataset} stays in the folder" in message


@pytest.mark.slow
def test_rows_in_flight_at_ctrl_c_are_said_to_be_sent_and_paid_again_not_unsent(shell, ygpt_server):
    """They were counted as "not sent": the server had them, the cloud may bill them, and the
    re-run sends (and pays for) them again."""
    run, sent = _stopped_map(shell, ygpt_server, [f"word {i}" for i in range(60)], after=20)
    answered = shell.user_ns["_ygpt"].answered
    said = re.search(r"Stopped: (\d+) rows left \((\d+) not sent, (\d+) sent, not answered \(will be sent "
                     r"again and paid again on the re-run\), 0 failed\)", run.stdout)
    assert said, run.stdout
    assert [int(n) for n in said.groups()] == [60 - answered, 60 - sent, sent - answered], run.stdout


@pytest.mark.slow
def test_rows_repeating_a_request_in_flight_at_ctrl_c_are_counted_with_it_not_as_unsent(shell, ygpt_server):
    """Each word twice: a request cancelled in flight leaves two rows sent, not answered; the
    rows never sent are those whose request was never sent, as _ygpt.left counts the rows."""
    run, sent = _stopped_map(shell, ygpt_server, [f"word {i}" for i in range(30)] * 2, after=8)
    done = shell.user_ns["_ygpt"]
    said = re.search(r"Stopped: (\d+) rows left \((\d+) not sent, (\d+) sent, not answered", run.stdout)
    assert said, run.stdout
    assert [int(n) for n in said.groups()] == [done.left, 60 - 2 * sent, 2 * sent - done.answered], run.stdout


def _stopped_map(shell, server, items: list[str], after: int) -> tuple[CellRun, int]:
    """A --map over ``items`` (0.2 s a request, 4 at a time) stopped by Ctrl-C once the server
    got ``after`` requests; the run, and how many requests the server got in all."""
    shell.user_ns["items"] = items
    server.faults.latency(0.2)
    presser = ctrl_c_after(server, "Completion", after)
    run = cell(shell, "%%ygpt --map items --out res --concurrency 4\nTranslate {item}")
    presser.join()
    time.sleep(0.3)   # a request cancelled in flight may still reach the server
    return run, len(completions(server))


def test_ctrl_c_while_the_sdk_still_loads_after_load_ext_is_one_paragraph(shell, ygpt_server, monkeypatch):
    """The first cell right after %load_ext waits for the background import (client/preload.py);
    a slow machine's import stands in for it here: a thread that holds until released."""
    from ygpt_magic.client import preload

    release = threading.Event()
    importing = threading.Thread(target=release.wait, daemon=True)
    importing.start()
    monkeypatch.setattr(preload, "_thread", importing)
    try:
        presser = ctrl_c_in(0.3)
        run = cell(shell, "%%ygpt\nHello there")
        presser.join()
    finally:
        release.set()
    assert_stopped(run, "Stopped before the request was sent", "still loading", "Nothing was sent",
                   error_type=StoppedBeforeAsking)
    assert completions(ygpt_server) == []


class SlowReport:
    """A value whose text takes long to make (a lazy frame computing itself); ``started`` is set
    once it is being made."""

    def __init__(self) -> None:
        self.started = threading.Event()

    def __repr__(self) -> str:
        self.started.set()
        for _ in range(3000):   # 30 s, which value_timeout (5 s) would stop: the press comes first
            time.sleep(0.01)    # a press landing just before one long sleep began would wait it out
        return "report"


#: case → (the cell, the reference it names and where); each reads {report}, a SlowReport
READING = {
    "the cell's text": ("%%ygpt\nSummarise {report}", "{report} in the cell's text"),
    "--system": ('%%ygpt --system "Context: {report}"\nSummarise it', "{report} in --system"),
    "an expression": ("%%ygpt --once\nSummarise {[report][0]}", "{[report][0]} in the cell's text"),
    "--labels": ("%%ygpt --labels good,bad\n{report}", "{report} in the cell's text"),
}


@pytest.mark.parametrize("case", READING)
def test_ctrl_c_while_a_reference_is_turned_into_text_is_one_paragraph_naming_it(shell, magics, ygpt_server, case,
                                                                                   monkeypatch):
    """errors3.md 7: a KeyboardInterrupt traceback through 9 of ygpt_magic's frames. The words
    are guide/context.md's quote."""
    source, reference = READING[case]
    report = SlowReport()
    monkeypatch.setitem(shell.user_ns, "report", report)   # gone after: a later test's repr of the namespace waits 30 s
    presser = ctrl_c_in(10, when=report.started)
    run = cell(shell, source)
    presser.join()
    message = assert_stopped(run, "put the text you want in a variable", error_type=StoppedBeforeAsking)
    assert message.startswith(f"Stopped before the request was sent: Ctrl-C came while {reference} was "
                              f"turned into text. Nothing was sent, "), message
    assert magics.kernel.session.chats["default"].turns == []
    assert completions(ygpt_server) == [] and "_ygpt" not in shell.user_ns


def test_ctrl_c_while_a_rows_reference_is_turned_into_text_stops_the_run_not_the_row(shell, ygpt_server, monkeypatch):
    """A --map row reads its references while the rows are planned: a press there stops the whole
    run as any press does, never taken for that row's failure while the others are sent."""
    report = SlowReport()
    monkeypatch.setitem(shell.user_ns, "report", report)
    shell.user_ns.update(items=["a", "b"], res="kept")
    presser = ctrl_c_in(10, when=report.started)
    run = cell(shell, "%%ygpt --map items --out res\n{item}: {report}")
    presser.join()
    assert_stopped(run, "Stopped before any row was sent", "Nothing was sent", error_type=StoppedBeforeSending)
    assert completions(ygpt_server) == [] and shell.user_ns["res"] == "kept"
