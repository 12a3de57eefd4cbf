"""%%ygpt --map over realistic frames (rows3.md): a row's names reach every text it is sent with
(--system too), {index} is the row's own label, --out keeps the frame mapped over, and a row too
long for the context is a row's failure; through a real shell and the local server."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import cell, completions


def reviews(n: int) -> pd.DataFrame:
    products = ["phone", "laptop", "kettle"]
    return pd.DataFrame({"text": [f"Review {i}: the {products[i % 3]} is fine" for i in range(n)],
                         "product": pd.Categorical([products[i % 3] for i in range(n)])})


def systems(server) -> list[str]:
    return sorted(r.messages[0]["text"] for r in completions(server))


def test_a_column_named_in_system_is_filled_in_per_row_not_from_a_notebook_variable(shell, ygpt_server):
    shell.user_ns.update(df=reviews(3), product="kettle")   # left over from an earlier cell
    run = cell(shell, "%%ygpt --map df --out r --system 'You review {product}s'\n{text}")
    assert run.ok, run.message
    assert systems(ygpt_server) == ["You review kettles", "You review laptops", "You review phones"]
    assert shell.user_ns["product"] == "kettle"


def test_a_column_named_in_system_needs_no_notebook_variable(shell, ygpt_server):
    shell.user_ns["df"] = reviews(2)
    for name in ("product", "tone"):   # the shell is shared: an earlier test may define them
        shell.user_ns.pop(name, None)
    run = cell(shell, "%%ygpt --map df --out r --system 'You review {product}s; {tone}'\n{text}")
    assert not run.ok   # {tone} is neither a column nor a variable: said as a column of df
    assert "no column 'tone'" in run.message and "Define it in a code cell" not in run.message
    shell.user_ns["tone"] = "be brief"
    assert cell(shell, "%%ygpt --map df --out r --system 'You review {product}s; {tone}'\n{text}").ok
    assert systems(ygpt_server) == ["You review laptops; be brief", "You review phones; be brief"]


def test_index_is_the_label_even_when_labels_repeat(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"text": ["a", "b", "c"]}, index=["p1", "p1", "p2"])
    shell.user_ns["s"] = pd.Series(["d", "e"], index=pd.MultiIndex.from_tuples([("x", 1), ("x", 1)]))
    assert cell(shell, "%%ygpt --map df --out r\nProduct {index}: {text}").ok
    assert cell(shell, "%%ygpt --map s --out r\nProduct {index}: {item}").ok
    assert sorted(r.messages[-1]["text"] for r in completions(ygpt_server)) == [
        "Product ('x', 1): d", "Product ('x', 1): e", "Product p1: a", "Product p1: b", "Product p2: c"]


def test_out_naming_the_mapped_frame_is_refused_before_sending(shell, ygpt_server):
    frame = shell.user_ns["df"] = reviews(3)
    for flags in ("", " --dry-run", " --labels good,bad"):
        run = cell(shell, f"%%ygpt --map df --out df{flags}\nSummarize: {{text}}")
        assert not run.ok and "--out df would replace df" in run.message, run.message
        assert "df['answer'] = answers" in run.message
    assert shell.user_ns["df"] is frame and ygpt_server.requests == []


@pytest.mark.slow
def test_a_row_too_long_for_the_context_is_named_and_told_about_its_data(shell, ygpt_server):
    cell(shell, "%config YGptMagics.max_value_chars = 1000000")
    shell.user_ns["df"] = pd.DataFrame({"text": ["short", "слово " * 40000, "ok"]})
    run = cell(shell, "%%ygpt --map df --out r\nSummarize: {text}")
    assert run.ok, run.message
    reason = shell.user_ns["_ygpt"].errors[1]
    assert reason.startswith("Row 1: the prompt needs 40,0") and "over the context budget of 32,768" in reason
    cut = re.search(r"\(e\.g\. \{text\[:(\d+)\]\} in the cell\)", reason)
    assert cut and 0 < int(cut.group(1)) < len("слово " * 40000) * 32768 // 40000, reason   # a cut that fits
    assert "out of df" in reason and "several cells" not in reason
    assert len(completions(ygpt_server)) == 2


def test_a_row_template_over_a_frame_holding_its_out_column_says_why_rows_are_sent_again(shell, ygpt_server):
    shell.user_ns["df"] = reviews(6)
    ygpt_server.faults.fail_next(2, "INTERNAL", method="Completion", after=2)
    first = cell(shell, "%%ygpt --map df --out summary\nSummarize:\n{row}")
    assert "Run the cell again to send only those" in first.stdout and "Note:" not in first.stdout
    cell(shell, "df['summary'] = summary")
    again = cell(shell, "%%ygpt --map df --out summary\nSummarize:\n{row}")
    assert again.ok, again.message
    assert "df has a column 'summary' (this cell's --out)" in again.stdout, again.stdout
    assert "df.drop(columns='summary')" in again.stdout


@pytest.mark.slow
def test_a_row_over_the_models_whole_context_is_answered_with_the_longer_model_it_names(shell, ygpt_server):
    """findings/advice.md F1: with no budget set, the budget is yandexgpt's whole context, so a
    bigger budget would only move the refusal to the server; the row's reason names a model
    whose context holds it, and the cell run with that model answers the row."""
    cell(shell, "%config YGptMagics.max_value_chars = 1000000")
    shell.user_ns["df"] = pd.DataFrame({"text": ["short", "word " * 40000]})
    assert cell(shell, "%%ygpt --map df --out r\nSummarize: {text}").ok
    reason = shell.user_ns["_ygpt"].errors[1]
    assert "(all that yandexgpt's context holds)" in reason and "context_budget" not in reason, reason
    advised = re.search(r"run the cell with (--model [\w.-]+)", reason)
    assert advised, reason
    run = cell(shell, f"%%ygpt --map df --out r {advised[1]}\nSummarize: {{text}}")
    assert run.ok, run.message
    assert shell.user_ns["r"][1] is not None, shell.user_ns["_ygpt"].errors


@pytest.mark.usefixtures("fresh_names")
def test_a_column_named_like_a_builtin_is_named_when_a_call_of_the_builtin_fails(shell, ygpt_server):
    """findings/redteam4.md 3: describe()'s 'max' column hides max() in a row, and the error
    blamed the notebook's namespace. A column stays the row's value (as a variable would in a code
    cell); the error says so, and the way it gives to reach the builtin works."""
    shell.user_ns["df"] = pd.DataFrame({"text": ["a", "bb"], "max": [3, 4]})
    run = cell(shell, "%%ygpt --map df --out answers --dry-run\nCut to {max(len(text), 1)}: {text}")
    assert not run.ok
    assert ("In a --map row, max is the row's value in its column 'max', which hides Python's max(). "
            "Rename the column or write builtins.max(…) (after import builtins in a code cell)") in run.message
    shell.run_cell("import builtins")
    run = cell(shell, "%%ygpt --map df --out answers --dry-run\nCut to {builtins.max(len(text), 1)} ({max}): {text}")
    assert run.ok, run.message
    assert "Cut to 2 (4): bb" in run.plain, run.plain


@pytest.mark.usefixtures("fresh_names")
def test_a_notebook_variable_named_like_a_builtin_is_named_when_a_call_of_the_builtin_fails(shell, ygpt_server):
    shell.user_ns["min"] = 3
    run = cell(shell, "%%ygpt --dry-run\nThe least is {min(4, 5)}")
    assert "The notebook's variable min hides Python's min(). Rename the variable" in run.message, run.message
