"""A cost cap's refusal says how to raise the cap where the user is: a `%%ygpt` cell takes
``--max-cost``; a panel Send and ``%ygpt fix`` take no flag for it, so their refusal names the
setting, ``%config YGptMagics.max_cost_per_cell = …``, and doing what it says lets the request go."""

from __future__ import annotations

import re

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, completions
from test_panel import widget_comm  # noqa: F401 (a fixture)
from test_panel_doors import opened, sent

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

SETTING = re.compile(r"raise the cap \((%config YGptMagics\.max_cost_per_cell = [\d.]+)\)")


@pytest.fixture
def capped(shell):
    shell.run_line_magic("config", "YGptMagics.max_cost_per_cell = 0.0001")
    yield
    shell.run_line_magic("config", "YGptMagics.max_cost_per_cell = None")


def _followed(shell, refusal: str) -> None:
    advice = SETTING.search(refusal)
    assert advice and "--max-cost" not in refusal, refusal
    assert cell(shell, advice.group(1)).ok


@pytest.mark.usefixtures("widget_comm", "capped")
def test_the_panels_refusal_names_the_setting_and_following_it_sends(shell, ygpt_server):
    panel = opened(shell, "--chat sea")
    try:
        status = sent(panel, "Tell me about the sea")
        assert "(YGptMagics.max_cost_per_cell)" in status, status
        _followed(shell, status)
        assert sent(panel, "Tell me about the sea") == ""
        assert len(completions(ygpt_server)) == 1
    finally:
        panel.close()


@pytest.mark.usefixtures("capped")
def test_fixs_refusal_names_the_setting_and_following_it_sends(shell, ygpt_server):
    failing = shell.execution_count   # the number the next cell runs as
    assert not cell(shell, "1/0").ok
    refused = cell(shell, "%ygpt fix")
    assert "over the cap" in refused.message and completions(ygpt_server) == []
    assert refused.message.startswith(f"%ygpt fix of cell {failing}: "), refused.message   # not the fix's own cell
    assert "shorten the prompt" not in refused.message   # fix sends a cell and its error, not a prompt
    assert refused.message.endswith(", or set %config YGptMagics.model = 'yandexgpt-lite' first."), refused.message
    _followed(shell, refused.message)
    assert not cell(shell, "1/0").ok
    assert cell(shell, "%ygpt fix").ok
    assert len(completions(ygpt_server)) == 1


@pytest.mark.usefixtures("capped")
def test_a_cells_refusal_still_names_its_flag(shell, ygpt_server):
    refused = cell(shell, "%%ygpt --once\nTell me about the sea")
    advice = re.search(r"raise the cap \((--max-cost [\d.]+)\)", refused.message)
    assert advice and "(--max-cost or YGptMagics.max_cost_per_cell)" in refused.message, refused.message
    assert cell(shell, f"%%ygpt --once {advice.group(1)}\nTell me about the sea").ok
