"""Fixtures for the magics' tests: a real IPython shell with the extension loaded, connected to
the local server (the `ygpt_server` fixture from ygpt_magic's pytest plugin).

Tests read like user stories: run a cell with `cell(shell, source, cell_id=...)`, then assert on
what the user sees (`.final`, `.message`, `.shown`) and on what the server received
(`ygpt_server.requests`).

The browser stories (tests/test_browser*.py) get their JupyterLab and Chromium here too
(`jupyterlab`, `lab`): one server for every story a test process runs (tests/browser/session.py).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser.lab import Lab, browser_missing
from browser.session import ENV, chromium
from cellrun import CellRun, lost_fails, run
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from ygpt_magic.emulator import start_local_server

#: Looks like a Yandex API key, so masking is exercised; the local server accepts any key.
TEST_KEY = "AQVNtestkey0123456789abcdefx9Qz"
TEST_FOLDER = "b1gtestfolder"
CREDENTIAL_ENV = ("YC_API_KEY", "YC_IAM_TOKEN", "YC_OAUTH_TOKEN", "YC_TOKEN", "YC_PROFILE",
                  "YC_FOLDER_ID", "YGPT_ENDPOINT", "YGPT_INSECURE")


class _SdkDoneCallbackNoise(logging.Filter):
    """The SDK's call wrapper raises NotImplementedError from add_done_callback, which grpc.aio
    calls when no retry interceptor sits in between (the NoRetryPolicy of the emulator's SDK
    tests); asyncio logs it as "Exception in callback". Known and harmless: kept out of the
    test output. (Our client's own loop turns such reports into DEBUG lines: client_loop.py.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, NotImplementedError) or error.__traceback__ is None:
            return True
        return not traceback.extract_tb(error.__traceback__)[-1].filename.endswith(
            os.path.join("yandex_ai_studio_sdk", "_utils", "grpc.py"))


@pytest.fixture(scope="session", autouse=True)
def _quiet_sdk_done_callback() -> Iterator[None]:
    noise, asyncio_log = _SdkDoneCallbackNoise(), logging.getLogger("asyncio")
    asyncio_log.addFilter(noise)
    yield
    asyncio_log.removeFilter(noise)


@pytest.fixture(scope="session", autouse=True)
def _temporary_folder_under_pytest(tmp_path_factory) -> Iterator[None]:
    """The temporary folder of the test session is one under pytest's basetemp, which pytest
    prunes (it keeps the last three runs): what the product writes there stayed in /tmp after
    every run, chiefly the chats kept when a test unloads the extension with turns in them
    (commands/save.on_unload, as %reload_ext does for a user). TMPDIR too, for subprocesses."""
    folder = str(tmp_path_factory.mktemp("tmp"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", folder)
        patch.setenv("TMPDIR", folder)
        yield


@pytest.fixture(autouse=True)
def _working_folder_kept() -> Iterator[None]:
    """A test ends in the working folder it started in: nbval resolves notebooks/sanitize.cfg
    against it, and a test's ``%cd`` (IPython changes the process's folder) once made every
    notebook after it on that worker fail with FileNotFoundError. monkeypatch.chdir undoes
    itself; a folder left changed is put back and the test that left it fails.

    The chats a load or an unload keeps go to the working folder's .ipynb_checkpoints
    (commands/save.py), as a user's go beside their notebook: those a test kept in the
    checkout are removed after it (a test that reads its copy back runs in a folder of its own,
    so another worker's removal cannot reach it). The folder itself stays (git ignores it):
    removed when empty, it went from under another worker's load between its making the folder
    and writing the copy, and that load said the chats could not be kept."""
    before = os.getcwd()
    kept = Path(before, ".ipynb_checkpoints")
    had = set(kept.glob("ygpt-chats-*"))
    yield
    after = os.getcwd()
    for path in set(kept.glob("ygpt-chats-*")) - had:
        path.unlink(missing_ok=True)
    if after != before:
        os.chdir(before)
        pytest.fail(f"the test left the working folder at {after}: use monkeypatch.chdir")


@pytest.fixture(scope="module")
def _earlier_garbage_collected() -> None:
    """Collect what earlier modules on this worker left, before a module that fails on lost
    exceptions starts: an exception lost in a finalizer of theirs is theirs (pytest reports it
    as a warning), not blamed on this module's first test."""
    gc.collect()


@pytest.fixture
def no_lost_exceptions(_earlier_garbage_collected) -> Iterator[None]:
    """The test fails when an exception is lost in a finalizer while it runs (cellrun.lost_fails)."""
    with lost_fails():
        yield


@pytest.fixture(autouse=True)
def _ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C (SIGINT) raises KeyboardInterrupt during every test, as a Jupyter kernel makes it
    do around each cell (ipykernel's kernelbase installs ``default_int_handler`` there). Python
    installs that handler at startup only if SIGINT is not ignored; a test run started as a
    shell's background job, or by a runner that ignores SIGINT, inherits it ignored, and every
    test that presses Ctrl-C would see its run go on to the end."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def ipython() -> InteractiveShell:
    """The one shell of the test session; its history is in memory and its profile in a
    temporary IPYTHONDIR, so parallel test runs never share (and lock) ~/.ipython."""
    os.environ["IPYTHONDIR"] = tempfile.mkdtemp(prefix="ygpt-ipython-")
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    return InteractiveShell.instance(config=config)


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory) -> Iterator[Lab]:
    """The JupyterLab of every browser story this test process runs (a start and a stop are
    seconds each); skipped, with the reason printed past pytest's capture, when it cannot run."""
    reason = browser_missing()
    if reason:
        print(f"\nSKIPPED the browser test: {reason}", file=sys.__stderr__)
        pytest.skip(reason)
    with Lab(tmp_path_factory.mktemp("lab"), ENV) as server:
        yield server


@pytest.fixture(scope="module")
def lab(jupyterlab) -> Iterator[tuple[Lab, object]]:
    """``(jupyterlab, context)``: the server and a Chromium for one module's browser stories.
    Each story opens a notebook of its own in a new page (``browser.session.opened``)."""
    with chromium() as context:
        yield jupyterlab, context


@pytest.fixture
def clean_env(monkeypatch):
    """No credentials or endpoint from the machine running the tests; a test key and folder."""
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("YC_API_KEY", TEST_KEY)
    monkeypatch.setenv("YC_FOLDER_ID", TEST_FOLDER)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no `yc` CLI from the developer's machine
    return monkeypatch


@pytest.fixture
def shell(ipython, ygpt_server, clean_env):
    """A shell with ygpt_magic freshly loaded (new chats, new client) and connected to the
    local server; fast retries so fault tests stay quick. Unloaded after the test."""
    manager = ipython.extension_manager
    ipython.config.pop("YGptMagics", None)  # %config of an earlier test must not leak
    manager.load_extension("ygpt_magic")
    ipython.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    ipython.run_line_magic("config", "YGptMagics.retries = 2")
    ipython.run_line_magic("config", "YGptMagics.retry_backoff = 0.05")
    ipython.run_line_magic("config", "YGptMagics.poll_interval = 0.05")
    ipython.user_ns.pop("_ygpt", None)
    yield ipython
    magics = ipython.magics_manager.registry.get("YGptMagics")
    if magics is not None and not magics.kernel.session.is_busy():
        magics.kernel.session.reset(all=True)   # a test's chats are not kept in a file at unload, as a user's are
    manager.unload_extension("ygpt_magic")
    ipython.config.pop("YGptMagics", None)


@pytest.fixture
def fresh_names(ipython) -> Iterator[None]:
    """The names and outputs a test's cells add to the shared shell are removed afterwards: a
    canary, a huge value or an object whose repr raises or hangs must not reach later tests."""
    names = ipython.user_ns
    before, outputs = set(names), set(names.get("Out", {}))
    last = {name: names.get(name) for name in ("_", "__", "___")}
    yield
    for name in set(names) - before:
        del names[name]
    for count in set(names.get("Out", {})) - outputs:
        del names["Out"][count]
    ipython.push(last, interactive=False)   # as the displayhook pushes them: it stops updating `_`
    for name, value in last.items():       # for good once its copies (hidden names, its own)
        setattr(ipython.displayhook, name, value)   # differ from the namespace's


@pytest.fixture
def magics(shell):
    """The YGptMagics instance of the current test (its session, connection, settings)."""
    return shell.magics_manager.registry["YGptMagics"]


#: the magics' tests call these `Cell` / `cell`; one capture serves every test (cellrun.py)
Cell, cell = CellRun, run


@contextmanager
def scripted(shell, folder, user: str, reply: str) -> Iterator[None]:
    """The shell connected to a server of its own that gives ``reply`` to ``user``, and a clean
    slate for the next input (``rl_next_input``: where set_next_input puts a new cell's code)."""
    script = folder / "script.json"
    script.write_text(json.dumps({"replies": [{"user": user, "reply": reply}]}), encoding="utf-8")
    with start_local_server(scripts=[script]) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        shell.rl_next_input = None
        yield


def completions(server) -> list:
    """The Completion requests the server received (streamed, unary and deferred)."""
    return [r for r in server.requests if r.method in ("Completion", "AsyncCompletion")]


def typed_at_prompts(monkeypatch, *answers: str | BaseException) -> list[str]:
    """%ygpt auth's hidden prompts (getpass: the key, then the folder id) answered with
    ``answers`` in turn, as a user types them; an exception is what the frontend raises instead
    (EOFError: Ctrl-D at the prompt, as ipykernel raises it; StdinNotImplementedError: a notebook
    run without input). The prompts asked are added to the list returned."""
    asked: list[str] = []
    left = list(answers)

    def answer(prompt: str = "") -> str:
        asked.append(prompt)
        given = left.pop(0)
        if isinstance(given, BaseException):
            raise given
        return given

    monkeypatch.setattr("getpass.getpass", answer)
    return asked
