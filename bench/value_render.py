"""`{df}` of a 10⁶ × 500 DataFrame: how long context/values.py takes to render it for a prompt.

The subject is ``values.render`` with the default limits (20 rows, 20 columns, 8,000 characters),
what `%%ygpt` does for `{df}` before anything is sent; the baseline, in the same run, is
``str(df)``, pandas' own truncated repr (what `{df}` sent before context/values.py). The frame is float64
zeros built without a copy, so building it is free and only the rows read are touched. Target:
median ≤ 50 ms.

    .venv/bin/python bench/value_render.py [--quick]
"""

from __future__ import annotations

from benchlib import Row, interleaved, median, ms, run_main, timed

TARGET = 0.050
ROWS, COLUMNS = 10**6, 500


def measure(quick: bool) -> list[Row]:
    import numpy as np
    import pandas as pd

    from ygpt_magic.context.values import Limits, render

    frame = pd.DataFrame(np.zeros((ROWS, COLUMNS)), copy=False)
    runs, warmup = (1, 0) if quick else (30, 2)
    rendered = render(frame, Limits(), "{df}")
    subject, baseline = interleaved(timed(lambda: render(frame, Limits(), "{df}")),
                                    timed(lambda: str(frame)), runs, warmup)
    seconds = median(subject)
    return [Row("9. {df} of a 10⁶ × 500 DataFrame rendered", f"≤ {ms(TARGET)}", ms(seconds),
                f"str(df) {ms(median(baseline))}", seconds <= TARGET,
                {"runs": f"{runs} interleaved after {warmup} warm-up", "characters sent": len(rendered.text),
                 "note": rendered.summary})]


if __name__ == "__main__":
    raise SystemExit(run_main(measure, __doc__.splitlines()[0]))
