"""A key in the MODEL's own tool call (findings/redteam3.md 7): the next round is refused, and the
refusal says what happened (the model wrote it, the call ran here, nothing of it went back) and
what the user can do (rotate the key, keep keys out of what the model reads), not "remove it from
the cell", which holds no key. A chat file whose history holds such a call says so too."""

from __future__ import annotations

import json

import pytest
from cellrun import assert_clear_error
from conftest import cell, completions

from ygpt_magic import errors
from ygpt_magic.emulator import start_local_server

KEY = "AQVNAb3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zA7bC"
pytestmark = pytest.mark.usefixtures("fresh_names")


def search(query: str) -> str:
    """Search the web."""
    return "nothing found"


def scripted_search(tmp_path, query: str):
    script = tmp_path / "search.json"
    script.write_text(json.dumps({"replies": [{"user": "go", "tool_calls": [
        {"name": "search", "arguments": {"query": query}}], "after_tools": "done"}]}), encoding="utf-8")
    return start_local_server(scripts=[script])


def test_a_key_in_the_models_tool_call_is_refused_saying_the_model_wrote_it(shell, tmp_path):
    shell.user_ns["search"] = search
    with scripted_search(tmp_path, KEY) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        run = cell(shell, "%%ygpt --tools search\ngo")
        asked = completions(server)
    message = assert_clear_error(run, "The model's call of search holds what looks like a Yandex Cloud API key",
                                 "(AQVN…A7bC)",
                                 "the model wrote it there", "ran here", "nothing of it was sent back",
                                 "rotate it", "keep keys out of what the model reads",
                                 error_type=errors.CredentialInToolCall)
    assert "leave that reference out" not in message and "Remove it from there" not in message, message
    assert len(asked) == 1 and KEY not in repr(server.requests[1:]), "only the request that asked for the call"


def test_a_loaded_chat_whose_tool_call_holds_a_key_says_it_is_in_the_history(shell, tmp_path):
    shell.user_ns["search"] = search
    with scripted_search(tmp_path, "cats") as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        cell(shell, "%%ygpt --tools search --chat c\ngo")
        cell(shell, f"%ygpt save {tmp_path / 'c.json'}")
        saved = (tmp_path / "c.json").read_text(encoding="utf-8")
        (tmp_path / "c.json").write_text(saved.replace('"cats"', json.dumps(KEY)), encoding="utf-8")
        cell(shell, "%ygpt reset --all")
        cell(shell, f"%ygpt load {tmp_path / 'c.json'}")
        run = cell(shell, "%%ygpt --chat c\nand then?")
        assert KEY not in repr(list(server.requests))
    message = assert_clear_error(run, "Nothing was sent", "the model's call of search in an earlier turn",
                                 "%ygpt reset", error_type=errors.CredentialInToolCall)
    assert "ran here" not in message, message
