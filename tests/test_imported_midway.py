"""A module another thread is still importing is waited for, never read half made.

The local server embedded by ``%ygpt connect local`` warms pyarrow up on a thread when a
dataset is made, which imports pandas; a ``--map`` cell run meanwhile over a list read
``pandas.DataFrame`` from the half-made module and showed a traceback ("partially initialized
module 'pandas' has no attribute 'DataFrame'"). pandas is imported by the time most tests run,
so this runs in an interpreter of its own, where nothing has imported it yet."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from ygpt_magic.demo import local_environment

SCRIPT = textwrap.dedent('''
    import sys, threading, time
    from IPython.core.interactiveshell import InteractiveShell

    assert "pandas" not in sys.modules
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "ygpt_magic")
    shell.run_line_magic("ygpt", "connect local")
    shell.user_ns["words"] = ["one", "two"]
    threading.Thread(target=lambda: __import__("pandas")).start()   # as the server's warm-up does
    while "pandas" not in sys.modules:
        time.sleep(0.001)
    result = shell.run_cell("%%ygpt --map words --out spelled\\nSpell {item}")
    assert result.success, repr(result.error_in_exec)
    assert len(shell.user_ns["spelled"]) == 2, shell.user_ns["spelled"]
    print("OK")
''')


def test_a_map_over_a_list_while_pandas_is_being_imported_waits_for_it(tmp_path):
    environ: dict[str, str] = {}
    local_environment(environ)
    import os

    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, **environ})
    assert done.returncode == 0 and done.stdout.strip().endswith("OK"), done.stderr[-3000:]
