"""`ygpt-magic demo` as a newcomer runs it: notebooks executed headless, each exchange printed.

The full demo runs all tutorials (nbval already executes them in `make test`); here small
notebooks keep it quick while going through the real CLI, kernel and local server. Each run is a
real process: the stories read its terminal (stdout, stderr, exit code) and what its kernels
relay. Stories that read different things from one run share it: five notebooks that run
through, behind a corporate proxy (the module's ``demo``), and three where one fails (``broken``);
a kernel and a CLI start cost 2-3 CPU-seconds apiece.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "ygpt_magic.cli"]


def _notebook(folder: Path, name: str, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, folder / f"{name}.ipynb")


#: a dead proxy, as exported on a corporate machine (without a loopback exemption)
PROXY = {"https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9"}


def _demo(tmp_path: Path, *args: str, **more: str) -> subprocess.CompletedProcess:
    """The demo over ``tmp_path/in``, with no YC_*, YGPT_* or proxy exemption from the machine."""
    dropped = ("no_proxy", "no_grpc_proxy")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_")) and k.lower() not in dropped}
    env.update(more)
    return subprocess.run([*CLI, "demo", "--notebooks", str(tmp_path / "in"), "--out", str(tmp_path / "out"), *args],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)


# Makes the kernel report an interrupt on its stderr, which the demo relays: ipykernel itself
# logs one only when it lands while a message is handled, one notebook end in two.
_REPORT_INTERRUPTS = """import signal, sys
def report(signum, frame):
    print("ERROR | interrupted", file=sys.__stderr__, flush=True)
get_ipython().kernel.saved_sigint_handler = report  # restored after each message it handles"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One demo over five small notebooks that run through, four of them a thing a newcomer's
    tutorial does and one that reports an interrupt, behind a dead proxy; the tests below read
    its transcript and output."""
    folder = tmp_path_factory.mktemp("demo")
    (folder / "in").mkdir()
    _notebook(folder / "in", "translate", "%load_ext ygpt_magic",
              '%%ygpt --once --system "Translate the text into French"\nTo be, or not to be: that is the question.')
    _notebook(folder / "in", "review", "%load_ext ygpt_magic", 'review = "The screen is too dim."',
              "%%ygpt --once\nClassify: {review}", "%%ygpt --once --dry-run\nAgain: {review}")
    _notebook(folder / "in", "fix", "%load_ext ygpt_magic", "total = sum(['1', 2])", "%ygpt fix")
    notebook = nbformat.read(folder / "in" / "fix.ipynb", as_version=4)
    notebook.cells[1].metadata["tags"] = ["raises-exception"]  # as tutorial 05 marks its failing cell
    nbformat.write(notebook, folder / "in" / "fix.ipynb")
    _notebook(folder / "in", "clean", "%load_ext ygpt_magic", "x = 41", "x + 1",
              "%%ygpt --once\nWhat is {Out[3]} in words?", "words = ['one', 'two']",
              "%%ygpt --map words --out answers\nSpell {item}")
    _notebook(folder / "in", "probe", _REPORT_INTERRUPTS, "%load_ext ygpt_magic", "%%ygpt --once\nHello")
    result = _demo(folder, **PROXY)
    assert result.returncode == 0, result.stderr
    return folder, result


def _part(result: subprocess.CompletedProcess, name: str) -> str:
    """The transcript of one notebook: from its heading (``━━ fix ━━ 1 exchange, …``) to the next."""
    after = result.stdout.split(f"━━ {name} ━━", 1)[1]
    return after.split("\n━━ ", 1)[0]


def test_demo_prints_each_exchange_and_writes_the_executed_notebook(demo):
    folder, result = demo
    assert "against the project's local server" in result.stdout
    assert '%%ygpt --once --system "Translate the text into French"' in result.stdout
    assert "you  ▸ To be, or not to be: that is the question." in result.stdout
    assert "ygpt ▸ Être ou ne pas être : telle est la question." in result.stdout
    assert "TCP without encryption" not in result.stderr
    executed = nbformat.read(folder / "out" / "translate.ipynb", as_version=4)
    assert "Être ou ne pas être" in executed.cells[1].outputs[0]["data"]["text/html"]


def test_the_demo_prints_the_prompt_as_sent_with_variables_filled_in(demo):
    folder, result = demo
    assert "you  ▸ Classify: The screen is too dim." in result.stdout
    assert "you  ▸ Again: {review}" in result.stdout, "nothing sent: the cell as written"
    executed = nbformat.read(folder / "out" / "review.ipynb", as_version=4)
    assert [cell.execution_count for cell in executed.cells] == [1, 2, 3, 4], "nothing extra ran"


def test_a_fix_is_printed_with_what_it_sent(demo):
    _, result = demo
    fixed = _part(result, "fix")
    assert "\n  %ygpt fix\n" in fixed, result.stdout
    assert "you  ▸ " in fixed.split("%ygpt fix", 1)[1]
    assert "TypeError" in fixed.split("%ygpt fix", 1)[1], "the error it sent is shown"


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One demo where the first notebook fails, then one that runs through, then one whose kernel
    says something while a cell runs and as its process exits."""
    folder = tmp_path_factory.mktemp("broken")
    (folder / "in").mkdir()
    _notebook(folder / "in", "a_broken", "%load_ext ygpt_magic", "%%ygpt --temperature 7\nHello")
    _notebook(folder / "in", "b_fine", "%load_ext ygpt_magic", "%%ygpt --once\nMake it shorter")
    _notebook(folder / "in", "c_ends", "import atexit, sys\n"
              "print('logged while cells ran', file=sys.__stderr__, flush=True)\n"
              "atexit.register(lambda: print('Traceback: dying words', file=sys.__stderr__, flush=True))")
    return folder, _demo(folder)


def test_a_failing_notebook_is_named_and_the_others_still_run(broken):
    folder, result = broken
    assert result.returncode == 1
    assert "a_broken ━━ FAILED" in result.stderr and "temperature" in result.stderr
    assert "These notebooks failed: a_broken.ipynb. " in result.stderr
    assert "b_fine ━━ 1 exchange," in result.stdout
    assert not (folder / "out" / "a_broken.ipynb").exists()


def test_a_run_where_nothing_failed_shows_nothing_from_the_kernels(demo):
    """A kernel's own log reaches the terminal (``kernel ▸``) for what went wrong; a run where
    nothing did shows none of it, no ERROR and no traceback."""
    _, result = demo
    for alarming in ("kernel ▸", "ERROR", "Traceback"):
        assert alarming not in result.stderr, result.stderr
    assert not [line for line in result.stdout.splitlines() if line.lstrip().startswith("kernel ▸")]


def test_a_notebook_that_ran_through_ends_its_kernel_without_an_interrupt(demo):
    _, result = demo
    assert "probe ━━ 1 exchange," in result.stdout
    assert "interrupted" not in result.stderr and "kernel ▸" not in result.stderr, result.stderr


def test_what_a_kernel_prints_while_it_ends_is_not_relayed_but_what_it_logged_while_cells_ran_is(broken):
    """Under load ipykernel can print a traceback of its own as its sockets close, after a
    notebook that ran through: not the notebook's error. Here the kernel says something as its
    process exits, and something while a cell runs: the demo relays only the second, and the
    notebook counts as run through (written, not among the failed)."""
    folder, result = broken
    assert "c_ends ━━ 0 exchanges," in result.stdout and (folder / "out" / "c_ends.ipynb").is_file()
    assert "These notebooks failed: a_broken.ipynb. " in result.stderr, result.stderr
    assert "kernel ▸ logged while cells ran" in result.stderr, result.stderr
    assert "dying words" not in result.stderr, result.stderr


def test_the_demo_behind_a_proxy_reaches_its_local_server_directly(demo):
    """`https_proxy` exported in the shell, as on a corporate machine: the kernels talk to the
    embedded server over loopback, not through the proxy (a dead address here)."""
    folder, result = demo
    assert "translate ━━ 1 exchange," in result.stdout
    assert "proxy" not in result.stdout + result.stderr
    assert result.stdout.rstrip().endswith(f"5 executed notebooks written to {folder / 'out'}.")


def test_no_notebooks_says_where_to_run_it(tmp_path):
    (tmp_path / "in").mkdir()
    result = _demo(tmp_path)
    assert result.returncode == 2 and "No notebooks found" in result.stderr


def test_the_transcript_reads_clean_in_a_terminal(demo):
    """Notes, footers and a --map run print as a terminal shows them: no escaped Markdown
    (``{Out\\[3\\]}``), no HTML (``<details>``, ``<sub>``), no bar left at ``0%|``."""
    _, result = demo
    transcript = result.stdout
    assert "ygpt ▸ {Out[3]}: the output of cell 3" in transcript, transcript
    assert "yandexgpt · local server · " in transcript
    assert "ygpt ▸ ✓ 2 answered · " in transcript and "rows/s" in transcript
    for unreadable in ("\\[", "\\]", "<details", "<sub", "</", "0%|", "row/s]"):
        assert unreadable not in transcript, (unreadable, transcript)
