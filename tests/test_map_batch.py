"""%%ygpt --map NAME --batch and %ygpt batch: the rows as one Batch Processing job on the local
server, through a real shell; what the server received (datasets, the job, its rows) and what
the user sees."""

from __future__ import annotations

import signal
import sys
import threading
import time

import pandas as pd
import pytest
from cellrun import assert_clean, assert_clear_error, assert_interrupted
from conftest import cell
from presses import ctrl_c_in

from ygpt_magic.errors import BatchNotCollected

BATCH_MODEL = "gemma-3-12b-it"


@pytest.fixture
def batch_shell(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    ygpt_server.batch_row_delay = 0.0
    yield shell
    ygpt_server.batch_row_delay = 0.01


def batch_rows(server) -> list:
    return [r for r in server.requests if r.method == "BatchRow"]


def task_id_of(run) -> str:
    return run.stdout.split("Batch job ", 1)[1].split()[0]


def test_a_batch_job_answers_every_row_aligned_with_the_dataframe(batch_shell, ygpt_server):
    shell = batch_shell
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["Great phone", "Broke in a week", "Fine"]},
                                            index=[7, 8, 9])
    run = cell(shell, f"%%ygpt --map reviews --batch --model {BATCH_MODEL} --out labels "
                      f"--system 'Label the review.'\nReview: {{text}}")
    assert run.ok, run.message
    assert_clean(run)
    rows = batch_rows(ygpt_server)
    assert sorted(r.messages[-1]["text"] for r in rows) == ["Review: Broke in a week", "Review: Fine",
                                                            "Review: Great phone"]
    assert all(r.messages[0] == {"role": "system", "text": "Label the review."} for r in rows)
    assert not [r for r in ygpt_server.requests if r.method == "Completion"]
    labels = shell.user_ns["labels"]
    assert list(labels.index) == [7, 8, 9] and "Broke in a week" in labels[8]
    task_id = task_id_of(run)
    assert shell.user_ns["_ygpt"].task_id == task_id and "✓ 3 answered" in run.stdout
    listed = cell(shell, "%ygpt batch list")
    assert task_id in listed.plain and "COMPLETED" in listed.plain and "--map reviews" in listed.plain
    status = cell(shell, f"%ygpt batch status {task_id}")
    assert "COMPLETED" in status.plain and "3 of reviews" in status.plain


def test_attach_after_a_restart_reads_the_rows_back_in_their_order(batch_shell, ygpt_server):
    shell = batch_shell
    shell.user_ns["words"] = ["one", "two"]
    run = cell(shell, f"%%ygpt --map words --batch -m {BATCH_MODEL}\nSpell {{item}}")
    task_id = task_id_of(run)
    expected = shell.user_ns["_ygpt"].results
    shell.extension_manager.reload_extension("ygpt_magic")   # a new kernel knows only the id
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    attached = cell(shell, f"%ygpt batch attach {task_id} --out again")
    assert attached.ok, attached.message
    assert shell.user_ns["again"] == expected


def test_a_failed_row_is_a_hole_with_its_reason_and_a_rerun_sends_only_it(batch_shell, ygpt_server):
    shell = batch_shell
    shell.user_ns["words"] = ["one", "two", "three"]
    ygpt_server.faults.fail_next(1, "INTERNAL", "the model broke on this row", method="BatchRow")
    source = f"%%ygpt --map words --batch -m {BATCH_MODEL} --out answers\nSpell {{item}}"
    run = cell(shell, source)
    assert run.ok, run.message
    answers = shell.user_ns["answers"]
    assert answers[0] is None and all(answers[1:])
    assert "the model broke on this row" in shell.user_ns["_ygpt"].errors[0]
    assert "✗ 1 failed" in run.stdout
    ygpt_server.requests.clear()
    again = cell(shell, source)
    assert again.ok
    assert [r.messages[-1]["text"] for r in batch_rows(ygpt_server)] == ["Spell one"]
    assert all(shell.user_ns["answers"])


def test_a_status_poll_that_fails_in_passing_is_tried_again_and_the_job_collected(batch_shell, ygpt_server):
    shell = batch_shell
    shell.user_ns["words"] = ["one", "two", "three"]
    ygpt_server.faults.fail_next(1, "INTERNAL", method="DescribeBatchInference", after=1)
    run = cell(shell, f"%%ygpt --map words --batch -m {BATCH_MODEL} --out spelled\nSpell {{item}}")
    assert run.ok, run.message
    assert "✓ 3 answered" in run.stdout and all(shell.user_ns["spelled"])
    assert len(batch_rows(ygpt_server)) == 3


def test_a_status_that_cannot_be_read_says_the_job_goes_on_and_a_rerun_waits_for_it(batch_shell, ygpt_server):
    """Never "run the cell again" while the job runs: that paid for the same rows twice."""
    shell = batch_shell
    shell.user_ns["words"] = ["one", "two", "three"]
    source = f"%%ygpt --map words --batch -m {BATCH_MODEL} --out spelled\nSpell {{item}}"
    ygpt_server.faults.fail_next(20, "INTERNAL", method="DescribeBatchInference", after=1)
    run = cell(shell, source)
    task_id = task_id_of(run)
    message = assert_clear_error(run, f"Batch job {task_id} goes on in the cloud", "(INTERNAL)",
                                 f"%ygpt batch attach {task_id} --out spelled", "after a kernel restart",
                                 f"%ygpt batch cancel {task_id}", error_type=BatchNotCollected)
    assert "run the cell again" not in message.lower()
    ygpt_server.faults.clear()
    again = cell(shell, source)
    assert again.ok, again.message
    assert f"Batch job {task_id}, started earlier in this kernel for these same 3 rows" in again.stdout
    assert "started for" not in again.stdout and len(batch_rows(ygpt_server)) == 3
    assert "✓ 3 answered" in again.stdout and "one" in shell.user_ns["spelled"][0]
    third = cell(shell, source)
    assert third.ok and "3 rows already answered" in third.stdout and "Batch job" not in third.stdout


def test_a_rerun_with_other_options_or_after_a_failed_job_starts_its_own_job(batch_shell, ygpt_server):
    shell = batch_shell
    shell.user_ns["words"] = ["one", "two"]
    source = f"%%ygpt --map words --batch -m {BATCH_MODEL} --out spelled\nSpell {{item}}"
    ygpt_server.faults.fail_next(20, "INTERNAL", method="DescribeBatchInference", after=1)
    assert isinstance(cell(shell, source).error.error, BatchNotCollected)
    ygpt_server.faults.clear()
    other = cell(shell, source.replace("--out", "--temperature 0.9 --out"))
    assert other.ok and "started for 2 rows" in other.stdout, "other options: not the job that is running"
    lite = "%%ygpt --map words --batch -m yandexgpt\nSpell {item}"
    assert "ended FAILED" in cell(shell, lite).message
    again = cell(shell, lite)
    assert "ended FAILED" in again.message and "started for 2 rows" in again.stdout, "a failed job is not waited for"


@pytest.mark.usefixtures("fresh_names")
def test_a_batch_run_is_recorded_and_replays_in_ci_without_a_job(batch_shell, ygpt_server, tmp_path):
    shell = batch_shell
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'replies.sqlite')!r}")
    shell.user_ns["words"] = ["one", "two"]
    source = f"%%ygpt --map words --batch -m {BATCH_MODEL} --out spelled\nSpell {{item}}"
    assert cell(shell, source).ok and len(batch_rows(ygpt_server)) == 2
    recorded = shell.user_ns["spelled"]
    shell.extension_manager.reload_extension("ygpt_magic")   # a new kernel: its memo is gone
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    shell.run_line_magic("config", "YGptMagics.cache_mode = 'replay'")
    ygpt_server.reset()
    replayed = cell(shell, source)
    assert replayed.ok, replayed.message
    assert shell.user_ns["spelled"] == recorded and not ygpt_server.requests, "no job, no dataset"
    shell.user_ns["words"] = ["one", "two", "three"]
    missing = cell(shell, source)
    assert "No recorded reply for cell In [" in missing.message and "Spell {item}”), row 2 in" in missing.message
    assert not ygpt_server.requests, "replay mode starts no job for an unrecorded row"
    shell.run_line_magic("config", "YGptMagics.cache_mode = 'auto'")
    shell.run_line_magic("config", "YGptMagics.cache_path = None")


def test_a_model_without_batch_support_is_a_clear_message(batch_shell):
    batch_shell.user_ns["words"] = ["one"]
    run = cell(batch_shell, "%%ygpt --map words --batch -m yandexgpt\nSpell {item}")
    assert_clear_error(run, "ended FAILED", "does not support Batch Processing", "--model")


def test_unknown_jobs_and_bad_combinations_are_clear_messages(batch_shell):
    assert_clear_error(cell(batch_shell, "%ygpt batch status nosuchjob"), "no batch job", "%ygpt batch list")
    assert_clear_error(cell(batch_shell, "%ygpt batch attach"), "needs a job id")
    assert_clear_error(cell(batch_shell, "%ygpt batch attach abc --out 1x"), "--out", "Python variable name",
                       "'1x'")
    alone = assert_clear_error(cell(batch_shell, "%%ygpt --batch\nHello"), "--batch runs the rows of --map")
    assert "--concurrency" not in alone, alone   # findings/advice.md F8: the cell gave none
    paced = assert_clear_error(cell(batch_shell, "%%ygpt --batch --map words --concurrency 2\nSpell {item}"),
                               "leave out --concurrency")
    assert "give --map" not in paced, paced


def test_cancel_stops_a_running_job(batch_shell, ygpt_server):
    shell = batch_shell
    ygpt_server.batch_row_delay = 0.5
    shell.user_ns["words"] = [f"w{i}" for i in range(20)]
    model = cell(shell, "%ygpt batch list")   # the client exists before the job starts
    assert model.ok
    task_id = shell.magics_manager.registry["YGptMagics"].kernel.connection.client().batch.start(
        [[{"role": "user", "text": "Spell w1"}]], _options(shell))
    cancelled = cell(shell, f"%ygpt batch cancel {task_id}")
    assert cancelled.ok, cancelled.message
    assert "CANCEL" in cancelled.plain
    assert "CANCEL" in cell(shell, f"%ygpt batch status {task_id}").plain
    again = cell(shell, f"%ygpt batch cancel {task_id}")
    assert again.ok and "already CANCEL" in again.plain and "nothing to cancel" in again.plain


def _options(shell):
    from ygpt_magic.chat import Options
    return Options(model=BATCH_MODEL)


def test_without_pyarrow_batch_says_which_extra_to_install_and_starts_nothing(batch_shell, ygpt_server,
                                                                              monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)   # as if it were not installed
    batch_shell.user_ns["words"] = ["one"]
    run = cell(batch_shell, f"%%ygpt --map words --batch -m {BATCH_MODEL}\nSpell {{item}}")
    assert_clear_error(run, "needs pyarrow", "pip install pyarrow")
    assert not [r for r in ygpt_server.requests if r.method in ("CreateDataset", "BatchCompletion")]


def test_the_dataset_and_the_job_are_in_the_servers_log_without_the_rows_and_a_dry_run_makes_neither(
        batch_shell, ygpt_server):
    """Before, no dataset or job call was in the log, so "nothing was uploaded" could not fail."""
    shell = batch_shell
    shell.user_ns["words"] = ["secret-row-one", "secret-row-two"]
    source = f"%%ygpt --map words --batch -m {BATCH_MODEL} --out spelled\nSpell {{item}}"
    assert cell(shell, source.replace("--out", "--dry-run --out")).ok
    assert {r.method for r in ygpt_server.requests} == {"TokenizeCompletion"}, "a dry run uploads nothing"
    ygpt_server.requests.clear()
    assert cell(shell, source).ok
    assert ygpt_server.requests[0].method == "TokenizeCompletion", "the start line's estimate comes first"
    calls = [r for r in ygpt_server.requests if r.method not in ("BatchRow", "TokenizeCompletion")]
    assert [r.method for r in calls][:4] == ["CreateDataset", "GetUploadDraftUrl", "ValidateDataset",
                                             "DescribeDataset"]
    [job] = [r for r in calls if r.method == "BatchCompletion"]
    dataset = calls[1].fields["datasetId"]
    assert job.fields["sourceDatasetId"] == dataset and job.model_uri.endswith(f"/{BATCH_MODEL}/latest")
    assert calls[0].fields["taskType"] == "TextToTextGenerationRequest" and calls[1].fields["sizeBytes"]
    assert "secret-row" not in repr(calls), "the rows go to the upload URL, not into the log"


@pytest.mark.slow   # waits for a 2 s job
def test_ctrl_c_stops_the_waiting_not_the_job_and_attach_collects_it_in_the_rows_shape(batch_shell, ygpt_server):
    shell = batch_shell
    shell.user_ns["words"] = pd.Series([f"w{i}" for i in range(20)], index=[f"k{i}" for i in range(20)])
    assert cell(shell, "%ygpt batch list").ok   # the SDK's first connection, before the timer runs
    ygpt_server.batch_row_delay = 0.1   # the job takes 2 s
    timer = threading.Timer(0.4, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
    timer.start()
    run = cell(shell, f"%%ygpt --map words --batch -m {BATCH_MODEL} --out spelled\nSpell {{item}}")
    timer.join()
    assert_interrupted(run)   # Run All stops here; the job goes on
    task_id = task_id_of(run)
    assert "Stopped waiting" in run.stdout and f"%ygpt batch attach {task_id}" in run.stdout
    presser = ctrl_c_in(0.3)
    waited = cell(shell, f"%ygpt batch attach {task_id} --out spelled")
    presser.join()
    assert_interrupted(waited)   # attach's wait stops as the cell's did
    assert "Stopped waiting" in waited.stdout
    attached = cell(shell, f"%ygpt batch attach {task_id} --out spelled")
    assert attached.ok, attached.message
    spelled = shell.user_ns["spelled"]
    assert list(spelled.index) == [f"k{i}" for i in range(20)] and spelled.notna().all()
    assert "w7" in spelled["k7"]
    assert len(batch_rows(ygpt_server)) == 20   # one job: attaching sent nothing again


def test_ctrl_c_while_the_answers_are_read_stops_the_waiting_as_it_does_while_polling(batch_shell, ygpt_server):
    shell = batch_shell
    shell.user_ns["words"] = [f"w{i}" for i in range(3)]
    assert cell(shell, "%ygpt batch list").ok
    held = ygpt_server.faults.hold_next(1, "GetDownloadUrls", seconds=30)
    threading.Thread(target=lambda: held.wait(20) and signal.pthread_kill(threading.main_thread().ident,
                                                                            signal.SIGINT)).start()
    run = cell(shell, f"%%ygpt --map words --batch -m {BATCH_MODEL} --out spelled\nSpell {{item}}")
    assert_interrupted(run)
    assert "Stopped waiting" in run.stdout and f"%ygpt batch attach {task_id_of(run)}" in run.stdout


@pytest.mark.slow
def test_a_job_collected_after_the_notebook_changed_is_recorded_under_what_was_sent(batch_shell, ygpt_server,
                                                                                    tmp_path):
    shell = batch_shell
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'replies.sqlite')!r}")
    shell.user_ns.update(words=[f"w{i}" for i in range(6)], style="capitals")
    source = f"%%ygpt --map words --batch -m {BATCH_MODEL} --out spelled\nSpell {{item}} in {{style}}"
    assert cell(shell, "%ygpt batch list").ok   # the SDK's first connection, before the timer runs
    ygpt_server.batch_row_delay = 0.15
    timer = threading.Timer(0.4, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
    timer.start()
    run = cell(shell, source)
    timer.join()
    assert_interrupted(run)
    assert "Stopped waiting" in run.stdout
    shell.user_ns["style"] = "italics"   # the notebook moves on while the job runs
    assert cell(shell, f"%ygpt batch attach {task_id_of(run)} --out spelled").ok
    shell.extension_manager.reload_extension("ygpt_magic")   # a new kernel: its memo is gone
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    shell.run_line_magic("config", "YGptMagics.cache_mode = 'replay'")
    shell.user_ns["style"] = "capitals"
    replayed = cell(shell, source)   # the rows the job answered, replayed: no job, no miss
    assert replayed.ok, replayed.message
    assert "w4" in shell.user_ns["spelled"][4]
    shell.run_line_magic("config", "YGptMagics.cache_mode = 'auto'")
    shell.run_line_magic("config", "YGptMagics.cache_path = None")


@pytest.mark.parametrize("command", ["list", "status abc123"])
def test_batch_commands_against_a_dead_endpoint_fail_within_the_connect_timeout(shell, command):
    from ygpt_magic.errors import ServerUnavailable

    shell.run_line_magic("ygpt", "connect 127.0.0.1:9 --insecure")
    shell.run_line_magic("config", "YGptMagics.connect_timeout = 1")
    started = time.monotonic()
    run = cell(shell, f"%ygpt batch {command}")
    assert time.monotonic() - started < 3
    assert_clear_error(run, "could not reach", "127.0.0.1:9", error_type=ServerUnavailable)


@pytest.mark.slow
def test_a_batch_wait_whose_server_dies_fails_within_the_connect_timeout(shell, magics):
    from ygpt_magic.emulator import start_local_server

    server = start_local_server(batch_row_delay=2.0)
    shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
    shell.run_line_magic("config", "YGptMagics.connect_timeout = 1")
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.05")
    shell.user_ns["reviews"] = ["Great phone", "Broke in a week"]
    # stopped at the job's second status poll (held for no time: the event says it came), not
    # after a fixed 0.5 s, which a cold or loaded worker spent before the job started
    polled = server.faults.hold_next(1, "DescribeBatchInference", seconds=0, after=1)
    threading.Thread(target=lambda: polled.wait(30) and server.stop(grace=0), daemon=True).start()
    started = time.monotonic()
    run = cell(shell, f"%%ygpt --map reviews --batch --model {BATCH_MODEL}\nReview: {{item}}")
    assert polled.is_set() and time.monotonic() - started < 5
    assert_clear_error(run, "goes on in the cloud", "could not reach", server.address,
                       f"%ygpt batch attach {task_id_of(run)}", error_type=BatchNotCollected)
    shell.user_ns.pop("reviews")


@pytest.mark.slow
@pytest.mark.parametrize("method", ["CreateDataset", "BatchCompletion", "DescribeBatchInference"])
def test_a_call_the_server_took_and_never_answered_fails_within_the_connect_timeout(shell, magics, method):
    """The server stops while it holds an upload, the start or a poll: that call gets neither an
    answer nor an error (the SDK would wait out its 60 s deadline), and the connect beside it is
    refused."""
    from ygpt_magic.emulator import start_local_server
    from ygpt_magic.errors import ServerUnavailable

    server = start_local_server(batch_row_delay=2.0)
    shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
    shell.run_line_magic("config", "YGptMagics.connect_timeout = 1")
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.05")
    shell.user_ns["reviews"] = ["Great phone", "Broke in a week"]
    held = server.faults.hold_next(1, method)
    threading.Thread(target=lambda: held.wait(30) and server.stop(grace=0), daemon=True).start()
    started = time.monotonic()
    run = cell(shell, f"%%ygpt --map reviews --batch --model {BATCH_MODEL}\nReview: {{item}}")
    assert held.is_set() and not server.running
    assert time.monotonic() - started < 5
    if method == "DescribeBatchInference":   # the job had started: it is not lost with the poll
        assert_clear_error(run, "could not reach", server.address, f"%ygpt batch attach {task_id_of(run)}",
                           error_type=BatchNotCollected)
    else:
        assert_clear_error(run, "could not reach", server.address, error_type=ServerUnavailable)
    shell.user_ns.pop("reviews")


def test_a_job_id_holding_escapes_is_printed_as_pictures_wherever_it_shows(batch_shell, ygpt_server, monkeypatch):
    """A server's job id is its own text: one ending in ESC ]0;…BEL ESC [2J reached a terminal
    IPython raw in the started line and in every redraw of the progress bar (8 times in one
    cell), setting the title and clearing the screen. Made visible once as it comes in, it is
    shown as %ygpt batch list shows it; a server that gives such an id does not know it again."""
    from ygpt_magic.emulator import ids
    from ygpt_magic.emulator.services import batch as batch_service

    monkeypatch.setattr(batch_service, "new_id", lambda prefix="emu": ids.new_id(prefix) + (
        "\x1b]0;PWNED-TITLE\x07\x1b[2J" if prefix == "fbi" else ""))
    batch_shell.user_ns["words"] = ["one", "two"]
    run = cell(batch_shell, f"%%ygpt --map words --batch -m {BATCH_MODEL} --out answers\nSpell {{item}}")
    printed = run.stdout + run.stderr + run.plain_page
    assert "\x1b" not in printed and "\x07" not in printed, repr(printed)
    assert "␛]0;PWNED-TITLE␇␛[2J started for 2 rows of words" in run.stdout, run.stdout
    assert "%ygpt batch status fbi" in run.stdout and "␛]0;PWNED-TITLE␇␛[2J shows it" in run.stdout
    assert "--batch fbi00" in run.stderr and "␛]0;PWNED-TITLE␇␛[2J:   0%" in run.stderr, run.stderr  # the bar
    assert "There is no batch job 'fbi" in run.message   # the server does not know the id as shown
    listed = cell(batch_shell, "%ygpt batch list")
    assert "␛]0;PWNED-TITLE␇␛[2J" in listed.plain and "\x1b" not in listed.shown
