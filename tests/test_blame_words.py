"""Failures that were blamed on the wrong thing (errors3.md #4, #5): the message names what went
wrong and what to do about it. Through the real shell, the unmodified SDK and the local server.
"""

from __future__ import annotations

import threading

import pytest
from cellrun import assert_clear_error
from conftest import cell, typed_at_prompts

from ygpt_magic.emulator import start_local_server
from ygpt_magic.errors import OAuthNotExchanged, OperationGone

#: the shape of a Yandex OAuth token (y0_…), as the yc CLI's users have in YC_OAUTH_TOKEN
OAUTH_TOKEN = "y0_AgAAAAtestoauthtesttestoauthtesttestoauthtest0000"


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


@pytest.mark.parametrize("flags", ["", "--deferred"])
def test_an_oauth_token_at_a_server_without_an_iam_service_says_what_to_use_not_that_the_server_failed(
        shell, ygpt_server, clean_env, flags):
    """The SDK swaps an OAuth token for an IAM token at the IAM service the endpoint lists;
    `ygpt-magic serve` lists none (errors3.md #5: "no text generation service listed by the
    endpoint. This is on that server's side")."""
    clean_env.delenv("YC_API_KEY")
    clean_env.setenv("YC_OAUTH_TOKEN", OAUTH_TOKEN)
    run = cell(shell, f"%%ygpt {flags}\nHi")
    message = assert_clear_error(run, "OAuth token (YC_OAUTH_TOKEN)", "IAM token",
                                 f"the server at {ygpt_server.address} offers no IAM service",
                                 "YC_API_KEY", "YC_IAM_TOKEN", "%ygpt connect local", error_type=OAuthNotExchanged)
    assert "server's side" not in message and "text generation" not in message, message
    assert OAUTH_TOKEN not in run.shown
    assert [r for r in ygpt_server.requests if r.method in ("Completion", "AsyncCompletion")] == []
    clean_env.setenv("YC_API_KEY", "any-value")   # what the message advises
    assert cell(shell, f"%%ygpt {flags}\nHi").ok


def test_an_oauth_token_entered_with_auth_is_told_to_enter_a_key_there(shell, ygpt_server, monkeypatch):
    typed_at_prompts(monkeypatch, OAUTH_TOKEN, "")   # the key prompt, then no folder id
    assert cell(shell, "%ygpt auth").ok
    run = cell(shell, "%%ygpt\nHi")
    assert_clear_error(run, "OAuth token (%ygpt auth)", "Run %ygpt auth again and enter an API key or an IAM token",
                       error_type=OAuthNotExchanged)
    assert OAUTH_TOKEN not in run.shown
