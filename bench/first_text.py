"""Time to first visible text: from the first chunk leaving the server to the first display
message carrying reply text in the kernel.

The local server runs on a thread of this process and stamps (wall clock) the moment it starts
answering each completion; with an injected latency L per chunk, the first chunk leaves at
stamp + L. The kernel's side is the header date of the first display_data/update_display_data on
IOPub whose data holds the reply's first word (the "waiting…" line shown before the request does
not count). Both clocks are this machine's ``time.time()``. The subject is a ``%%ygpt --once``
cell; the baseline, interleaved in the same kernel, is a cell that iterates the raw SDK's
``run_stream`` and shows each chunk through an IPython display handle. Target: median ≤ 50 ms.

    .venv/bin/python bench/first_text.py [--quick]
"""

from __future__ import annotations

import sys

from benchlib import Row, interleaved, median, ms, run_main
from kernel_harness import Kernel, StampedServer, scripted_server

TARGET = 0.050
LATENCY = 0.005
PROMPT = "How fast does the first text appear?"
FIRST_WORD = "Promptly"
REPLY = FIRST_WORD + " " + " ".join(["the first words show up while the rest is still coming."] * 10)
RAW_SETUP = """
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML
from IPython.display import display
from ygpt_magic.emulator.testing import sdk_kwargs
_bench_model = YCloudML(**sdk_kwargs({address!r})).models.completions("yandexgpt")
_bench_messages = [{{"role": "user", "text": {prompt!r}}}]
_ = list(_bench_model.run_stream(_bench_messages))
"""
RAW_CELL = """
_handle = None
for _result in _bench_model.run_stream(_bench_messages):
    _bundle = {"text/markdown": _result.alternatives[0].text}
    if _handle is None:
        _handle = display(_bundle, raw=True, display_id=True)
    else:
        _handle.update(_bundle, raw=True)
"""


def _first_text(kernel: Kernel, server: StampedServer, code: str) -> float:
    """Seconds from the first chunk leaving the server to the first display showing it."""
    before = len(server.stamps)
    messages = kernel.execute(code)
    left = server.stamps[before] + LATENCY
    shown = next(m for m in messages if m.is_display and m.shows(FIRST_WORD))
    return shown.sent - left


def measure(quick: bool) -> list[Row]:
    runs, warmup = (1, 0) if quick else (11, 1)   # quick: each cell once
    with scripted_server(PROMPT, REPLY) as server, Kernel(server.address) as kernel:
        kernel.execute(RAW_SETUP.format(address=server.address, prompt=PROMPT))
        server.faults.latency(LATENCY)
        magic, raw = interleaved(lambda: _first_text(kernel, server, f"%%ygpt --once\n{PROMPT}"),
                                 lambda: _first_text(kernel, server, RAW_CELL), runs, warmup)
    result = median(magic)
    return [Row("6. time to first visible text", f"≤ {ms(TARGET)}", ms(result),
                f"raw SDK + display handle {ms(median(raw))}", result <= TARGET,
                {"runs": f"{runs} cells each, interleaved, after {warmup} warm-up pair",
                 "%%ygpt samples": [round(s * 1000, 1) for s in magic],
                 "raw SDK samples": [round(s * 1000, 1) for s in raw]})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
