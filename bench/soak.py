"""Soak: many `%%ygpt` cells in one shell against the local server, with random injected faults.

    .venv/bin/python bench/soak.py --cells 1000            # the long run (a few minutes at most)
    .venv/bin/python bench/soak.py --cells 200 --seed 7    # what `make test` runs (tests/test_soak.py)

Each cell picks a chat (of a few), a mode (stream, --no-stream, --once, --deferred) and, about a
third of the time, a fault from FAULTS, injected through the server's fault API on loopback. After
every cell the soak checks what a user relies on: a failed cell shows one clear paragraph of the
expected kind (the same check as the tests: tests/cellrun.py) and leaves every chat exactly as it
was; a good cell adds exactly its turn. At the end each chat's prompts must equal the model kept
here (no lost, duplicated or reordered turns, so the turn count equals the recorded successes),
and RSS growth after warm-up must stay under a loose bound. Seeded, bounded in time; the exit
code is 1 when an invariant broke.

Retries are fast here (YGptMagics.retries = 2, retry_backoff = 0.05 s): the default policy's
1.5–5 s sleeps would make a thousand cells take hours; tests/test_faults.py covers the default.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' definition of "a clear message"

from cellrun import assert_clear_error, run  # noqa: E402

CHATS = 6
RETRIES = 2
#: what a stream may stay silent: short, so the stalls injected end quickly, and longer than the SDK's
#: retries of a RESOURCE_EXHAUSTED take on a busy machine (0.5 s was not, with make test's two
#: workers: the retries' silence then read as a stall)
STALL_TIMEOUT = 1.0
MODES = ("", "", "", "--no-stream", "--once", "--deferred")  # streaming is what users do most


@dataclass(frozen=True)
class Fault:
    """How to inject one fault, the error users must see, and the modes it applies to."""

    inject: Callable
    error: str | None  # errors.py class name; None: retried by the SDK and the cell succeeds
    modes: tuple[str, ...] = ("", "--no-stream", "--once")


def _fail(code: str, times: int = 1) -> Callable:
    return lambda server: server.faults.fail_next(times, code)


FAULTS: dict[str, Fault] = {
    "UNAUTHENTICATED": Fault(_fail("UNAUTHENTICATED"), "AuthFailed"),
    "PERMISSION_DENIED": Fault(_fail("PERMISSION_DENIED"), "PermissionDenied"),
    "RESOURCE_EXHAUSTED after retries": Fault(_fail("RESOURCE_EXHAUSTED", RETRIES + 1), "QuotaExceeded"),
    "UNAVAILABLE after retries": Fault(_fail("UNAVAILABLE", RETRIES + 1), "ServerBusy"),
    "RESOURCE_EXHAUSTED once (retried)": Fault(_fail("RESOURCE_EXHAUSTED"), None),
    "INVALID_ARGUMENT": Fault(_fail("INVALID_ARGUMENT"), "RequestRejected"),
    "NOT_FOUND": Fault(_fail("NOT_FOUND"), "ModelNotFound"),
    "DEADLINE_EXCEEDED": Fault(_fail("DEADLINE_EXCEEDED"), "ServerGaveUp"),
    "INTERNAL": Fault(_fail("INTERNAL"), "ServerFailed"),
    "stream broken (INTERNAL)": Fault(lambda s: s.faults.break_stream_after(2, "INTERNAL"), "StreamBroken", ("",)),
    "stream broken once (retried)": Fault(lambda s: s.faults.break_stream_after(2, "UNAVAILABLE"), None, ("",)),
    "stall mid-stream": Fault(lambda s: s.faults.stall_after(1, 3.0), "StreamStalled", ("",)),
}


def rss_mb() -> float:
    """Resident memory of this process now (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class SoakResult:
    cells: int = 0
    successes: int = 0
    turns: int = 0
    faults: Counter = field(default_factory=Counter)
    modes: Counter = field(default_factory=Counter)
    rss_start: float = 0.0
    rss_end: float = 0.0
    elapsed: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        faults = ", ".join(f"{name} {count}" for name, count in sorted(self.faults.items()))
        return (f"{self.cells} cells in {self.elapsed:.1f} s: {self.successes} succeeded, "
                f"{sum(self.faults.values())} faults injected ({faults}); {self.turns} turns in the "
                f"chats; RSS {self.rss_start:.1f} MB after warm-up → {self.rss_end:.1f} MB at the end "
                f"({self.rss_end - self.rss_start:+.1f} MB); {len(self.problems)} problems")


def run_soak(shell, server, *, cells: int, seed: int, time_limit: float,
             fault_rate: float = 0.33, warmup: int = 20) -> SoakResult:
    """Run up to `cells` cells (stopping at `time_limit` seconds) and check every invariant."""
    magics = shell.magics_manager.registry["YGptMagics"]
    magics.retries, magics.retry_backoff = RETRIES, 0.05
    magics.stream_timeout, magics.poll_interval = STALL_TIMEOUT, 0.02
    server.operation_delay = 0.02
    session, rng, result = magics.kernel.session, random.Random(seed), SoakResult()
    expected = {name: [turn.prompt for turn in chat.turns] for name, chat in session.chats.items()}
    run_id = time.monotonic_ns()  # cell ids never repeat, so no cell rewinds its chat
    started = time.monotonic()
    for index in range(cells):
        if time.monotonic() - started > time_limit:
            break
        if index == warmup:
            result.rss_start = rss_mb()
        chat, mode = f"soak{rng.randrange(CHATS)}", rng.choice(MODES)
        if mode == "--once" and chat not in session.chats:
            mode = ""  # --once borrows an existing chat's options
        applicable = [name for name, f in FAULTS.items() if mode in f.modes]
        fault = rng.choice(applicable) if applicable and rng.random() < fault_rate else None
        prompt = f"Soak cell {index}: tell me something about the number {rng.randrange(10_000)}."
        before = session.to_dict()
        if fault is not None:
            FAULTS[fault].inject(server)
            result.faults[fault] += 1
        cell = run(shell, f"%%ygpt --chat {chat} {mode}\n{prompt}", cell_id=f"soak-{run_id}-{index}")
        server.faults.clear()
        server.requests.clear()  # the server's test log keeps every message of every request
        result.cells, result.modes[mode or "stream"] = result.cells + 1, result.modes[mode or "stream"] + 1
        expected_error = FAULTS[fault].error if fault else None
        _check(result, index, cell, expected_error, before, session)
        if cell.ok:
            result.successes += 1
            if mode != "--once":
                expected.setdefault(chat, []).append(prompt)
    result.elapsed = time.monotonic() - started
    result.rss_end = rss_mb()
    result.rss_start = result.rss_start or result.rss_end
    result.turns = sum(len(chat.turns) for chat in session.chats.values())
    for name, prompts in expected.items():
        if [turn.prompt for turn in session.chat(name).turns] != prompts:
            result.problems.append(f"chat {name}: its turns are not the {len(prompts)} successful prompts in order")
    recorded = sum(len(prompts) for prompts in expected.values())
    if result.turns != recorded:
        result.problems.append(f"{result.turns} turns in the chats but {recorded} recorded successes")
    return result


def _check(result: SoakResult, index: int, cell, expected_error: str | None, before: dict, session) -> None:
    """One cell's invariants; a broken one is recorded as a problem, the soak goes on."""
    try:
        if expected_error is None:
            assert cell.ok, f"expected success, got: {cell.message or cell.shown[-300:]}"
            return
        assert_clear_error(cell)
        shown = type(getattr(cell.error, "error", cell.error)).__name__
        assert shown == expected_error, f"expected {expected_error}, got {shown}: {cell.message}"
        assert session.to_dict() == before, "the failed cell changed the chats"
    except AssertionError as problem:
        result.problems.append(f"cell {index}: {str(problem).splitlines()[0]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--time-limit", type=float, default=900, metavar="SECONDS")
    parser.add_argument("--max-rss-growth", type=float, default=50, metavar="MB")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "bench"))
    from benchlib import connected_shell, use_local_env

    from ygpt_magic.emulator import start_local_server

    use_local_env()
    with start_local_server() as server:
        result = run_soak(connected_shell(server.address), server, cells=args.cells, seed=args.seed,
                          time_limit=args.time_limit)
    print(result.summary())
    for problem in result.problems[:20]:
        print(f"  problem: {problem}")
    growth = result.rss_end - result.rss_start
    if growth > args.max_rss_growth:
        print(f"  problem: RSS grew {growth:.1f} MB (bound {args.max_rss_growth:g} MB)")
    return 1 if result.problems or growth > args.max_rss_growth else 0


if __name__ == "__main__":
    sys.exit(main())
