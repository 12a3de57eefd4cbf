"""--docs over 1,000 files (about 20 MB): the first index build (chunks/s, RSS growth) and a
second cell over the same unchanged files (embedding requests, time to find its sources).

The files are Markdown made here (headings, paragraphs of words drawn from a vocabulary, a
seeded generator, so every run reads the same 20 MB). The embed function is a stand-in that
costs microseconds (a seeded random vector per text), so what is measured is ygpt_magic's own
work (finding, reading, hashing, chunking, indexing, ranking), not a server's; against the cloud
each embedding is a request and the build is bounded by the quota instead. Baselines of the same
run: chunking alone for the build, reading and hashing the files alone for the second cell.
Targets (issue 25): RSS growth ≤ 200 MB for the build; 0 embedding requests and retrieval
(gather over the unchanged files, ranking, fitting, the sources block) ≤ 100 ms for the second.

    .venv/bin/python bench/docs_index.py [--quick]
"""

from __future__ import annotations

import hashlib
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from benchlib import Row, median, ms, peak_rss_mb, rss_mb, run_main

from ygpt_magic.sources import Index, best, chunk, find, fit, gather, sources_block
from ygpt_magic.sources.index import digest_of
from ygpt_magic.sources.reading import parts, read

RSS_MB, RETRIEVAL = 200, 0.100
DIMENSIONS, TOP_K, BUDGET = 256, 5, 6000
FILE_BYTES = 20_000
WORDS = [f"{stem}{suffix}" for stem in ("revenue", "cost", "office", "cloud", "model", "report", "team",
                                        "quarter", "index", "search", "answer", "budget", "plan", "risk")
         for suffix in ("", "s", "ing", "ed", "al", "ity", "er", "ness")]


def write_files(folder: Path, count: int) -> int:
    """``count`` Markdown files of about FILE_BYTES each; returns the bytes written."""
    rng, total = random.Random(25), 0
    for number in range(count):
        sections = []
        while sum(map(len, sections)) < FILE_BYTES:
            paragraphs = [" ".join(rng.choices(WORDS, k=rng.randint(40, 120))) + "." for _ in range(rng.randint(2, 5))]
            sections.append(f"## Section {len(sections) + 1}\n\n" + "\n\n".join(paragraphs))
        text = f"# Document {number}\n\n" + "\n\n".join(sections) + "\n"
        path = folder / f"part{number // 100:02d}" / f"doc{number:04d}.md"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        total += len(text.encode())
    return total


class Embed:
    """A seeded random unit vector per text; counts its calls and texts."""

    def __init__(self) -> None:
        self.calls = self.texts = 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return np.stack([np.random.default_rng(int(hashlib.sha1(text.encode()).hexdigest()[:15], 16))
                         .standard_normal(DIMENSIONS, dtype=np.float32) for text in texts])


def chunking_alone(folder: Path) -> tuple[int, float]:
    """Chunks and seconds for finding, reading and chunking the files, with no index."""
    started, count = time.perf_counter(), 0
    for file in find("docs", folder).files:
        count += len(chunk(parts(file, read(file))))
    return count, time.perf_counter() - started


def hashing_alone(folder: Path) -> float:
    started = time.perf_counter()
    for file in find("docs", folder).files:
        digest_of(read(file))
    return time.perf_counter() - started


def second_cell(index: Index, folder: Path, embed: Embed) -> float:
    """Seconds from PATHS to the sources block, the files unchanged."""
    started = time.perf_counter()
    library = gather("docs", index, embed, base=folder)
    hits = best(index, library.documents, embed(["what is the revenue risk this quarter?"])[0], TOP_K)
    sources_block(fit(hits, BUDGET).hits)
    return time.perf_counter() - started


def measure(quick: bool) -> list[Row]:
    count, runs = (50, 3) if quick else (1000, 9)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "docs").mkdir()
        size = write_files(folder / "docs", count)
        chunks, alone = chunking_alone(folder)
        before, embed = rss_mb(), Embed()
        index = Index(folder / "ygpt.sources.sqlite", "doc")
        started = time.perf_counter()
        built = gather("docs", index, embed, base=folder)
        seconds = time.perf_counter() - started
        grown = peak_rss_mb() - before
        again = Embed()
        times = [second_cell(index, folder, again) for _ in range(runs)]
        file_embeds = again.texts - again.calls  # each call embeds the question (1 text); the rest are files
        hashing = median([hashing_alone(folder) for _ in range(runs)])
        index_mb = sum(p.stat().st_size for p in folder.glob("ygpt.sources.sqlite*")) / 1e6
    rate = built.embedded / seconds
    return [
        Row(f"16a. --docs first index build, {count:,} files / {size / 1e6:.0f} MB", f"RSS growth ≤ {RSS_MB} MB",
            f"{rate:,.0f} chunks/s, RSS +{grown:.0f} MB", f"chunking alone {chunks / alone:,.0f} chunks/s",
            grown <= RSS_MB,
            {"chunks": built.embedded, "embed calls": embed.calls, "build seconds": f"{seconds:.2f}",
             "index file": f"{index_mb:.1f} MB", "peak RSS growth": f"{grown:.1f} MB"}),
        Row("16b. --docs second cell, unchanged files", f"0 embeddings, ≤ {ms(RETRIEVAL)}",
            f"{file_embeds} embeddings, {ms(median(times))}", f"reading and hashing alone {ms(hashing)}",
            file_embeds == 0 and median(times) <= RETRIEVAL,
            {"runs": f"{runs} second cells; median", "slowest": ms(max(times))}),
    ]


if __name__ == "__main__":
    sys.exit(run_main(measure, __doc__.splitlines()[0]))
