"""The first ``%%ygpt`` cell 1 s after ``%load_ext`` vs a warm cell, in fresh processes.

Each sample is a new interpreter with an IPython shell (not timed) that runs ``%load_ext
ygpt_magic`` as a notebook does (a cell), is idle for 1 s (the background import of the SDK has
that long), then times its first ``%%ygpt --once`` cell and three more; the baseline is the
median of those warm cells, in the same process. The server is ``ygpt-magic serve`` in its own
process, answering at the cloud's pace (first chunk after 100 ms, then 20 ms apart:
``benchlib.cloud_pace``), chosen with ``YGPT_ENDPOINT`` so that nothing but the cell touches the
client. Also reported: the same first cell when the cell comes at once (no idle time).
Target: ≤ 1.10×.

    .venv/bin/python bench/first_cell.py [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from benchlib import Row, cloud_pace, median, ms, run_main, server_process

TARGET = 1.10
IDLE = 1.0
PROCESS = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)

def cell(source):
    started = time.perf_counter()
    with capture_output():
        shell.run_cell(source, store_history=True).raise_error()
    return time.perf_counter() - started

cell("%load_ext ygpt_magic")
time.sleep(float(sys.argv[1]))
first = cell("%%ygpt --once\\nThe first question of the day.")
warm = [cell(f"%%ygpt --once\\nQuestion number {n}.") for n in range(3)]
print(json.dumps([first, sorted(warm)[1]]))
"""


def _fresh(address: str, idle: float) -> tuple[float, float]:
    env = {**os.environ, "YGPT_ENDPOINT": address, "YGPT_INSECURE": "1"}
    output = subprocess.run([sys.executable, "-c", PROCESS, str(idle)], capture_output=True, text=True,
                            check=True, env=env).stdout
    first, warm = json.loads(output.strip().splitlines()[-1])
    return first, warm


def measure(quick: bool) -> list[Row]:
    runs = 1 if quick else 7
    with server_process(*cloud_pace()) as address:
        samples = [_fresh(address, IDLE) for _ in range(runs)]
        at_once = [_fresh(address, 0.0)[0] for _ in range(1 if quick else 3)]
    first, warm = median([s[0] for s in samples]), median([s[1] for s in samples])
    ratio = first / warm
    return [Row("13. first cell 1 s after %load_ext / warm cell", f"≤ {TARGET:.2f}×", f"{ratio:.3f}×",
                f"warm cell {ms(warm)}; first cell {ms(first)}", ratio <= TARGET,
                {"runs": f"{runs} fresh processes, each: %load_ext, {IDLE:.0f} s idle, 1 first + 3 warm cells; "
                         f"serve {' '.join(cloud_pace())}",
                 "median first cell": ms(first), "median warm cell": ms(warm),
                 "median first cell with no idle time": ms(median(at_once))})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
