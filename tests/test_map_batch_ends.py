"""How a --batch job that ends without answers, or is collected after a restart, is told
(rows3.md R1, R7): through a real shell and the local server's batch service."""

from __future__ import annotations

import re
import signal
import threading
import time

import pandas as pd
import pytest
from conftest import cell
from kernels import Kernel

BATCH_MODEL = "gemma-3-12b-it"
MODEL_ADVICE = "use a model that supports Batch Processing"


@pytest.fixture
def batch_shell(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.05")
    yield shell
    ygpt_server.batch_row_delay = 0.01


def task_id_of(run) -> str:
    return run.stdout.split("Batch job ", 1)[1].split()[0]


def stopped_waiting(shell, source: str, after: float):
    """The cell run with Ctrl-C pressed ``after`` seconds in: the job goes on in the cloud."""
    def press() -> None:
        time.sleep(after)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    presser = threading.Thread(target=press)
    presser.start()
    run = cell(shell, source)
    presser.join()
    return run


def test_a_job_the_service_failed_on_a_batch_model_is_not_blamed_on_the_model(batch_shell, ygpt_server):
    ygpt_server.faults.fail_next(3, "INTERNAL", "overloaded", method="BatchRow")
    batch_shell.user_ns["w"] = ["a", "b", "c"]
    run = cell(batch_shell, f"%%ygpt --map w --batch -m {BATCH_MODEL} --out r\nSay {{item}}")
    assert not run.ok and "ended FAILED: overloaded" in run.message, run.message
    assert MODEL_ADVICE not in run.message and "run the cell again in a while" in run.message
    # the bar ends as a --map run's does, with its summary under it: it stood at '0/3 [00:00<?'
    assert re.search(r"^✓ 0 answered · ✗ 3 failed \(3 job failed\) · \d+\.\d s$", run.stdout, re.M), run.shown


@pytest.mark.slow   # a real kernel: the bar is a widget there
def test_a_failed_jobs_bar_in_a_notebook_is_replaced_by_its_summary(ygpt_server):
    ygpt_server.faults.fail_next(3, "INTERNAL", "overloaded", method="BatchRow")
    with Kernel(ygpt_server.address) as kernel:
        kernel.run("%config YGptMagics.batch_poll_interval = 0.05\nw = ['a', 'b', 'c']")
        ran = kernel.run(f"%%ygpt --map w --batch -m {BATCH_MODEL} --out r\nSay {{item}}")
        shown = {}   # each display's last text, by its display id, as the saved notebook keeps it
        for kind, content in kernel.of(ran):
            if kind in ("display_data", "update_display_data"):
                shown[content.get("transient", {}).get("display_id")] = content["data"].get("text/plain", "")
        bar = next(text for text in shown.values() if "--batch" in text or "✓" in text)
        assert bar.startswith("✓ 0 answered · ✗ 3 failed (3 job failed) · "), shown
        assert "ended FAILED: overloaded" in kernel.shown(ran)


def test_a_job_the_local_server_failed_on_its_own_error_ends_the_cell_saying_so(batch_shell, ygpt_server):
    """Before, such a job stayed IN_PROGRESS and the cell waited for it until Ctrl-C (pressed
    here after 5 s)."""
    ygpt_server.faults.crash_next(1, "BatchJob")
    batch_shell.user_ns["w"] = ["a", "b"]
    ended = threading.Event()
    watchdog = threading.Thread(target=lambda: ended.wait(5) or signal.pthread_kill(threading.main_thread().ident,
                                                                                    signal.SIGINT))
    watchdog.start()
    run = cell(batch_shell, f"%%ygpt --map w --batch -m {BATCH_MODEL} --out r\nSay {{item}}")
    ended.set()
    watchdog.join()
    assert not run.ok and "ended FAILED: The local server failed it on an error of its own" in run.message, \
        run.message
    assert MODEL_ADVICE not in run.message and "run the cell again in a while" in run.message


def test_a_cancelled_job_is_told_as_cancelled_not_as_the_models_fault(batch_shell, ygpt_server):
    ygpt_server.batch_row_delay = 0.05
    batch_shell.user_ns["df"] = pd.DataFrame({"text": [f"review {i}" for i in range(60)]})
    run = stopped_waiting(batch_shell, f"%%ygpt --map df --batch -m {BATCH_MODEL} --out r\nLabel: {{text}}", 0.5)
    task_id = task_id_of(run)
    assert cell(batch_shell, f"%ygpt batch cancel {task_id}").ok
    attached = cell(batch_shell, f"%ygpt batch attach {task_id} --out again")
    assert not attached.ok and "ended CANCELED" in attached.message, attached.message
    assert MODEL_ADVICE not in attached.message and "cancelled job keeps no answers" in attached.message


def restart(shell, server) -> None:
    """What a kernel restart leaves: the extension loaded afresh, connected again."""
    shell.extension_manager.reload_extension("ygpt_magic")
    shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.05")


@pytest.mark.slow
def test_after_a_restart_attach_then_the_same_cell_pays_for_no_second_job(batch_shell, ygpt_server, tmp_path):
    ygpt_server.batch_row_delay = 0.02
    use_cache = f"%ygpt cache {tmp_path}/replies.sqlite"
    cell(batch_shell, use_cache)
    batch_shell.user_ns["df"] = pd.DataFrame({"text": [f"review {i}" for i in range(40)]}, index=range(100, 140))
    source = f"%%ygpt --map df --batch -m {BATCH_MODEL} --out labels\nLabel: {{text}}"
    task_id = task_id_of(stopped_waiting(batch_shell, source, 0.4))   # the job goes on
    restart(batch_shell, ygpt_server)
    cell(batch_shell, use_cache)
    attached = cell(batch_shell, f"%ygpt batch attach {task_id} --out labels")
    assert attached.ok, attached.message
    ygpt_server.requests.clear()
    again = cell(batch_shell, source)   # for the answers on df's index, as the cell gives them
    assert again.ok, again.message
    assert [r for r in ygpt_server.requests if r.method == "BatchRow"] == [], again.stdout
    assert "40 rows replayed from the reply cache" in again.stdout   # attach kept them in the reply cache
    labels = batch_shell.user_ns["labels"]
    assert list(labels.index) == list(range(100, 140)) and "review 7" in labels[107]
    restart(batch_shell, ygpt_server)   # the answers went into the reply cache too
    cell(batch_shell, use_cache)
    assert "40 rows replayed from the reply cache" in cell(batch_shell, source).stdout
