"""``%%ygpt --map NAME --labels A,B,C``: one classification per row, against the loop a user writes.

1,000 rows, the local server answering each classification after 50 ms, ``--concurrency 16``:
the cell's wall time against the ideal (rows × 50 ms / 16), and against a ``for`` loop over the
SDK's classifier ``run`` (what a user writes without ``--map``), same server, same run.
Targets: ≤ 1.2 × the ideal, ≥ 12 × faster than the loop.

    .venv/bin/python bench/map_labels.py [--quick]
"""

from __future__ import annotations

import sys
import time
import warnings

from benchlib import Row, connected_shell, median, run_main, run_rows_cell, scaled, server_process

LATENCY = 0.05
CONCURRENCY = 16
IDEAL_RATIO, LOOP_RATIO = 1.2, 12
LABELS = ["positive", "negative", "neutral"]


def labels_cell(shell, rows: int, tag: str) -> float:
    """Seconds for one --map --labels cell over ``rows`` new texts (``tag`` makes each new)."""
    shell.user_ns["rows"] = [f"{tag} review {i}: fine" for i in range(rows)]
    return run_rows_cell(shell, f"%%ygpt --map rows --labels {','.join(LABELS)} --out tone "
                                f"--concurrency {CONCURRENCY}\n{{item}}", rows)


def sdk_loop(address: str, rows: int) -> float:
    """Seconds for the loop a user writes today: the sync SDK's classifier, one run per row."""
    from ygpt_magic.emulator.testing import sdk_kwargs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from yandex_cloud_ml_sdk import YCloudML
    model = YCloudML(**sdk_kwargs(address)).models.text_classifiers("yandexgpt").configure(
        task_description="tone", labels=LABELS)
    model.run("warm up")
    started = time.perf_counter()
    answers = [model.run(f"loop review {i}: fine") for i in range(rows)]
    assert len(answers) == rows
    return time.perf_counter() - started


def measure(quick: bool) -> list[Row]:
    # quick: two rounds of CONCURRENCY, and the loop timed over 4 rows and scaled (a smoke run)
    rows, loop_rows = (32, 4) if quick else (1000, 1000)
    with server_process("--latency", str(LATENCY)) as address:
        shell = connected_shell(address)
        labels_cell(shell, CONCURRENCY, "warm-up")
        cells = [labels_cell(shell, rows, f"run {n}") for n in range(1 if quick else 3)]
        loop = sdk_loop(address, loop_rows) * rows / loop_rows
    wall = median(cells)
    ideal = rows * LATENCY / CONCURRENCY
    speedup = loop / wall
    return [Row(f"--map --labels {rows} rows at {LATENCY * 1000:.0f} ms, --concurrency {CONCURRENCY}",
                f"≤ {IDEAL_RATIO}× ideal, ≥ {LOOP_RATIO}× the SDK loop",
                f"{wall:.2f} s ({wall / ideal:.2f}× ideal, {speedup:.1f}× faster)",
                f"ideal {ideal:.2f} s; for-loop over the classifier's run {loop:.1f} s" + scaled(loop_rows, rows),
                wall <= IDEAL_RATIO * ideal and speedup >= LOOP_RATIO,
                {"cell runs (s)": [round(c, 2) for c in cells]})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
