"""One amount, one form: every rouble amount goes through chat/prices.py's ``roubles``, which
reads a Decimal by its value, not by the zeros its arithmetic left after it (a difference of two
sums, ``0.00059 - 0.00049``, is ``Decimal("0.00010")``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import cell
from test_docs_cell import QUESTION, notes  # noqa: F401 (notes: a fixture)

from ygpt_magic.chat.prices import roubles

NBSP = "\u00a0"


@pytest.mark.parametrize(("amount", "reads"), [
    ("0.00010", "0.0001"), ("0.0001", "0.0001"), ("0.0010", "0.001"), ("0.000104", "0.0001"),
    ("0.00059", "0.00059"), ("0.0100", "0.01"), ("1E+2", "100.00"),
])
def test_an_amount_reads_the_same_whatever_zeros_its_decimal_keeps(amount, reads):
    assert roubles(Decimal(amount)) == f"≈{reads}{NBSP}₽"


def test_a_docs_cells_refusal_says_what_its_embeddings_spent_as_usage_would(shell, ygpt_server, notes):
    """The refusal's amount is what the cell spent: what usage's embeddings row says, two sums apart
    (the files indexed by a cell before it, this one embeds its question only: a cell that would
    index them is refused before it embeds anything, test_max_cost_docs)."""
    assert cell(shell, f"%%ygpt --docs notes --once\n{QUESTION}").ok
    refused = cell(shell, "%%ygpt --docs notes --once --max-cost 0.05\nWhere do dogs sleep at night?")
    assert "already spent on embeddings" in refused.message, refused.message
    spent = refused.message.split("With the ", 1)[1].split(" this cell", 1)[0]   # under a kopeck
    assert spent.startswith("≈0.000") and not spent.removesuffix(f"{NBSP}₽").endswith("0"), spent
