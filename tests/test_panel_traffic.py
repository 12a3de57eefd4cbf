"""What a panel costs the kernel and the page over a long chat: bounded, whatever its length.

A panel lives as long as its kernel, beside cells that add turns one by one. Each widget it
opens is a comm the kernel keeps until it is closed, and its saved view (panel/saved.py) goes to
the page again when it changes. Closing a panel released its widgets but not their ``Layout``
and ``Style`` widgets, one comm each, so the kernel kept growing over a long session
(findings/panelview). Real kernels (tests/kernels.py), comms as the kernel's comm manager holds
them.
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
