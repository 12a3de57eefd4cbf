"""What a refusal says depends on what the server answered: its status, its words, its numbers.

Each test injects what a server answers (the local server's faults, or an HTTP chat API that
answers as the cloud's does) and reads the paragraph the cell shows (cloudfaults.md F3-F7, F11)."""

from __future__ import annotations

import pytest
from cellrun import assert_clear_error
from conftest import cell, completions

from ygpt_magic import errors

REFUSALS = {
    "FAILED_PRECONDITION": ("Billing account b1gbilling is not active", "billing account"),
    "UNIMPLEMENTED": ("Reasoning mode is not supported by this model", "another model"),
}


@pytest.mark.parametrize("code", REFUSALS)
def test_a_refusal_for_the_accounts_state_or_a_missing_feature_is_not_to_be_retried(shell, ygpt_server, code):
    said, advice = REFUSALS[code]
    ygpt_server.faults.fail_next(1, code, message=said)
    message = assert_clear_error(cell(shell, "%%ygpt\nHello"), said, advice, "will not help",
                                 error_type=errors.ServiceRefused)
    assert "in a moment" not in message and "server's side" not in message, message
    assert len(completions(ygpt_server)) == 1, "not retried"


@pytest.mark.parametrize("code", ["CANCELLED", "ABORTED", "OUT_OF_RANGE", "ALREADY_EXISTS"])
def test_rare_statuses_do_not_blame_the_server(shell, ygpt_server, code):
    ygpt_server.faults.fail_next(1, code, message="it happened")
    message = assert_clear_error(cell(shell, "%%ygpt\nHello"), code, "it happened", "run the cell again")
    assert "server's side" not in message, message


def test_a_server_that_answers_unavailable_was_reached_and_is_quoted(shell, magics, ygpt_server):
    said = "The model is temporarily overloaded, try later"
    ygpt_server.faults.fail_next(magics.retries + 1, "UNAVAILABLE", message=said)
    message = assert_clear_error(cell(shell, "%%ygpt\nHello"), said, "answered", ygpt_server.address,
                                 error_type=errors.ServerBusy)
    assert "could not reach" not in message.lower() and "check the network" not in message.lower(), message


def test_the_contexts_size_is_the_servers_number_not_a_digit_of_the_models_name(shell, ygpt_server):
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", message=(
        "The request has 45010 input tokens, more than the 32768-token context of "
        "gpt://b1gvmob95yysaplct532/yandexgpt-32k/latest"))
    message = assert_clear_error(cell(shell, "%%ygpt --once --model yandexgpt-32k\nHello"),
                                 "45010 tokens", "the model's context holds 32768", error_type=errors.ContextTooLong)
    assert "holds 32)" not in message and "holds 95" not in message, message


#: grpc core's own words for a connection that broke (cygrpc's strings, and the socket errors it
#: quotes): a NAT or proxy that drops the connection says these, not the server
GRPC_CONNECTION_WORDS = ("Stream removed", "Endpoint read failed", "Transport closed", "Cancelling all calls",
                         "keepalive watchdog timeout", "Keepalive timeout. Closing transport.",
                         "recvmsg:Connection timed out", "Endpoint closed during read.", "Too many pings")


@pytest.mark.parametrize("said", GRPC_CONNECTION_WORDS)
def test_grpcs_own_connection_words_are_never_blamed_on_the_server(shell, magics, ygpt_server, said):
    ygpt_server.faults.fail_next(magics.retries + 1, "UNAVAILABLE", message=said)
    run = cell(shell, "%%ygpt\nHello")
    assert_clear_error(run)
    assert not isinstance(run.error.error, errors.ServerBusy), run.message
    assert "answered" not in run.message and "status page" not in run.message, run.message
