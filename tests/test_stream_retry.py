"""A stream that breaks off and is retried by the SDK says so in the notebook (browser.md #2).

The text used to stand still for the retry's backoff, then shrink to the new attempt's first
words with nothing said, and the final reply did not mention it. Now, while the retry waits, a
line under the text so far says the stream broke and is tried again; the new attempt's text has
a note above it saying it replaced the partial text; the line over the final footer says the
stream was retried once. Through the real shell, the unmodified SDK and the local server's
``break_stream_after`` fault (the words are the terminal's, render/terminal.py).
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import cell
from test_terminal import screen, terminal  # noqa: F401 (the real ipython in a pseudo-terminal, a fixture)
from visible import visible

from ygpt_magic.emulator import start_local_server
from ygpt_magic.render.terminal import BROKE_OFF, REPLACED, RETRYING, retried

PROMPT = "%%ygpt\nHi! What fields of science did Albert Einstein study?"
FOOTER = "yandexgpt · local server"


def drawn(run) -> list[str]:
    """Each display message of the cell as a person reads it, in order."""
    return [" ".join(visible(output["data"].get("text/html", "")).split()) for output in run.outputs]


def test_a_retried_stream_says_so_while_it_waits_and_after(shell, ygpt_server, magics):
    ygpt_server.faults.break_stream_after(3, "UNAVAILABLE", times=1)
    run = cell(shell, PROMPT)
    assert run.ok, run.message
    frames = drawn(run)
    waiting = next((index for index, frame in enumerate(frames) if RETRYING in frame), None)
    assert waiting is not None, f"nothing said the stream broke off and is retried: {frames}"
    assert frames[waiting].startswith("Hi!") and frames[waiting].endswith(RETRYING), frames[waiting]
    restarted = frames[waiting + 1]  # the new attempt's text from its start (as much as came by its draw)
    assert restarted.startswith(f"{REPLACED} Hi!") and RETRYING not in restarted, restarted
    assert all(frame.startswith(REPLACED) for frame in frames[waiting + 1:-1]), "the note stays while it streams"
    final = run.final
    assert final.count(RETRYING) == final.count(REPLACED) == 0, final
    assert f"{retried(1)}\n{FOOTER}" in final, final
    assert retried(1).endswith("retried once")
    reply = magics.kernel.session.chats["default"].turns[-1].reply.text
    assert final.startswith("Hi! Albert Einstein") and "↻" not in reply, "the chat keeps the reply alone"


def test_a_stream_not_retried_says_nothing_of_retries(shell, ygpt_server):
    run = cell(shell, PROMPT)
    assert run.ok and "↻" not in run.shown and "broke off" not in run.shown


@pytest.mark.parametrize("status, said", [("RESOURCE_EXHAUSTED", "busy"), ("UNAVAILABLE", "unavailable")])
def test_a_request_refused_before_any_text_says_the_server_is_busy_and_when_it_tries_again(shell, ygpt_server,
                                                                                            status, said):
    """Nothing was streamed, so nothing broke off: the line says what the server said and the
    backoff it waits (the shell's retry_backoff 0.05: 0.05 × 1.5 + up to 0.05 s of jitter)."""
    ygpt_server.faults.fail_next(1, status)
    run = cell(shell, PROMPT)
    assert run.ok, run.message
    frames = drawn(run)
    waiting = [frame for frame in frames if frame.startswith("↻")]
    assert len(waiting) == 1, frames
    match = re.fullmatch(rf"↻ the server is {said} \({status}\); trying again in (\d+\.\d) s…", waiting[0])
    assert match and 0.0 <= float(match[1]) <= 0.2, waiting[0]
    assert BROKE_OFF not in run.shown and REPLACED not in run.shown, run.shown
    final = run.final
    assert final.startswith("Hi! Albert Einstein"), final
    assert f"↻ the server was {said} ({status}); the request was retried once\n{FOOTER}" in final, final


@pytest.mark.slow
def test_a_terminal_says_the_server_is_busy_while_it_waits_and_erases_it_when_the_text_comes(terminal, ygpt_server):
    """The same words in plain IPython in a terminal: the line is printed while the retry waits,
    erased by the reply's text, and the footer says what happened."""
    terminal.run("%config YGptMagics.retry_backoff = 0.3")   # a wait of 0.45 s to 0.75 s
    ygpt_server.faults.fail_next(1, "RESOURCE_EXHAUSTED")
    pieces = terminal.run("%%ygpt --once", PROMPT.partition("\n")[2])
    printed = "".join(piece for _, piece in pieces)
    waited = re.search(r"↻ the server is busy \(RESOURCE_EXHAUSTED\); trying again in (\d\.\d) s…", printed)
    assert waited and 0.4 <= float(waited[1]) <= 0.8, printed
    shown = screen(pieces)
    assert "trying again" not in shown and BROKE_OFF not in shown, shown
    assert "↻ the server was busy (RESOURCE_EXHAUSTED); the request was retried once\n\nyandexgpt · " in shown, shown


@pytest.mark.parametrize("reply", ["Here it is:\n\n```python\nprint('hi')\n```", "No code today."])
def test_a_code_format_reply_says_it_was_retried_over_its_footer(shell, tmp_path, reply):
    """--format code (and %ygpt fix, which shows its reply so) dropped the retry line the other
    formats keep over the footer: the code came with no word that the server had refused it."""
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"replies": [{"user": "Print hi", "reply": reply}]}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        server.faults.fail_next(1, "UNAVAILABLE")
        run = cell(shell, "%%ygpt --format code --once\nPrint hi")
    assert run.ok, run.message
    said = "↻ the server was unavailable (UNAVAILABLE); the request was retried once"
    assert f"{said}\n{FOOTER}" in run.final, run.final
    assert f"{said}\n\n{FOOTER}" in run.plain_page, run.plain_page
