"""`ygpt-magic demo` as installed from the wheel, where the demo extra and the tutorials may be
absent: one paragraph that says what to do, before anything starts, never a traceback.

Before, without the demo extra it printed "Running 1 notebook ..." and then a ModuleNotFoundError
traceback for nbformat; and with no ``--notebooks`` outside a checkout it sent the user to look
for the tutorials in ``site-packages/notebooks``, which the wheel does not carry by design."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import ygpt_magic

pytestmark = pytest.mark.slow   # fresh interpreters

WITHOUT_DEMO_EXTRA = """
import sys
sys.modules["nbclient"] = sys.modules["nbformat"] = None   # `import nbclient` fails, as without the extra
from ygpt_magic.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    return {**env, **extra}


def test_the_notebook_demo_without_the_demo_extra_names_it_before_starting(tmp_path):
    (tmp_path / "nb").mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("%load_ext ygpt_magic")]
    nbformat.write(notebook, tmp_path / "nb" / "first.ipynb")
    done = subprocess.run([sys.executable, "-c", WITHOUT_DEMO_EXTRA, "demo", "--notebooks", str(tmp_path / "nb"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=_environment())
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr, done.stderr
    said = done.stderr.strip()
    assert "\n" not in said and "the demo extra), and this environment lacks nbclient, nbformat:" in said, said
    assert "pip install 'ygpt-magic[demo]'" in said
    assert not (tmp_path / "out").exists()


def test_the_demo_outside_a_checkout_says_the_tutorials_are_not_installed(tmp_path):
    """The package alone, as a wheel puts it in site-packages: no notebooks/ beside it."""
    site = tmp_path / "site-packages"
    shutil.copytree(Path(ygpt_magic.__file__).parent, site / "ygpt_magic",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "work").mkdir()
    done = subprocess.run([sys.executable, "-m", "ygpt_magic.cli", "demo"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path / "work", env=_environment(PYTHONPATH=str(site)))
    assert done.returncode == 2, done.stdout + done.stderr
    said = done.stderr.strip()
    assert "Traceback" not in said and "\n" not in said, said
    assert "the installed package does not include the tutorials" in said and "--notebooks DIR" in said, said
    assert str(site) not in said, said
