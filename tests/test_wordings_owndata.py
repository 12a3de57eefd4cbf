"""Words that were not quite true on a data scientist's own data: a --docs dry run that embedded
the files and then said "Nothing was sent.", a self-link listed as "not a type --docs reads", a
--vectors refusal that said "rows × dimensions", and --map over repeated index labels, whose
answers df.join() multiplies. Through the real shell and the local server."""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd
import pytest
from cellrun import LOST_EXCEPTIONS
from conftest import cell

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]

QUESTION = "Where do cats sleep during the day?"


@pytest.fixture
def notes(tmp_path, monkeypatch):
    """A folder of two notes and a link that points to itself, the notebook's folder its parent."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "cats.md").write_text("# Cats\n\nCats sleep sixteen hours a day by the window.\n", encoding="utf-8")
    (folder / "bread.md").write_text("# Bread\n\nKnead the dough for ten minutes.\n", encoding="utf-8")
    os.symlink(folder / "self", folder / "self")
    monkeypatch.chdir(tmp_path)
    return folder


def test_a_docs_dry_run_embeds_nothing_and_says_what_choosing_the_sources_would_embed(shell, ygpt_server, notes):
    ygpt_server.reset()
    run = cell(shell, f"%%ygpt --docs notes --once --dry-run\n{QUESTION}")
    assert run.ok, run.message
    assert re.search(r"Not embedded: choosing the sources needs 2 new chunks of 2 files \(\d+ tokens in all by the "
                     r"tokenizer API\) and the question \(\d+ tokens\) embedded first, estimated at ≈0\.000\d+\s₽\. "
                     r"A dry run sends nothing that costs money", run.plain), run.plain
    assert [r.method for r in ygpt_server.requests if not r.method.startswith("Tokenize")] == []
    assert cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}").ok
    again = cell(shell, "%%ygpt --docs notes --once --dry-run\nWhere do loaves rise?")
    assert "choosing the sources needs the question (" in again.plain and "new chunk" not in again.plain


def test_a_link_that_points_to_itself_is_named_so(shell, ygpt_server, notes):
    os.symlink(notes / "ring.md", notes / "ring.md")
    run = cell(shell, f"%%ygpt --docs notes,notes/self --once --dry-run\n{QUESTION}")
    assert run.ok, run.message
    assert "Skipped: notes/ring.md, notes/self (a link that points to itself)" in run.plain, run.plain
    assert "not a type --docs reads" not in run.plain and "cannot be read" not in run.plain


def test_vectors_of_the_wrong_shape_are_refused_with_the_shape_they_should_have(shell, ygpt_server):
    shell.user_ns.update(docs=["cats sleep", "dogs bark", "bread rises"], vec=np.zeros((2, 256)))
    run = cell(shell, "%ygpt similar cats --in docs --vectors vec")
    assert not run.ok and "(3 × 256 numbers: a row of each text's vector)" in run.message, run.message
    assert "dimensions" not in run.message


@pytest.mark.parametrize(("flags", "advice"), [
    ("--out b", "put the answers in with dup['b'] = b, which lines up row by row"),
    ("", "dup.join(_ygpt.results) would pair"),
    ("--out v --schema Verdict", "put the answers in with dup[v.columns] = v"),
    ("--out tone --labels good,bad", "put the answers in with dup[tone.columns] = tone"),
])
def test_map_over_repeated_index_labels_says_join_would_multiply_the_rows(shell, ygpt_server, flags, advice):
    shell.run_cell("from typing import Literal\nfrom pydantic import BaseModel\n"
                   "class Verdict(BaseModel):\n    tone: Literal['good', 'bad']")
    part = pd.DataFrame({"text": ["good kettle", "bad lid"]})
    shell.user_ns["dup"] = pd.concat([part, part])
    run = cell(shell, f"%%ygpt --map dup {flags}\nTone of: {{text}}")
    assert run.ok, run.message
    assert "The index of dup repeats labels" in run.stdout and advice in run.stdout, run.stdout
    assert "(pandas joins many-to-many)" in run.stdout and "or map over dup.reset_index()." in run.stdout


def test_map_over_a_unique_index_says_nothing_of_labels(shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"text": ["good kettle", "bad lid"]}, index=["a", "b"])
    run = cell(shell, "%%ygpt --map df --out b\nTone of: {text}")
    assert run.ok, run.message
    assert "repeats labels" not in run.stdout
