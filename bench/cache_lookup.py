"""Reply cache lookups in a file of 100,000 entries vs one of 1,000, and the bytes per entry.

The file is made by the store and filled in bulk with SQLite (entries with the shape of a real
reply, about 600 characters of text each), then reopened through the store; each timed lookup is
what a replayed cell does before showing anything: the key of a one-turn request
(``request_key``) and the SQLite read, through ``Front.replayed``. Half the lookups are hits,
half misses, in random order. Target: the median lookup in the big file ≤ 1 ms; the small file
is the baseline of the same run.

    .venv/bin/python bench/cache_lookup.py [--quick]
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
from pathlib import Path

from benchlib import Row, interleaved, median, ms, run_main, timed

from ygpt_magic.cache import ReplyCache
from ygpt_magic.cache.key import request_key
from ygpt_magic.cache.store import Store, now
from ygpt_magic.chat import ChatSession, RequestOptions, plan

TARGET = 0.001
OPTIONS = RequestOptions(model="yandexgpt", format="markdown")
TEXT = "A plausible reply of a few sentences, as a cached answer would hold. " * 9
BATCH = 10_000


def prompt(index: int) -> str:
    return f"Question number {index}: what does the cache hold for it?"


def fill(path: Path, entries: int) -> None:
    """The store makes the file; the entries go in with one INSERT per batch (the store writes one
    entry per transaction, which would take minutes for 100,000)."""
    Store(path).close()
    recorded = now()
    with sqlite3.connect(path) as db:
        for start in range(0, entries, BATCH):
            db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", [
                (request_key(kind="reply", endpoint="other", options=OPTIONS,
                             messages=[{"role": "user", "text": prompt(i)}]),
                 json.dumps({"text": f"{i}. {TEXT}", "status": "FINAL", "model_version": "23.10.2024",
                             "usage": {"input_tokens": 12, "completion_tokens": 140,
                                       "reasoning_tokens": 0, "total_tokens": 152}, "tool_calls": []},
                            ensure_ascii=False, separators=(",", ":")),
                 recorded) for i in range(start, min(start + BATCH, entries))])
    db.close()


class Lookups:
    """Plans for hits and misses in random order, looked up one per call through a Front."""

    def __init__(self, path: Path, entries: int, seed: int) -> None:
        self.cache = ReplyCache(str(path))
        self.front = self.cache.front(lambda: None, target="HOST:1", where="bench", prompt="")
        session, rng = ChatSession(), random.Random(seed)
        indexes = [rng.randrange(entries) if n % 2 else entries + n for n in range(2000)]
        rng.shuffle(indexes)
        self.plans = [plan(session, prompt(i), options=OPTIONS) for i in indexes]
        self.position = 0

    def one(self) -> None:
        plan = self.plans[self.position % len(self.plans)]
        self.position += 1
        self.front.replayed_answer(plan.messages, plan.options)


def measure(quick: bool) -> list[Row]:
    big, small, runs = (5_000, 500, 200) if quick else (100_000, 1_000, 3_000)
    with tempfile.TemporaryDirectory() as folder:
        paths = {size: Path(folder, f"cache-{size}.sqlite") for size in (big, small)}
        for size, path in paths.items():
            fill(path, size)
        per_entry = sum(p.stat().st_size for p in Path(folder).glob(f"cache-{big}.sqlite*")) / big
        subject, baseline = Lookups(paths[big], big, 1), Lookups(paths[small], small, 2)
        looked, base = interleaved(timed(subject.one), timed(baseline.one), runs, warmup=100)
        hits = subject.cache.hits
    return [Row(f"14. cache lookup, {big:,} entries", f"≤ {ms(TARGET)} median", ms(median(looked)),
                f"{small:,} entries {ms(median(base))}; {per_entry:.0f} bytes per entry",
                median(looked) <= TARGET,
                {"runs": f"{runs} lookups each (half hits), interleaved, after 100 warm-up",
                 "hits in the big file": hits, "file size per entry": f"{per_entry:.0f} bytes",
                 "95th percentile, big file": ms(sorted(looked)[int(len(looked) * 0.95)])})]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
