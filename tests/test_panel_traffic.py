"""What a panel costs the kernel and the page over a long chat: bounded, whatever its length.

A panel lives as long as its kernel, beside cells that add turns one by one. Each widget it
opens is a comm the kernel keeps until it is closed, and its saved view (panel/saved.py) goes to
the page again when it changes. Closing a panel released its widgets but not their ``Layout``
and ``Style`` widgets, one comm each, so the kernel kept growing over a long session
(findings/panelview); each turn sent the whole saved view again, 617 KB a turn at 800 turns.
Real kernels (tests/kernels.py), comms as the kernel's comm manager holds them, and every IOPub
message the kernel sends.
"""

from __future__ import annotations

import json

import pytest
from kernels import Kernel
from test_panel_long import long_chat

pytestmark = pytest.mark.slow

SESSION = "get_ipython().magics_manager.registry['YGptMagics'].kernel.session"
COMMS = "len(__import__('comm').get_comm_manager().comms)"


def load(kernel: Kernel, turns: int) -> None:
    """Chat 'long' of ``turns`` questions and answers in the kernel's session."""
    data = json.dumps(json.dumps(long_chat(turns)))
    kernel.run(f"import json\n{SESSION}.load_dict(json.loads({data}))")


def test_closing_a_panel_over_50_turns_releases_every_comm_it_opened(ygpt_server):
    with Kernel(ygpt_server.address) as kernel:
        load(kernel, 49)
        before = int(kernel.value(COMMS))
        kernel.run("%ygpt panel")
        kernel.run("panel = _")
        for n in range(2):   # new bubbles; at the 50th turn, ten older ones folded and closed
            kernel.run(f"%%ygpt\nQuestion {49 + n}")
        assert int(kernel.value(COMMS)) > before + 100
        kernel.run("panel.close()")
        assert int(kernel.value(COMMS)) == before, "comms left open in the kernel"


def per_turn(ygpt_server, turns: int, cells: int = 10) -> float:
    """Mean JSON bytes of what the kernel sends on IOPub (the cell's output, the panel's comm
    messages, its saved view) for a one-turn ``%%ygpt`` cell, a panel open over ``turns``."""
    with Kernel(ygpt_server.address) as kernel:
        load(kernel, turns)
        kernel.run("%ygpt panel")
        sent = []
        for n in range(cells):
            start = len(kernel.messages)
            kernel.run(f"%%ygpt\nQuestion {turns + n}")
            sent.append(sum(len(json.dumps(content)) for _, _, content in kernel.messages[start:]))
        return sum(sent) / cells


def test_a_turn_sends_about_as_much_over_800_turns_as_over_10(ygpt_server):
    """The saved view and the folded turns are cut into blocks (panel/blocks.py) and only the
    blocks that changed are sent: before, each turn sent the whole saved view (10 turns: 38 KB
    a turn, 200: 174 KB, 800: 617 KB) and the whole folded block once in ten turns. The ten
    cells after 800 include the worst of them, the one that folds turns 700 to 799 in; over a
    hundred cells a turn sends 46, 49 and 57 KB (measured once, at 10, 200 and 800 turns: 200
    is left out here, a kernel and a few seconds that the two ends already bound)."""
    sent = {turns: per_turn(ygpt_server, turns) for turns in (10, 800)}
    assert sent[800] < 3 * sent[10], sent
