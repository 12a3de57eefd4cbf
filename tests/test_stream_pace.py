"""How soon received text reaches the screen while a reply streams (streaming.md F1, F2).

The renderer throttles its updates (``render_interval``, a byte budget); text it holds back must
still be drawn when it is due, also when no further chunk comes (a model pausing mid-answer),
and a long reply must keep visibly growing while the model writes; only an unfinished end that
would show as raw text (a table's header row, stream.md F5) waits for its line. Through the real shell and
the local server (its pauses are the fault table's), and the renderer alone on a fake clock for
the long replies, whose minutes of streaming a test cannot wait for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from conftest import cell
from visible import visible

from ygpt_magic.emulator import start_local_server, tokenizer
from ygpt_magic.emulator.stream import CHUNK_TOKENS
from ygpt_magic.render.stream import StreamRenderer

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


@pytest.mark.slow
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


SALES = ("Revenue by region:\n\n| region | revenue | share |\n|---|---|---|\n| north | 120 | 40 % |\n"
         "| west | 90 | 30 % |\n\nNext steps:\n\n1. Load the data\n2. Group it by region\n\n"
         "```python\ndf.groupby('region').sum()\n```\n\nThat is all.")


@pytest.mark.parametrize("reply", [SALES, SALES.split("\n\n", 1)[1]], ids=["after a line", "first"])
@pytest.mark.slow
def test_a_table_list_or_fence_being_written_never_shows_as_raw_text(shell, tmp_path, reply):
    """A table's header row shows as a paragraph of pipes until its delimiter row is complete,
    a lone ``1`` as a paragraph until its ``.`` makes it a list, two backticks as text until the
    third opens a fence: such a last line is held back while it streams, and shown once it is
    complete (or the reply ends). A reply that opens with a table shows nothing until then."""
    shell.run_line_magic("config", "YGptMagics.render_interval = 0")
    with server_saying(shell, tmp_path, "Summarise the sales.", reply) as server:
        server.faults.latency(0.02)
        run = cell(shell, "%%ygpt --once\nSummarise the sales.")
    assert run.ok, run.message
    updates = [visible(output["data"].get("text/html", "")).split("\n") for output in run.outputs]
    assert len(updates) >= 10, f"too few updates to judge: {len(updates)}"
    raw = [line for lines in updates for line in lines if line.startswith("|") or line.strip() in ("1", "`", "``")]
    assert raw == [], raw
    assert all("".join(lines).strip() for lines in updates), "no update shows nothing"
    assert "north | 120 | 40 %" in updates[-1] and "df.groupby('region').sum()" in updates[-1], updates[-1]


# -- long replies, the renderer alone on a fake clock ---------------------------------------------

CHUNK_SECONDS = 0.02  # the cloud's pace (faults.CLOUD_LIKE): a chunk every 20 ms


def essay(paragraphs: int = 160) -> str:
    """Markdown as models write it: paragraphs, a list and a code block now and then (~40 KB)."""
    blocks = []
    for index in range(paragraphs):
        if index % 7 == 6:
            blocks.append("```python\n" + "\n".join(f"df['c{j}'] = df['a'] * {j}" for j in range(8)) + "\n```")
        elif index % 5 == 4:
            blocks.append("\n".join(f"- **item {j}**: `mean` and median" for j in range(5)))
        else:
            blocks.append(" ".join(f"the sample value {index}.{j} of the data frame" for j in range(8)) + ".")
    return "\n\n".join(blocks)


def table(rows: int = 2000) -> str:
    return "\n".join(["| a | b | c |", "|---|---|---|", *(f"| v{r} | {r * 2} | x{r} |" for r in range(rows))])


class Paced:
    """A StreamRenderer fed a reply chunk by chunk at the cloud's pace on a fake clock; each
    render takes ``render_seconds`` of it (0: instant)."""

    def __init__(self, render_seconds: float = 0.0) -> None:
        self.now, self.render_seconds, self.shown_at = 0.0, render_seconds, []
        self.renderer = StreamRenderer(display=self._display, clock=lambda: self.now)
        self.renderer.start()

    def _display(self, bundle, **_):
        return self

    def update(self, bundle, **_):
        self.now += self.render_seconds

    def stream(self, text: str, chunks: int | None = None) -> None:
        """Each chunk's text so far, grown by the chunk's pieces (joining every piece again for
        each of a 200 KB line's 12,500 chunks was most of this test's CPU, and no part of it)."""
        pieces, so_far = tokenizer.split(text), ""
        for start in range(0, len(pieces), CHUNK_TOKENS)[:chunks]:
            self.now += CHUNK_SECONDS
            before = self.renderer.updates
            so_far += "".join(pieces[start:start + CHUNK_TOKENS])
            self.renderer.update(so_far)
            if self.renderer.updates != before:
                self.shown_at.append(self.now)

    def longest_still(self) -> float:
        return max(later - earlier for earlier, later in zip(self.shown_at, self.shown_at[1:]))


@pytest.mark.slow  # waits out real time (a timeout, a retry, a killed server)
@pytest.mark.parametrize("text", [essay(), "word" * 50_000, table(600)], ids=["essay", "200 KB line", "table"])
def test_a_long_reply_never_stands_still_for_more_than_a_second(text):
    paced = Paced()
    paced.stream(text)
    assert paced.longest_still() <= StreamRenderer.still + CHUNK_SECONDS, paced.longest_still()


@pytest.mark.slow
def test_slow_renders_are_spaced_so_they_take_at_most_a_fifth_of_the_time():
    paced = Paced(render_seconds=0.5)
    paced.stream(table(600))
    renders = paced.renderer.updates * 0.5
    assert renders <= paced.now / 4, (renders, paced.now)
    assert paced.longest_still() <= 0.5 * StreamRenderer.render_spacing + 2 * CHUNK_SECONDS + 0.5


def test_text_held_past_the_byte_budget_is_due_within_a_second_when_the_server_pauses():
    paced = Paced()
    paced.stream(essay(), chunks=2000)
    held = paced.renderer.due()
    assert held is not None and held <= StreamRenderer.still, held
