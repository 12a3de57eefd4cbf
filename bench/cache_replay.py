"""Replayed cell vs sent cell: a ``%%ygpt`` cell answered from the reply cache vs the same cell
answered by the local server (in its own process, no injected latency).

Both run in this process's IPython shell (``run_cell``, outputs captured), interleaved after a
warm-up: the subject is the Hamlet translation with the cache in ``auto`` mode (recorded once
before timing, so every timed run is a hit), the baseline the same cell with ``--no-cache``.
The ratio of the medians is what a re-run costs compared with asking again. Target: ≤ 0.5.

    .venv/bin/python bench/cache_replay.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchlib import Row, connected_shell, interleaved, median, ms, run_cell, run_main, server_process, timed

TARGET = 0.5
CELL = '%%ygpt --once{flags} --system "Translate the text"\nTo be, or not to be: that is the question.'


def measure(quick: bool) -> list[Row]:
    runs, warmup = (1, 0) if quick else (150, 20)   # quick: a hit and a sent cell once
    with server_process() as address, tempfile.TemporaryDirectory() as folder:
        shell = connected_shell(address)
        shell.run_line_magic("ygpt", f"cache {Path(folder, 'replies.sqlite')}")
        replayed, sent = CELL.format(flags=""), CELL.format(flags=" --no-cache")
        run_cell(shell, replayed)  # recorded
        hits, asked = interleaved(timed(lambda: run_cell(shell, replayed)),
                                  timed(lambda: run_cell(shell, sent)), runs, warmup)
        reply = shell.user_ns["_ygpt"]
        run_cell(shell, replayed)
        assert shell.user_ns["_ygpt"].cached and shell.user_ns["_ygpt"].text == reply.text
    ratio = median(hits) / median(asked)
    return [Row("12. replayed cell (cache hit / local server)", f"≤ {TARGET:.2f}×", f"{ratio:.3f}×",
                f"sent {ms(median(asked))}; replayed {ms(median(hits))}", ratio <= TARGET,
                {"runs": f"{runs} interleaved pairs after {warmup} warm-up",
                 "median replayed cell": ms(median(hits)), "median sent cell": ms(median(asked))})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
