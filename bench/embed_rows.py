"""``%ygpt embed`` and ``%ygpt similar`` at scale.

a. 10,000 short texts, the local server answering each after 20 ms, ``--concurrency 16``: the
   command's wall time against the ideal (texts × 20 ms / 16), and against a ``for`` loop over the
   SDK's ``text_embeddings("doc").run`` (what a user writes without it), same server, same run.
   Targets: ≤ 1.3 × the ideal, ≥ 12 × faster than the loop (the loop is timed over 500 texts and
   scaled: its time per text is flat).
b. ``%ygpt similar``'s ranking over 100,000 × 256 unit rows (what ``%ygpt embed`` returns): ms
   per query with numpy, and the pure-Python loop (a dot product per row, then sorted) it
   replaces, reported beside it; the one-time cost of making a ``--vectors`` matrix of other
   lengths unit rows is reported too. Target: ≤ 30 ms per query.

The server is ``ygpt-magic serve`` in its own process; the command runs in this process's shell.

    .venv/bin/python bench/embed_rows.py [--quick]
"""

from __future__ import annotations

import sys
import time

from benchlib import Row, connected_shell, median, run_main, run_rows_cell, server_process

LATENCY = 0.02
CONCURRENCY = 16
IDEAL_RATIO, LOOP_RATIO = 1.3, 12
QUERY_MS = 30
LOOP_TEXTS = 500


def embed_cell(shell, texts: int, tag: str) -> float:
    """Seconds for one ``%ygpt embed`` over ``texts`` new texts (``tag`` makes every text new)."""
    shell.user_ns["texts"] = [f"{tag} review {i}: fine" for i in range(texts)]
    return run_rows_cell(shell, f"%ygpt embed texts --out vectors --concurrency {CONCURRENCY} --no-cache", texts)


def sdk_loop(address: str, texts: int, tag: str) -> float:
    """Seconds per text for the loop a user writes today: the sync SDK, one run per text."""
    import warnings

    from ygpt_magic.emulator.testing import sdk_kwargs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from yandex_cloud_ml_sdk import YCloudML
    model = YCloudML(**sdk_kwargs(address)).models.text_embeddings("doc")
    model.run("warm up")
    started = time.perf_counter()
    vectors = [model.run(f"{tag} review {i}: fine").embedding for i in range(texts)]
    assert len(vectors) == texts
    return (time.perf_counter() - started) / texts


def embed_row(quick: bool) -> Row:
    texts = 2 * CONCURRENCY if quick else 10_000   # quick: two rounds
    with server_process("--latency", str(LATENCY)) as address:
        shell = connected_shell(address)
        embed_cell(shell, CONCURRENCY, "warm-up")
        cells = [embed_cell(shell, texts, f"run {n}") for n in range(1 if quick else 2)]
        per_text = sdk_loop(address, 4 if quick else LOOP_TEXTS, "loop")
    wall = median(cells)
    ideal = texts * LATENCY / CONCURRENCY
    loop = per_text * texts
    speedup = loop / wall
    return Row(f"embed a. %ygpt embed {texts:,} texts at {LATENCY * 1000:.0f} ms, --concurrency {CONCURRENCY}",
               f"≤ {IDEAL_RATIO}× ideal, ≥ {LOOP_RATIO}× the SDK loop",
               f"{wall:.2f} s ({wall / ideal:.2f}× ideal, {speedup:.1f}× faster)",
               f"ideal {ideal:.2f} s; for-loop over text_embeddings.run {loop:.1f} s "
               f"({per_text * 1000:.1f} ms a text)",
               wall <= IDEAL_RATIO * ideal and speedup >= LOOP_RATIO,
               {"command runs (s)": [round(c, 2) for c in cells]})


def python_rank(query: list[float], rows: list[list[float]], top: int) -> list[int]:
    """What the numpy ranking replaces: a cosine per row in Python, then a sort."""
    qn = sum(q * q for q in query) ** 0.5
    scores = []
    for position, row in enumerate(rows):
        dot = sum(a * b for a, b in zip(query, row))
        scores.append((dot / ((sum(a * a for a in row) ** 0.5) * qn), position))
    return [position for _, position in sorted(scores, reverse=True)[:top]]


def similar_row(quick: bool) -> Row:
    import numpy as np

    from ygpt_magic.rows.vectors import rank, unit_rows

    count = 10_000 if quick else 100_000
    generator = np.random.default_rng(7)
    raw = generator.standard_normal((count, 256)).astype(np.float32)
    started = time.perf_counter()
    vectors = unit_rows(raw)
    scaled_ms = (time.perf_counter() - started) * 1000
    queries = generator.standard_normal((5 if quick else 20, 256)).astype(np.float32)
    times = []
    for query in queries:
        started = time.perf_counter()
        best, _ = rank(query, vectors, 5)
        times.append(time.perf_counter() - started)
    per_query = median(times) * 1000
    subset = raw[:2000].tolist()
    started = time.perf_counter()
    python_rank(queries[0].tolist(), subset, 5)
    python_ms = (time.perf_counter() - started) * 1000 * count / len(subset)
    return Row(f"embed b. %ygpt similar over {count:,} × 256 vectors", f"≤ {QUERY_MS} ms a query (numpy)",
               f"{per_query:.1f} ms a query", f"pure-Python loop {python_ms:,.0f} ms a query "
               f"({python_ms / per_query:,.0f}× slower; timed over 2,000 rows, scaled); "
               f"--vectors of other lengths made unit rows once: {scaled_ms:.0f} ms",
               per_query <= QUERY_MS, {"query runs (ms)": [round(t * 1000, 1) for t in times]})


def measure(quick: bool) -> list[Row]:
    return [embed_row(quick), similar_row(quick)]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
