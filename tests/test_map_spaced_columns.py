"""%%ygpt --map over a frame whose column names have spaces around them, as `pd.read_csv` gives
them for a header written `name, price` (the column is ' price'): `{price}` is that column when
no other column is `price` without its spaces, the exact name wins when one is, and refusals
show such a name quoted so the space can be seen; through a real shell and the local server."""

from __future__ import annotations

import io

import pandas as pd
from conftest import cell, completions


def prices(csv: str = "name, price\nkettle, 5\nlamp, 7\n") -> pd.DataFrame:
    """A frame as pd.read_csv reads a header typed with a space after each comma."""
    return pd.read_csv(io.StringIO(csv))


def sent(server) -> list[str]:
    return sorted(r.messages[-1]["text"] for r in completions(server))


def test_a_name_fills_from_the_one_column_that_is_it_with_spaces_around(shell, ygpt_server):
    shell.user_ns["df"] = frame = prices()
    assert list(frame.columns) == ["name", " price"]
    run = cell(shell, "%%ygpt --map df --out o\n{name} costs {price}, {row.price} or {price:.1f}")
    assert run.ok, run.message
    assert sent(ygpt_server) == ["kettle costs 5, 5 or 5.0", "lamp costs 7, 7 or 7.0"]
    assert "price" not in run.stdout, run.stdout   # nothing said: the column was plain to tell
    ygpt_server.reset()
    for said, template in (("as", "{row['price']}"), ("written", "{row[' price']}"), ("too", "{ price}")):
        assert cell(shell, f"%%ygpt --map df --out o\n{{name}} {said}: {template}").ok, template
        assert sent(ygpt_server) == [f"kettle {said}: 5", f"lamp {said}: 7"], template   # the name as written too
        ygpt_server.reset()


def test_the_exact_name_wins_over_one_with_spaces(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"price": [1, 2], " price": [5, 7]})
    assert cell(shell, "%%ygpt --map df --out o\n{price} or {row.price}, not { price}").ok
    assert sent(ygpt_server) == ["1 or 1, not 5", "2 or 2, not 7"]


def test_a_row_without_a_value_there_names_the_column_with_its_space(shell, ygpt_server):
    shell.user_ns["df"] = prices("name, price\nkettle, 5\nlamp,\n")
    run = cell(shell, "%%ygpt --map df --out o\n{name} costs {price}")
    assert run.ok, run.message
    assert sent(ygpt_server) == ["kettle costs 5.0"]   # no 'nan' sent
    reason = shell.user_ns["_ygpt"].errors[1]
    assert "{price} holds no value (NaN)" in reason and "df.dropna(subset=[' price'])" in reason, reason


def test_a_mistyped_name_is_refused_showing_the_spaced_column_quoted(shell, ygpt_server):
    shell.user_ns["df"] = prices()
    run = cell(shell, "%%ygpt --map df --out o\n{name} costs {prise}")
    assert not run.ok and not completions(ygpt_server)
    assert "Did you mean the column ' price'? Write {price} or {row[' price']}." in run.message, run.message
    assert "Its columns are 'name', ' price'" in run.message, run.message
    attribute = cell(shell, "%%ygpt --map df --out o\n{row.prise}")
    assert "(did you mean ' price'?); its columns are 'name', ' price'" in attribute.message, attribute.message


def test_two_columns_that_are_one_name_with_spaces_are_refused_naming_both(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({" price": [5, 7], "price ": [6, 8]})
    run = cell(shell, "%%ygpt --map df --out o\nCosts {price}")
    assert not run.ok and not completions(ygpt_server)
    assert "' price' and 'price ' are both 'price' with spaces around it" in run.message, run.message
    assert "{row[' price']}" in run.message and "{row['price ']}" in run.message, run.message


def test_labels_read_such_a_column_by_its_name_without_spaces(shell, ygpt_server):
    shell.user_ns["df"] = prices()
    run = cell(shell, "%%ygpt --map df --labels cheap,dear --out l\n{name} at {price}")
    assert run.ok, run.message
    texts = [r.messages[-1]["text"] for r in ygpt_server.requests if r.method in ("Classify", "FewShotClassify")]
    assert sorted(texts) == ["kettle at 5", "lamp at 7"]


def test_embed_and_similar_find_the_column_by_its_name_without_the_spaces(shell, ygpt_server):
    shell.user_ns["df"] = pd.read_csv(io.StringIO("id, review\n1, broken on arrival\n2, works fine\n"))
    run = cell(shell, "%ygpt embed df --column review --out v")
    assert run.ok, run.message
    assert shell.user_ns["v"].shape[0] == 2
    found = cell(shell, "%ygpt similar arrived broken --in df --column review --top 1")
    assert found.ok and "broken on arrival" in found.plain, found.message
    shell.user_ns["two"] = pd.DataFrame({" review": ["a"], "review ": ["b"]})
    both = cell(shell, "%ygpt embed two --column review")
    assert not both.ok and "' review'" in both.message and "'review '" in both.message, both.message


def test_the_whole_row_names_such_a_column_without_its_spaces(shell, ygpt_server):
    shell.user_ns["df"] = prices()
    assert cell(shell, "%%ygpt --map df --out o\nTell me of {row}").ok
    assert sent(ygpt_server) == ["Tell me of name: kettle\nprice: 5", "Tell me of name: lamp\nprice: 7"]
    ygpt_server.reset()
    shell.user_ns["two"] = pd.DataFrame({"price": [1], " price": [5]})   # {price} is 'price' here
    assert cell(shell, "%%ygpt --map two --out o\n{row}").ok
    assert sent(ygpt_server) == ["price: 1\n price: 5"]   # the spaced one keeps its space, told apart
