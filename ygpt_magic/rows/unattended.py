"""What a run over rows says about its failed rows when it runs headless (saving.headless:
``jupyter execute``, ``nbconvert --execute``, papermill).

In a live notebook the advice points at ``_ygpt.errors`` and at running the cell again, and the
kernel keeps the answered rows for that re-run. After a headless run neither exists: the kernel
is gone, and CI's log and the saved file held no failed row's reason. So there the summary lists
the reasons itself, one line a reason with the rows it failed (:data:`REASONS` lines, :data:`LABELS`
rows a line, then how many more: rows share a line by the reason their failure carries naming no
row, rows/failures.py, not by their messages taken apart), and says what running the notebook again sends: only the rows
left when a reply cache in auto mode recorded the answered ones, else every row again (for a
``--batch`` cell, a new job: for the rows left alone it is billed the job's minimum, said too).

The run still ends as a success: a pipeline that saves what it got goes on, as in a live
notebook. A notebook that must not go on with failed rows says so in its next cell
(``assert not _ygpt.errors, _ygpt.errors``), which fails the run with the reasons
(docs/guide/reproducible.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ..ledger import Ledger
from ..saving import headless
from ..words import counted
from .progress import Tally

#: reasons listed, most rows first; the rest are counted in one line
REASONS = 5
#: row labels shown on a reason's line; the rest are counted
LABELS = 8
#: the reply cache modes in which running the notebook again sends only the rows left (rerun)
ONLY_THE_LEFT = ("auto", "replay")


def left(tally: Tally, reasons: Mapping[Any, str], ledger: Ledger | None, resend: str = "") -> str:
    """The advice under a run's summary: the tally's own in a live notebook, or for a batch job
    found by id (no ``ledger``: its answers came through no cell), else what a headless run can
    act on. ``reasons``: each failed row's label → its reason naming no row (rows/failures.py
    ``Failure.reason``); ``resend``: what sending the rows left again costs (a batch job's:
    costs.resent), said after the advice to."""
    if ledger is None or not headless():
        return _then(tally.advice(), resend)
    return advice(tally, reasons, ledger.cache.mode if ledger.cache is not None else None, resend)


def advice(tally: Tally, errors: Mapping[Any, str], cache_mode: str | None, resend: str = "") -> str:
    """What to do about the rows left after a headless run ('' when none): the live advice when
    the run halted (a refusal or an outage is said once, a cost cap or Ctrl-C says what was
    left), else what re-running the notebook sends; then the failed rows' reasons (``errors``:
    label → reason naming no row). ``cache_mode``: the reply cache's mode (None: no cache);
    ``resend`` is said only when a re-run sends the rows left alone (a batch job's re-run
    sending every row is the job its start line priced)."""
    said = tally.advice(again=rerun(tally, cache_mode))
    if said and errors and not tally.halted():
        said = f"{counted(tally.left, 'row')} without an answer: {rerun(tally, cache_mode)}"
        resend = resend if cache_mode in ONLY_THE_LEFT else ""
    said = _then(said, resend)
    if not said or not errors or tally.refusal is not None or tally.outage is not None:
        return said   # a refusal or an outage: one reason, said above
    return f"{said}\n{reasons(errors)}"


def _then(said: str, resend: str) -> str:
    """The advice with what resending costs after it (nothing when there is no advice)."""
    return f"{said} {resend}" if said and resend else said


def rerun(tally: Tally, cache_mode: str | None) -> str:
    """What running the notebook again sends, as this run's reply cache leaves it."""
    fix = " once their data is fixed" if tally.faulty == tally.left else tally.fix_first()
    if cache_mode == "auto":
        return (f"running the notebook again sends only those{fix}; the answered rows are replayed "
                f"from the reply cache.")
    if cache_mode == "replay":
        return (f"the reply cache is in replay mode, so running the notebook again sends none of them: "
                f"run it with YGPT_CACHE_MODE=auto to send only those{fix}.")
    if cache_mode == "record":
        return (f"the reply cache is in record mode, so running the notebook again sends every row "
                f"again{fix}; in auto mode (YGPT_CACHE_MODE=auto) it sends only those.")
    return (f"running the notebook again sends every row again{fix}, as no reply cache kept the "
            f"answered ones; with one set (YGPT_CACHE) a later re-run sends only the rows left.")


def reasons(errors: Mapping[Any, str]) -> str:
    """The failed rows grouped by their reasons (label → reason naming no row), most rows first:
    ``✗ 2 rows (1, 3): <reason>``."""
    rows: defaultdict[str, list[Any]] = defaultdict(list)
    for label, reason in errors.items():
        rows[reason].append(label)
    grouped = sorted(rows.items(), key=lambda item: -len(item[1]))
    lines = [f"✗ {counted(len(labels), 'row')} ({_labels(labels)}): {reason}"
             for reason, labels in grouped[:REASONS]]
    if len(grouped) > REASONS:
        rest = sum(len(labels) for _, labels in grouped[REASONS:])
        lines.append(f"✗ and {counted(len(grouped) - REASONS, 'more reason')} ({counted(rest, 'row')})")
    return "\n".join(lines)


def _labels(labels: list[Any]) -> str:
    shown = ", ".join(repr(label) if isinstance(label, str) else str(label) for label in labels[:LABELS])
    return f"{shown} and {len(labels) - LABELS:,} more" if len(labels) > LABELS else shown
