"""A two-round tool cell: ``%%ygpt --tools get_sales`` vs the same exchange written with the raw SDK.

Both run in this process's IPython shell (``run_cell``, outputs captured) against one local server
in its own process answering at the cloud's pace (first chunk after 100 ms, then 20 ms apart:
``benchlib.cloud_pace``), for the same scripted exchange (tutorial 06's "How did the north region
do?": the model calls ``get_sales(region="north")``, gets its result, answers), warmed up and
interleaved. The baseline is what a user writes by hand: ``model.run(messages)``, dispatch each
tool call to the function, ``model.run`` again with the result appended, on a model configured
once with the tool. Both sides are unary (``--no-stream``); the streamed cell is in the details.
The ratio of the medians is the price of declaring the function from its signature, validating
the arguments, the loop, rendering the call's line and the answer, and recording, where the
user feels it. Target: ≤ 1.03.

    .venv/bin/python bench/tool_cell.py [--quick]
"""

from __future__ import annotations

import sys

from benchlib import (
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
PROMPT = "How did the north region do?"
FUNCTION = ('def get_sales(region: str) -> int:\n'
            '    """Sales rows of one region: north, south, east or west."""\n'
            '    return 240\n')
MAGIC_CELL = f"%%ygpt --once --no-stream --tools get_sales\n{PROMPT}"
STREAMED_CELL = f"%%ygpt --once --tools get_sales\n{PROMPT}"
RAW_CELL = ("_bench_first = _bench_model.run(_bench_messages)\n"
            "_bench_results = [{'name': call.function.name,\n"
            "                   'content': str(globals()[call.function.name](**call.function.arguments))}\n"
            "                  for call in _bench_first.tool_calls]\n"
            "_bench_text = _bench_model.run([*_bench_messages, _bench_first,\n"
            "                                {'tool_results': _bench_results}]).text\n")
PARAMETERS = {"type": "object", "properties": {"region": {"type": "string"}}, "required": ["region"]}


def measure(quick: bool) -> list[Row]:
    runs, warmup, streamed_runs = (1, 0, 1) if quick else (100, 15, 50)   # quick: each cell once
    with server_process(*cloud_pace()) as address:
        shell = connected_shell(address)
        run_cell(shell, FUNCTION)
        plain = sdk_model(address)
        tool = plain._sdk.tools.function(name="get_sales", parameters=PARAMETERS,
                                         description="Sales rows of one region: north, south, east or west.")
        shell.user_ns.update(_bench_model=plain.configure(tools=[tool]),
                             _bench_messages=[{"role": "user", "text": PROMPT}])
        magic, raw = interleaved(timed(lambda: run_cell(shell, MAGIC_CELL)),
                                 timed(lambda: run_cell(shell, RAW_CELL)), runs, warmup)
        assert shell.user_ns["_ygpt"].text == shell.user_ns["_bench_text"], "different replies"
        assert [c.name for c in shell.user_ns["_ygpt"].tool_calls] == ["get_sales"], "no tool call"
        streamed = [timed(lambda: run_cell(shell, STREAMED_CELL))() for _ in range(streamed_runs)]
    ratio = median(magic) / median(raw)
    return [Row("11. two-round tool cell (%%ygpt --tools / raw SDK run, dispatch, run)", f"≤ {TARGET:.2f}×",
                f"{ratio:.3f}×", f"raw SDK cell {ms(median(raw))}; %%ygpt {ms(median(magic))}",
                ratio <= TARGET,
                {"runs": f"{runs} interleaved pairs after {warmup} warm-up; serve {' '.join(cloud_pace())}",
                 "median %%ygpt --tools --no-stream cell": ms(median(magic)),
                 "median raw SDK cell (run, dispatch, run)": ms(median(raw)),
                 "median %%ygpt --tools cell, streamed": ms(median(streamed)),
                 "median of per-pair ratios": f"{median([m / r for m, r in zip(magic, raw)]):.3f}"})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
