"""Ctrl-C around the start of a --batch job, through a real shell and the local server: once the
service has made the job, the kernel keeps it whatever moment the press lands, the output names
it (status, attach, cancel) and never says it did not start, and running the cell again waits
for it instead of paying for a second job. A press before the job exists is in
test_interrupts.py (the upload: no job runs; an ask the service does not answer: it may run)."""

from __future__ import annotations

import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from cellrun import assert_clear_error, assert_interrupted, assert_stopped
from conftest import TEST_FOLDER, cell
from presses import ctrl_c_in
from yandex_cloud_ml_sdk import YCloudML

from ygpt_magic.client.batch import ASK_GRACE
from ygpt_magic.emulator.testing import sdk_kwargs
from ygpt_magic.errors import BatchNotStarted, BatchStatusStopped

SOURCE = "%%ygpt --map words --batch -m gemma-3-12b-it --out spelled\nSpell {item}"


@pytest.fixture
def batch_shell(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    shell.user_ns["words"] = ["one", "two", "three"]
    ygpt_server.batch_row_delay = 0.0
    yield shell
    ygpt_server.batch_row_delay = 0.01


def jobs_asked(server) -> int:
    """The batch jobs the server was asked for in this test (each BatchCompletion it received)."""
    return sum(r.method == "BatchCompletion" for r in server.requests)


def assert_kept(run) -> str:
    """The stopped cell named its job as running, with how to see, collect and stop it, and ended
    as interrupted (Run All stops there); its id."""
    assert_interrupted(run)
    [task_id] = re.findall(r"batch job (\S+) goes on in the cloud", run.stdout)
    for words in ("Stopped", f"%ygpt batch status {task_id}", f"%ygpt batch attach {task_id} --out spelled",
                  f"%ygpt batch cancel {task_id}", "running this cell again waits for it"):
        assert words in run.stdout, run.stdout
    assert "not started" not in run.stdout.lower() and "may have started" not in run.stdout
    return task_id


def assert_rejoined(shell, server, task_id: str) -> None:
    again = cell(shell, SOURCE)
    assert again.ok, again.message
    assert f"Batch job {task_id}, started earlier in this kernel for these same 3 rows" in again.stdout
    assert jobs_asked(server) == 1, "a second job was paid for"
    assert "✓ 3 answered" in again.stdout and "two" in shell.user_ns["spelled"][1]


def test_ctrl_c_while_the_services_answer_is_on_its_way_keeps_the_job_it_made(batch_shell, ygpt_server):
    """The service made the job; its answer, with the id, had not reached the kernel at the press.
    Before, the call was dropped there: "may have started", and the re-run paid for a second job."""
    held = ygpt_server.faults.hold_next(1, "BatchCompletion", seconds=0.3, answered=True)
    presser = ctrl_c_in(10, when=held)
    run = cell(batch_shell, SOURCE)
    presser.join()
    assert held.is_set()
    assert_rejoined(batch_shell, ygpt_server, assert_kept(run))


def test_a_second_ctrl_c_does_not_wait_for_an_answer_the_service_holds_back(batch_shell, ygpt_server):
    """The first press waits up to ASK_GRACE s for the service's answer (it would name the job);
    one more press ends the cell at once, saying a job may have started."""
    held = ygpt_server.faults.hold_next(1, "BatchCompletion", seconds=5)
    ended, again = threading.Event(), []

    def press_twice() -> None:
        if held.wait(10):
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            if not ended.wait(0.3):   # still waiting for the answer: press again
                again.append(time.monotonic())
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    presser = threading.Thread(target=press_twice)
    presser.start()
    run = cell(batch_shell, SOURCE)
    ended.set()
    presser.join()
    assert again, "the first press ended the cell: it did not wait for the service's answer"
    assert time.monotonic() - again[0] < ASK_GRACE / 2
    assert_clear_error(run, "the job was asked for", "may have started", "%ygpt batch list",
                       error_type=BatchNotStarted)


class _PressedAt:
    """The cell's stdout, which presses Ctrl-C on the kernel's thread as ``words`` are written."""

    def __init__(self, stream, words: str) -> None:
        self._stream, self._words, self._pressed = stream, words, False

    def write(self, text: str) -> int:
        written = self._stream.write(text)
        if self._words in text and not self._pressed:
            self._pressed = True
            signal.raise_signal(signal.SIGINT)   # raised here, in the print of those words
        return written

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@pytest.fixture
def ctrl_c_at(batch_shell) -> Iterator[Callable[[str], None]]:
    """``ctrl_c_at(words)``: the next cell presses Ctrl-C as it prints ``words``."""
    armed: list[str] = []

    def wrap(info) -> None:
        if armed:
            sys.stdout = _PressedAt(sys.stdout, armed.pop())
    batch_shell.events.register("pre_run_cell", wrap)
    yield armed.append
    batch_shell.events.unregister("pre_run_cell", wrap)


def test_ctrl_c_as_the_started_job_is_printed_keeps_it_recorded(batch_shell, ygpt_server, ctrl_c_at):
    """Before, the job entered the kernel's jobs only after that line: a press in it lost the job
    behind a KeyboardInterrupt traceback, and the re-run paid for a second one."""
    ctrl_c_at("started for 3 rows")
    run = cell(batch_shell, SOURCE)
    task_id = assert_kept(run)
    assert f"Batch job {task_id} started for 3 rows" in run.stdout
    assert_rejoined(batch_shell, ygpt_server, task_id)


def calls(server, method: str) -> list:
    """The server's log of ``method`` calls in this test, with their fields."""
    return [r for r in server.requests if r.method == method]


def sdk_on(server) -> YCloudML:
    """The unmodified SDK on the test shell's folder."""
    return YCloudML(**sdk_kwargs(server.address, folder_id=TEST_FOLDER))


def jobs_on(server, dataset: str) -> list[str]:
    """The ids of the jobs the server holds on ``dataset``, as the SDK lists them."""
    return [info.task_id for info in sdk_on(server).batch.list_info() if info.source_dataset_id == dataset]


@pytest.mark.slow   # a press while the job is asked for waits out ASK_GRACE
def test_a_rerun_after_a_stop_with_no_answer_waits_for_the_job_the_service_made(batch_shell, ygpt_server):
    """The service made the job, and its answer (with the id) came later than the cell waited
    after the press. Before, the re-run uploaded the rows again and paid for a second job."""
    held = ygpt_server.faults.hold_next(1, "BatchCompletion", seconds=5, answered=True)
    presser = ctrl_c_in(10, when=held)
    stopped = cell(batch_shell, SOURCE)
    presser.join()
    assert_stopped(stopped, "may have started", "running the cell again looks for that job",
                   error_type=BatchNotStarted)
    again = cell(batch_shell, SOURCE)
    assert again.ok, again.message
    assert len(calls(ygpt_server, "CreateDataset")) == 1, "the rows were uploaded again"
    assert len(calls(ygpt_server, "BatchCompletion")) == 1, "a second job was asked for"
    dataset = calls(ygpt_server, "GetUploadDraftUrl")[0].fields["datasetId"]
    assert f"asked for on dataset {dataset} when this cell was stopped, was found: waiting for it" in again.stdout
    assert len(jobs_on(ygpt_server, dataset)) == 1
    assert "✓ 3 answered" in again.stdout
    assert all(word in answer for word, answer in zip(("one", "two", "three"), batch_shell.user_ns["spelled"]))


@pytest.mark.slow   # a press while the job is asked for waits out ASK_GRACE
def test_a_rerun_after_a_stop_before_the_service_made_a_job_starts_one_on_the_uploaded_rows(
        batch_shell, ygpt_server):
    """No job on the dataset: the re-run starts one on it, without uploading the rows again."""
    held = ygpt_server.faults.hold_next(1, "BatchCompletion", seconds=5)
    presser = ctrl_c_in(10, when=held)
    assert_stopped(cell(batch_shell, SOURCE), "may have started", error_type=BatchNotStarted)
    presser.join()
    again = cell(batch_shell, SOURCE)
    assert again.ok, again.message
    assert len(calls(ygpt_server, "CreateDataset")) == 1, "the rows were uploaded again"
    dataset = calls(ygpt_server, "GetUploadDraftUrl")[0].fields["datasetId"]
    assert f"No job on dataset {dataset}, asked for when this cell was stopped, runs or has finished" in again.stdout
    assert "without uploading the 3 rows again" in again.stdout
    assert {r.fields["sourceDatasetId"] for r in calls(ygpt_server, "BatchCompletion")} == {dataset}
    assert len(jobs_on(ygpt_server, dataset)) == 1
    assert "✓ 3 answered" in again.stdout and "two" in batch_shell.user_ns["spelled"][1]


@pytest.mark.slow   # a press while the job is asked for waits out ASK_GRACE
def test_a_rerun_after_a_stop_whose_dataset_was_deleted_uploads_the_rows_again(batch_shell, ygpt_server):
    held = ygpt_server.faults.hold_next(1, "BatchCompletion", seconds=5)
    presser = ctrl_c_in(10, when=held)
    assert_stopped(cell(batch_shell, SOURCE), "may have started", error_type=BatchNotStarted)
    presser.join()
    dataset = calls(ygpt_server, "GetUploadDraftUrl")[0].fields["datasetId"]
    sdk_on(ygpt_server).datasets.get(dataset).delete()
    again = cell(batch_shell, SOURCE)
    assert again.ok, again.message
    assert (f"Dataset {dataset}, uploaded when this cell was stopped, is no longer in the folder and no job "
            f"runs on it: uploading the 3 rows again.") in again.stdout
    assert len(calls(ygpt_server, "CreateDataset")) == 2
    assert "✓ 3 answered" in again.stdout and "two" in batch_shell.user_ns["spelled"][1]


def test_ctrl_c_while_a_rerun_reads_its_earlier_jobs_status_keeps_the_job_for_the_next_run(batch_shell, ygpt_server):
    """The cell run again reads the status of the job it started before, to wait for it rather
    than pay for a second one; a press during that read was a raw KeyboardInterrupt traceback."""
    first = ygpt_server.faults.hold_next(1, "DescribeBatchInference", seconds=0.3)
    presser = ctrl_c_in(10, when=first)
    task_id = assert_kept(cell(batch_shell, SOURCE))
    presser.join()
    held = ygpt_server.faults.hold_next(1, "DescribeBatchInference", seconds=5)
    presser = ctrl_c_in(10, when=held)
    run = cell(batch_shell, SOURCE)
    presser.join()
    assert held.is_set()
    assert_stopped(run, f"batch job {task_id}", "its status was read", "still in the cloud",
                             "running the cell again reads its status again", error_type=BatchStatusStopped)
    assert "Traceback" not in run.stdout + run.stderr
    assert jobs_asked(ygpt_server) == 1
    assert_rejoined(batch_shell, ygpt_server, task_id)
