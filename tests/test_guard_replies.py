"""A model's reply holding something key-shaped goes back with its chat; the kernel's own key does not.

Users ask for an example config ("a .env for YandexGPT"), and the model writes a placeholder key
of a published shape, or makes one up. That reply came from the server, so the next cell sends it
back as history: refusing it left the chat unusable, with advice to edit a reply no one can edit
and rotate a key that never existed (findings/review13 B2). The kernel's own credential is still
refused there, wherever it came from (client/guard.py says why): a reply quoting the key in use
comes in masked (test_secrets_echoed.py), so here the quoted key becomes the kernel's after the
reply came. Through the real shell, the unmodified SDK and a local server scripted to give such
replies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import TEST_KEY, cell, completions

from ygpt_magic.client.credentials import Credential
from ygpt_magic.client.guard import CleanTexts, check_request
from ygpt_magic.emulator import start_local_server
from ygpt_magic.errors import CredentialInPrompt

pytestmark = [*LOST_EXCEPTIONS]

#: a placeholder of the published API key shape, as a model writes one into an example .env
PLACEHOLDER = "AQVN" + "x" * 36
EXAMPLE_ENV = f"Put this in .env:\n\nYC_API_KEY={PLACEHOLDER}\nYC_FOLDER_ID=b1gexample\n"
#: a key a reply quotes, which the kernel takes up only afterwards
LATER_KEY = "AQVNlaterKey0123456789abcdefL4tr"
ECHOED_KEY = f"Your key is {LATER_KEY}, keep it safe."


@pytest.fixture
def replying(shell, tmp_path) -> Iterator[object]:
    """The shell connected to a server of its own that answers "example .env" with
    :data:`EXAMPLE_ENV` and "what is my key" with :data:`ECHOED_KEY`; the server, to count."""
    script = tmp_path / "replies.json"
    script.write_text(json.dumps({"replies": [
        {"user": "Give me an example .env for YandexGPT", "reply": EXAMPLE_ENV},
        {"user": "What is my key?", "reply": ECHOED_KEY},
    ]}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        yield server


def test_a_placeholder_key_in_a_reply_does_not_block_the_chat(shell, replying):
    assert cell(shell, "%%ygpt\nGive me an example .env for YandexGPT").ok
    follow_up = cell(shell, "%%ygpt\nAnd where do I put the folder id?")
    assert follow_up.ok, follow_up.message
    sent = [message["text"] for message in completions(replying)[-1].messages]
    assert sent[-1] == "And where do I put the folder id?"
    assert any(PLACEHOLDER in text for text in sent), "the reply went back with the chat as said"


def test_a_placeholder_key_pasted_by_the_user_is_still_refused(shell, replying):
    """The exception is for the model's own words only: the same token in a cell is refused."""
    assert cell(shell, "%%ygpt\nGive me an example .env for YandexGPT").ok
    asked = len(completions(replying))
    result = cell(shell, f"%%ygpt\nIs {PLACEHOLDER} a real key?")
    assert_clear_error(result, "the cell's text", "a Yandex Cloud API key", "rotate it",
                       error_type=CredentialInPrompt)
    assert len(completions(replying)) == asked


def test_the_kernels_own_key_in_a_reply_is_still_refused(shell, replying, clean_env):
    assert cell(shell, "%%ygpt\nWhat is my key?").ok
    clean_env.setenv("YC_API_KEY", LATER_KEY)
    asked = len(completions(replying))
    result = cell(shell, "%%ygpt\nThanks")
    assert_clear_error(result, "an earlier assistant message", "your api key (from YC_API_KEY)",
                       "A reply cannot be edited: run the cell that got it again", "%ygpt reset",
                       error_type=CredentialInPrompt)
    assert "Remove it from there" not in result.message, "a reply cannot be edited"
    assert LATER_KEY not in result.shown
    assert len(completions(replying)) == asked, "nothing was sent"


def test_the_same_words_in_a_users_message_are_searched_whatever_the_reply_was():
    """A reply let through is not remembered as clean: the guard's memory holds texts, not who
    wrote them, and the user's own message with those words must still be refused."""
    clean, key = CleanTexts(), Credential("api_key", "YC_API_KEY", TEST_KEY)
    reply = [{"role": "user", "text": "Give me an example .env"}, {"role": "assistant", "text": EXAMPLE_ENV}]
    check_request([*reply, {"role": "user", "text": "Thanks"}], {}, (key,), clean)
    with pytest.raises(CredentialInPrompt, match="an earlier user message"):
        check_request([*reply, {"role": "user", "text": EXAMPLE_ENV}, {"role": "user", "text": "Next"}],
                      {}, (key,), clean)
