"""Run every benchmark and print one table (``make bench``): target, measured, baseline, result.

Each benchmark runs in its own interpreter (``bench/<name>.py --json``) so none inherits another's
imports, shell or threads; server throughput is ``server_throughput.measure()``, repeated and
reported by its median. Every ratio is against a baseline measured in the same run.

    .venv/bin/python bench/run_all.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from benchlib import Row, median, print_table, use_local_env

HERE = Path(__file__).resolve().parent
SCRIPTS = ("cell_overhead", "load_time", "streaming_cost", "history_scaling", "server_throughput", "first_text",
           "rest_throughput", "batch_job", "value_render", "map_rows", "tool_cell", "cache_replay",
           "first_cell", "cache_lookup", "tool_fanout", "embed_rows", "map_labels", "docs_index")
THROUGHPUT_RUNS = 3


def run_script(name: str, quick: bool) -> list[Row]:
    """The rows a benchmark script prints with --json; a failing script becomes a FAIL row."""
    command = [sys.executable, str(HERE / f"{name}.py"), "--json", *(["--quick"] if quick else [])]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=HERE.parent)
    try:
        return [Row(**row) for row in json.loads(done.stdout.strip().splitlines()[-1])]
    except (IndexError, ValueError, TypeError):
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [Row(name, "-", f"did not run: {error}", "-", False)]


def throughput(quick: bool) -> list[Row]:
    """Completions/s with 8 (and 1) clients: the median of several ``measure()`` runs."""
    import server_throughput

    runs = [server_throughput.measure(seconds=0.2 if quick else 1.5) for _ in range(1 if quick else THROUGHPUT_RUNS)]
    eight, one = median([r["clients_8"] for r in runs]), median([r["clients_1"] for r in runs])
    target = server_throughput.TARGET
    return [Row("5. local server throughput, 8 clients", f"≥ {target:.0f}/s", f"{eight:.0f}/s",
                f"1 client {one:.0f}/s", eight >= target,
                {"runs": f"{len(runs)} × measure(); 8-client rates {[r['clients_8'] for r in runs]}"})]


def machine() -> str:
    load = os.getloadavg()[0]
    return (f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}, "
            f"load average {load:.1f} at start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny configurations (a smoke run)")
    parser.add_argument("--only", nargs="*", choices=SCRIPTS, help="run only these benchmarks")
    args = parser.parse_args()
    use_local_env()
    print(machine(), flush=True)
    started = time.monotonic()
    rows: list[Row] = []
    for name in args.only or SCRIPTS:
        began = time.monotonic()
        new = throughput(args.quick) if name == "server_throughput" else run_script(name, args.quick)
        rows.extend(new)
        for row in new:
            print(f"  {row.name}: {row.measured} ({'PASS' if row.passed else 'FAIL'}, "
                  f"{time.monotonic() - began:.0f} s)", flush=True)
    print(f"\n{len(rows)} rows in {time.monotonic() - started:.0f} s; every baseline measured in this run.\n")
    print_table(rows)
    print("\nMedians and run counts:")
    for row in rows:
        for key, value in row.details.items():
            if "runs" not in key or isinstance(value, str):
                print(f"  {row.name.split(':')[0].split(' (')[0]}: {key} = {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
