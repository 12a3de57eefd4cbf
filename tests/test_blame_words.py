"""Failures that were blamed on the wrong thing (errors3.md #4, #5): the message names what went
wrong and what to do about it. Through the real shell, the unmodified SDK and the local server.
"""

from __future__ import annotations

import threading

import pytest
from cellrun import assert_clear_error
from conftest import cell

from ygpt_magic.emulator import start_local_server
from ygpt_magic.errors import OperationGone


def assert_nothing_recorded(shell) -> None:
    run = cell(shell, "%ygpt history")
    assert "0 turns" in run.shown, run.shown


def test_a_deferred_operation_the_server_no_longer_knows_is_not_blamed_on_the_model(shell, ygpt_server):
    ygpt_server.operation_delay = 30
    ygpt_server.faults.fail_next(1, "NOT_FOUND", "The operation is not known to this server",
                                 method="GetOperation")
    run = cell(shell, "%%ygpt --deferred\nSummarise the quarterly report")
    message = assert_clear_error(run, f"The server at {ygpt_server.address} no longer knows",
                                 "deferred operation", "NOT_FOUND", "Nothing was added to the chat",
                                 "run the cell again", error_type=OperationGone)
    assert "model" not in message and "yandexgpt" not in message, message   # was: "The model 'yandexgpt' was not found"
    assert_nothing_recorded(shell)


@pytest.mark.slow
def test_a_server_restarted_while_a_deferred_cell_waits_says_the_operation_is_gone(shell):
    """The real thing: `ygpt-magic serve` restarted on its port while the cell polls."""
    first = start_local_server(operation_delay=5.0)
    port = int(first.address.rpartition(":")[2])
    servers = [first]

    def restart() -> None:
        first.stop()
        servers.append(start_local_server(port=port, operation_delay=5.0))

    shell.run_line_magic("ygpt", f"connect {first.address} --insecure")
    shell.run_line_magic("config", "YGptMagics.poll_interval = 0.5")
    timer = threading.Timer(0.75, restart)
    timer.start()
    try:
        run = cell(shell, "%%ygpt --deferred\nSummarise the quarterly report")
    finally:
        timer.join()
        for server in servers:
            server.stop()
    message = assert_clear_error(run, "no longer knows", "run the cell again", error_type=OperationGone)
    assert "model" not in message, message
    assert_nothing_recorded(shell)
