"""A throwaway JupyterLab server for one test, and the Chromium that Playwright drives.

JupyterLab runs as a child process in its own process group, with every Jupyter directory
(config, data for workspaces and settings, runtime) inside the test's temporary folder, so the
user's setup neither leaks in nor gets written to. Stopping it shuts its kernels down through the
REST API first, then ends the process group it started.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
SERVER_CONFIG = Path(__file__).resolve().parents[2] / "jupyter-config" / "jupyter_server_config.d" / "ygpt_magic.json"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic",
]


def browser_missing() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (Debian package chromium; `make test` installs it as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        return "JupyterLab is not installed (pip install -e '.[test]')"
    return None


def notebook(cells: list[str]) -> dict:
    """A minimal nbformat-4 notebook of code cells."""
    return {
        "cells": [
            {"cell_type": "code", "execution_count": None, "id": f"cell-{index}",
             "metadata": {}, "outputs": [], "source": source}
            for index, source in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Lab:
    """``with Lab(folder, env) as lab:`` → ``lab.url(path)`` opens a file in JupyterLab."""

    def __init__(self, folder: Path, env: dict[str, str], start_timeout: float = 40) -> None:
        self.folder = folder
        self.port = _free_port()
        self.token = secrets.token_hex(16)
        self._start_timeout = start_timeout
        home = folder / ".jupyter-home"
        self._env = {
            **os.environ,
            **env,
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(home / "lab-workspaces"),
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = folder / ".jupyter-home" / "lab.log"
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> Lab:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # No "get notified about Jupyter news?" toast over the page (there is no network anyway).
        news = Path(self._env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True, exist_ok=True)
        (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        # Every cell in the page, not only those scrolled into view (JupyterLab 4 draws a long
        # notebook's cells lazily), so a test can find any cell's output.
        tracker = Path(self._env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True, exist_ok=True)
        (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
        # The package's server extension, as installing it enables it (pyproject.toml's shared-data).
        server_d = Path(self._env["JUPYTER_CONFIG_DIR"]) / "jupyter_server_config.d"
        server_d.mkdir(parents=True, exist_ok=True)
        shutil.copy(SERVER_CONFIG, server_d)
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
            f"--port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.folder}",
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly", "--ServerApp.terminals_enabled=False",
        ]
        if os.geteuid() == 0:  # CI and these machines run as root
            command.append("--allow-root")
        self._log = open(self.log_path, "wb")
        self._process = subprocess.Popen(command, cwd=self.folder, env=self._env, stdout=self._log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early; see {self.log_path}:\n{self.log()}")
            try:
                self._api("GET", "/api/status")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"JupyterLab did not answer within {self._start_timeout:.0f} s:\n{self.log()}")

    def _api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{path}?token={self.token}&reset"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stop_kernels(self) -> None:
        """Shut every kernel of this server down through the REST API (none left running)."""
        try:
            for kernel in self._api("GET", "/api/kernels") or []:
                self._api("DELETE", f"/api/kernels/{kernel['id']}")
        except OSError:
            pass  # the server is gone already; its process group gets stopped on exit

    def __exit__(self, *exc: object) -> None:
        process = self._process
        if process is None:
            return
        self.stop_kernels()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        self._log.close()
        self._process = None
