"""Per-cell overhead: a streamed ``%%ygpt`` cell vs the raw SDK's ``run_stream`` in a cell.

Both run in this process's IPython shell (``run_cell``, as ipykernel calls it, outputs captured),
against one local server in its own process answering at the cloud's pace (first chunk after
100 ms, then 20 ms apart: ``benchlib.cloud_pace``), for the same request (the Hamlet
translation, a short scripted reply), warmed up and interleaved. The baseline is what a user
writes without the extension: a cell that iterates
``YCloudML(...).models.completions("yandexgpt").run_stream``. Two rows:

- 1: the ratio of the medians of wall time, what a user waits: the price of parsing flags,
  planning, the client's loop thread, rendering (reply, footer) and recording, where the user
  feels it. Target: ≤ 1.03.
- 1b: the ratio of the medians of the main thread's CPU per cell (``time.thread_time``), what
  the kernel spends on our code while the reply streams, against what the raw SDK cell spends on
  its own. Target: ≤ 1.0. Its details add an empty cell (``pass``), measured right after each
  raw SDK cell: the CPU IPython's ``run_cell`` costs any cell, which both cells pay; "our code's
  share" is the %%ygpt cell's CPU minus the raw SDK cell's. They also add an empty cell magic
  (``%%bench_noop`` over the same prompt, a registered cell magic that does nothing): what
  IPython costs any cell magic beyond a plain cell (its input transform and dispatch), which the
  %%ygpt cell pays and the raw SDK cell does not, so "%%ygpt cell beyond the empty cell magic" is
  the CPU of our code alone.

    .venv/bin/python bench/cell_overhead.py [--quick]
"""

from __future__ import annotations

import sys

from benchlib import (
    Clocked,
    Row,
    cloud_pace,
    connected_shell,
    interleaved,
    median,
    ms,
    run_cell,
    run_main,
    sdk_model,
    server_process,
    timed,
)

TARGET = 1.03
CPU_TARGET = 1.0
SYSTEM, PROMPT = "Translate the text", "To be, or not to be: that is the question."
MAGIC_CELL = f'%%ygpt --once --system "{SYSTEM}"\n{PROMPT}'
RAW_CELL = ("_bench_text = ''\n"
            "for _bench_result in _bench_model.run_stream(_bench_messages):\n"
            "    _bench_text = _bench_result.alternatives[0].text\n")
EMPTY_CELL = "pass"
NOOP_CELL = f"%%bench_noop\n{PROMPT}"


def measure(quick: bool) -> list[Row]:
    runs, warmup = (1, 0) if quick else (150, 20)   # quick: each cell once, at the cloud's pace
    with server_process(*cloud_pace()) as address:
        shell = connected_shell(address)
        model = sdk_model(address)
        messages = [{"role": "system", "text": SYSTEM}, {"role": "user", "text": PROMPT}]
        shell.user_ns.update(_bench_model=model, _bench_messages=messages)
        magic_cell, raw_cell = Clocked(lambda: run_cell(shell, MAGIC_CELL)), Clocked(lambda: run_cell(shell, RAW_CELL))
        shell.register_magic_function(lambda line, cell: None, magic_kind="cell", magic_name="bench_noop")
        empty_cell = Clocked(lambda: run_cell(shell, EMPTY_CELL))
        noop_cell = Clocked(lambda: run_cell(shell, NOOP_CELL))
        magic, raw = interleaved(magic_cell, lambda: (raw_cell(), empty_cell(), noop_cell())[0], runs, warmup)
        assert shell.user_ns["_ygpt"].text == shell.user_ns["_bench_text"], "different replies"
        direct = [timed(lambda: list(model.run_stream(messages)))() for _ in range(runs)]
    return [_wall_row(magic, raw, direct, runs, warmup),
            _cpu_row(magic_cell.cpu[warmup:], raw_cell.cpu[warmup:], empty_cell.cpu[warmup:],
                     noop_cell.cpu[warmup:], runs, warmup)]


def _wall_row(magic: list[float], raw: list[float], direct: list[float], runs: int, warmup: int) -> Row:
    ratio = median(magic) / median(raw)
    return Row("1. per-cell overhead (%%ygpt / raw SDK cell)", f"≤ {TARGET:.2f}×", f"{ratio:.3f}×",
               f"raw SDK cell {ms(median(raw))}; %%ygpt {ms(median(magic))}", ratio <= TARGET,
               {"runs": f"{runs} interleaved pairs after {warmup} warm-up; serve {' '.join(cloud_pace())}",
                "median %%ygpt cell": ms(median(magic)), "median raw SDK cell": ms(median(raw)),
                "median raw run_stream, no cell": ms(median(direct)),
                "median of per-pair ratios": f"{median([m / r for m, r in zip(magic, raw)]):.3f}"})


def _cpu_row(magic: list[float], raw: list[float], empty: list[float], noop: list[float], runs: int,
             warmup: int) -> Row:
    """The ratio is the target's (the whole cells); the details split each cell into what IPython
    costs any cell (the empty cell), any cell magic (the empty cell magic) and the rest, so our
    code's own share reads off them."""
    ratio = median(magic) / median(raw)
    return Row("1b. main-thread CPU per cell (%%ygpt / raw SDK cell)", f"≤ {CPU_TARGET:.2f}×", f"{ratio:.3f}×",
               f"raw SDK cell {ms(median(raw))}; %%ygpt {ms(median(magic))}", ratio <= CPU_TARGET,
               {"runs": f"the same {runs} interleaved pairs after {warmup} warm-up",
                "median main-thread CPU, %%ygpt cell": ms(median(magic)),
                "median main-thread CPU, raw SDK cell": ms(median(raw)),
                "median main-thread CPU, empty cell (pass), after each raw SDK cell": ms(median(empty)),
                "median main-thread CPU, empty cell magic (%%bench_noop), after each raw SDK cell":
                    ms(median(noop)),
                "%%ygpt cell beyond the empty cell": ms(median(magic) - median(empty)),
                "%%ygpt cell beyond the empty cell magic (our code alone)": ms(median(magic) - median(noop)),
                "raw SDK cell beyond the empty cell": ms(median(raw) - median(empty)),
                "our code's share (%%ygpt cell - raw SDK cell)": ms(median(magic) - median(raw)),
                "median of per-pair ratios": f"{median([m / r for m, r in zip(magic, raw)]):.3f}"})


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
