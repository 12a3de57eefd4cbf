"""`%ygpt batch attach ID` after a kernel restart (rows3.md R1, remainder): the answers it
collects are kept in the reply cache, so a later --map cell pays for nothing, and each answer
lands on its row of the cell that started the job, also when rows were not uploaded. Through a
real shell and the local server's batch service; the job's layout travels in its dataset's
metadata, as the real service keeps it."""

from __future__ import annotations

import math

import pandas as pd
from conftest import cell
from test_map_batch import BATCH_MODEL, batch_shell  # noqa: F401 (batch_shell: a fixture)

from ygpt_magic.chat import RequestOptions
from ygpt_magic.client.layout import RowLayout


def restart(shell, server) -> None:
    """What a kernel restart leaves: the extension loaded afresh, connected again."""
    shell.extension_manager.reload_extension("ygpt_magic")
    shell.run_line_magic("ygpt", f"connect {server.address} --insecure")
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")


def job_of(shell, frame: str, *flags: str) -> str:
    """A --batch job run to its end with the reply cache left out (as if the cache was set up
    only later); its id."""
    run = cell(shell, f"%%ygpt --map {frame} --batch -m {BATCH_MODEL} --no-cache {' '.join(flags)}\n"
                      f"Label: {{text}}")
    assert run.ok, run.message
    return run.stdout.split("Batch job ", 1)[1].split()[0]


def sent(server) -> list:
    return [r.method for r in server.requests if r.method in ("BatchRow", "Completion", "BatchCompletion")]


def test_attach_alone_keeps_the_answers_for_a_later_map_cell_in_a_new_kernel(batch_shell, ygpt_server, tmp_path):
    reviews = pd.DataFrame({"text": [f"review {i}" for i in range(30)]}, index=range(500, 530))
    batch_shell.user_ns["df"] = reviews
    task_id = job_of(batch_shell, "df")
    use_cache = f"%ygpt cache {tmp_path}/replies.sqlite"
    restart(batch_shell, ygpt_server)
    cell(batch_shell, use_cache)
    attached = cell(batch_shell, f"%ygpt batch attach {task_id} --out again")
    assert attached.ok, attached.message
    assert "30 answers kept in the reply cache" in attached.stdout, attached.stdout
    assert "temperature the model's default, max tokens the model's default" in attached.stdout
    again = batch_shell.user_ns["again"]
    restart(batch_shell, ygpt_server)            # the user saves the list and restarts again
    cell(batch_shell, use_cache)
    batch_shell.user_ns["df"] = reviews
    ygpt_server.requests.clear()
    run = cell(batch_shell, f"%%ygpt --map df --batch -m {BATCH_MODEL} --out labels\nLabel: {{text}}")
    assert run.ok, run.message
    assert sent(ygpt_server) == [], run.stdout
    assert "30 rows replayed from the reply cache" in run.stdout
    labels = batch_shell.user_ns["labels"]
    assert list(labels.index) == list(range(500, 530)) and list(labels) == again


def test_the_options_attach_takes_are_this_notebooks_and_said(batch_shell, ygpt_server, tmp_path):
    batch_shell.user_ns["df"] = pd.DataFrame({"text": ["a", "b"]})
    task_id = job_of(batch_shell, "df", "--temperature 0.3")
    restart(batch_shell, ygpt_server)
    cell(batch_shell, f"%ygpt cache {tmp_path}/replies.sqlite")
    batch_shell.run_line_magic("config", "YGptMagics.temperature = 0.3")
    attached = cell(batch_shell, f"%ygpt batch attach {task_id} --out again")
    assert "temperature 0.3, max tokens the model's default" in attached.stdout, attached.stdout
    ygpt_server.requests.clear()
    run = cell(batch_shell, f"%%ygpt --map df --batch -m {BATCH_MODEL} --out labels\nLabel: {{text}}")
    assert sent(ygpt_server) == [] and "2 rows replayed from the reply cache" in run.stdout, run.stdout


def test_a_row_that_was_not_uploaded_does_not_shift_the_answers_attach_gives(batch_shell, ygpt_server):
    texts = [f"review {i}" for i in range(12)]
    texts[3] = math.nan                                           # fails before the upload
    batch_shell.user_ns["df"] = pd.DataFrame({"text": texts}, index=list("abcdefghijkl"))
    task_id = job_of(batch_shell, "df")
    restart(batch_shell, ygpt_server)
    attached = cell(batch_shell, f"%ygpt batch attach {task_id} --out again")
    assert attached.ok, attached.message
    again = batch_shell.user_ns["again"]
    assert len(again) == 12 and again[3] is None, again
    assert all(f"review {i}" in again[i] for i in range(12) if i != 3)
    assert "one entry per row of the cell" in attached.stdout and "1 row that the job did not hold" in attached.stdout
    assert "not in batch job" in batch_shell.user_ns["_ygpt"].errors[3]
    df = batch_shell.user_ns["df"]
    assert "review 10" in pd.Series(again, index=df.index)["k"]


def test_a_job_that_keeps_no_layout_is_said_to_hold_only_its_uploaded_rows(batch_shell, ygpt_server):
    client = batch_shell.magics_manager.registry["YGptMagics"].kernel.connection.client()
    rows = [[{"role": "user", "text": f"Label: review {i}"}] for i in range(4)]
    task_id = client.batch.start(rows, RequestOptions(model=BATCH_MODEL))   # as another tool starts one
    restart(batch_shell, ygpt_server)
    attached = cell(batch_shell, f"%ygpt batch attach {task_id} --out again")
    assert attached.ok, attached.message
    assert len(batch_shell.user_ns["again"]) == 4
    assert "holds only the 4 rows job" in attached.stdout and "in upload order" in attached.stdout
    assert "How many rows were skipped, and which, is unknown" in attached.stdout


def test_without_a_cache_the_same_cell_after_attach_takes_the_jobs_answers(batch_shell, ygpt_server):
    batch_shell.user_ns["df"] = pd.DataFrame({"text": [f"review {i}" for i in range(5)]})
    task_id = job_of(batch_shell, "df")
    restart(batch_shell, ygpt_server)
    attached = cell(batch_shell, f"%ygpt batch attach {task_id} --out again")
    assert attached.ok and "reply cache" not in attached.stdout, attached.stdout
    ygpt_server.requests.clear()
    run = cell(batch_shell, f"%%ygpt --map df --batch -m {BATCH_MODEL} --out labels\nLabel: {{text}}")
    assert sent(ygpt_server) == [], run.stdout
    assert f"Batch job {task_id}, collected by %ygpt batch attach" in run.stdout


def test_the_same_cell_after_attach_puts_each_answer_on_its_own_row_past_repeats_and_gaps(batch_shell,
                                                                                            ygpt_server):
    """The job uploads "review a" once and not the NaN row; the attached job's answers are kept by
    row, the cell's pending rows by upload: each row still gets the answer to its own text."""
    texts = ["review a", "review a", math.nan, "review b", "review c"]
    batch_shell.user_ns["df"] = pd.DataFrame({"text": texts})
    task_id = job_of(batch_shell, "df")
    restart(batch_shell, ygpt_server)
    assert cell(batch_shell, f"%ygpt batch attach {task_id} --out again").ok
    ygpt_server.requests.clear()
    run = cell(batch_shell, f"%%ygpt --map df --batch -m {BATCH_MODEL} --no-cache --out labels\nLabel: {{text}}")
    assert sent(ygpt_server) == [], run.stdout
    labels = batch_shell.user_ns["labels"]
    assert labels[2] is None and all(texts[n] in labels[n] for n in (0, 1, 3, 4)), list(labels)


def test_twins_a_jobs_layout_names_among_its_uploaded_rows_are_not_counted_as_rows_it_held(batch_shell,
                                                                                              ygpt_server):
    """A dataset's metadata is not ours: twins that are themselves uploaded rows place nothing, and
    the count attach says is of the rows its list has None for."""
    client = batch_shell.magics_manager.registry["YGptMagics"].kernel.connection.client()
    rows = [[{"role": "user", "text": f"Label: review {i}"}] for i in range(3)]
    odd = RowLayout(total=4, sent=3, skipped=((3, 4),), twins=((0, 1), (0, 2)))
    task_id = client.batch.start(rows, RequestOptions(model=BATCH_MODEL), layout=odd)
    restart(batch_shell, ygpt_server)
    attached = cell(batch_shell, f"%ygpt batch attach {task_id} --out again")
    assert attached.ok, attached.message
    again = batch_shell.user_ns["again"]
    assert again[3] is None and all(f"review {i}" in again[i] for i in range(3)), again
    assert "1 row that the job did not hold" in attached.stdout, attached.stdout


def test_a_layout_too_scattered_to_keep_is_said_with_its_counts(batch_shell, ygpt_server):
    texts = [f"review {i}" if i % 2 else math.nan for i in range(600)]   # 300 gaps
    batch_shell.user_ns["df"] = pd.DataFrame({"text": texts})
    task_id = job_of(batch_shell, "df")
    restart(batch_shell, ygpt_server)
    attached = cell(batch_shell, f"%ygpt batch attach {task_id} --out again")
    assert len(batch_shell.user_ns["again"]) == 300
    assert "holds only the 300 rows job" in attached.stdout
    assert "The cell had 600 rows and 300 rows were not uploaded, but which ones was not kept" in attached.stdout


def test_a_schema_jobs_answers_are_not_kept_as_plain_answers(batch_shell, ygpt_server, tmp_path):
    assert cell(batch_shell, "from pydantic import BaseModel\nclass Verdict(BaseModel):\n    sentiment: str\n").ok
    batch_shell.user_ns["df"] = pd.DataFrame({"text": ["great", "awful"]})
    task_id = job_of(batch_shell, "df", "--schema Verdict")
    restart(batch_shell, ygpt_server)
    cell(batch_shell, f"%ygpt cache {tmp_path}/replies.sqlite")
    attached = cell(batch_shell, f"%ygpt batch attach {task_id} --out again")
    assert attached.ok, attached.message
    assert "was asked for a --schema" in attached.stdout and "kept in the reply cache:" not in attached.stdout
    ygpt_server.requests.clear()
    plain = cell(batch_shell, f"%%ygpt --map df -m {BATCH_MODEL} --out plain\nLabel: {{text}}")
    assert "reused" not in plain.stdout and len(sent(ygpt_server)) == 2, plain.stdout   # no JSON replayed


def attached_with_cache(shell, server, task_id: str, cache_file) -> str:
    """After a restart, with a reply cache on: attach's output."""
    restart(shell, server)
    cell(shell, f"%ygpt cache {cache_file}")
    attached = cell(shell, f"%ygpt batch attach {task_id} --out again")
    assert attached.ok, attached.message
    return attached.stdout


def mapped(shell, server, *flags: str) -> tuple[str, list]:
    """A concurrent --map cell over df with ``flags``: its output and what reached the server."""
    server.requests.clear()
    run = cell(shell, f"%%ygpt --map df -m {BATCH_MODEL} {' '.join(flags)} --out labels\nLabel: {{text}}")
    assert run.ok, run.message
    return run.stdout, sent(server)


def test_a_json_jobs_answers_replay_for_a_json_cell_and_not_for_a_plain_one(batch_shell, ygpt_server, tmp_path):
    batch_shell.user_ns["df"] = pd.DataFrame({"text": ["great", "awful"]})
    task_id = job_of(batch_shell, "df", "--json")
    said = attached_with_cache(batch_shell, ygpt_server, task_id, tmp_path / "replies.sqlite")
    assert ("2 answers kept in the reply cache" in said and "with the job's options (temperature the "
            "model's default, max tokens the model's default, --json)" in said), said
    stdout, requests = mapped(batch_shell, ygpt_server, "--json")
    assert requests == [] and "2 rows replayed from the reply cache" in stdout, stdout
    stdout, requests = mapped(batch_shell, ygpt_server)
    assert len(requests) == 2 and "already answered" not in stdout, stdout   # no JSON replayed as plain


def test_a_warm_jobs_answers_replay_only_at_its_temperature(batch_shell, ygpt_server, tmp_path):
    batch_shell.user_ns["df"] = pd.DataFrame({"text": ["great", "awful", "fine"]})
    task_id = job_of(batch_shell, "df", "--temperature 0.9")
    said = attached_with_cache(batch_shell, ygpt_server, task_id, tmp_path / "replies.sqlite")
    assert "with the job's options (temperature 0.9, max tokens the model's default)" in said, said
    stdout, requests = mapped(batch_shell, ygpt_server)
    assert len(requests) == 3 and "already answered" not in stdout, stdout
    restart(batch_shell, ygpt_server)                # the cache alone holds them now
    cell(batch_shell, f"%ygpt cache {tmp_path}/replies.sqlite")
    stdout, requests = mapped(batch_shell, ygpt_server, "--temperature 0.9")
    assert requests == [] and "3 rows replayed from the reply cache" in stdout, stdout


def test_without_a_cache_a_plain_batch_cell_does_not_take_a_json_jobs_answers(batch_shell, ygpt_server):
    batch_shell.user_ns["df"] = pd.DataFrame({"text": ["great", "awful"]})
    task_id = job_of(batch_shell, "df", "--json")
    restart(batch_shell, ygpt_server)
    assert cell(batch_shell, f"%ygpt batch attach {task_id} --out again").ok
    plain = cell(batch_shell, f"%%ygpt --map df --batch -m {BATCH_MODEL} --out labels\nLabel: {{text}}")
    assert "collected by %ygpt batch attach" not in plain.stdout and "started for 2 rows" in plain.stdout, plain.stdout
    ygpt_server.requests.clear()
    same = cell(batch_shell, f"%%ygpt --map df --batch -m {BATCH_MODEL} --json --out labels\nLabel: {{text}}")
    assert sent(ygpt_server) == [], same.stdout
    assert f"Batch job {task_id}, collected by %ygpt batch attach" in same.stdout
    assert "with the same options" in same.stdout


def test_a_job_whose_layout_keeps_no_options_is_kept_under_this_notebooks_and_said(batch_shell, ygpt_server, tmp_path):
    client = batch_shell.magics_manager.registry["YGptMagics"].kernel.connection.client()
    rows = [[{"role": "user", "text": f"Label: review {i}"}] for i in range(3)]
    older = RowLayout(total=3, sent=3, skipped=())                  # as ygpt_magic wrote it before
    task_id = client.batch.start(rows, RequestOptions(model=BATCH_MODEL, temperature=0.9), layout=older)
    said = attached_with_cache(batch_shell, ygpt_server, task_id, tmp_path / "replies.sqlite")
    assert "3 answers kept in the reply cache" in said and "The job keeps no options of its own" in said, said
    assert "taken to be this notebook's (temperature the model's default, max tokens the model's default)" in said


def test_the_same_schema_batch_cell_after_attach_takes_the_jobs_typed_answers(batch_shell, ygpt_server):
    assert cell(batch_shell, "from pydantic import BaseModel\nclass Verdict(BaseModel):\n    sentiment: str\n").ok
    batch_shell.user_ns["df"] = pd.DataFrame({"text": ["great", "awful"]})
    task_id = job_of(batch_shell, "df", "--schema Verdict")
    restart(batch_shell, ygpt_server)
    assert cell(batch_shell, "from pydantic import BaseModel\nclass Verdict(BaseModel):\n    sentiment: str\n").ok
    assert cell(batch_shell, f"%ygpt batch attach {task_id} --out again").ok
    ygpt_server.requests.clear()
    same = cell(batch_shell, f"%%ygpt --map df --batch -m {BATCH_MODEL} --schema Verdict --out verdicts\n"
                             f"Label: {{text}}")
    assert sent(ygpt_server) == [] and "with the same options" in same.stdout, same.stdout
    assert list(batch_shell.user_ns["verdicts"].columns) == ["sentiment"]
