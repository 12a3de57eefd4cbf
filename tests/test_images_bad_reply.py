"""A chat API that answers with something that is not a chat reply (a wrong ``--http`` address):
the message names that address and what was wrong, never a bug of ours, never a lost server.

The chat API's address is `canned_chat_api` (tests/pictures.py), answering every POST with the
one response a test sets, beside the local server's gRPC side (which the first cell of each test reaches).
"""

from __future__ import annotations

import pytest
from cellrun import assert_clean, assert_clear_error
from conftest import cell
from pictures import MODEL, canned_chat_api, pics, png_bytes, turns  # noqa: F401 (canned_chat_api, pics: fixtures)

from ygpt_magic.errors import ChatReplyUnreadable

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


def test_an_http_failure_of_the_chat_api_names_its_address(pics, ygpt_server, canned_chat_api):
    canned_chat_api.answer(503, "application/json", b"{}")
    url = _connected(pics, ygpt_server, canned_chat_api)
    run = cell(pics, f"%%ygpt --no-stream --image png --model {MODEL}\nWhat colour is it?")
    assert_clear_error(run, f"Could not reach the server at {url}")
