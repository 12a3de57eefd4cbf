"""What every benchmark script shares: result rows, interleaved timing, medians, the command line.

The machines these run on are shared and noisy, so a benchmark never compares against a number
from another day: each measures its own baseline in the same run, alternates baseline and subject
runs (so a burst of load hits both), and reports medians. Each script prints one or more rows;
``bench/run_all.py`` runs every script with ``--json`` and prints them as one table;
``bench/smoke.py`` runs their ``--quick`` configurations in one interpreter, for the smoke test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

#: What the cloud-facing settings need so that a shell or a kernel can talk to the local server.
LOCAL_ENV = {"YC_API_KEY": "local-bench-key", "YC_FOLDER_ID": "local-folder", "GRPC_VERBOSITY": "NONE"}

#: Where ``server_process`` runs ``ygpt-magic serve``: False, a process of its own (what the numbers
#: of ``make bench`` assume); True, a thread of this process (``bench/smoke.py`` sets it: the smoke
#: run keeps no number, so it starts no interpreter for a server).
SERVERS_ON_THREADS = False


@dataclass
class Row:
    """One line of the table: what was measured, against what target, and whether it passed."""

    name: str
    target: str
    measured: str
    baseline: str
    passed: bool
    details: dict = field(default_factory=dict)


def median(values: list[float]) -> float:
    return statistics.median(values)


def interleaved(subject: Callable[[], float], baseline: Callable[[], float], runs: int,
                warmup: int = 2) -> tuple[list[float], list[float]]:
    """Run both ``runs`` times, alternating which goes first; each call returns its own
    measurement (seconds, or whatever unit both share). Warm-up runs are discarded."""
    for _ in range(warmup):
        subject()
        baseline()
    subjects, baselines = [], []
    for index in range(runs):
        if index % 2:
            baselines.append(baseline())
            subjects.append(subject())
        else:
            subjects.append(subject())
            baselines.append(baseline())
    return subjects, baselines


def timed(action: Callable[[], object]) -> Callable[[], float]:
    """A callable returning how long ``action`` took, in seconds of wall time."""
    def run() -> float:
        started = time.perf_counter()
        action()
        return time.perf_counter() - started
    return run


class Clocked:
    """``timed(action)`` that also keeps each call's CPU seconds on this thread in ``cpu``.

    The cell runs on the main thread; the SDK's event loop, the wire and the server run
    elsewhere. So the main thread's CPU is the interpreter time a cell costs the kernel, which
    waiting for a slow server can neither hide nor inflate (``time.thread_time``)."""

    def __init__(self, action: Callable[[], object]) -> None:
        self.action = action
        self.cpu: list[float] = []

    def __call__(self) -> float:
        cpu, wall = time.thread_time(), time.perf_counter()
        self.action()
        wall = time.perf_counter() - wall
        self.cpu.append(time.thread_time() - cpu)
        return wall


def cloud_pace() -> tuple[str, ...]:
    """``ygpt-magic serve`` flags that make the local server answer at the cloud's pace (first
    chunk after 100 ms, then 20 ms apart: ``faults.CLOUD_LIKE``), so a ratio against a raw SDK
    cell is judged on the time a user waits, not decided by sub-millisecond differences."""
    from ygpt_magic.emulator.faults import CLOUD_LIKE

    first, later = CLOUD_LIKE
    return ("--first-chunk-latency", str(first), "--latency", str(later))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def scaled(timed: int, rows: int) -> str:
    """What a baseline adds when its loop was timed over fewer rows than the subject's and
    scaled (``--quick``, where a loop at a row's latency would be most of the run); else nothing."""
    return f" (timed over {timed} rows, scaled)" if timed != rows else ""


def use_local_env() -> None:
    """Dummy credentials for the local server, in this process and the ones it starts."""
    os.environ.update(LOCAL_ENV)


def run_main(measure: Callable[[bool], list[Row]], description: str) -> int:
    """The command line every script has: ``--quick`` (a tiny configuration, for the smoke
    test) and ``--json`` (rows for run_all.py on the last line of stdout)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a tiny configuration (seconds, not minutes)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON on the last line")
    args = parser.parse_args()
    use_local_env()
    rows = measure(args.quick)
    if args.json:
        print(json.dumps(row_dicts(rows)))
    else:
        for row in rows:
            for key, value in row.details.items():
                print(f"  {row.name}: {key} = {value}")
        print_table(rows)
    return 0


def row_dicts(rows: list[Row]) -> list[dict]:
    """Rows as ``--json`` prints them, for ``Row(**row)`` to read back."""
    return [asdict(row) for row in rows]


def print_table(rows: list[Row]) -> None:
    """Rows as an aligned Markdown table (pastes into the README as is)."""
    header = ["benchmark", "target", "measured", "baseline (same run)", "result"]
    cells = [[r.name, r.target, r.measured, r.baseline, "PASS" if r.passed else "FAIL"] for r in rows]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    for index, line in enumerate([header, *cells]):
        print("| " + " | ".join(text.ljust(width) for text, width in zip(line, widths)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")


@contextmanager
def server_process(*flags: str) -> Iterator[str]:
    """``ygpt-magic serve`` in its own process (like the cloud, it does not share this
    process's interpreter lock; on a thread when ``SERVERS_ON_THREADS``); yields its gRPC
    address and stops it on exit."""
    with server_endpoints(*flags) as (address, _):
        yield address


@contextmanager
def server_endpoints(*flags: str) -> Iterator[tuple[str, str]]:
    """Like server_process, yielding ``(gRPC address, HTTP URL)`` from its READY line."""
    if SERVERS_ON_THREADS:
        with _server_thread(*flags) as endpoints:
            yield endpoints
        return
    process = subprocess.Popen([sys.executable, "-m", "ygpt_magic.cli", "serve", "--quiet", *flags],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline().split()
        if len(line) < 3 or line[0] != "READY":
            raise RuntimeError("ygpt-magic serve did not start; run it by hand to see why.")
        yield line[1], line[2]
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def _server_thread(*flags: str) -> Iterator[tuple[str, str]]:
    """The server ``ygpt-magic serve FLAGS`` runs, on a thread of this process: the flags are read
    by serve's own parser and its faults set by serve's own call, so a script's flags mean the same."""
    from ygpt_magic.emulator import start_local_server
    from ygpt_magic.emulator.main import add_serve_arguments, apply_fault_flags

    parser = argparse.ArgumentParser(prog="ygpt-magic serve")
    add_serve_arguments(parser)
    args = parser.parse_args(flags)
    with start_local_server(args.host, args.port, args.script, args.gguf, http_port=args.http_port,
                            operation_delay=args.operation_delay, batch_row_delay=args.batch_row_delay,
                            idle_timeout=args.idle_timeout) as server:
        apply_fault_flags(server.faults, args)
        yield server.address, server.http_url


def connected_shell(address: str):
    """The IPython shell of this process with ygpt_magic loaded and connected to ``address``;
    its history is in memory, so benchmarks run side by side never lock ~/.ipython's sqlite."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "ygpt_magic")
    shell.run_line_magic("ygpt", f"connect {address} --insecure")
    return shell


def run_cell(shell, source: str, cell_id: str | None = None) -> None:
    """Run a cell the way ipykernel does (history stored, cell id passed), outputs captured;
    raise what the cell raised, so a broken benchmark never times an error message."""
    from IPython.utils.capture import capture_output

    with capture_output():
        result = shell.run_cell(source, store_history=True, cell_id=cell_id)
    result.raise_error()


def run_rows_cell(shell, source: str, rows: int) -> float:
    """Seconds for one cell over ``rows`` rows (``--map``, ``%ygpt embed``); RuntimeError unless
    every row was answered, so a benchmark never times a run that failed part-way."""
    started = time.perf_counter()
    run_cell(shell, source)
    elapsed = time.perf_counter() - started
    run = shell.user_ns["_ygpt"]
    if run.answered != rows:
        raise RuntimeError(f"only {run.answered} of {rows} rows were answered: {run.summary}")
    return elapsed


def sdk_model(address: str):
    """A warmed-up model of the synchronous SDK, the way a user would write it in a cell."""
    import warnings

    from ygpt_magic.emulator.testing import sdk_kwargs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from yandex_cloud_ml_sdk import YCloudML
    return YCloudML(**sdk_kwargs(address)).models.completions("yandexgpt")


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux /proc)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    """The most resident memory this process has held, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
