"""What `%ygpt embed` says of its matrix when texts got no vector: that none was made when
every text failed, that their rows are NaN when some did, through a real shell and the local
server's injected faults."""

from __future__ import annotations

import numpy as np
from conftest import cell

TEXTS = ["Cats sleep in warm sunny places.", "Tax returns are due in April.", "Dogs like long walks."]


def test_when_every_text_fails_it_says_no_vector_was_made_and_where_the_reasons_are(shell, ygpt_server):
    shell.user_ns["docs"] = TEXTS
    ygpt_server.faults.fail_next(3, "INTERNAL", "the model broke on this text", method="TextEmbedding")
    run = cell(shell, "%ygpt embed docs --concurrency 1")
    assert run.ok, run.message
    assert run.final == ("No vector was made (every text failed or was not sent), so _ygpt.embeddings "
                         "(3 × 256 float32) is all NaN. The lines above say why, and _ygpt.errors holds "
                         "the reason of each text that failed.")
    assert "✗ 3 failed" in run.stdout and "The vectors are in" not in run.shown
    assert np.isnan(shell.user_ns["_ygpt"].embeddings).all() and len(shell.user_ns["_ygpt"].errors) == 3


def test_when_some_texts_fail_it_says_their_rows_are_nan(shell, ygpt_server):
    shell.user_ns["docs"] = TEXTS
    ygpt_server.faults.fail_next(2, "INTERNAL", "the model broke on this text", method="TextEmbedding")
    run = cell(shell, "%ygpt embed docs --concurrency 1")
    assert run.final == ("The vectors are in _ygpt.embeddings, a 3 × 256 float32 array (one row per text; "
                         "the 2 rows without a vector are NaN); --out VAR stores it in VAR too.")
    assert np.isnan(shell.user_ns["_ygpt"].embeddings[:2]).all()
    again = cell(shell, "%ygpt embed docs --concurrency 1")   # the two failed texts, sent again
    assert again.final == ("The vectors are in _ygpt.embeddings, a 3 × 256 float32 array (one row per "
                           "text); --out VAR stores it in VAR too.")
