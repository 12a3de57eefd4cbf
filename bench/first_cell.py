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
from dataclasses import dataclass
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
print(json.dumps([first, sorted(warm)[len(warm) // 2]]))
"""


@dataclass(frozen=True)
class Plan:
    """How many fresh processes, how long each is idle, its questions (the first, then the warm
    ones) and the one reply they all get."""

    runs: int
    at_once: int
    idle: float
    questions: tuple[str, ...]
    reply: str


FULL = Plan(runs=7, at_once=3, idle=IDLE, questions=QUESTIONS, reply=REPLY)
#: the smoke test's: an idle and an at-once process, a first and a warm cell each, a 3-chunk
#: reply at the same pace, and a shorter idle (the background import may still be running)
QUICK = Plan(runs=1, at_once=1, idle=0.5, questions=QUESTIONS[:2], reply="A first cell pays for what a warm one has.")


def _fresh(address: str, idle: float, questions: tuple[str, ...]) -> tuple[float, float]:
    env = {**os.environ, "YGPT_ENDPOINT": address, "YGPT_INSECURE": "1"}
    output = subprocess.run([sys.executable, "-c", PROCESS, str(idle), json.dumps(questions)], capture_output=True,
                            text=True, check=True, env=env).stdout
    first, warm = json.loads(output.strip().splitlines()[-1])
    return first, warm


def _script(folder: str, plan: Plan) -> Path:
    """A script of replies answering every question with the plan's reply."""
    script = Path(folder, "first_cell.json")
    script.write_text(json.dumps({"replies": [{"user": question, "reply": plan.reply} for question in plan.questions]}),
                      encoding="utf-8")
    return script


def measure(quick: bool) -> list[Row]:
    plan = QUICK if quick else FULL
    with tempfile.TemporaryDirectory() as folder, \
            server_process("--script", str(_script(folder, plan)), *cloud_pace()) as address:
        samples = [_fresh(address, plan.idle, plan.questions) for _ in range(plan.runs)]
        at_once = [_fresh(address, 0.0, plan.questions)[0] for _ in range(plan.at_once)]
    first, warm = median([s[0] for s in samples]), median([s[1] for s in samples])
    ratio = first / warm
    return [Row(f"13. first cell {plan.idle:g} s after %load_ext / warm cell", f"≤ {TARGET:.2f}×", f"{ratio:.3f}×",
                f"warm cell {ms(warm)}; first cell {ms(first)}", ratio <= TARGET,
                {"runs": f"{plan.runs} fresh processes, each: %load_ext, {plan.idle:g} s idle, 1 first + "
                         f"{len(plan.questions) - 1} warm cells; serve {' '.join(cloud_pace())}",
                 "median first cell": ms(first), "median warm cell": ms(warm),
                 "median first cell with no idle time": ms(median(at_once))})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
