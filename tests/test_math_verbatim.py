"""Math in a prompt reaches the model as written: its braces are TeX groups, never references.

findings/toolsref.md 1: in a notebook where `n`, `i` and `y` exist (they almost always do), a
pasted loss went as `\\frac{1}200\\sum_3 (y_3 - \\hatSeries: 200 values …`, with a note for `y`
only, and a formula naming a name the notebook lacks refused the whole cell.
"""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, completions

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

LOSS = r"$L = \frac{1}{n}\sum_{i} (y_{i} - \hat{y}_{i})^2$"


def test_a_formula_is_sent_as_written_with_one_note_for_the_names_it_holds(shell, ygpt_server):
    pd = pytest.importorskip("pandas")
    shell.user_ns.update(y=pd.Series(range(200), name="target"), i=3, n=200)
    result = cell(shell, f"%%ygpt --once\nExplain why we divide by $n$: {LOSS}, then \\[ \\bar{{y}} \\] for {{n}} rows")
    assert result.ok, result.shown
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    assert sent == f"Explain why we divide by $n$: {LOSS}, then \\[ \\bar{{y}} \\] for 200 rows"
    assert ("{n}, {i}, {y}: inside math ($…$), sent as written, as TeX groups; to send a value, put "
            "its reference outside the math") in result.page
    assert "Series" not in result.page


def test_a_formula_naming_an_undefined_name_is_not_refused(shell, ygpt_server):
    shell.user_ns.pop("j", None)
    result = cell(shell, "%%ygpt --once\nWhat is $\\sum_{j} x_{j}$ and $$\\prod_{j}$$?")
    assert result.ok, result.shown
    assert completions(ygpt_server)[-1].messages[-1]["text"] == "What is $\\sum_{j} x_{j}$ and $$\\prod_{j}$$?"


def test_dollars_that_are_money_do_not_hide_references(shell, ygpt_server):
    shell.user_ns.update(item="a pen", other="a cup", price=5)
    result = cell(shell, "%%ygpt --once\nSpend $5 on {item} and $10 on {other}.\n\nIt costs {price}$ or \\${price}$.")
    assert result.ok, result.shown
    assert completions(ygpt_server)[-1].messages[-1]["text"] == \
        "Spend $5 on a pen and $10 on a cup.\n\nIt costs 5$ or \\$5$."
