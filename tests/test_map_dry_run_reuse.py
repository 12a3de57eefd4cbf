"""%%ygpt --map --dry-run after a partial run (rows3.md R5): it prices what the run would send,
leaving out the rows it would reuse (this kernel's memo, the reply cache after a restart)."""

from __future__ import annotations

import pandas as pd
from conftest import cell, completions

TEMPLATE = "Write a haiku about: {text}"


def reviews(n: int) -> pd.DataFrame:
    return pd.DataFrame({"text": [f"review number {i}" for i in range(n)]})


def test_a_dry_run_after_a_partial_run_counts_only_the_rows_still_to_send(shell, ygpt_server):
    shell.user_ns["df"] = reviews(10)
    shell.user_ns["first"] = shell.user_ns["df"].iloc[:6]
    assert cell(shell, f"%%ygpt --map first --out r\n{TEMPLATE}").ok
    dry = cell(shell, f"%%ygpt --map df --out r --dry-run\n{TEMPLATE}")
    assert dry.ok, dry.message
    assert "10 rows (6 already answered, reused; 4 to send)" in dry.final, dry.final[:300]
    assert "review number 0" not in dry.final and "review number 6" in dry.final
    ygpt_server.requests.clear()
    assert cell(shell, f"%%ygpt --map df --out r\n{TEMPLATE}").ok
    assert len(completions(ygpt_server)) == 4


def test_after_a_restart_the_reply_cache_is_what_the_dry_run_leaves_out(shell, ygpt_server, tmp_path):
    use_cache = f"%ygpt cache {tmp_path}/replies.sqlite"
    cell(shell, use_cache)
    shell.user_ns["df"] = reviews(5)
    shell.user_ns["first"] = shell.user_ns["df"].iloc[:3]
    assert cell(shell, f"%%ygpt --map first --out r\n{TEMPLATE}").ok
    shell.extension_manager.reload_extension("ygpt_magic")   # what a kernel restart leaves
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    cell(shell, use_cache)
    dry = cell(shell, f"%%ygpt --map df --out r --dry-run\n{TEMPLATE}")
    assert "5 rows (3 already answered, reused; 2 to send)" in dry.final, dry.final[:300]


def test_in_replay_mode_a_row_with_no_recording_is_a_row_to_send(shell, ygpt_server, tmp_path):
    """CI prices a --map cell that would miss, instead of refusing it: the dry run reads the
    cache as Front.peeking does (and reads no file to explain a miss it does not raise)."""
    use_cache = f"%ygpt cache {tmp_path}/replies.sqlite"
    cell(shell, use_cache)
    shell.user_ns["df"] = reviews(5)
    shell.user_ns["first"] = shell.user_ns["df"].iloc[:3]
    assert cell(shell, f"%%ygpt --map first --out r\n{TEMPLATE}").ok
    assert cell(shell, f"%%ygpt --map df --out r --dry-run\n{TEMPLATE}").ok   # its token counts recorded
    shell.extension_manager.reload_extension("ygpt_magic")
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    cell(shell, f"{use_cache} --mode replay")
    dry = cell(shell, f"%%ygpt --map df --out r --dry-run\n{TEMPLATE}")
    assert dry.ok, dry.message
    assert "5 rows (3 already answered, reused; 2 to send)" in dry.final, dry.final[:300]
