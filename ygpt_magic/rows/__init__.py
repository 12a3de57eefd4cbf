"""Prompts over data: ``%%ygpt --map NAME`` sends the cell once per row of a list or DataFrame.

``items`` (what NAME holds, the names each row gives the template, results in the same shape),
``plans`` (each row planned by the rule of a cell, in prompt mode), ``memo`` (answered rows, so a
re-run sends only what is missing), ``run`` (the concurrent run on the client), ``progress``
(the bar and the summary line), ``dryrun`` (``--dry-run``: prompts, rows, tokens), ``batch``
(``--batch``: the same rows as a Yandex Cloud Batch Processing job). It imports no IPython:
the magic parses and wires, this package does the work.
"""

from .dryrun import dry_run
from .memo import RowMemo
from .run import MapCell, MapRun, open_rows, run_map

__all__ = ["MapCell", "MapRun", "RowMemo", "dry_run", "open_rows", "run_map"]
