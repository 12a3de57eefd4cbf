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
uploaded, whether its requests asked for a ``--schema``, and what of their options enters the
reply cache's key (:class:`Asked`: the SDK does not give back a job's options or response
format, and an attach that records a ``--json`` job's answers as plain ones replays them for a
plain cell), and the rows not uploaded because their request repeats an uploaded row's (its
``twins``: one request uploaded, its answer placed on each). Index
labels are not kept there (any hashable, a MultiIndex of 5,000 tuples): the positions are, which
place each answer on its row of the frame the notebook rebuilds. The text is bounded
(:data:`MAX_CHARS`); a layout whose runs do not fit keeps the counts only, and attach then says
that it cannot place the answers; twins that do not fit are left out first, their rows then
None with the reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..chat.options import BUILTIN, Options, RequestOptions
from ..errors import OptionError

#: the metadata's key: a dataset uploaded by something else has no layout
KEY = "ygpt_magic_rows"
#: the most characters of metadata a layout takes (the service documents no limit: kept small)
MAX_CHARS = 1024
#: the options of a request that enter the reply cache's key beside its model (cache/key.py
#: ``_document``); the model the job keeps itself
KEYED = ("temperature", "max_tokens", "reasoning", "json", "tool_choice")


@dataclass(frozen=True)
class Asked:
    """What a job's requests asked beside their messages and model, as the reply cache's key
    reads it: the keyed options that were set, and a digest of the response format (a
    ``--schema``'s; "" without one). The digest cannot rebuild the schema, so it tells a cell
    with the same schema from one without, and nothing is recorded under it alone."""

    options: Options
    schema: str = ""

    @classmethod
    def of(cls, options: Options, extras: Mapping[str, Any]) -> Asked:
        """What a cell with ``options`` and ``extras`` (its schema's response format) asks."""
        keyed = Options(**{name: getattr(options, name) for name in KEYED})
        digest = json.dumps(dict(extras), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return cls(keyed, hashlib.sha256(digest.encode("utf-8", "surrogatepass")).hexdigest()[:16]
                   if extras else "")

    def request(self, model: str) -> RequestOptions:
        """The options a request of the job on ``model`` had, as far as its cache key goes."""
        return RequestOptions.of(self.options.with_changes(model=model, format=BUILTIN.format))

    def to_json(self) -> dict[str, Any]:
        """Only what was set: ``{}`` for a plain cell's requests."""
        return {**self.options.set_fields(), **({"schema": self.schema} if self.schema else {})}

    @classmethod
    def from_json(cls, found: Mapping[str, Any]) -> Asked:
        """ValueError for what no cell of this package writes (an unknown or invalid option)."""
        unknown = set(found) - {*KEYED, "schema"}
        if unknown or not isinstance(found.get("schema", ""), str):
            raise ValueError(f"not a job's options: {sorted(unknown)}")
        try:
            options = Options(**{name: found[name] for name in KEYED if name in found})
        except OptionError as error:
            raise ValueError(str(error)) from None
        return cls(options, found.get("schema", ""))


@dataclass(frozen=True)
class RowLayout:
    """``total`` rows in the cell, ``sent`` of them uploaded, in order; ``skipped``: the runs
    ``[start, stop)`` of positions not uploaded (None: too many runs to keep, positions unknown);
    ``schema``: the requests asked for a response format; ``asked``: what of their options
    enters the cache key (None: a layout written before it was kept); ``twins``: an uploaded
    row's position, then those of the rows not uploaded whose request repeats its own."""

    total: int
    sent: int
    skipped: tuple[tuple[int, int], ...] | None
    schema: bool = False
    asked: Asked | None = None
    twins: tuple[tuple[int, ...], ...] = ()

    @classmethod
    def of(cls, total: int, uploaded: Sequence[int], *, schema: bool = False,
           asked: Asked | None = None, twins: Mapping[int, Sequence[int]] | None = None) -> RowLayout:
        """The layout of a job that uploads rows ``uploaded`` (positions, ascending) of ``total``,
        ``twins`` answered with them (an uploaded row's position → its twins')."""
        runs: list[tuple[int, int]] = []
        start = 0
        for position in uploaded:
            if position > start:
                runs.append((start, position))
            start = position + 1
        if start < total:
            runs.append((start, total))
        kept = tuple((first, *rows) for first, rows in (twins or {}).items())
        return cls(total, len(uploaded), tuple(runs), schema, asked, kept)

    def positions(self) -> list[int] | None:
        """The uploaded rows' positions, in upload order (None when they were not kept)."""
        if self.skipped is None:
            return None
        out = set().union(*(range(start, stop) for start, stop in self.skipped))
        return [position for position in range(self.total) if position not in out]

    def metadata(self) -> str:
        """The layout as a dataset's metadata, within :data:`MAX_CHARS`: without the twins when
        they do not fit, then without the runs (then without ``asked``, only ever for a tool
        name of ~900 letters)."""
        bare = replace(self, twins=())
        fitting = (self, bare, replace(bare, skipped=None), replace(bare, skipped=None, asked=None))
        texts = (layout._text() for layout in fitting)
        return next((text for text in texts if len(text) <= MAX_CHARS), fitting[-1]._text())

    def _text(self) -> str:
        runs = None if self.skipped is None else [list(run) for run in self.skipped]
        kept: dict[str, Any] = {"rows": self.total, "sent": self.sent, "skipped": runs, "schema": self.schema}
        if self.asked is not None:
            kept["asked"] = self.asked.to_json()
        if self.twins:
            kept["twins"] = [list(rows) for rows in self.twins]
        return json.dumps({KEY: kept}, separators=(",", ":"))


def layout_of(metadata: str | None) -> RowLayout | None:
    """The layout a dataset's metadata holds; None for a dataset this package did not upload."""
    try:
        found = json.loads(metadata or "")[KEY]
        skipped = found["skipped"]
        runs = None if skipped is None else tuple((int(a), int(b)) for a, b in skipped)
        asked = None if found.get("asked") is None else Asked.from_json(found["asked"])
        twins = tuple(tuple(int(position) for position in rows) for rows in found.get("twins") or ())
        return RowLayout(int(found["rows"]), int(found["sent"]), runs, bool(found.get("schema")), asked, twins)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
