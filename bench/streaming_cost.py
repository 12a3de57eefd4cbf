"""Streaming cost: what a long streamed reply sends to the notebook frontend, throttled vs naive.

A 5,000-word scripted reply (given to the local server as a script file) streams in 1,250 chunks
of 4 tokens with a small per-chunk latency, into a real ipykernel under jupyter_client; IOPub's
raw frames are counted for the cell: display_data + update_display_data messages and their bytes
on the wire. The subject is a plain ``%%ygpt --once`` cell; the baseline is the same request
through the same client and exchange with a renderer that re-renders on every chunk (no time or
byte throttle). Runs alternate. Targets for the subject: display messages ≤ 10 per second of
stream time + 2 (stream time: from the cell's first to its last display message), and bytes
≤ 30 × the reply's size.

    .venv/bin/python bench/streaming_cost.py [--quick]
"""

from __future__ import annotations

import sys

from benchlib import Row, interleaved, median, run_main
from kernel_harness import Kernel, naive_cell, scripted_server

PROMPT = "Write the long benchmark essay."
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
         "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()


def long_reply(words: int) -> str:
    """``words`` short words (one token each, so 4 words per chunk), in paragraphs of 100."""
    picked = [WORDS[(i * 7 + i // 26) % len(WORDS)] for i in range(words)]
    return "\n\n".join(" ".join(picked[i:i + 100]) for i in range(0, words, 100))


def _cost(messages) -> dict:
    shown = [m for m in messages if m.is_display]
    span = shown[-1].sent - shown[0].sent if len(shown) > 1 else 0.0
    return {"messages": len(shown), "bytes": sum(m.size for m in shown), "seconds": span}


def measure(quick: bool) -> list[Row]:
    words, latency, runs = (400, 0.002, 1) if quick else (5000, 0.002, 2)
    reply = long_reply(words)
    size = len(reply.encode())
    with scripted_server(PROMPT, reply) as server, Kernel(server.address) as kernel:
        kernel.execute("%%ygpt --once\nWarm up: import the SDK and open the channel.")
        server.faults.latency(latency)
        throttled, naive = interleaved(lambda: _cost(kernel.execute(f"%%ygpt --once\n{PROMPT}")),
                                       lambda: _cost(kernel.execute(naive_cell(PROMPT))), runs, 0)
    pick = lambda runs_, key: median([r[key] for r in runs_])  # noqa: E731
    seconds, count, sent = pick(throttled, "seconds"), pick(throttled, "messages"), pick(throttled, "bytes")
    allowed = 10 * seconds + 2
    naive_count, naive_sent = pick(naive, "messages"), pick(naive, "bytes")
    baseline = (f"naive: {naive_count:.0f} msgs, {naive_sent / size:.0f}× size "
                f"({naive_sent / 1e6:.1f} MB)")
    return [
        Row("3a. streaming: display messages", f"≤ 10/s × {seconds:.2f} s + 2 = {allowed:.1f}",
            f"{count:.0f} ({count / seconds:.1f}/s)" if seconds else f"{count:.0f}", baseline, count <= allowed,
            {"runs": f"{runs} each, alternating, after 1 warm-up cell",
             "reply": f"{words} words, {size} bytes, {latency * 1000:.0f} ms per chunk",
             "throttled runs": throttled, "naive runs": naive}),
        Row("3b. streaming: bytes to the frontend", "≤ 30× reply size", f"{sent / size:.1f}× ({sent / 1e3:.0f} kB)",
            baseline, sent <= 30 * size),
    ]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
