"""A user who changes their mind at a `%ygpt auth` prompt: Ctrl-C, or Ctrl-D, which ends the input.
Nothing changes, and one line says so (AuthStopped), in every frontend: ``ipython`` in a terminal
(the standard getpass on its terminal), a real kernel as JupyterLab interrupts it and as jupyter
console passes Ctrl-D on (``\\x04``, which ipykernel raises as EOFError). Before, Ctrl-C printed a
40-line KeyboardInterrupt traceback through our frames and getpass, and Ctrl-D in a terminal was
told it ran under "nbconvert --execute, papermill or a CI job". That wording stays where no one
is at a prompt: IPython with no terminal and its input closed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import CREDENTIAL_ENV
from kernels import Kernel
from test_terminal import REPO, Terminal, screen, terminal  # noqa: F401 (terminal: a fixture)

pytestmark = pytest.mark.slow  # a real ipython or kernel: seconds

CTRL_C, CTRL_D = "\x03", "\x04"
PROMPTS = ("API key or IAM token", "Folder id")
UNCHANGED = "nothing was changed, and the key and folder in use are as they were."
HEADLESS = "nbconvert --execute, papermill or a CI job"


def auth_in_terminal(shell: Terminal, *presses: str) -> str:
    """`%ygpt auth` typed in the terminal, ``presses`` typed at its prompts in turn (a key and
    Enter, or Ctrl-C / Ctrl-D); what it printed after the last of them, up to the next prompt."""
    shell.child.send("%ygpt auth\r")
    for prompt, press in zip(PROMPTS, presses):
        shell.child.expect_exact(prompt)
        shell.child.expect_exact(": ")
        shell.child.send(press)
    shell.prompt()
    return str(shell.child.before)


def whoami(shell: Terminal) -> str:
    """What `%ygpt whoami` prints in the terminal (without the next prompt)."""
    return screen(shell.run("%ygpt whoami")).rpartition("In [")[0]


def test_ctrl_c_and_ctrl_d_at_the_prompts_of_ipython_say_one_line_and_change_nothing(terminal):
    before = whoami(terminal)
    at_key = auth_in_terminal(terminal, CTRL_C)
    at_folder = auth_in_terminal(terminal, "AQVNtypedKey0123456789abcdef\r", CTRL_C)
    ended = auth_in_terminal(terminal, CTRL_D)
    assert at_key.strip() == f"UsageError: %ygpt auth stopped at the key prompt (Ctrl-C): {UNCHANGED}", at_key
    assert at_folder.strip() == (f"UsageError: %ygpt auth stopped at the folder id prompt (Ctrl-C): "
                                 f"{UNCHANGED}"), at_folder
    assert ended.strip() == (f"UsageError: %ygpt auth ended at the key prompt (Ctrl-D): {UNCHANGED} "
                             f"Run %ygpt auth again to enter them."), ended
    assert whoami(terminal) == before


@pytest.fixture(scope="module")
def kernel(_ygpt_server_session):
    """One kernel for both presses: each story reads its own cells, and neither changes the
    credentials (which each checks with %ygpt whoami before and after)."""
    with Kernel(_ygpt_server_session.address) as kernel:
        yield kernel


@pytest.mark.parametrize(("press", "said"), [
    ("interrupt", f"%ygpt auth stopped at the key prompt (Ctrl-C): {UNCHANGED}"),
    (CTRL_D, f"%ygpt auth ended at the key prompt (Ctrl-D): {UNCHANGED}"),
])
def test_an_interrupt_or_a_consoles_ctrl_d_at_a_kernels_prompt_says_one_line(kernel, press, said):
    before = kernel.shown(kernel.run("%ygpt whoami"))
    parent = kernel.client.execute("%ygpt auth", allow_stdin=True)
    assert kernel.client.get_stdin_msg(timeout=30)["content"]["password"]
    if press == "interrupt":
        kernel.interrupt()   # JupyterLab's Interrupt, or Ctrl-C in jupyter console
    else:
        kernel.client.input(press)
    kernel.wait_idle(parent)
    shown = kernel.shown(parent)
    assert shown.strip() == f"UsageError: {said}" + ("" if press == "interrupt" else
                                                    " Run %ygpt auth again to enter them."), shown
    assert kernel.shown(kernel.run("%ygpt whoami")) == before


def test_ipython_with_no_terminal_and_its_input_closed_is_told_to_use_the_environment(tmp_path):
    """A script run by CI: no terminal (a new session has none) and stdin at its end."""
    env = {name: value for name, value in os.environ.items() if name not in CREDENTIAL_ENV}
    env.update(PYTHONPATH=str(REPO), IPYTHONDIR=str(tmp_path), YGPT_ENDPOINT="local")
    code = "ip = get_ipython(); ip.run_line_magic('load_ext', 'ygpt_magic'); ip.run_line_magic('ygpt', 'auth')"
    run = subprocess.run([sys.executable, "-m", "IPython", "--no-banner", "--colors=nocolor", "-c", code],
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60,
                         start_new_session=True)
    assert HEADLESS in run.stderr and "YC_API_KEY" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr + run.stdout and "Ctrl-D" not in run.stderr, run.stderr
