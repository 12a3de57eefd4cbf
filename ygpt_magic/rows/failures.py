"""A failed row as a run over rows keeps it: what ``_ygpt.errors`` says of it, and its reason
naming no row, worded for where the run is.

A row's error names its row (``Row 'c': {text} holds no value …``: errors/rows.py), so two rows
failed by one data problem differ in their text; the error also carries what befell the row
apart from its label (``RowFailed.reason``), and a :class:`Failure` keeps both, so a headless
run's summary lists the rows one reason failed on one line by data (rows/unattended.py), and a
reworded message cannot stop it. Advice to try again fits the run: "run the cell again" in a
page, "run the notebook again" in a notebook run headless (errors/origin.py ``HEADLESS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import CELL, HEADLESS, Origin, ReplyNotValid, RowFailed
from ..saving import headless
from .progress import one_line


@dataclass(frozen=True)
class Failure:
    """``text``: what ``_ygpt.errors`` says of the row (its error's one line, which may name
    it); ``reason``: the same naming no row, shared by the rows that failed alike."""

    text: str
    reason: str

    @classmethod
    def said(cls, text: str) -> Failure:
        """A reason that names no row (a batch job's, the service's): the text is both."""
        return cls(text, text)


def failure(error: BaseException, origin: Origin) -> Failure:
    """The failure a row's ``error`` makes, worded for ``origin`` (:func:`run_origin`)."""
    text = one_line(error, origin)
    if isinstance(error, (RowFailed, ReplyNotValid)):
        return Failure(text, " ".join(error.reason(origin).split()))
    return Failure.said(text)


def run_origin() -> Origin:
    """How the rows' reasons of a run starting now word their advice: a notebook run headless
    (saving.headless: nbclient, papermill) is run again as a whole, a page's cell on its own."""
    return HEADLESS if headless() else CELL
