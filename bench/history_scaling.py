"""History scaling: the client-side cost of a cell in a 1,000-turn chat vs a 1-turn chat.

What should not grow with the history is the extension's own work: planning (messages, rewind,
the context-budget check and trimming with cached token counts), rendering and recording. What
must grow is the SDK serialising the longer request, the wire and the server reading it; those are
the same for any client and are excluded. So the measure is the CPU time of the kernel's main
thread during the cell (``time.thread_time``): the extension's code runs there, while the SDK and
gRPC run on the client's loop thread and the local server on its own thread, and waiting for them
costs the main thread no CPU. Both chats live in one shell (``--chat short`` / ``--chat long``),
each cell re-runs with the same cell id (so the chat rewinds and stays the same length), runs
alternate, medians compared. Target: ≤ 1.5×.

The 1,000 turns are ~45 tokens each, more than the model's 32,768-token context, so trimming
is active: the second row checks through the server's request log that token counts are cached
per turn (after the first cell, each cell asks the tokenizer about its new text only).
The wall time of each cell minus the raw SDK's ``run_stream`` of the same messages is printed too,
for information only: it is the difference of two numbers ~20× larger than what it measures, and on
a loaded 2-core machine it swings by tens of milliseconds between runs.

    .venv/bin/python bench/history_scaling.py [--quick]
"""

from __future__ import annotations

import sys
import time

from benchlib import Row, connected_shell, interleaved, median, ms, run_cell, run_main, sdk_model, timed

from ygpt_magic.emulator import start_local_server

TARGET = 1.5
PROMPT = "Summarise our conversation so far in one sentence, please."
#: --quick's context budget in tokens: its 50 turns (~2,250 tokens) are trimmed to fit it, as the
#: full run's 1,000 are to fit the model's context, so row 4b's cached counts are exercised
QUICK_BUDGET = 1000


def _turn(index: int) -> dict:
    return {"prompt": f"Question {index}: what is {index} times {index}, and why is that so?",
            "cell_id": f"old-{index}",
            "reply": {"text": f"{index} times {index} is {index * index}: multiplying a number by itself "
                              f"gives its square, so the answer to question {index} is {index * index}.",
                      "status": "FINAL", "model": "yandexgpt", "model_version": "bench", "elapsed": 0.1,
                      "usage": {"input_tokens": 0, "completion_tokens": 0, "reasoning_tokens": 0,
                                "total_tokens": 0}}}


def _chat(name: str, turns: int) -> dict:
    return {"name": name, "system": "You are a patient maths tutor.", "options": {"model": "yandexgpt"},
            "turns": [_turn(i) for i in range(turns)]}


class _Cell:
    """One chat's cell: each run's main-thread CPU and wall time, and its tokenizer traffic."""

    def __init__(self, shell, server, chat: str) -> None:
        self.shell, self.server, self.chat = shell, server, chat
        self.wall: list[float] = []
        self.tokenizer: list[tuple[int, int]] = []  # (calls, messages counted) per run

    def __call__(self) -> float:
        seen = len(self.server.requests)
        cpu, wall = time.thread_time(), time.perf_counter()
        run_cell(self.shell, f"%%ygpt --chat {self.chat}\n{PROMPT}", cell_id=f"bench-{self.chat}")
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        self.wall.append(wall)
        counted = [r for r in self.server.requests[seen:] if r.method.startswith("Tokenize")]
        self.tokenizer.append((len(counted), sum(len(r.messages) for r in counted)))
        return cpu


def measure(quick: bool) -> list[Row]:
    turns, runs, raw_warmup = (50, 1, 0) if quick else (1000, 60, 2)   # quick: each cell once after the warm-up
    with start_local_server() as server:
        shell = connected_shell(server.address)
        magics = shell.magics_manager.registry["YGptMagics"]
        if quick:
            shell.run_line_magic("config", f"YGptMagics.context_budget = {QUICK_BUDGET}")
        magics.kernel.session.load_dict({"version": 1, "current": "short",
                                  "chats": [_chat("short", 1), _chat("long", turns)]})
        short, long = _Cell(shell, server, "short"), _Cell(shell, server, "long")
        long()   # the first cell counts every turn that fits once; not part of the comparison
        first_calls = long.tokenizer[0][0]
        long_cpu, short_cpu = interleaved(long, short, runs, warmup=1)
        sent = {}
        for name in ("long", "short"):
            run_cell(shell, f"%%ygpt --chat {name}\n{PROMPT}", cell_id=f"bench-{name}")
            sent[name] = list(shell.user_ns["_ygpt"].messages)
        model = sdk_model(server.address)
        raw_long, raw_short = interleaved(timed(lambda: list(model.run_stream(sent["long"]))),
                                          timed(lambda: list(model.run_stream(sent["short"]))), runs // 2 + 1,
                                          raw_warmup)
    ratio = median(long_cpu) / median(short_cpu)
    later = long.tokenizer[2:]  # after the first cell and the warm-up
    calls = max(c for c, _ in later)
    counted = max(m for _, m in later)
    return [
        Row(f"4a. history: {turns:,} vs 1 turn, client CPU per cell", f"≤ {TARGET:.1f}×", f"{ratio:.2f}×",
            f"1 turn {ms(median(short_cpu))}; {turns:,} turns {ms(median(long_cpu))}", ratio <= TARGET,
            {"runs": f"{runs} cells each, alternating, after 1 counting cell and 1 warm-up pair",
             "messages sent (long / short)": f"{len(sent['long'])} / {len(sent['short'])}",
             "wall per cell (long / short)": f"{ms(median(long.wall))} / {ms(median(short.wall))}",
             "raw SDK run_stream, same messages (long / short)": f"{ms(median(raw_long))} / {ms(median(raw_short))}",
             "wall minus raw SDK (long / short; noisy, see docstring)":
                 f"{ms(median(long.wall) - median(raw_long))} / {ms(median(short.wall) - median(raw_short))}"}),
        Row("4b. history: token counts cached per turn", "≤ 2 tokenizer calls/cell, ≤ 3 msgs",
            f"{calls} call(s), {counted} msg(s) per cell", f"first cell: {first_calls} calls (one per turn kept)",
            calls <= 2 and counted <= 3),
    ]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
