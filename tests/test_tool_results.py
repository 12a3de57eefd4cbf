"""What a tool's result becomes on the wire: valid JSON the model and the API can read, whatever
floats the notebook's function returned; through a real shell, the unmodified SDK and the local
server."""

from __future__ import annotations

import json
import re
import time

import pytest
from cellrun import assert_clean
from conftest import cell, completions

from ygpt_magic.emulator import start_local_server

#: the cells here define values and loop with ``_`` (a list nested 5,000 deep): a later test in
#: the same worker reading IPython's ``_`` got 4999, which the displayhook no longer updated
pytestmark = pytest.mark.usefixtures("fresh_names")

SCRIPT = {"replies": [
    {"user": "How are the ratings?", "tool_calls": [{"name": "ratings", "arguments": {}}],
     "after_tools": "Ratings: {result}"},
    {"user": "How many units?", "tool_calls": [{"name": "units", "arguments": {}}],
     "after_tools": "Units: {result}"},
    {"user": "Units in detail", "tool_calls": [{"name": "unit_stats", "arguments": {}}],
     "after_tools": "Units: {result}"},
]}

FUNCTIONS = '''
def ratings() -> dict:
    """Rating statistics; no reviews yet, so the mean is NaN (as pandas gives it)."""
    return {"mean_rating": float("nan"), "best": float("inf"), "counts": [3, float("-inf")]}
import pandas as pd
sales = pd.DataFrame({"units": [1000, 204], "returned": [float("nan"), float("nan")]})
def units() -> int:
    """Units sold (pandas sums to a numpy int64)."""
    return sales.units.sum()
def unit_stats() -> dict:
    """Units sold, whether every row sold, and the mean of no returns (numpy values, one NaN)."""
    return {"total": sales.units.sum(), "all_sold": sales.units.gt(0).all(), "returned": sales.returned.mean()}
'''


@pytest.fixture
def tool_server(tmp_path):
    script = tmp_path / "tools.json"
    script.write_text(json.dumps(SCRIPT), encoding="utf-8")
    with start_local_server(scripts=[script], operation_delay=0.0) as server:
        yield server


def test_nan_and_inf_in_a_result_go_as_null_in_valid_json_and_the_call_says_so(shell, tool_server):
    shell.run_line_magic("ygpt", f"connect {tool_server.address} --insecure")
    assert cell(shell, FUNCTIONS).ok
    run = cell(shell, "%%ygpt --tools ratings\nHow are the ratings?")
    assert run.ok, run.message
    [sent] = completions(tool_server)[-1].messages[2]["tool_results"]
    assert json.loads(sent["content"], parse_constant=pytest.fail) == {
        "mean_rating": None, "best": None, "counts": [3, None]}
    assert "3 NaN/inf values sent as null" in run.plain_page
    assert_clean(run)


def test_numpy_results_are_summed_up_and_sent_as_their_values(shell, tool_server):
    shell.run_line_magic("ygpt", f"connect {tool_server.address} --insecure")
    assert cell(shell, FUNCTIONS).ok
    run = cell(shell, "%%ygpt --tools units\nHow many units?")
    assert run.ok, run.message
    assert "🔧 units() → 1,204 · " in run.plain_page   # was "→ int64"
    assert completions(tool_server)[-1].messages[2]["tool_results"][0]["content"] == "1204"
    run = cell(shell, "%%ygpt --tools unit_stats\nUnits in detail")
    assert run.ok, run.message
    [sent] = completions(tool_server)[-1].messages[-1]["tool_results"]
    assert json.loads(sent["content"], parse_constant=pytest.fail) == {   # was "{'total': np.int64(1204), …}"
        "total": 1204, "all_sold": True, "returned": None}
    assert "1 NaN/inf value sent as null" in run.plain_page
    assert_clean(run)


@pytest.fixture
def call_server(tmp_path):
    """A server whose model calls ``f`` (with x=1) for "call f" and then answers with its result."""
    script = tmp_path / "call.json"
    script.write_text(json.dumps({"replies": [{"user": "call f", "tool_calls": [
        {"name": "f", "arguments": {"x": 1}}], "after_tools": "Result: {result}"}]}), encoding="utf-8")
    with start_local_server(scripts=[script], operation_delay=0.0) as server:
        yield server


def test_a_set_goes_in_one_order_so_its_recorded_exchange_replays_in_any_kernel(shell, call_server, tmp_path):
    """A set iterates in an order that follows hashing: strings hash differently in every new
    Python, and colliding items (1 and 9 in a small set) in the order they were added. The same
    set must be the same text, or the reply cache misses it in a restarted kernel or in CI."""
    shell.run_line_magic("ygpt", f"connect {call_server.address} --insecure")
    assert cell(shell, "order = [9, 1, 'far east', 'north']\n"
                       "def f(x: int) -> set:\n    '''The regions we sell in.'''\n    return set(order)\n").ok
    assert cell(shell, f"%ygpt cache {tmp_path / 'replies.sqlite'}").ok
    run = cell(shell, "%%ygpt --tools f --once\ncall f")
    assert run.ok, run.message
    sent = completions(call_server)[-1].messages[-1]["tool_results"][0]["content"]
    assert json.loads(sent) == ["far east", "north", 1, 9]     # by repr: ints and str do not sort
    assert ") → 4 items · " in run.plain_page
    assert cell(shell, "order = [1, 9, 'north', 'far east']\n%ygpt cache --mode replay").ok
    replayed = cell(shell, "%%ygpt --tools f --once\ncall f")
    assert replayed.ok, replayed.message
    assert shell.user_ns["_ygpt"].cached


RESULTS = {   # a function's return → what the model reads of it, and the call's line
    "date": ("import datetime\nvalue = datetime.date(2024, 3, 1)", "2024-03-01", "→ 2024-03-01"),
    "dict of a date": ("import datetime\nvalue = {'day': datetime.date(2024, 3, 1), 'n': 3}",
                       '{"day": "2024-03-01", "n": 3}', "→ 2 keys"),
    "records with Timestamps and NaT": (
        "import pandas as pd\nvalue = pd.DataFrame({'day': pd.to_datetime(['2024-01-01', None]), "
        "'units': [1, 2]}).to_dict('records')",
        '[{"day": "2024-01-01T00:00:00", "units": 1}, {"day": null, "units": 2}]', "→ 2 items"),
    "Decimal": ("from decimal import Decimal\nvalue = {'total': Decimal('12.50')}", '{"total": "12.50"}', "→ 1 key"),
    "pydantic model with an Enum": (
        "import enum\nfrom pydantic import BaseModel\nclass Region(enum.Enum):\n    NORTH = 'north'\n"
        "class P(BaseModel):\n    a: int\n    region: Region\nvalue = P(a=1, region=Region.NORTH)",
        '{"a": 1, "region": "north"}', "→ 2 keys"),
    "Enum": ("import enum\nclass Region(enum.Enum):\n    NORTH = 'north'\nvalue = Region.NORTH", "north", "→ north"),
    "set of strings": ("value = {'north', 'south', 'far east'}", '["far east", "north", "south"]', "→ 3 items"),
    "pd.NA": ("import pandas as pd\nvalue = {'a': pd.NA}", '{"a": null}', "→ 1 key"),
}


@pytest.mark.parametrize("kind", list(RESULTS))
def test_dates_decimals_enums_and_models_go_as_json_and_the_call_sums_up_their_value(shell, call_server, kind):
    define, content, line = RESULTS[kind]
    shell.run_line_magic("ygpt", f"connect {call_server.address} --insecure")
    assert cell(shell, define + "\ndef f(x: int):\n    '''n'''\n    return value\n").ok
    run = cell(shell, "%%ygpt --tools f\ncall f")
    assert run.ok, run.message
    assert completions(call_server)[-1].messages[-1]["tool_results"][0]["content"] == content
    assert f") {line} · " in run.plain_page.splitlines()[0]


UNRENDERABLE = {   # a function's return whose text cannot be made → what the model is told of it
    "a repr that raises (a detached ORM row)": (
        "class Customer:\n    def __repr__(self):\n"
        "        raise RuntimeError('Instance <Customer> is not bound to a Session')\n"
        "value = {'customer': Customer(), 'orders': 3}",
        "turning the dict into text raised RuntimeError: Instance <Customer> is not bound to a Session"),
    "an int of 5,000 digits": ("value = 10 ** 5000", "turning the int into text raised ValueError: Exceeds the limit"),
    "a list nested 5,000 deep": ("value = []\nfor _ in range(5000):\n    value = [value]",
                                 "turning the list into text raised RecursionError"),
}


@pytest.mark.parametrize("kind", list(UNRENDERABLE))
def test_a_result_that_cannot_be_turned_into_text_goes_back_as_an_error_and_the_cell_goes_on(
        shell, call_server, kind):
    """The function ran and the first round was sent (and billed): like a tool that raises, the
    model is told and answers, and the user is told what to return instead (errors3.md #3: the
    cell stopped, saying "Nothing was sent" and advice for a {reference})."""
    define, why = UNRENDERABLE[kind]
    shell.run_line_magic("ygpt", f"connect {call_server.address} --insecure")
    assert cell(shell, define + "\ndef f(x: int):\n    '''n'''\n    return value\n").ok
    run = cell(shell, "%%ygpt --tools f\ncall f")
    assert run.ok, run.message
    sent = completions(call_server)[-1].messages[-1]["tool_results"][0]["content"]
    assert sent.startswith("error: the call ran, but its result could not be turned into text: ") and why in sent
    assert ") → error: the call ran, but its result could not be turned into text" in run.plain_page
    assert "Result: error: the call ran" in run.final
    assert (f"⚠ The result of f could not be turned into text ({why}" in run.plain_page
            and "the model was told so. Return a str, a dict or list of plain values, or a DataFrame" in run.plain_page)
    assert "Nothing was sent" not in run.shown and len(completions(call_server)) == 2
    assert_clean(run)


def test_a_result_holding_memory_addresses_gets_the_note_a_value_gets(shell, call_server):
    """Objects without a repr of their own reach the model as ``<Reading object at 0x7f…>``: no
    word of it to the user, and the recorded exchange never replayed (new addresses in every
    kernel), so CI in replay mode failed on the cell every time."""
    shell.run_line_magic("ygpt", f"connect {call_server.address} --insecure")
    assert cell(shell, "class Reading:\n    def __init__(self, name, value):\n"
                       "        self.name, self.value = name, value\n"
                       "def f(x: int) -> list:\n    '''Current readings of the greenhouse sensors.'''\n"
                       "    return [Reading('north', 21.5), Reading('south', 24.0)]\n").ok
    run = cell(shell, "%%ygpt --tools f\ncall f")
    assert run.ok, run.message
    assert "Reading object at 0x" in completions(call_server)[-1].messages[-1]["tool_results"][0]["content"]
    assert ("⚠ The result of f: its text holds a memory address, which tells the model nothing and is new in "
            "every kernel, so the reply cache cannot replay this cell in another kernel. Return the objects' "
            "data from f (a dict or list of plain values, a DataFrame) rather than the objects.") in run.plain_page
    assert run.plain_page.count("memory address") == 1


@pytest.mark.slow   # the kernel makes the million rows: about 2 s
def test_a_million_records_are_cut_without_being_written_whole(shell, call_server):
    """``df.to_dict("records")`` of a million rows took 10 to 20 s to become 8 KB of text: the
    whole JSON (four million values made plain) was written before it was cut."""
    shell.run_line_magic("ygpt", f"connect {call_server.address} --insecure")
    assert cell(shell, "rows = [{'region': 'north', 'units': i, 'price': float('nan')} for i in range(10**6)]\n"
                       "def f(x: int) -> list:\n    '''Every sale.'''\n    return rows\n").ok
    started = time.perf_counter()
    run = cell(shell, "%%ygpt --tools f\ncall f")
    assert run.ok, run.message
    assert time.perf_counter() - started < 5
    sent = completions(call_server)[-1].messages[-1]["tool_results"][0]["content"]
    text, _, cut = sent.rpartition("\n")
    assert text.startswith('[{"region": "north", "units": 0, "price": null}, ') and len(text) == 8000
    assert cut == "… cut here: 162 of 1,000,000 items sent whole, the rest left out"
    assert ") → 1,000,000 items (162 NaN/inf values sent as null) · " in run.plain_page


def test_a_cut_result_holding_its_rows_in_a_key_says_how_many_rows_went(shell, call_server):
    """findings/review16.md 5: ``{"count": …, "rows": [100,000 records]}`` cut at 8,000 characters
    ended "1 of 2 keys sent whole", which reads as nearly all of it, not as 231 of 100,000 rows."""
    shell.run_line_magic("ygpt", f"connect {call_server.address} --insecure")
    assert cell(shell, "rows = [{'region': 'north', 'units': i} for i in range(100_000)]\n"
                       "def f(x: int) -> dict:\n    '''Every sale.'''\n"
                       "    return {'count': len(rows), 'rows': rows}\n").ok
    run = cell(shell, "%%ygpt --tools f\ncall f")
    assert run.ok, run.message
    sent = completions(call_server)[-1].messages[-1]["tool_results"][0]["content"]
    text, _, cut = sent.rpartition("\n")
    went = len(re.findall(r'\{"region": "north", "units": \d+\}', text))
    assert text.startswith('{"count": 100000, "rows": [{"region": "north", "units": 0}, ') and went > 100
    assert cut == f'… cut here: 1 of 2 keys sent whole, in ["rows"] {went:,} of 100,000 items, the rest left out'
