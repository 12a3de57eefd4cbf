"""The "used" notes of replays (cache/notes.py) and the store closing or clearing at the same
moment (review14 B4): the timer took the pending notes outside the store's lock, so a close
between that take and the write reported them written and dropped them, and ``clear
--older-than`` (then, or in a later session) deleted an entry replayed a moment before. Each
story is looped, closing or clearing while the timer writes, since the race is a moment wide."""

from __future__ import annotations

import random
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

from ygpt_magic.cache import notes as notes_module
from ygpt_magic.cache import store as store_module
from ygpt_magic.cache.notes import MARK_EVERY, PendingNotes, now
from ygpt_magic.cache.store import Store

LONG_AGO = "2000-01-01T00:00:00Z"
ROUNDS = 80


@pytest.fixture
def quick_notes(monkeypatch):
    """Notes written a moment after the replay, not 2 s later: the timer runs as the test ends."""
    monkeypatch.setattr(store_module, "NOTES_WAIT", 0.002)


@contextmanager
def timer_pausing_after_take() -> Iterator[threading.Event]:
    """The notes' timer thread, once it has taken the pending notes, waits a moment (50 ms)
    before going on, and sets the event it yields: the widest the race between its take and
    its write can be, so a close or clear then lands inside it every time."""
    taken = threading.Event()

    def tracer(frame: FrameType, event: str, _arg: object):
        if event == "call" and frame.f_code.co_name == "take" and frame.f_globals["__name__"] == notes_module.__name__:
            return after_take
        return None

    def after_take(frame: FrameType, event: str, _arg: object):
        if event == "return" and not taken.is_set():
            taken.set()
            time.sleep(0.05)
        return after_take

    threading.settrace(tracer)   # the threads started from now on: the timer's
    try:
        yield taken
    finally:
        threading.settrace(None)  # type: ignore[arg-type]


def replayed(path, key: str) -> tuple[Store, str]:
    """A store whose entry ``key``, recorded long ago, was replayed now; the replay's time (to
    the second, as ``clear --older-than`` would be given it)."""
    store = Store(path)
    store.put(key, {"reply": "kept"}, recorded=LONG_AGO)
    at = now()
    assert store.get(key) is not None
    store.mark_used(key)
    return store, at


def survives_clear(path, key: str, before: str) -> bool:
    """Whether ``key``'s entry is still there after ``clear`` of what was not used since ``before``."""
    store = Store(path)
    try:
        store.clear(before=before)
        return store.get(key) is not None
    finally:
        store.close()


@pytest.mark.parametrize("end", ["close", "clear"])
def test_an_entry_replayed_as_the_timer_writes_its_note_survives_clear_older_than(tmp_path, quick_notes, end):
    """The store closes (the kernel ends), or the cache is cleared, while the timer holds the
    notes it took and has not written yet."""
    path = tmp_path / "replies.sqlite"
    with timer_pausing_after_take() as taken:
        store, at = replayed(path, "old entry")
        assert taken.wait(5), "the timer never wrote the note"
        if end == "clear":
            store.clear(before=at)
        store.close()
    assert survives_clear(path, "old entry", at), f"the note of the replay was dropped by the {end}"


@pytest.mark.slow
def test_entries_replayed_as_the_store_closes_survive_clear_older_than_looped(tmp_path, quick_notes):
    """The same race left to chance: the panel's thread writes replies meanwhile (so the timer
    often waits for the store), and the kernel closes it at about the moment the note is due."""
    path = tmp_path / "replies.sqlite"
    for round_ in range(ROUNDS):
        key = f"entry {round_}"
        store, at = replayed(path, key)
        writing = threading.Event()
        panel = threading.Thread(target=lambda: _write_until(store, writing))
        panel.start()
        time.sleep(random.uniform(0, 0.004))
        store.close()
        writing.set()
        panel.join()
        assert survives_clear(path, key, at), f"round {round_}: the note of the replay was dropped"


def _write_until(store: Store, done: threading.Event) -> None:
    """Record replies until ``done`` or the store is closed."""
    while not done.is_set():
        try:
            store.put("the panel's", {"reply": "another"})
        except Exception:   # closed under it: the panel's write fails, as it would
            return


@pytest.mark.slow
def test_the_moments_kept_to_note_a_key_once_a_minute_stay_bounded():
    """A long session that replays 50,000 keys once each kept 50,000 moments: a key noted
    more than MARK_EVERY ago is noted again anyway, so its moment is worth nothing."""
    clock = [0.0]
    notes = PendingNotes(lambda _: True, wait=3600, clock=lambda: clock[0])
    tracemalloc.start()
    try:
        held = tracemalloc.get_traced_memory()[0]
        for n in range(50_000):
            clock[0] = n * 0.2
            notes.add(f"key {n}")
            if n % 1000 == 0:
                notes.take()   # as the timer writes them
        notes.take()
        grown = tracemalloc.get_traced_memory()[0] - held
    finally:
        tracemalloc.stop()
    assert grown < 1_000_000, f"{grown:,} bytes held for 50,000 keys replayed over 2.8 hours"
    notes.add("key 49999")
    assert notes.take() == {}, "a key noted within the minute is not noted twice"
    clock[0] += MARK_EVERY
    notes.add("key 49999")
    assert list(notes.take()) == ["key 49999"], "a minute later it is noted again"
    notes.stop()
