"""A --map run that Restart & Run All replays whole from the reply cache says so in its summary,
as a replayed reply's footer does (`saved ≈0.06 ₽ · cached · recorded 2026-12-01`): it said only
"✓ 3 rows already answered for these prompts (reused); nothing was sent.", the words of a re-run
in the same kernel, and nothing of the cache, the tokens or what the replay saved.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from conftest import cell


def _restart(shell, server, cache) -> None:
    """Restart: a new kernel's state, the cache file kept, the notebook's setup cells run again."""
    cell(shell, "%reload_ext ygpt_magic")
    assert cell(shell, f"%ygpt connect {server.address} --insecure").ok
    assert cell(shell, f"%ygpt cache {cache}").ok


def test_a_map_run_replayed_whole_says_it_was_replayed_and_what_it_saved(shell, ygpt_server, tmp_path):
    cache = tmp_path / "replies.sqlite"
    shell.user_ns["reviews"] = ["Great sound.", "Broke after two weeks.", "Fine, I guess."]
    source = "%%ygpt --map reviews --out verdicts\nOne-word sentiment: {item}"
    assert cell(shell, f"%ygpt cache {cache}").ok
    assert cell(shell, source).ok and cell(shell, "%%ygpt --once\nHello").ok
    _restart(shell, ygpt_server, cache)
    cell(shell, "%%ygpt --once\nHello")
    footer = shell.user_ns["_ygpt"].summary()   # the single reply, replayed
    saved_words = re.search(r"saved ≈[\d.]+\s₽( at Yandex Cloud prices)?", footer)
    assert saved_words and footer.endswith(f"cached · recorded {_today()}"), footer

    _restart(shell, ygpt_server, cache)
    replayed = cell(shell, source)
    assert replayed.ok, replayed.message
    usage = shell.user_ns["_ygpt"].provenance["ygpt"]["usage"]
    tokens = f"{usage['input_tokens']} → {usage['completion_tokens']} tokens"
    summary = _summary(replayed)
    assert re.fullmatch(rf"✓ 3 rows replayed from the reply cache; nothing was sent · {tokens} · "
                        rf"saved ≈[\d.]+\s₽{saved_words[1] or ''} · cached · recorded {_today()}",
                        summary), summary
    amount = re.search(r"saved (≈[\d.]+\s₽)", summary)[1]
    assert f"saving {amount}" in cell(shell, "%ygpt cache").plain   # the kernel's own total: the same

    again = cell(shell, source)   # the same kernel: its own memory, not the cache
    said = "✓ 3 rows already answered for these prompts (3 from this kernel's earlier runs)"
    assert _summary(again).startswith(said), again.shown


def _summary(run) -> str:
    """The run's summary line, as a terminal prints it (Jupyter shows it where the bar was)."""
    return next(line for line in run.shown.splitlines() if line.startswith("✓"))


def _today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def test_a_row_repeating_one_the_cache_replayed_in_the_same_run_is_counted_as_the_caches(shell, ygpt_server,
                                                                                          tmp_path):
    """After a restart, the first 'Great sound.' was replayed from the reply cache and the second
    taken from the kernel's memory of that replay: the summary said '(1 from the reply cache, 1
    from this kernel's earlier runs)' in a kernel that had no earlier run."""
    cache = tmp_path / "replies.sqlite"
    shell.user_ns["reviews"] = ["Great sound.", "Fine, I guess.", "Great sound.", "Meh."]
    source = "%%ygpt --map reviews --out verdicts\nOne-word sentiment: {item}"
    assert cell(shell, f"%ygpt cache {cache}").ok
    assert cell(shell, source).ok
    _restart(shell, ygpt_server, cache)
    shell.user_ns["reviews"] = ["Great sound.", "Great sound.", "Something new."]
    ygpt_server.requests.clear()
    run = cell(shell, source)
    assert run.ok, run.message
    assert len(ygpt_server.requests) == 1   # the new row alone was sent
    assert _summary(run).startswith("✓ 1 answered (2 from the reply cache) · "), run.shown
    assert "earlier runs" not in run.shown
