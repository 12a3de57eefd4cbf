"""How soon received text reaches the screen while a reply streams (streaming.md F1, F2).

The renderer throttles its updates (``render_interval``, a byte budget); text it holds back must
still be drawn when it is due, also when no further chunk comes (a model pausing mid-answer),
and a long reply must keep visibly growing while the model writes. Through the real shell and
the local server (its pauses are the fault table's), and the renderer alone on a fake clock for
the long replies, whose minutes of streaming a test cannot wait for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from conftest import cell
from visible import visible

from ygpt_magic.emulator import start_local_server, tokenizer
from ygpt_magic.emulator.stream import CHUNK_TOKENS

WORDS = " ".join(f"w{index}" for index in range(24))


@contextmanager
def server_saying(shell, folder, user: str, reply: str) -> Iterator:
    """The shell connected to a server of its own that gives ``reply`` to ``user``."""
    script = folder / "script.json"
    script.write_text(json.dumps({"replies": [{"user": user, "reply": reply}]}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        yield server


def drawn(run) -> list[str]:
    """Each display message of the cell as a person reads it."""
    return [" ".join(visible(output["data"].get("text/html", "")).split()) for output in run.outputs]


def test_text_held_back_is_drawn_while_the_server_pauses(shell, tmp_path):
    """Two chunks come at once, then the server pauses: the second chunk, held back by the
    throttle, is on screen during the pause, not only when the third chunk comes."""
    shell.run_line_magic("config", "YGptMagics.render_interval = 0.5")
    with server_saying(shell, tmp_path, "Short one.", WORDS) as server:
        server.faults.stall_after(2, 3.0)
        run = cell(shell, "%%ygpt --once\nShort one.")
    assert run.ok, run.message
    received = "".join(tokenizer.split(WORDS)[:2 * CHUNK_TOKENS]).strip()
    assert received == "w0 w1 w2 w3 w4 w5 w6 w7"
    assert received in drawn(run), drawn(run)
