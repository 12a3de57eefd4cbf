"""A key too short to be a real credential does not block prompts that happen to hold its letters.

Users of a local server set a placeholder (``YC_API_KEY=test``, ``x``, ``local``): the server
takes any value. Such a key was looked for as a plain substring, so "a unit test in pytest" was
refused as carrying "your api key", even in --dry-run, and a one-letter key refused almost
every prompt and ``%ygpt fix``'s own instruction. The rule (client/guard.py's docstring): under
8 characters a secret is not looked for; 8 to 12 only as a whole token; longer ones as before.
"""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell, completions

from ygpt_magic import errors

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


@pytest.mark.parametrize("key", ["test", "x", "local"])
def test_a_placeholder_key_does_not_refuse_ordinary_words(shell, ygpt_server, clean_env, key):
    clean_env.setenv("YC_API_KEY", key)
    prompt = "How do I write a unit test in pytest? Explain xylophone scales, locally."
    dry = cell(shell, f"%%ygpt --once --dry-run\n{prompt}")
    assert dry.ok, dry.message
    assert prompt in dry.plain
    sent = cell(shell, f"%%ygpt --once\n{prompt}")
    assert sent.ok, sent.message
    assert completions(ygpt_server)[-1].messages[-1]["text"] == prompt


def test_fix_with_a_one_letter_key_shows_its_instruction(shell, ygpt_server, clean_env):
    clean_env.setenv("YC_API_KEY", "x")
    cell(shell, "def mean(xs):\n    return sum(xs) / len(xs)")
    cell(shell, "mean([])")
    result = cell(shell, "%ygpt fix --dry-run")
    assert result.ok, result.message
    assert "ZeroDivisionError" in result.plain


def test_a_short_key_standing_alone_in_the_prompt_is_still_refused(shell, ygpt_server, clean_env):
    key = "s3cr3tK3y"
    clean_env.setenv("YC_API_KEY", key)
    inside = cell(shell, "%%ygpt --once --dry-run\nIs xs3cr3tK3ys a word?")
    assert inside.ok, inside.message
    result = cell(shell, f"%%ygpt --once\nMy key is {key}, why is it refused?")
    assert_clear_error(result, "nothing was sent", "api key (from YC_API_KEY)",
                       error_type=errors.CredentialInPrompt)
    assert key not in result.shown and not completions(ygpt_server)


def test_whoami_says_a_key_that_short_is_not_looked_for(shell, ygpt_server, clean_env):
    assert "not looked for" not in cell(shell, "%ygpt whoami").plain
    clean_env.setenv("YC_API_KEY", "dummy")
    shown = cell(shell, "%ygpt whoami").plain
    assert "shorter than any Yandex key, so not looked for in prompts" in shown and "dummy" not in shown


def test_a_server_error_holding_a_placeholder_keys_letters_is_shown_as_the_server_wrote_it(
        shell, ygpt_server, clean_env):
    """With YC_API_KEY=test, "the test model broke" was shown with "test" masked as a key."""
    clean_env.setenv("YC_API_KEY", "test")
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", message="the test model broke on this latest prompt")
    message = assert_clear_error(cell(shell, "%%ygpt --once\nHello"), "the test model broke on this latest prompt")
    assert "…" not in message.split("broke")[0], message

