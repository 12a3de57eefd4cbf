"""A stream that breaks off and is retried by the SDK says so in the notebook (browser.md #2).

The text used to stand still for the retry's backoff, then shrink to the new attempt's first
words with nothing said, and the final reply did not mention it. Now, while the retry waits, a
line under the text so far says the stream broke and is tried again; the new attempt's text has
a note above it saying it replaced the partial text; the line over the final footer says the
stream was retried once. Through the real shell, the unmodified SDK and the local server's
``break_stream_after`` fault (the words are the terminal's, render/terminal.py).
"""

from __future__ import annotations

from conftest import cell
from visible import visible

from ygpt_magic.render.terminal import REPLACED, RETRYING, retried

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
