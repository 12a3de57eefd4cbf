"""%ygpt embed over a column that repeats texts: each distinct text is sent (and billed) once,
and the summary says how many rows took an earlier row's vector, in the words a --map summary
uses for its repeated prompts, so a user does not take 1,000 answered rows for 1,000 requests."""

from __future__ import annotations

import numpy as np
from conftest import cell

#: 100 rows, 70 distinct texts: the 30 others repeat one of the first 30
ROWS = [f"review number {n}" for n in range(70)] + [f"review number {n}" for n in range(30)]


def embedded(server) -> list[str]:
    return [r.messages[-1]["text"] for r in server.requests if r.method == "TextEmbedding"]


def _summary(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if line.startswith("✓"))


def test_30_repeated_texts_of_100_are_sent_once_and_the_summary_says_so(shell, ygpt_server):
    shell.user_ns["reviews"] = ROWS
    run = cell(shell, "%ygpt embed reviews --out vectors")
    assert run.ok, run.message
    assert len(embedded(ygpt_server)) == 70
    vectors = shell.user_ns["vectors"]
    assert np.array_equal(vectors[70:], vectors[:30])
    assert _summary(run.stdout).startswith("✓ 100 answered (70 sent; 30 repeat an earlier row's text) · "), \
        run.stdout
    done = shell.user_ns["_ygpt"]
    assert (done.answered, done.repeats, done.reused, done.left) == (100, 30, 0, 0)
    assert done.provenance["ygpt"]["sent"] == 70 and done.provenance["ygpt"]["repeated"] == 30
