"""Where a batch job's rows sit among the rows of the cell that started it, kept with the job.

A ``--map NAME --batch`` cell uploads only the rows it has to send: a row with a missing value
(NaN, None) fails before the upload, and a row already answered (this kernel's memo, the reply
cache) is reused. So row 10 of the job's dataset is not always row 10 of the frame. The cell
knows which is which; after a kernel restart, ``%ygpt batch attach ID`` knows only the job.

A dataset row of the service holds its request and nothing else (``{"request": [...]}`` in the
recordings; the service validates each row against its task type), so a row cannot carry its
position. The dataset itself can: ``CreateDatasetRequest.metadata`` is a free string the service
keeps and gives back (``DatasetInfo.metadata``, ``sdk.datasets.get(id).metadata``). It holds
this layout as JSON: how many rows the cell had, the runs of positions that were not
uploaded, and whether its requests asked for a ``--schema`` (the SDK does not give back a job's
options or response format, so an attach must not record such answers as plain ones). Index
labels are not kept there (any hashable, a MultiIndex of 5,000 tuples): the positions are, which
place each answer on its row of the frame the notebook rebuilds. The text is bounded
(:data:`MAX_CHARS`); a layout whose runs do not fit keeps the counts only, and attach then says
that it cannot place the answers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

#: the metadata's key: a dataset uploaded by something else has no layout
KEY = "ygpt_magic_rows"
#: the most characters of metadata a layout takes (the service documents no limit: kept small)
MAX_CHARS = 1024


@dataclass(frozen=True)
class RowLayout:
    """``total`` rows in the cell, ``sent`` of them uploaded, in order; ``skipped``: the runs
    ``[start, stop)`` of positions not uploaded (None: too many runs to keep, positions unknown);
    ``schema``: the requests asked for a response format."""

    total: int
    sent: int
    skipped: tuple[tuple[int, int], ...] | None
    schema: bool = False

    @classmethod
    def of(cls, total: int, uploaded: Sequence[int], *, schema: bool = False) -> RowLayout:
        """The layout of a job that uploads rows ``uploaded`` (positions, ascending) of ``total``."""
        runs: list[tuple[int, int]] = []
        start = 0
        for position in uploaded:
            if position > start:
                runs.append((start, position))
            start = position + 1
        if start < total:
            runs.append((start, total))
        return cls(total, len(uploaded), tuple(runs), schema)

    def positions(self) -> list[int] | None:
        """The uploaded rows' positions, in upload order (None when they were not kept)."""
        if self.skipped is None:
            return None
        out = set().union(*(range(start, stop) for start, stop in self.skipped))
        return [position for position in range(self.total) if position not in out]

    def metadata(self) -> str:
        """The layout as a dataset's metadata, within :data:`MAX_CHARS`."""
        text = self._text(self.skipped)
        return text if len(text) <= MAX_CHARS else self._text(None)

    def _text(self, skipped: tuple[tuple[int, int], ...] | None) -> str:
        runs = None if skipped is None else [list(run) for run in skipped]
        return json.dumps({KEY: {"rows": self.total, "sent": self.sent, "skipped": runs, "schema": self.schema}},
                          separators=(",", ":"))


def layout_of(metadata: str | None) -> RowLayout | None:
    """The layout a dataset's metadata holds; None for a dataset this package did not upload."""
    try:
        found = json.loads(metadata or "")[KEY]
        skipped = found["skipped"]
        runs = None if skipped is None else tuple((int(a), int(b)) for a, b in skipped)
        return RowLayout(int(found["rows"]), int(found["sent"]), runs, bool(found.get("schema")))
    except (ValueError, TypeError, KeyError):
        return None
