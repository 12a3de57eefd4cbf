"""The guard's memory of a chat's history: a text found clean is not searched again, and only
while the credentials are the same (client/guard.py CleanTexts; bench row 4a)."""

from __future__ import annotations

import pytest
from conftest import cell

from ygpt_magic.client.credentials import Credential
from ygpt_magic.client.guard import CleanTexts, check_request
from ygpt_magic.errors import CredentialInPrompt

KEY = Credential("api_key", "YC_API_KEY", "AQVNguardMemory-3f9a1c7e5b2d-CANARY")
TOKEN = Credential("iam_token", "YC_IAM_TOKEN", "t1.guardMemory.8e4b2a6c0d91.CANARY")


def chat(*texts: str) -> list[dict]:
    return [{"role": "user" if n % 2 == 0 else "assistant", "text": text} for n, text in enumerate(texts)]


def test_a_history_found_clean_is_searched_again_under_a_new_credential():
    clean = CleanTexts()
    history = chat("The token is t1.guardMemory.8e4b2a6c0d91.CANARY, keep it", "Kept.", "Next?")
    check_request(history, {}, (KEY,), clean)   # nothing of KEY in it: remembered as clean
    check_request(history, {}, (KEY,), clean)
    with pytest.raises(CredentialInPrompt, match="an earlier user message of the chat"):
        check_request(history, {}, (KEY, TOKEN), clean)


def test_a_remembered_text_with_anything_beside_it_is_searched_whole():
    clean = CleanTexts()
    check_request(chat("Here are the results", "Thanks"), {}, (KEY,), clean)
    results = {"role": "user", "text": "Here are the results",
               "tool_results": [{"name": "get_key", "content": KEY.secret}]}
    with pytest.raises(CredentialInPrompt, match="the result of get_key"):
        check_request([results], {}, (KEY,), clean)


def test_a_key_that_appears_after_a_turn_was_sent_is_refused_in_the_history(shell, ygpt_server, clean_env):
    """A chat sent freely (the text held no credential then), then that text becomes the key in
    use: the next cell sends the history again, and the guard finds it there."""
    key = "AQVNlaterKey-71c0e9d2b4a6-CANARY"
    assert cell(shell, f"%%ygpt\nRemember this code: {key}").ok
    clean_env.setenv("YC_API_KEY", key)
    sent = len(ygpt_server.requests)
    result = cell(shell, "%%ygpt\nWhat was the code?")
    assert isinstance(result.typed_error, CredentialInPrompt), result.message
    assert "earlier user message" in result.message and key not in result.shown
    assert len(ygpt_server.requests) == sent


def test_a_prompt_is_not_remembered_until_it_is_history():
    """A 100,000-row --map sends 100,000 prompts once each: keeping them would only fill memory."""
    clean = CleanTexts()
    for row in range(100):
        check_request(chat(f"Row {row}: summarise it"), {}, (KEY,), clean)
    assert clean.under((KEY,)) == set()
    check_request(chat("Row 1: summarise it", "A summary.", "Next"), {}, (KEY,), clean)
    assert clean.under((KEY,)) == {"Row 1: summarise it", "A summary."}
