"""``%%ygpt --map`` at scale: concurrency against the loop a user writes today, and 100,000 rows.

a. 1,000 rows, the local server answering each after 50 ms, ``--concurrency 16``: the cell's wall
   time against the ideal (rows × 50 ms / 16), and against a ``for`` loop over ``model.run`` with
   the raw SDK (what a user writes without ``--map``), same server, same run.
   Targets: ≤ 1.2 × the ideal, ≥ 12 × faster than the loop.
b. 100,000 short rows against a zero-latency server: rows/s, and how much the kernel's peak RSS
   grows (results are not copied per row, the progress bar is throttled).
   Targets: ≥ 400 rows/s, ≤ 150 MB.

Each server is ``ygpt-magic serve`` in its own process (like the cloud, it does not share the
kernel's interpreter lock); the cell runs in this process's IPython shell.

    .venv/bin/python bench/map_rows.py [--quick]
"""

from __future__ import annotations

import sys
import time

from benchlib import (
    Row,
    connected_shell,
    median,
    peak_rss_mb,
    rss_mb,
    run_main,
    run_rows_cell,
    scaled,
    sdk_model,
    server_process,
)

LATENCY = 0.05
CONCURRENCY = 16
IDEAL_RATIO, LOOP_RATIO = 1.2, 12
ROWS_PER_S, RSS_MB = 400, 150


def map_cell(shell, rows: int, tag: str, concurrency: int) -> float:
    """Seconds for one --map cell over ``rows`` new rows (``tag`` makes every prompt new)."""
    shell.user_ns["rows"] = [f"review {i}: fine" for i in range(rows)]
    return run_rows_cell(shell, f"%%ygpt --map rows --out answers --concurrency {concurrency}\n{tag} Classify {{item}}",
                         rows)


def sdk_loop(address: str, rows: int, tag: str) -> float:
    """Seconds for the loop a user writes today: the raw sync SDK, one model.run per row."""
    model = sdk_model(address)
    model.run("warm up")
    started = time.perf_counter()
    answers = [model.run(f"{tag} Classify review {i}: fine").text for i in range(rows)]
    elapsed = time.perf_counter() - started
    assert len(answers) == rows
    return elapsed


def concurrency_row(quick: bool) -> Row:
    # quick: two rounds of CONCURRENCY, and the loop timed over 4 rows and scaled (a smoke run)
    rows, loop_rows = (32, 4) if quick else (1000, 1000)
    with server_process("--latency", str(LATENCY)) as address:
        shell = connected_shell(address)
        map_cell(shell, CONCURRENCY, "warm-up", CONCURRENCY)
        cells = [map_cell(shell, rows, f"run {n}", CONCURRENCY) for n in range(1 if quick else 3)]
        loop = sdk_loop(address, loop_rows, "loop") * rows / loop_rows
    wall = median(cells)
    ideal = rows * LATENCY / CONCURRENCY
    speedup = loop / wall
    return Row(f"10a. --map {rows} rows at {LATENCY * 1000:.0f} ms, --concurrency {CONCURRENCY}",
               f"≤ {IDEAL_RATIO}× ideal, ≥ {LOOP_RATIO}× the SDK loop",
               f"{wall:.2f} s ({wall / ideal:.2f}× ideal, {speedup:.1f}× faster)",
               f"ideal {ideal:.2f} s; for-loop over model.run {loop:.1f} s" + scaled(loop_rows, rows),
               wall <= IDEAL_RATIO * ideal and speedup >= LOOP_RATIO,
               {"cell runs (s)": [round(c, 2) for c in cells]})


def scale_row(quick: bool) -> Row:
    rows = 100 if quick else 100_000
    with server_process() as address:
        shell = connected_shell(address)
        # rows of its own: the kernel's memo keys rows like the reply cache (any HOST:PORT alike),
        # so row 10a's warm-up rows would be reused here
        map_cell(shell, CONCURRENCY, "scale warm-up", CONCURRENCY)
        before = rss_mb()
        wall = map_cell(shell, rows, "scale", CONCURRENCY)
        grown = peak_rss_mb() - before
    rate = rows / wall
    return Row(f"10b. --map {rows:,} short rows, zero latency", f"≥ {ROWS_PER_S} rows/s, RSS ≤ +{RSS_MB} MB",
               f"{rate:,.0f} rows/s, RSS +{grown:.0f} MB", f"{wall:.1f} s in all",
               rate >= ROWS_PER_S and grown <= RSS_MB,
               {"RSS before the cell": f"{before:.0f} MB"})


def measure(quick: bool) -> list[Row]:
    return [concurrency_row(quick), scale_row(quick)]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
