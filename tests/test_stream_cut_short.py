"""A stream that ends cleanly without its final chunk says how many chunks it got, all of them.

The kernel's main thread reads only the newest answer when it falls behind (client/loop.py), so
the chunks it read can be fewer than the server sent; the error counts what the client received.
Through the real shell and the unmodified SDK against the local server, whose answer here ends
with an OK status after its PARTIAL chunks: no FINAL one, no error.
"""

from __future__ import annotations

from conftest import cell

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.prompt import Prompt
from ygpt_magic.emulator.responders import Generation
from ygpt_magic.emulator.stream import PARTIAL, response

CHUNKS = 150


class CutShort:
    """Answers every prompt with CHUNKS PARTIAL responses, each the whole text so far, then
    ends the call cleanly, as a proxy that drops a stream's last message would."""

    def respond(self, prompt: Prompt) -> Generation:
        words = [f"word{index}" for index in range(CHUNKS)]
        partial = tuple(response(prompt, " ".join(words[:count]), PARTIAL, count, 0)
                        for count in range(1, CHUNKS + 1))
        return Generation(recorded=partial, origin="cut short")


def test_a_stream_cut_short_counts_every_chunk_the_server_sent(shell, magics):
    with start_local_server() as server:
        server._state.responders.responders.insert(0, CutShort())  # a server of this test's own
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        shell.run_line_magic("config", "YGptMagics.render_interval = 0")  # every chunk read is drawn
        run = cell(shell, "%%ygpt\nCount to a hundred and fifty.")
    assert f"The reply stream broke off after {CHUNKS} chunks before the answer was complete" in run.message, \
        run.message
    assert run.final.startswith("word0 word1")
    assert run.final.endswith("⚠ stopped — not added to the chat; see the message below")
    assert magics.kernel.session.chats["default"].turns == []
