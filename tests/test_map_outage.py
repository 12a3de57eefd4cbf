"""A service that answers UNAVAILABLE to every request (an outage of the cloud, a proxy's 503)
during a run over many rows: the run stops sending after a window of rows that all ended so,
settles the rest at once and says so once; a blip of a few rows does not stop it. Through the
real shell, the unmodified SDK and the local server's faults, with the tests' fast retries."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import cell, completions

#: requests a row makes before it ends UNAVAILABLE (the shell fixture's retries = 2)
ATTEMPTS = 3
OUTAGE = ("UNAVAILABLE", "The service is temporarily unavailable")


@pytest.mark.slow
def test_an_outage_stops_the_run_after_a_window_and_a_rerun_sends_only_the_rest(shell, ygpt_server):
    shell.user_ns["words"] = [f"w{i}" for i in range(400)]
    ygpt_server.faults.fail_next(100_000, *OUTAGE, after=10)   # 10 rows answered, then the outage
    source = "%%ygpt --map words --out answers --concurrency 4\nSay {item}"
    run = cell(shell, source)
    assert run.ok, run.message
    sent = completions(ygpt_server)
    assert len(sent) < 10 + 40 * ATTEMPTS, len(sent)   # a window of rows, not 390 rows' retries
    done = shell.user_ns["_ygpt"]
    assert done.answered == 10 and len(done.errors) == 390
    assert all(ygpt_server.address in reason for reason in done.errors.values())
    summary, advice = [line for line in run.stdout.splitlines() if line.startswith(("✓", "The server"))]
    assert summary.startswith("✓ 10 answered · ✗ 390 failed (")
    assert advice.count(ygpt_server.address) == 1 and "UNAVAILABLE" in advice
    assert "in a row" in advice and "10 rows answered are kept" in advice
    assert "only the 390 rows without an answer are sent" in advice
    window = int(re.search(r"to (\d+) rows in a row", advice).group(1))   # the rows the server answered so
    assert summary.startswith(f"✓ 10 answered · ✗ 390 failed ({390 - window} server stayed busy, {window} server busy)")
    assert "_ygpt.errors has each one's reason" not in run.stdout   # said once, not per row
    left = {f"Say w{i}" for i, answer in enumerate(shell.user_ns["answers"]) if answer is None}
    assert len(left) == 390
    ygpt_server.faults.clear()
    ygpt_server.requests.clear()
    again = cell(shell, source)
    assert again.ok, again.message
    asked = {request.messages[-1]["text"] for request in completions(ygpt_server)}
    # as a set: the first run's last request in flight, cancelled on the wire, can reach the
    # server after it was cleared (under load); the re-run asks each row left once, no other
    assert asked == left and "(10 from this kernel's earlier runs)" in again.stdout
    assert all(shell.user_ns["answers"]) and shell.user_ns["_ygpt"].errors == {}


def test_a_blip_of_a_few_rows_fails_those_rows_alone_and_the_run_goes_on(shell, ygpt_server):
    shell.user_ns["words"] = [f"w{i}" for i in range(120)]
    ygpt_server.faults.fail_next(8 * ATTEMPTS, *OUTAGE, after=30)   # at most 8 rows end UNAVAILABLE
    run = cell(shell, "%%ygpt --map words --out answers --concurrency 8\nSay {item}")
    assert run.ok, run.message
    done = shell.user_ns["_ygpt"]
    assert 0 < done.failed <= 8 and done.answered == 120 - done.failed
    assert all("also when asked again" in reason for reason in done.errors.values())
    assert "Run the cell again to send only those" in run.stdout and "in a row" not in run.stdout


@pytest.mark.slow
def test_labels_over_rows_and_embed_stop_at_an_outage_too(shell, ygpt_server):
    shell.user_ns["texts"] = pd.Series([f"text {i}" for i in range(300)])
    ygpt_server.faults.fail_next(100_000, *OUTAGE, method="*")
    labels = cell(shell, "%%ygpt --labels good,bad --map texts --out tone\n{item}")
    assert labels.ok, labels.message
    assert len(ygpt_server.requests) < 40 * ATTEMPTS and "in a row" in labels.stdout
    assert shell.user_ns["_ygpt"].failed == 300
    ygpt_server.requests.clear()
    embed = cell(shell, "%ygpt embed texts --out vectors")
    assert embed.ok, embed.message
    assert len(ygpt_server.requests) < 40 * ATTEMPTS and "in a row" in embed.stdout
    assert shell.user_ns["_ygpt"].failed == 300
