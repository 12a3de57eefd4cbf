"""--map with an {expression} over a wide frame (a text column and hundreds of feature columns):
each row's expression looks up only the names its code reads, so planning costs the same as over
a narrow frame with the same texts. Compared in the same run (a ratio, not milliseconds)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from conftest import cell, completions

ROWS = 800


def frame(columns: int) -> pd.DataFrame:
    df = pd.DataFrame(np.zeros((ROWS, columns)), columns=[f"f{i}" for i in range(columns)])
    df["text"] = [f"review {i} " * 3 for i in range(ROWS)]
    return df


def planning_time(shell, columns: int) -> float:
    """Seconds a --dry-run of {text[:20]} over ``columns`` feature columns takes (best of two)."""
    shell.user_ns["wide"] = frame(columns)
    walls = []
    for _ in range(2):
        started = time.perf_counter()
        run = cell(shell, "%%ygpt --map wide --out a --dry-run\n{text[:20]}")
        walls.append(time.perf_counter() - started)
        assert run.ok, run.message
    return min(walls)


@pytest.mark.slow
def test_an_expression_over_a_wide_frame_plans_about_as_fast_as_over_a_narrow_one(shell, ygpt_server):
    narrow, wide = planning_time(shell, 3), planning_time(shell, 2000)
    print(f"narrow {narrow:.3f} s, wide {wide:.3f} s")
    assert wide < 2 * narrow, (narrow, wide)
    assert completions(ygpt_server) == []


@pytest.mark.usefixtures("fresh_names")   # a len of its own must not reach later tests' cells
def test_an_expression_still_sees_every_name_its_comprehensions_and_lambdas_read(shell, ygpt_server):
    shell.user_ns.update(stop={"the", "a"}, shout=str.upper, len=lambda value: "shadowed")
    shell.user_ns["df"] = pd.DataFrame({"text": ["the cat", "a dog"], "tag": ["x", "y"], "f0": [0.0, 1.0]})
    run = cell(shell, "%%ygpt --map df --out a\n"
                      "{[w for w in text.split() if w not in stop]} {(lambda: shout(tag))()} "
                      "{sorted(t for t in [tag, text])[0]} {len(text)} {(n := 3)}")
    assert run.ok, run.message
    assert sorted(r.messages[-1]["text"] for r in completions(ygpt_server)) == [
        "['cat'] X the cat shadowed 3", "['dog'] Y a dog shadowed 3"]
    assert "n" not in shell.user_ns
