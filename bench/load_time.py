"""Extension load: ``%load_ext ygpt_magic`` vs ``import yandex_cloud_ml_sdk``, in fresh processes.

Each sample is a new ``python -c``: the subject creates an IPython shell (not timed: every
notebook already has one), then times ``%load_ext ygpt_magic``; the baseline times the SDK's
import. Nothing is subtracted. ``%load_ext`` must not import the SDK (or grpc) itself, which the
subject checks when it returns; it starts a background thread that imports the SDK a moment
later (so the first cell does not pay for it), which is not timed: the subject then checks that
the SDK did arrive in the background, within 5 s. Target: median ratio ≤ 0.25.

    .venv/bin/python bench/load_time.py [--quick]
"""

from __future__ import annotations

import json
import subprocess
import sys

from benchlib import Row, interleaved, median, ms, run_main

TARGET = 0.25
LOAD_EXT = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
started = time.perf_counter()
shell.run_line_magic("load_ext", "ygpt_magic")
seconds = time.perf_counter() - started
heavy = sorted({m.split(".")[0] for m in sys.modules}
               & {"grpc", "yandex_cloud_ml_sdk", "yandex_ai_studio_sdk", "google"})
deadline = time.monotonic() + 5
while "yandex_cloud_ml_sdk" not in sys.modules and time.monotonic() < deadline:
    time.sleep(0.05)
if "yandex_cloud_ml_sdk" not in sys.modules:
    heavy.append("(no background import of the SDK)")
print(json.dumps([seconds, heavy]))
"""
IMPORT_SDK = """
import json, time, warnings
started = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import yandex_cloud_ml_sdk
print(json.dumps([time.perf_counter() - started, []]))
"""


def _fresh(code: str, heavy: set[str]) -> float:
    """Seconds reported by a new interpreter running ``code``; notes heavy imports seen."""
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    seconds, imported = json.loads(output.strip().splitlines()[-1])
    heavy.update(imported)
    return seconds


def measure(quick: bool) -> list[Row]:
    runs, warmup = (1, 0) if quick else (5, 1)
    heavy: set[str] = set()
    load, sdk = interleaved(lambda: _fresh(LOAD_EXT, heavy), lambda: _fresh(IMPORT_SDK, set()), runs, warmup)
    ratio = median(load) / median(sdk)
    passed = ratio <= TARGET and not heavy
    measured = f"{ratio:.3f}×" + (f" (imports {', '.join(sorted(heavy))})" if heavy else "")
    return [Row("2. extension load (%load_ext / import SDK)", f"≤ {TARGET:.2f}×", measured,
                f"import SDK {ms(median(sdk))}; %load_ext {ms(median(load))}", passed,
                {"runs": f"{runs} fresh processes each, interleaved, after {warmup} warm-up",
                 "median %load_ext": ms(median(load)), "median import yandex_cloud_ml_sdk": ms(median(sdk)),
                 "heavy modules after %load_ext": sorted(heavy) or "none (the SDK came in the background)"})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
