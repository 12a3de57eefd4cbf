"""`ygpt-magic demo PROMPT` as a user runs it in a shell: a reply streamed, and a refusal as the
one paragraph a cell shows, never a traceback.

The reply streamed chunk by chunk is a process of its own (a real stdout, flushed as it comes);
the refusals are a paragraph and an exit code, so they run in this process through the function
the console script calls (serving.run_here), which starts the same in-process local server."""

from __future__ import annotations

import subprocess

import pytest
from serving import CLI, Ran, run_here


@pytest.mark.slow
def test_demo_streams_a_reply_chunk_by_chunk():
    prompt = "Hi! What fields of science did Albert Einstein study?"
    result = subprocess.run([*CLI, "demo", prompt], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Albert Einstein was a theoretical physicist" in result.stdout
    assert "chunks, FINAL" in result.stdout


def _demo_prompt(capfd, monkeypatch, prompt: str, **env: str) -> tuple[Ran, str]:
    """``ygpt-magic demo PROMPT`` run to its end with ``env`` added (no proxy exemption of the
    caller's): the run and the local server's address it printed."""
    for name in ("no_proxy", "NO_PROXY", "no_grpc_proxy", "NO_GRPC_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = run_here(capfd, "demo", prompt)
    return result, result.out.split()[3].rstrip(".")   # Local server at HOST:PORT. Prompt: …


@pytest.mark.slow   # about a second in this process, past the proxy's refusal
def test_demo_behind_a_proxy_says_what_to_export_in_one_paragraph_not_a_traceback(capfd, monkeypatch):
    """The paragraph a cell shows (ProxyInTheWay), with the shell's way to set the variable."""
    result, address = _demo_prompt(capfd, monkeypatch, "Hello", https_proxy="http://127.0.0.1:9",
                                   http_proxy="http://127.0.0.1:9")
    assert result.code == 1
    assert result.err == (f"\nRequests to {address} go through the proxy http://127.0.0.1:9 (from https_proxy), "
                          "which cannot reach this machine's own addresses, so nothing was sent. Exempt them: "
                          "export no_proxy=localhost,127.0.0.1 in the shell that runs ygpt-magic, then run "
                          "ygpt-magic demo again.\n")


def test_demo_with_a_prompt_longer_than_the_context_refuses_it_in_one_paragraph_as_usage(capfd, monkeypatch):
    result, _ = _demo_prompt(capfd, monkeypatch, "a " * 60_000)
    assert result.code == 2
    assert result.err == ("\nThe server refused the request as too long for the model's context (60,015 tokens; "
                          "the model's context holds 32,768), even with no chat history. Shorten the prompt, "
                          "or split the text into several prompts.\n")   # no system message, no %ygpt in a shell


#: a made-up key of the API key's published shape (keyshapes.py)
TYPED_KEY = "AQVN" + "x7Kd9Qm2" * 4 + "Lp3Z"


def test_demo_with_a_key_in_the_prompt_refuses_it_before_echoing_the_prompt(capfd):
    """The banner printed 'Prompt: …' with the key in it before the guard refused the request."""
    result = run_here(capfd, "demo", f"my key is {TYPED_KEY}, what now?")
    assert result.code == 2
    assert result.out == "" and TYPED_KEY not in result.err
    refusal = "\nNothing was sent: the prompt contains what looks like a Yandex Cloud API key ("
    assert result.err.startswith(refusal), result.err
