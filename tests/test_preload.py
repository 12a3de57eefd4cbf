"""The SDK is imported in the background after %load_ext: the load stays light, the first cell
does not pay for the import (nor for starting its event loop), and a cell run while the import
is under way waits for it instead of importing alongside it (no import-lock deadlock, no
half-initialised module).

Each case is a fresh interpreter, because the import happens once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, sys, threading, time
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
heavy = ("grpc", "google.protobuf", "yandex_cloud_ml_sdk", "yandex_ai_studio_sdk")
shell.run_cell("%load_ext ygpt_magic", store_history=True)
after_load = sorted(name for name in heavy if name in sys.modules)
time.sleep(float(sys.argv[1]))
started = time.perf_counter()
with capture_output() as captured:
    result = shell.run_cell("%%ygpt --once\nHello while the SDK may still be importing.", store_history=True)
print(json.dumps({"after_load": after_load, "ok": result.success, "seconds": time.perf_counter() - started,
                  "text": shell.user_ns["_ygpt"].text if result.success else str(result.error_in_exec),
                  "stderr": captured.stderr,
                  "loops": sorted(t.name for t in threading.enumerate() if t.name.startswith("ygpt-client"))}))
"""


# idle 0: the cell races the import from its start; the later moments run in `make test` only
@pytest.mark.parametrize("idle", [0.0, pytest.param(0.08, marks=pytest.mark.slow),
                                  pytest.param(0.3, marks=pytest.mark.slow)])
def test_a_cell_run_at_any_moment_of_the_background_import_gets_its_reply(ygpt_server, clean_env, idle):
    env = {**os.environ, "YGPT_ENDPOINT": ygpt_server.address, "YGPT_INSECURE": "1"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(idle)], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["after_load"] == []  # %load_ext itself imports none of it
    assert result["ok"] and "Hello while the SDK" in result["text"], result
    assert result["stderr"] == "" and "Traceback" not in done.stderr
    # the loop the background import started and prepared is the client's: no second one
    assert result["loops"] == [f"ygpt-client-{ygpt_server.address}"], result["loops"]


USER_IMPORT = r"""
import sys, time, warnings
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shell.run_cell("%load_ext ygpt_magic", store_history=False)
time.sleep(float(sys.argv[1]))
warnings.simplefilter("ignore")
from yandex_cloud_ml_sdk import AsyncYCloudML, YCloudML  # the user's own cell, mid-import
from yandex_cloud_ml_sdk.auth import APIKeyAuth
YCloudML(folder_id="f", auth=APIKeyAuth("k"), endpoint="127.0.0.1:1")
print("imported", AsyncYCloudML.__name__)
"""


@pytest.mark.parametrize("idle", [0.05, pytest.param(0.1, marks=pytest.mark.slow)])
def test_a_users_own_sdk_import_during_the_background_import_works(idle):
    done = subprocess.run([sys.executable, "-c", USER_IMPORT, str(idle)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "GRPC_VERBOSITY": "NONE"})
    assert done.returncode == 0 and "imported AsyncYCloudML" in done.stdout, done.stderr[-2000:]


REPLAYING = r"""
import sys
from IPython.core.interactiveshell import InteractiveShell
from ygpt_magic.client import preload

shell = InteractiveShell.instance()
shell.run_cell("%load_ext ygpt_magic", store_history=False)
preload.wait()
print(sorted(name for name in ("grpc", "yandex_cloud_ml_sdk") if name in sys.modules))
"""


@pytest.mark.parametrize("cache_file, mode, imported", [
    (True, "replay", "[]"),
    (True, "auto", "['grpc', 'yandex_cloud_ml_sdk']"),
    (False, "replay", "['grpc', 'yandex_cloud_ml_sdk']"),   # no file: nothing to replay, it sends
], ids=["replaying", "recording", "replay-mode-without-a-file"])
@pytest.mark.slow
def test_a_kernel_that_replays_its_cache_imports_no_sdk(tmp_path, cache_file, mode, imported):
    """A notebook replayed in CI sends nothing: its kernel spends no second importing the SDK."""
    env = {k: v for k, v in os.environ.items() if k != "YGPT_CACHE"}
    env.update(YGPT_CACHE_MODE=mode, **({"YGPT_CACHE": str(tmp_path / "replies.sqlite")} if cache_file else {}))
    done = subprocess.run([sys.executable, "-c", REPLAYING], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and done.stdout.strip() == imported, (done.stdout, done.stderr[-2000:])
