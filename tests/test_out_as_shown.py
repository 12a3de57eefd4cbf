"""`{Out[N]}` sends what cell N showed, even after a later cell changed its object in place.

findings/toolsref.md 2: a frame shown with a NaN, then filled in place by the next cell, went as
filled (3 columns, 0.0 where the NaN was) under the note `DataFrame 3 × 3, sent whole`, so the
model could not say why cell 2 showed a missing value.
"""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, completions

pytestmark = [pytest.mark.filterwarnings(*LOST_EXCEPTIONS), pytest.mark.usefixtures("fresh_names")]


def shown_count(shell, source: str) -> int:
    count = shell.execution_count
    assert cell(shell, source).ok
    return count


def test_a_frame_filled_in_place_is_sent_as_the_cell_showed_it(shell, ygpt_server):
    pd = pytest.importorskip("pandas")
    shell.user_ns["pd"] = pd
    n = shown_count(shell, "df = pd.DataFrame({'price': [10.0, None, 30.0], 'qty': [1, 2, 3]})\ndf")
    assert cell(shell, "df['price'] = df['price'].fillna(0)\ndf['revenue'] = df.price * df.qty").ok
    result = cell(shell, f"%%ygpt --once\nWhy is there a missing value in this output? {{Out[{n}]}}")
    assert result.ok, result.shown
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    assert "NaN" in sent and "revenue" not in sent, sent
    assert sent.endswith(shell.history_manager.output_hist_reprs[n])
    assert (f"{{Out[{n}]}}: the DataFrame has changed since cell {n} showed it, so it is sent as cell {n} "
            f"showed it (IPython's text of it); refer to its variable to send it as it is now") in result.page
    assert "3 × 3" not in result.page


def test_a_list_appended_to_is_sent_as_shown_and_one_left_alone_is_rendered_as_a_value(shell, ygpt_server):
    pd = pytest.importorskip("pandas")
    shell.user_ns["pd"] = pd
    grown = shown_count(shell, "steps = ['load', 'clean']\nsteps")
    kept = shown_count(shell, "pd.DataFrame({'city': ['Kazan', 'Perm']})")
    assert cell(shell, "steps.append('train')").ok
    result = cell(shell, f"%%ygpt --once\n{{Out[{grown}]}} then {{Out[{kept}]}}")
    assert result.ok, result.shown
    sent = completions(ygpt_server)[-1].messages[-1]["text"]
    assert sent.startswith("['load', 'clean'] then DataFrame: 2 rows × 1 columns\n"), sent
    assert f"{{Out[{grown}]}}: the list has changed since cell {grown} showed it" in result.page
    assert f"{{Out[{kept}]}}: DataFrame 2 × 1, sent whole" in result.page
