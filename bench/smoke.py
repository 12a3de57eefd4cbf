"""Every benchmark script's ``--quick`` configuration, in this one interpreter: the smoke test's run.

``make bench`` runs each script in an interpreter of its own (``bench/run_all.py``), so none
inherits another's imports: that is what its numbers mean. The smoke test only keeps the scripts
working, so it pays one interpreter start and one set of imports for all of them: each script's
module is imported and its ``measure(quick=True)`` called in turn, and the servers the scripts
ask for run on threads of this process (``benchlib.SERVERS_ON_THREADS``). What a script measures
in processes of its own still starts them: the kernels of streaming_cost and first_text, the
fresh interpreters of load_time and first_cell.

What a script leaves in the process is taken away before the next one: the IPython shell
(``benchlib.connected_shell``'s singleton, with ygpt_magic's clients, chats, reply cache and
settings in it) is closed and forgotten, the environment is put back as it was, and each script
runs in a temporary working directory of its own. No script sets a signal handler or sys.path.
Peak RSS (``ru_maxrss``) cannot be reset, so the RSS growth that docs_index and map_rows report
here counts the scripts before them: the smoke run keeps no number.

The last line of stdout is JSON, ``{name: {"rows": [...]}}`` for a script that ran and
``{name: {"error": "..."}}`` (its traceback's tail) for one that failed; each script's progress
goes to stderr.

    .venv/bin/python bench/smoke.py NAME [NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator

import benchlib
from benchlib import row_dicts, use_local_env

#: how much of a failed script's traceback is kept: its last frames and the error
TRACEBACK_TAIL = 3000


def run(name: str) -> dict:
    """One script's quick rows, or the tail of the traceback it raised."""
    try:
        with contextlib.redirect_stdout(sys.stderr), _isolated():
            return {"rows": row_dicts(importlib.import_module(name).measure(True))}
    except Exception:   # any script's failure is reported, and the next script still runs
        return {"error": traceback.format_exc()[-TRACEBACK_TAIL:]}


@contextlib.contextmanager
def _isolated() -> Iterator[None]:
    """Whatever a script changed in the environment or the shell is undone after it, and what it
    wrote in the working directory (unloading ygpt_magic keeps a shell's chats there) is deleted."""
    environment, home = dict(os.environ), os.getcwd()
    with tempfile.TemporaryDirectory(prefix="bench-smoke-") as folder:
        os.chdir(folder)
        try:
            yield
        finally:
            _close_shell()
            os.chdir(home)
            os.environ.clear()
            os.environ.update(environment)


def _close_shell() -> None:
    """Unload ygpt_magic from the script's IPython shell (its clients stop) and forget the shell,
    so the next script's ``connected_shell`` makes a new one, as in a process of its own."""
    from IPython.core.interactiveshell import InteractiveShell

    if InteractiveShell.initialized():
        InteractiveShell.instance().extension_manager.unload_extension("ygpt_magic")
        InteractiveShell.clear_instance()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", metavar="NAME", help="scripts to run (bench/NAME.py), in this order")
    args = parser.parse_args()
    use_local_env()
    benchlib.SERVERS_ON_THREADS = True
    results = {}
    for name in args.names:
        started = time.monotonic()
        results[name] = run(name)
        print(f"smoke: {name} {'failed' if 'error' in results[name] else 'ran'} in "
              f"{time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
