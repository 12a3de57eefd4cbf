"""A chat API that answers with something that is not a chat reply (a wrong ``--http`` address):
the message names that address and what was wrong, never a bug of ours, never a lost server.

The chat API's address is `canned_chat_api` (tests/pictures.py), answering every POST with the
one response a test sets, beside the local server's gRPC side (which the first cell of each test reaches).
"""

from __future__ import annotations

import pytest
from capture import HttpCapture
from cellrun import assert_clean, assert_clear_error
from conftest import cell
from pictures import MODEL, canned_chat_api, cloud_error, pics, png_bytes, turns  # noqa: F401 (canned_chat_api, pics: fixtures)

from ygpt_magic.errors import (
    ChatApiRedirects,
    ChatReplyUnreadable,
    PictureModelNotFound,
    QuotaExceeded,
    RequestTooLarge,
    ServerBusy,
    ServerFailed,
    ServerGaveUp,
)

#: (what the cell adds, status, Content-Type, body, what the message says was wrong)
REPLIES = [
    ("--no-stream", 200, "application/json", b"not json at all", "not JSON"),
    ("--no-stream", 200, "application/json", b'{"id": 1}', "KeyError reading it"),
    ("", 200, "application/json", b'{"choices": []}', "not a stream of events"),
    ("", 200, "text/event-stream", b'data: {"choices": "nope"}\n\n', "AttributeError reading it"),
]


def _connected(pics, ygpt_server, canned_chat_api) -> str:
    """Reconnected with the canned server as the chat API; its address as messages name it."""
    url = canned_chat_api.url
    pics.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {url}")
    assert cell(pics, "%%ygpt\nhello").ok  # the gRPC side answers
    pics.user_ns["png"] = png_bytes()
    return f"{url}/v1/"


@pytest.mark.parametrize("flag, status, content_type, body, what", REPLIES,
                         ids=["not-json", "no-choices", "not-sse", "choices-not-a-list"])
def test_a_reply_that_is_not_a_chat_reply_is_said_of_its_address(pics, magics, ygpt_server, canned_chat_api,
                                                                 flag, status, content_type, body, what):
    canned_chat_api.answer(status, content_type, body)
    url = _connected(pics, ygpt_server, canned_chat_api)
    run = cell(pics, f"%%ygpt {flag} --image png --model {MODEL}\nWhat colour is it?")
    message = assert_clear_error(run, f"The chat API at {url} answered with something the SDK could not "
                                      f"read ({what})", "--http URL", error_type=ChatReplyUnreadable)
    assert "ygpt_magic itself" not in message and "Could not reach" not in message
    assert len(turns(magics)) == 1  # the picture's turn was not added
    assert_clean(run)


def test_an_http_503_of_the_chat_api_names_its_address_and_what_it_said(pics, ygpt_server, canned_chat_api):
    """It answered: the server is named as reached, with its words, not as out of reach."""
    canned_chat_api.answer(503, "application/json", cloud_error(503, "The model is temporarily overloaded"))
    url = _connected(pics, ygpt_server, canned_chat_api)
    run = cell(pics, f"%%ygpt --no-stream --image png --model {MODEL}\nWhat colour is it?")
    message = assert_clear_error(run, f"The server at {url} answered", "also when asked again",
                                 "The model is temporarily overloaded", error_type=ServerBusy)
    assert "could not reach" not in message.lower()
    assert canned_chat_api.posts == 3, "asked again as gRPC's UNAVAILABLE is (2 retries)"


@pytest.mark.slow
def test_a_chat_api_429_counts_the_requests_made_and_quotes_retry_after(pics, ygpt_server, canned_chat_api):
    """Retried as gRPC's RESOURCE_EXHAUSTED is (2 retries): the requests really made are said,
    and the server's wait."""
    canned_chat_api.answer(429, "application/json", cloud_error(429, "Too many requests"), Retry_After="2")
    _connected(pics, ygpt_server, canned_chat_api)
    run = cell(pics, f"%%ygpt --no-stream --image png --model {MODEL}\nWhat colour is it?")
    assert_clear_error(run, "after 3 attempts ", "wait 2 s", "Too many requests", error_type=QuotaExceeded)
    assert canned_chat_api.posts == 3


@pytest.mark.parametrize("flag", ["--no-stream", ""], ids=["unary", "streamed"])
def test_a_chat_api_413_says_which_pictures_to_shrink_not_which_options_to_check(pics, magics, ygpt_server,
                                                                               canned_chat_api, flag):
    canned_chat_api.answer(413, "application/json", cloud_error(413, "Request Entity Too Large"))
    url = _connected(pics, ygpt_server, canned_chat_api)
    pics.user_ns["jpeg"] = png_bytes(80, 60)
    size = len(pics.user_ns["png"]) + len(pics.user_ns["jpeg"])
    run = cell(pics, f"%%ygpt {flag} --image png,jpeg --model {MODEL}\nWhat colours are they?")
    message = assert_clear_error(run, f"The chat API at {url} refused the request as too large (HTTP 413): it "
                                      f"carried 2 pictures, {size / 1e6:.1f} MB in all", "smaller pictures",
                                 "fewer at once", "--image NAME", error_type=RequestTooLarge)
    assert "temperature" not in message and "max tokens" not in message
    assert len(turns(magics)) == 1


def test_a_chat_api_404_names_the_models_that_take_pictures_and_the_address(pics, ygpt_server, canned_chat_api):
    """Only models that take images reach the chat API: the advice is its address, never a text model."""
    canned_chat_api.answer(404, "application/json", cloud_error(404, "Not Found"))
    url = _connected(pics, ygpt_server, canned_chat_api)
    run = cell(pics, f"%%ygpt --no-stream --image png --model {MODEL}\nWhat colour is it?")
    message = assert_clear_error(run, f"The chat API at {url} did not find the model '{MODEL}' (NOT_FOUND)",
                                 f"check that {url} is the chat API's address", "YC_FOLDER_ID",
                                 "%ygpt models marks the models that take images", error_type=PictureModelNotFound)
    assert "yandexgpt" not in message


@pytest.mark.parametrize("flag", ["--no-stream", ""], ids=["unary", "streamed"])
def test_a_chat_api_504_names_the_gateway_and_no_flag_a_picture_cell_refuses(pics, ygpt_server, canned_chat_api,
                                                                            flag):
    """--deferred helps a gRPC request against the server's deadline; --image refuses it."""
    canned_chat_api.answer(504, "text/html", b"<html><body><h1>504 Gateway Time-out</h1></body></html>")
    url = _connected(pics, ygpt_server, canned_chat_api)
    run = cell(pics, f"%%ygpt {flag} --image png --model {MODEL}\nWhat colour is it?")
    message = assert_clear_error(run, f"The chat API at {url}, or a gateway in front of it, gave up waiting",
                                 "HTTP 504", "run the cell again in a moment", "--max-tokens N",
                                 error_type=ServerGaveUp)
    assert "--deferred" not in message and "after 0.0 s" not in message and "<html>" not in message
    assert "--deferred" in cell(pics, f"%%ygpt --deferred --image png --model {MODEL}\nWhat colour?").message


@pytest.mark.slow
def test_a_chat_api_that_redirects_says_where_to_and_nothing_follows_it(pics, ygpt_server):
    with HttpCapture() as moved, HttpCapture(redirect=moved.url.replace("127.0.0.1", "localhost")) as given:
        pics.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {given.url}")
        pics.user_ns["png"] = png_bytes()
        run = cell(pics, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?")
        moved_to = moved.url.replace("127.0.0.1", "localhost") + "/v1/"
        assert_clear_error(run, f"The chat API at {given.url}/v1/ redirects (HTTP 307) to {moved_to}: "
                                f"give that address with --http (%ygpt connect HOST:PORT --http {moved_to})",
                           "nothing was sent there", error_type=ChatApiRedirects)
        assert not moved.seen, "the request followed the redirect"
    assert "status page" not in run.message and "server's side" not in run.message
    assert_clean(run)


@pytest.mark.slow
def test_a_token_in_the_redirects_path_is_masked(pics, ygpt_server):
    token = "t1.9euelZqKzcyTj5eSlZ3Kj4qVnpCdmO3rnpWa"   # an IAM token's shape, as a gateway may put it
    with HttpCapture() as moved, HttpCapture(redirect=f"{moved.url}/t/{token}") as given:
        pics.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure --http {given.url}")
        pics.user_ns["png"] = png_bytes()
        run = cell(pics, f"%%ygpt --image png --model {MODEL}\nWhat colour is it?")
        assert_clear_error(run, f"redirects (HTTP 307) to {moved.url}/t/***", error_type=ChatApiRedirects)
    assert token not in run.shown


def test_a_failure_of_a_server_that_is_not_yandex_is_said_of_that_server(pics, ygpt_server, canned_chat_api):
    canned_chat_api.answer(500, "application/json", b'{"error": {"message": "boom"}}')
    url = _connected(pics, ygpt_server, canned_chat_api)
    run = cell(pics, f"%%ygpt --no-stream --image png --model {MODEL}\nWhat colour is it?")
    message = assert_clear_error(run, f"The server at {url} failed to answer (INTERNAL). This is on that "
                                      "server's side", "look at that server", error_type=ServerFailed)
    assert "Yandex Cloud" not in message
