"""%%ygpt --map over a frame whose columns are not Python names, as spreadsheet exports name them
('product name', '2024 sales', 'product-name') (rows6.md, finding 1): `{product name}` is filled
from each row's column, `{row['product name']}` works, and a name that misses a column is refused
naming it, never sent as the literal braces; through a real shell and the local server."""

from __future__ import annotations

import pandas as pd
from conftest import cell, completions


def orders() -> pd.DataFrame:
    return pd.DataFrame({"product name": ["kettle", "lamp", "desk"],
                         "review text": ["too loud", "bright", "wobbly"],
                         "2024 sales": [10, 20, 30]})


def sent(server) -> list[str]:
    return sorted(r.messages[-1]["text"] for r in completions(server))


def test_braces_holding_a_column_name_with_spaces_are_filled_from_each_row(shell, ygpt_server):
    shell.user_ns["orders"] = orders()
    run = cell(shell, "%%ygpt --map orders --out o\nProduct: {product name}\nReview: { review text }\n"
                      "Sold in 2024: {2024 sales}")
    assert run.ok, run.message
    assert "repeat an earlier row's prompt" not in run.stdout
    assert sent(ygpt_server) == ["Product: desk\nReview: wobbly\nSold in 2024: 30",
                                 "Product: kettle\nReview: too loud\nSold in 2024: 10",
                                 "Product: lamp\nReview: bright\nSold in 2024: 20"]


def test_a_column_name_that_is_an_expression_or_has_a_dot_is_the_column(shell, ygpt_server):
    shell.user_ns["orders"] = pd.DataFrame({"product-name": ["kettle", "lamp"], "price.usd": [5, 7]})
    run = cell(shell, "%%ygpt --map orders --out o\n{product-name} costs {price.usd}")
    assert run.ok, run.message
    assert sent(ygpt_server) == ["kettle costs 5", "lamp costs 7"]


def test_row_subscript_reads_a_column_and_a_missing_one_is_refused_naming_the_columns(shell, ygpt_server):
    shell.user_ns["orders"] = orders()
    run = cell(shell, "%%ygpt --map orders --out o\nProduct: {row['product name']}")
    assert run.ok, run.message
    assert sent(ygpt_server) == ["Product: desk", "Product: kettle", "Product: lamp"]
    missing = cell(shell, "%%ygpt --map orders --out o2\nProduct: {row['product nme']}")
    assert not missing.ok and "Traceback" not in missing.stdout + missing.message
    assert "no column 'product nme'" in missing.message, missing.message
    assert "did you mean 'product name'?" in missing.message
    assert "'review text'" in missing.message and "'2024 sales'" in missing.message
    assert len(completions(ygpt_server)) == 3 and "o2" not in shell.user_ns


def test_row_attribute_of_a_missing_column_is_refused_naming_the_columns(shell, ygpt_server):
    """{row.Revew}: the same columns and guess as {row['Revew']}, not only "'row' (RowView) has no
    attribute" (rows6.md, seen in passing); a probe of an underscored name stays Python's."""
    shell.user_ns["reviews"] = pd.DataFrame({"Review": ["good", "bad"]})
    shell.user_ns.pop("rated", None)
    missing = cell(shell, "%%ygpt --map reviews --out rated\nRate {row.Revew}")
    assert not missing.ok and "Traceback" not in missing.stdout + missing.message
    assert "the row has no column 'Revew' (did you mean 'Review'?); its columns are 'Review'" in missing.message
    assert not completions(ygpt_server) and "rated" not in shell.user_ns
    assert cell(shell, "%%ygpt --map reviews --out rated\nRate {row.Review}").ok
    assert sent(ygpt_server) == ["Rate bad", "Rate good"]


def test_a_misspelt_column_name_with_spaces_is_refused_and_prose_in_braces_is_left(shell, ygpt_server):
    shell.user_ns["orders"] = orders()
    run = cell(shell, "%%ygpt --map orders --out o\nProduct: {product nme}")
    assert not run.ok and ygpt_server.requests == []
    assert "{product nme}" in run.message and "'product name'" in run.message, run.message
    assert "{product name}" in run.message and "{row['product name']}" in run.message
    assert "{{product nme}}" in run.message   # the way to send the braces as written
    prose = cell(shell, "%%ygpt --map orders --out o\n{product name}: answer in {a few words}")
    assert prose.ok, prose.message
    assert sent(ygpt_server) == [f"{p}: answer in {{a few words}}" for p in ("desk", "kettle", "lamp")]
    for words in ("Dear {first name},", "Write {your text} here", 'Reply as {"product": "name"}'):
        left = cell(shell, f"%%ygpt --map orders --out o\n{{product name}}: {words}")   # no typo of a column
        assert left.ok, (words, left.message)


def test_an_expression_that_misses_a_column_says_how_to_write_the_column(shell, ygpt_server):
    shell.user_ns["orders"] = pd.DataFrame({"product-name": ["kettle", "lamp"]})
    shell.user_ns.pop("product", None)
    run = cell(shell, "%%ygpt --map orders --out o\nProduct: {product-nme}")
    assert not run.ok and ygpt_server.requests == []
    assert "'product-name'" in run.message, run.message
    assert "{product-name}" in run.message and "{row['product-name']}" in run.message


def test_a_row_with_no_value_in_such_a_column_fails_alone(shell, ygpt_server):
    frame = orders()
    frame.loc[1, "review text"] = None
    shell.user_ns["orders"] = frame
    for template, joined in (("{product name}: {review text}", ": "),   # the refusals advise the second
                             ("{row['product name']} - {row['review text']}", " - ")):
        run = cell(shell, f"%%ygpt --map orders --out o\n{template}")
        assert run.ok, run.message
        assert "✗ 1 failed" in run.stdout, (template, run.stdout)
        assert "review text" in shell.user_ns["_ygpt"].errors[1]
        assert sent(ygpt_server) == [f"desk{joined}wobbly", f"kettle{joined}too loud"], template   # no 'nan'
        ygpt_server.reset()


def test_labels_over_such_a_column_classify_each_rows_own_text(shell, ygpt_server):
    shell.user_ns["orders"] = orders()
    run = cell(shell, "%%ygpt --map orders --labels good,bad --out o\n{review text}")
    assert run.ok, run.message
    texts = [r.messages[-1]["text"] for r in ygpt_server.requests if r.method in ("Classify", "FewShotClassify")]
    assert sorted(texts) == ["bright", "too loud", "wobbly"]


def test_a_template_that_reads_nothing_from_the_rows_is_said_to_instead_of_advising_index(shell, ygpt_server):
    shell.user_ns.update(orders=orders(), same=["a", "a"])
    dry = cell(shell, "%%ygpt --map orders --dry-run\nIs the customer happy?").plain
    assert "reads nothing from the rows" in dry and "put {index}" not in dry, dry
    for flags in ("", " -t 0"):
        run = cell(shell, f"%%ygpt --map orders --out o{flags}\nIs the customer happy? {flags}")
        assert run.ok, run.message
        assert "reads nothing from the rows" in run.stdout and "put {index}" not in run.stdout, run.stdout
    assert len(completions(ygpt_server)) == 2   # one request a run: the rows share it
    alike = cell(shell, "%%ygpt --map same --out o\nSay hi to {item}")   # rows alike in their data
    assert alike.ok and "reads nothing" not in alike.stdout and "put {index}" in alike.stdout
