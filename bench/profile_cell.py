"""Profile one streamed cell in a real kernel with py-spy (every thread), and name the top costs.

The cell is the streaming-cost one: ``%%ygpt --once`` with a 5,000-word scripted reply streamed
in 1,250 chunks, 2 ms apart, into an ipykernel under jupyter_client. ``py-spy record`` samples
the kernel process while the cell runs (only the thread holding the GIL, so waits do not count)
and the report shows where the Python CPU goes: its main thread (our code, IPython's display), the client's loop
thread (the SDK, grpc.aio, protobuf), and ipykernel's IOPub thread. It is a profile, not a
pass/fail benchmark; py-spy comes from PyPI (``pip install -e '.[bench]'``).

    .venv/bin/python bench/profile_cell.py [--quick] [--top N] [--raw FILE]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchlib import use_local_env
from kernel_harness import Kernel, start_stamped_server
from streaming_cost import PROMPT, long_reply

#: path fragments that say which part of the stack a frame belongs to
LAYERS = (("ygpt_magic/", "ygpt_magic"), ("yandex_ai_studio_sdk/", "SDK"), ("grpc/", "grpc"),
          ("google/protobuf", "protobuf"), ("ipykernel/", "ipykernel"), ("IPython/", "IPython"),
          ("jupyter_client/", "jupyter_client"), ("zmq/", "zmq"), ("json/", "json"), ("asyncio/", "asyncio"))


def record(words: int, latency: float, raw: Path) -> None:
    """Run the cell in a kernel while py-spy samples it into ``raw`` (collapsed stacks)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder, "long.json")
        script.write_text(json.dumps({"replies": [{"user": PROMPT, "reply": long_reply(words)}]}), encoding="utf-8")
        server = start_stamped_server([script])
        try:
            with Kernel(server.address) as kernel:
                kernel.execute("%%ygpt --once\nWarm up: import the SDK and open the channel.")
                server.faults.latency(latency)
                pid = kernel.manager.provisioner.process.pid
                sampler = subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "1000", "--threads", "--gil",
                                            "--format", "raw", "--output", str(raw)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1.0)  # py-spy attaches
                kernel.execute(f"%%ygpt --once\n{PROMPT}")
                sampler.send_signal(signal.SIGINT)
                sampler.wait(timeout=30)
        finally:
            server.stop()


def _frames(line: str) -> tuple[list[str], int]:
    stack, _, count = line.rstrip().rpartition(" ")
    return stack.split(";"), int(count)


def _function(frame: str) -> str:
    """``name (file.py:LINE)`` → ``name (file.py)``: samples add up per function, not per line."""
    return frame.rpartition(":")[0] + ")" if frame.endswith(")") and ":" in frame else frame


def _layer(frame: str) -> str:
    return next((name for fragment, name in LAYERS if fragment in frame), "other")


def report(raw: Path, top: int) -> None:
    """Samples per thread, per layer (by the frame that was running), and the top functions."""
    threads, layers, leaves, ours = Counter(), Counter(), Counter(), Counter()
    total = 0
    for line in raw.read_text().splitlines():
        frames, count = _frames(line)
        total += count
        threads[frames[0]] += count
        leaf = _function(frames[-1])
        layers[_layer(leaf)] += count
        leaves[leaf] += count
        for frame in {_function(frame) for frame in frames[1:]}:  # inclusive, once per sample
            if "ygpt_magic/" in frame:
                ours[frame] += count
    print(f"{total} samples (1 ms each) of the thread holding the GIL while the cell ran")
    for title, counter in (("by thread", threads), ("by layer (running frame)", layers),
                           ("top running functions (self)", leaves), ("our functions (inclusive)", ours)):
        print(f"\n{title}:")
        for name, count in counter.most_common(top):
            print(f"  {100 * count / total:5.1f}%  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short reply (for the smoke test)")
    parser.add_argument("--top", type=int, default=12, help="lines per section")
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks in this file")
    args = parser.parse_args()
    use_local_env()
    raw = args.raw or Path(tempfile.mkdtemp()) / "profile.txt"
    record(400 if args.quick else 5000, 0.002, raw)
    report(raw, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
