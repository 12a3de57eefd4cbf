"""The first ``%%ygpt`` cell 1 s after ``%load_ext`` vs a warm cell, in fresh processes.

Each sample is a new interpreter with an IPython shell (not timed) that runs ``%load_ext
ygpt_magic`` as a notebook does (a cell), is idle for 1 s (the background import of the SDK has
that long), then times its first ``%%ygpt --once`` cell and three more; the baseline is the
median of those warm cells, in the same process. The server is ``ygpt-magic serve`` in its own
process, answering at the cloud's pace (first chunk after 100 ms, then 20 ms apart:
``benchlib.cloud_pace``), chosen with ``YGPT_ENDPOINT`` so that nothing but the cell touches the
client. Every cell asks a different question (a repeated one would be replayed from the reply
cache) and gets the same scripted 23-chunk reply: at the cloud's pace each chunk costs 20 ms, so
replies of different lengths would decide the ratio. Also reported: the same first cell when the
cell comes at once (no idle time). Target: ≤ 1.10×.

    .venv/bin/python bench/first_cell.py [--quick]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import Row, cloud_pace, median, ms, run_main, server_process

TARGET = 1.10
IDLE = 1.0
#: the first cell's question, then the warm cells'
QUESTIONS = ("The first question of the day.", "Question number 0.", "Question number 1.", "Question number 2.")
REPLY = ("A first cell pays for what a warm one has ready: the SDK's modules, the connection to the server and "
         "the code paths the extension has not run yet. **What a user sees** is the same answer, streamed the "
         "same way, whether it is the first cell of the day or the tenth; this reply is the same for every "
         "question of this benchmark, so each cell waits as long on the server.")
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
first, *warm = [cell("%%ygpt --once\\n" + question) for question in json.loads(sys.argv[2])]
print(json.dumps([first, sorted(warm)[1]]))
"""


def _fresh(address: str, idle: float) -> tuple[float, float]:
    env = {**os.environ, "YGPT_ENDPOINT": address, "YGPT_INSECURE": "1"}
    output = subprocess.run([sys.executable, "-c", PROCESS, str(idle), json.dumps(QUESTIONS)], capture_output=True,
                            text=True, check=True, env=env).stdout
    first, warm = json.loads(output.strip().splitlines()[-1])
    return first, warm


def _script(folder: str) -> Path:
    """A script of replies answering every question with REPLY."""
    script = Path(folder, "first_cell.json")
    script.write_text(json.dumps({"replies": [{"user": question, "reply": REPLY} for question in QUESTIONS]}),
                      encoding="utf-8")
    return script


def measure(quick: bool) -> list[Row]:
    runs = 1 if quick else 7
    with tempfile.TemporaryDirectory() as folder, \
            server_process("--script", str(_script(folder)), *cloud_pace()) as address:
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
