"""Braces a user pastes (JSON, dicts) reach the model exactly as written, however deep they nest,
beside references filled in and the ``{{``/``}}`` escapes (context8 finding 3)."""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, completions

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


def sent(shell, server, prompt: str) -> str:
    result = cell(shell, f"%%ygpt --once\n{prompt}")
    assert result.ok, result.shown
    return completions(server)[-1].messages[-1]["text"]


def test_nested_json_keeps_every_closing_brace(shell, ygpt_server):
    """Three levels of JSON lost a brace: the inner {…} took one '}' and the '}}' left was read as
    an escaped brace, so the model was asked about JSON the user did not write."""
    body = 'Why does my API reject this body? {"user": {"id": 7}, "tags": {"a": {"b": 1}}}'
    assert sent(shell, ygpt_server, body) == body
    query = '{"query": {"bool": {"must": [{"match": {"title": "x"}}]}}}'
    assert sent(shell, ygpt_server, f"Fix this query:\n{query}") == f"Fix this query:\n{query}"


def test_a_reference_inside_nested_json_is_filled_in_and_the_braces_stay(shell, ygpt_server):
    shell.user_ns["x"] = 5
    assert sent(shell, ygpt_server, 'And on {"a": {"b": {x}}}?') == 'And on {"a": {"b": 5}}?'


def test_double_braces_stay_escapes_where_they_are_meant(shell, ygpt_server):
    shell.user_ns["x"] = 5
    assert sent(shell, ygpt_server, "Use {{x}} as a placeholder, x is {x}") == "Use {x} as a placeholder, x is 5"
    assert sent(shell, ygpt_server, 'Template {"tmpl": "{{name}}"} with {{"a": {x}}}') == \
        'Template {"tmpl": "{name}"} with {"a": 5}'
