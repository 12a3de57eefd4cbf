"""Runs one of the SDK's own example scripts, unchanged, against `ygpt-magic serve --tls`.

The yardstick for the local server is the real service: the SDK's examples must run against it
with nothing changed but the environment a user sets. `serve --tls` is how (the SDK has no
variable for an insecure channel; docs/local-server/index.md).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).parent
CLI = [sys.executable, "-m", "ygpt_magic.cli"]


@contextmanager
def serving(tls_dir: Path) -> Iterator[str]:
    """`ygpt-magic serve --tls tls_dir` on a free port; yields its address, stops it after."""
    process = subprocess.Popen([*CLI, "serve", "--port", "0", "--tls", str(tls_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = process.stdout.readline().strip() if process.stdout else ""
    try:
        assert ready.startswith("READY 127.0.0.1:"), process.stderr.read() if process.stderr else ready
        yield ready.split()[1]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def run_example(relative: str, address: str, tls_dir: Path, home: Path) -> subprocess.CompletedProcess:
    """Run ``sync/…/run.py`` (relative to this folder) as a user would, and return what it did."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "YC_API_ENDPOINT": address,
           "YC_API_KEY": "any-key", "YC_FOLDER_ID": "any-folder",
           "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(tls_dir / "cert.pem")}
    return subprocess.run([sys.executable, str(HERE / relative)], env=env, capture_output=True,
                          text=True, timeout=120)
