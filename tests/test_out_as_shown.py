"""`{Out[N]}` sends what cell N showed, even after a later cell changed its object in place.

findings/toolsref.md 2: a frame shown with a NaN, then filled in place by the next cell, went as
filled (3 columns, 0.0 where the NaN was) under the note `DataFrame 3 × 3, sent whole`, so the
model could not say why cell 2 showed a missing value.
"""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell, completions

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


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
    assert (f"{{Out[{n}]}}: the DataFrame's text now differs from what cell {n} showed (the DataFrame was "
            f"changed since, or a display option was, such as pandas' precision or the terminal's width), "
            f"so it is sent as cell {n} showed it (IPython's text of it); refer to its variable to send it "
            f"as it is now") in result.page
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
    assert f"{{Out[{grown}]}}: the list's text now differs from what cell {grown} showed" in result.page
    assert f"{{Out[{kept}]}}: DataFrame 2 × 1, sent whole" in result.page


def test_a_frame_shown_again_under_another_display_option_is_not_said_to_have_changed(shell, ygpt_server):
    """findings/review16.md 4: pd.set_option("display.precision", 2) after the frame was shown,
    and the note said "the DataFrame has changed since cell 2 showed it", which it had not."""
    pd = pytest.importorskip("pandas")
    shell.user_ns["pd"] = pd
    n = shown_count(shell, "df = pd.DataFrame({'a': [1.123456789, 2.5]})\ndf")
    try:
        assert cell(shell, "pd.set_option('display.precision', 2)").ok
        result = cell(shell, f"%%ygpt --dry-run\nWhy? {{Out[{n}]}}")
    finally:
        pd.reset_option("display.precision")
    assert result.ok, result.shown
    assert "has changed" not in result.page
    assert (f"{{Out[{n}]}}: the DataFrame's text now differs from what cell {n} showed (the DataFrame was "
            f"changed since, or a display option was, such as pandas' precision or the terminal's width), "
            f"so it is sent as cell {n} showed it (IPython's text of it); refer to its variable to send it "
            f"as it is now") in result.page
    assert "1.123457" in result.plain
