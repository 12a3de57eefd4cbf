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


def test_unimplemented_names_no_option_the_cell_did_not_use_in_one_aside(shell, ygpt_server):
    """findings/advice.md F9: "(the server at … may offer only part of the API) (UNIMPLEMENTED)"
    and "leave the option out (reasoning, --tools, --schema)" for a cell that used none of them."""
    ygpt_server.faults.fail_next(1, "UNIMPLEMENTED", message="nope")
    message = assert_clear_error(cell(shell, "%%ygpt\nHello"), "(UNIMPLEMENTED; the server at",
                                 "%ygpt models", error_type=errors.ServiceRefused)
    assert ") (" not in message, message
    assert not any(option in message for option in ("--tools", "--schema", "reasoning")), message
    listed = cell(shell, "%ygpt models")
    assert listed.ok and "qwen3-235b-a22b-fp8" in listed.shown


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
        "gpt://b1gvmob95yysaplct532/qwen2.5-32b-instruct/latest"))
    message = assert_clear_error(cell(shell, "%%ygpt --once --model qwen2.5-32b-instruct\nHello"),
                                 "45,010 tokens", "the model's context holds 32,768", error_type=errors.ContextTooLong)
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


# INVALID_ARGUMENT is the cloud's one status for every bad value (AI Studio's error-codes page): its
# words say which, and the advice follows them (yardstick findings 1-3)

#: the cloud's answer to a model URI naming no model it serves (the error-codes page; the cloud
#: answered a real user so: black-roland/homeassistant-yandexgpt#14)
CLOUD_BAD_MODEL = "invalid model_uri"


@pytest.mark.parametrize("injected", [CLOUD_BAD_MODEL, None], ids=["cloud", "local server"])
def test_an_unknown_model_is_said_as_the_model_the_cell_asked_for(shell, ygpt_server, injected):
    """The cloud's INVALID_ARGUMENT "invalid model_uri", and the local server's same answer with
    the models it knows, name the model and never the options."""
    if injected:
        ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", message=injected)
    message = assert_clear_error(cell(shell, "%%ygpt --once --model yandexgtp\nhello"),
                                 "The model 'yandexgtp' was not found (INVALID_ARGUMENT)", "%ygpt models",
                                 "YC_FOLDER_ID", "invalid model_uri", error_type=errors.ModelNotFound)
    assert "temperature" not in message, message
    assert ("yandexgpt-lite" in message.split("The server said")[1]) is (injected is None), message


def test_a_classifier_the_cloud_calls_an_invalid_model_uri_is_said_as_the_classifier(shell, ygpt_server):
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", message=CLOUD_BAD_MODEL, method="FewShotClassify")
    message = assert_clear_error(cell(shell, "%%ygpt --labels weather,alarm --model yandexgpt-lite\nrain?"),
                                 "The classifier 'yandexgpt-lite' was not found", "YC_FOLDER_ID",
                                 error_type=errors.ModelNotFound)
    assert "temperature" not in message and "labels and samples" not in message, message


def test_the_clouds_folder_mismatch_is_said_as_the_folder(shell, ygpt_server):
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT",
                                 message="Specified folder ID does not match with service account: b1gwrongfolder")
    message = assert_clear_error(cell(shell, "%%ygpt --once\nhello"),
                                 "The folder b1gtestfolder is not the folder of the service account", "YC_FOLDER_ID",
                                 "%ygpt auth", "%ygpt whoami", "does not match with service account",
                                 error_type=errors.FolderMismatch)
    assert "temperature" not in message, message


def test_the_clouds_character_limit_is_said_as_too_long_in_characters(shell, ygpt_server):
    """Evidence from one client's source (community-of-python/any-llm-client), so matched narrowly:
    the same words with another ending stay a value the server rejected."""
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT",
                                 message="text length is 349354, which is outside the range (0, 100000]")
    message = assert_clear_error(cell(shell, "%%ygpt --once\nhello"),
                                 "refused the text as too long: it is 349,354 characters", "at most 100,000",
                                 "Shorten the cell", "several cells", error_type=errors.TextTooLong)
    assert "temperature" not in message and "context_budget" not in message, message
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", message="text length is 5, which is not allowed here")
    assert_clear_error(cell(shell, "%%ygpt --once\nhello"), error_type=errors.RequestRejected)
