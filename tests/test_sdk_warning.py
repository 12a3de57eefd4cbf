"""The SDK's "yandex-cloud-ml-sdk package is deprecated" warning never reaches the user, even when
the main thread leaves a ``warnings.catch_warnings()`` block of its own (IPython's completer opens
one on every Tab) while the background import runs: ``catch_warnings`` is process-wide, and
leaving it puts back the filter list it saved. Each case is a fresh interpreter: the import, and
the warning, happen once per process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

CATCH_WARNINGS_DURING_THE_IMPORT = textwrap.dedent("""
    import sys, time, warnings
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "ygpt_magic")
    with warnings.catch_warnings():                   # a library's block in the user's next cell
        while "yandex_cloud_ml_sdk" not in sys.modules:   # ... left while the SDK is importing
            time.sleep(0.001)
    from ygpt_magic.client import preload
    preload.wait()
    print("imported" if "yandex_cloud_ml_sdk" in sys.modules else "not imported")
""")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_", "PYTHONWARNINGS"))}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.slow
def test_a_catch_warnings_block_left_during_the_background_import_shows_no_sdk_warning():
    done = _run(CATCH_WARNINGS_DURING_THE_IMPORT)
    assert done.returncode == 0 and done.stdout.strip() == "imported", done.stderr[-2000:]
    assert "deprecated" not in done.stderr and "Warning" not in done.stderr, done.stderr


@pytest.mark.slow
def test_other_warnings_of_the_same_category_still_show():
    """The filter is for the SDK's words only: a user's own UserWarning is shown as before."""
    done = _run(CATCH_WARNINGS_DURING_THE_IMPORT + "import warnings\nwarnings.warn('mine, not the SDK\\'s')\n")
    assert "UserWarning: mine, not the SDK's" in done.stderr, done.stderr[-2000:]
