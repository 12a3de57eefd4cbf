"""A server that echoes the kernel's own key in row answers: ``--map``, ``--batch`` and ``--labels``
rows hold it masked, as a cell's reply does (test_secrets_echoed.py), and it is kept nowhere.

A gateway in debug mode answering every row "you are authorized as Api-Key AQVN…" put the key
in full in the results (``--out``, ``_ygpt.results``), the shown Series, the reply cache file the
guide says to commit, and kept it in the kernel's memo of answered rows, since row answers did
not pass the step a cell's answer passes (exchange.taken_in). Each row answer is now taken in
through it where the rows take it (rows/run.py ``RowState.accept``), whichever way it came: sent,
replayed from the reply cache or the memo, a batch job's, one attached after a restart. An
embedding's model version is masked where every embedding's answer comes in
(client/embeddings.py), for ``%ygpt embed``, ``%ygpt similar`` and ``--docs`` indexing alike;
a batch job's row errors and reason for failing where they come in (client/batch.py BatchJobs),
as a ``--map`` row's error is where gRPC's comes in (client/rpc_errors.py).
Through the real shell, the unmodified SDK and a local server scripted to echo the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pandas as pd
import pytest
from cellrun import LOST_EXCEPTIONS, run
from conftest import TEST_KEY
from test_secrets_echoed import MASKED, shown_with_metadata

from ygpt_magic.emulator import LocalServer, start_local_server
from ygpt_magic.emulator import batch as emulator_batch
from ygpt_magic.emulator import stream as emulator_stream
from ygpt_magic.emulator import vectors as emulator_vectors
from ygpt_magic.emulator.services import text_classification

pytestmark = [*LOST_EXCEPTIONS]

ROWS = 20
#: what of the key no mask shows: a table cut short still shows it, as pandas cuts long texts
PART = TEST_KEY[:10]
#: a key the kernel uses while the cache records the echo (it is not the echoed one)
OTHER_KEY = "AQVNanotherkey9876543210zyxwv"


def echo(number: int) -> str:
    return f"[debug] you are authorized as Api-Key {TEST_KEY}. Row {number} done."


@pytest.fixture
def echoing(shell, tmp_path) -> Iterator[LocalServer]:
    """The shell connected to a server of its own that echoes the key to "row N", with a
    reply cache; a frame of ROWS rows to map over."""
    script = tmp_path / "echo.json"
    replies = [{"user": f"row {n}", "reply": echo(n)} for n in range(ROWS)]
    script.write_text(json.dumps({"replies": replies}), encoding="utf-8")
    shell.user_ns["frame"] = pd.DataFrame({"n": range(ROWS)})
    with start_local_server(scripts=[script], batch_row_delay=0.0) as server:
        shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
        shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
        assert run(shell, f"%ygpt cache {tmp_path / 'replies.sqlite'}").ok
        yield server


def assert_kept_nowhere(shell, tmp_path, *shown: str) -> None:
    """The key (or its start, as a table cut short shows it) is in none of ``shown``, ``_ygpt``,
    the reply cache file, ``%ygpt provenance`` and ``%ygpt usage``."""
    done = shell.user_ns["_ygpt"]
    looked_at = [*shown, repr(done.results), repr(done.errors), repr(done.raw), done.summary,
                 run(shell, "%ygpt provenance").shown, run(shell, "%ygpt usage").shown]
    assert not [text for text in looked_at if PART in text], looked_at
    assert PART.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("replies.sqlite*"))


def assert_rows_masked(answers: pd.Series) -> None:
    assert list(answers) == [f"[debug] you are authorized as Api-Key {MASKED}. Row {n} done." for n in range(ROWS)]


def test_map_rows_echoing_the_key_hold_it_masked_and_keep_it_nowhere(shell, echoing, tmp_path, monkeypatch):
    monkeypatch.setattr(emulator_stream, "served_by", lambda generation: f"proxy-debug auth=Api-Key {TEST_KEY}")
    shown, metadata = shown_with_metadata(shell, "%%ygpt --map frame --out answers\nrow {n}")
    assert f"✓ {ROWS} answered" in shown, shown
    assert_rows_masked(shell.user_ns["answers"])
    printed, printed_metadata = shown_with_metadata(shell, "answers")   # the Series in the notebook
    assert "Api-Key AQVN…x9Q" in printed, printed
    assert_kept_nowhere(shell, tmp_path, shown, metadata, printed, printed_metadata)


def test_rows_replayed_from_the_memo_or_the_cache_come_masked(shell, echoing, tmp_path, monkeypatch, magics):
    """Rows answered while the echoed key was not the kernel's (recorded in full then), replayed
    once it is: from this kernel's memo, and from the reply cache after a restart."""
    monkeypatch.setenv("YC_API_KEY", OTHER_KEY)
    source = "%%ygpt --map frame --out answers\nrow {n}"
    assert run(shell, source).ok
    assert TEST_KEY in shell.user_ns["answers"][0]   # not a key of this kernel's: the model's word
    monkeypatch.setenv("YC_API_KEY", TEST_KEY)
    from_memo = run(shell, source)
    assert from_memo.ok and f"{ROWS} rows already answered" in from_memo.stdout, from_memo.stdout
    assert_rows_masked(shell.user_ns["answers"])
    magics.kernel.row_memo.clear()   # as after a kernel restart: only the reply cache is left
    replayed = run(shell, source)
    assert replayed.ok and f"{ROWS} rows replayed from the reply cache" in replayed.stdout, replayed.stdout
    assert_rows_masked(shell.user_ns["answers"])
    assert PART not in replayed.shown + repr(shell.user_ns["_ygpt"].results)


def test_batch_rows_echoing_the_key_hold_it_masked_also_when_attached_after_a_restart(shell, echoing, tmp_path,
                                                                                       magics):
    shown, metadata = shown_with_metadata(shell, "%%ygpt --map frame --batch --model gemma-3-12b-it --out answers\n"
                                                 "row {n}")
    assert f"✓ {ROWS} answered" in shown, shown
    assert_rows_masked(shell.user_ns["answers"])
    assert_kept_nowhere(shell, tmp_path, shown, metadata)
    task_id = shell.user_ns["_ygpt"].task_id
    magics.kernel.batch_jobs.clear()   # as after a kernel restart: the job is found by its id alone
    magics.kernel.row_memo.clear()
    attached, attached_metadata = shown_with_metadata(shell, f"%ygpt batch attach {task_id} --out again")
    assert list(shell.user_ns["again"]) == list(shell.user_ns["answers"]), attached
    assert_kept_nowhere(shell, tmp_path, attached, attached_metadata)


def test_labels_rows_whose_model_version_echoes_the_key_keep_it_nowhere(shell, echoing, tmp_path, monkeypatch):
    """A classifier behind the same gateway reports the key in its model version: the rows'
    answers (each kept in the memo and the reply cache) hold it masked."""
    monkeypatch.setattr(text_classification, "SCORED", f"proxy-debug auth=Api-Key {TEST_KEY}")
    shown, metadata = shown_with_metadata(shell, "%%ygpt --map frame --labels even,odd --out labels\nrow {n}")
    assert f"✓ {ROWS} answered" in shown, shown
    assert list(shell.user_ns["labels"].columns) == ["label", "confidence", "even", "odd"]
    assert_kept_nowhere(shell, tmp_path, shown, metadata)


def test_batch_rows_the_service_failed_with_the_key_in_its_words_hold_it_masked(shell, echoing, tmp_path,
                                                                                   monkeypatch):
    """A --batch job's row errors and its reason for failing are the service's words, as a --map
    row's gRPC details are (masked in client/rpc_errors): a gateway that quotes the key in them
    put it in full in ``_ygpt.errors`` and in ``%ygpt batch status``."""
    refused = f"upstream refused Api-Key {TEST_KEY}: try again"
    echoing.faults.fail_next(3, "INTERNAL", refused, method="BatchRow")
    batch = "%%ygpt --map frame --batch --model gemma-3-12b-it --out answers\nrow {n}"
    shown, metadata = shown_with_metadata(shell, batch)
    errors = shell.user_ns["_ygpt"].errors
    assert len(errors) == 3 and all(f"upstream refused Api-Key {MASKED}" in e for e in errors.values()), errors
    assert_kept_nowhere(shell, tmp_path, shown, metadata)

    async def failing(*_: object) -> None:
        raise emulator_batch._Failed(refused)
    monkeypatch.setattr(emulator_batch, "_run", failing)   # the whole job fails, in the same words
    shell.user_ns["frame"] = pd.DataFrame({"n": [ROWS]})
    failed = run(shell, batch)
    assert not failed.ok and "ended FAILED" in failed.message, failed.message
    task_id = re.search(r"batch job (\S+) ended", failed.message)[1]
    status = run(shell, f"%ygpt batch status {task_id}")
    assert f"upstream refused Api-Key {MASKED}" in status.shown, status.shown
    assert PART not in status.shown + status.stdout


def test_embeddings_whose_model_version_echoes_the_key_keep_it_nowhere(shell, echoing, tmp_path, monkeypatch):
    """An embedding model behind the same gateway reports the key in its version: ``%ygpt
    embed``, ``%ygpt similar`` and a ``--docs`` cell's indexing each kept it in full in the reply
    cache and the sources index beside it, as no embedding's answer was taken in masked."""
    monkeypatch.setattr(emulator_vectors.Embedding, "model_version", property(lambda self: f"auth={TEST_KEY}"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "cats.md").write_text("# Cats\n\nCats sleep sixteen hours a day.\n", encoding="utf-8")
    shell.user_ns["texts"] = ["Cats sleep in warm sunny places.", "Tax returns are due in April."]
    outputs = []
    for source in ("%ygpt embed texts --out v", "%ygpt similar where do cats sleep --in texts --top 1",
                   "%%ygpt --docs notes --once\nWhere do cats sleep?"):
        shown, metadata = shown_with_metadata(shell, source)
        assert "Traceback" not in shown, shown
        outputs += [shown, metadata, repr(vars(shell.user_ns["_ygpt"]))]
    assert shell.user_ns["_ygpt"].sources[0]["path"] == "notes/cats.md"   # the file was indexed
    outputs += [run(shell, "%ygpt provenance").shown, run(shell, "%ygpt usage").shown]
    assert not [text for text in outputs if PART in text], outputs
    cached = b"".join(p.read_bytes() for p in tmp_path.glob("replies*.sqlite*"))
    assert b"auth=AQVN" in cached and PART.encode() not in cached
