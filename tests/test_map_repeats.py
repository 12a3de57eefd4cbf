"""A run over rows sends each distinct request once: rows that render to the same prompt (the same
messages, model and options: one reply-cache key) are answered by one request, billed once, and
the summary says so. Real columns repeat a lot ("N/A", categories, short reviews); a --map over
them sent and billed every row."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import cell, completions
from test_accounts import rows_of
from test_map_batch import BATCH_MODEL, batch_rows, batch_shell, task_id_of  # noqa: F401 (batch_shell: a fixture)

from ygpt_magic.client.layout import RowLayout, layout_of

#: 100 reviews, 60 of them distinct: 40 rows repeat one of the first seven, spread among the others
DISTINCT = [f"Review {n}: it works" for n in range(60)]
ROWS = [DISTINCT[(n * 37) % 100] if (n * 37) % 100 < 60 else DISTINCT[n % 7] for n in range(100)]
SOURCE = "%%ygpt --map reviews --out verdicts\nTranslate to French: {text}"


def _frame(texts: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"text": texts}, index=[f"r{n}" for n in range(len(texts))])


def _summary(run) -> str:
    return next(line for line in run.shown.splitlines() if line.startswith("✓"))


def test_a_frame_with_40_repeats_sends_60_requests_and_answers_every_row(shell, ygpt_server, magics):
    assert len(set(ROWS)) == 60
    shell.user_ns["reviews"] = _frame(ROWS)
    ygpt_server.reset()
    run = cell(shell, SOURCE)
    assert run.ok, run.message
    sent = [r.messages[-1]["text"] for r in completions(ygpt_server)]
    assert sorted(sent) == sorted(f"Translate to French: {text}" for text in DISTINCT)   # each once
    verdicts = shell.user_ns["verdicts"]
    assert all(text in verdicts[label] for label, text in zip(verdicts.index, ROWS))   # its own answer
    done = shell.user_ns["_ygpt"]
    assert (done.answered, done.repeats, done.reused, done.failed, done.left) == (100, 40, 0, 0, 0)
    assert _summary(run).startswith("✓ 100 answered (60 sent; 40 repeat an earlier row's prompt) · "), run.shown
    billed = ygpt_server.billed
    assert done.usage.input_tokens == billed["input_tokens"]   # the summary's tokens: those sent
    usage = rows_of(cell(shell, "%ygpt usage"), "Tokens by chat")["--map rows"]
    assert usage[:3] == ["60", f"{billed['input_tokens']:,}", f"{billed['completion_tokens']:,}"], usage
    assert done.provenance["ygpt"]["sent"] == 60 and done.provenance["ygpt"]["repeated"] == 40


def test_a_dry_run_and_the_cost_cap_price_only_the_distinct_requests(shell, ygpt_server):
    shell.user_ns.update(reviews=_frame(ROWS), distinct=_frame(DISTINCT))
    repeated = cell(shell, "%%ygpt --map reviews --dry-run\nTranslate to French: {text}").plain
    alone = cell(shell, "%%ygpt --map distinct --dry-run\nTranslate to French: {text}").plain
    assert "100 rows (60 to send; 40 repeating an earlier row's prompt, answered with it)" in repeated, repeated
    assert _estimate(repeated) == _estimate(alone) and "Estimated cost" in _estimate(alone)

    over = cell(shell, "%%ygpt --map reviews --max-cost 0.0001\nTranslate to French: {text}")
    over_alone = cell(shell, "%%ygpt --map distinct --max-cost 0.0001\nTranslate to French: {text}")
    assert _estimate(over.message) == _estimate(over_alone.message), over.message
    assert "send fewer (60 requests now)" in over.message
    assert not completions(ygpt_server)


def _estimate(text: str) -> str:
    """The tokens and the cost a dry run or a cost cap's refusal states."""
    found = re.search(r"[\d,]+ tokens in all.*?\.|Estimated cost [^:]*: [^(]*", text, re.S)
    cost = re.search(r"Estimated cost [^:]*: [\d,]+ input tokens", text)
    return " | ".join(m.group(0) for m in (found, cost) if m)


def test_a_failed_request_fails_its_twins_and_a_rerun_sends_it_once(shell, ygpt_server):
    shell.user_ns["words"] = ["alpha", "beta", "alpha", "gamma", "alpha"]
    ygpt_server.faults.fail_next(1, "INTERNAL", "the model broke on this row")
    source = "%%ygpt --map words --out answers --concurrency 1\nSpell {item}"
    run = cell(shell, source)
    assert run.ok, run.message
    errors = shell.user_ns["_ygpt"].errors
    assert list(errors) == [0, 2, 4] and len(set(errors.values())) == 1
    assert "the model broke on this row" in errors[0]
    assert [a is None for a in shell.user_ns["answers"]] == [True, False, True, False, True]
    assert "✓ 2 answered · ✗ 3 failed (3 server failed)" in run.stdout, run.stdout
    ygpt_server.requests.clear()
    again = cell(shell, source)
    assert again.ok, again.message
    assert [r.messages[-1]["text"] for r in completions(ygpt_server)] == ["Spell alpha"]
    answers = shell.user_ns["answers"]
    assert all(answers) and answers[0] == answers[2] == answers[4]
    assert _summary(again).startswith("✓ 3 answered (1 sent; 2 repeat an earlier row's prompt; "
                                      "2 from this kernel's earlier runs)"), again.shown


@pytest.mark.slow
def test_a_batch_job_uploads_each_distinct_request_once_and_attach_places_it_on_every_twin(batch_shell,
                                                                                             ygpt_server):
    shell = batch_shell
    shell.user_ns["reviews"] = _frame(ROWS)
    run = cell(shell, f"%%ygpt --map reviews --batch -m {BATCH_MODEL} --out verdicts\n"
                      f"Translate to French: {{text}}")
    assert run.ok, run.message
    assert len(batch_rows(ygpt_server)) == 60
    verdicts = shell.user_ns["verdicts"]
    assert all(text in verdicts[label] for label, text in zip(verdicts.index, ROWS))
    assert "✓ 100 answered (60 sent; 40 repeat an earlier row's prompt)" in run.stdout, run.stdout

    shell.extension_manager.reload_extension("ygpt_magic")   # a new kernel knows only the job's id
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    attached = cell(shell, f"%ygpt batch attach {task_id_of(run)} --out again")
    assert attached.ok, attached.message
    assert shell.user_ns["again"] == list(verdicts)   # every twin has its answer, in row order


def test_labels_over_repeated_rows_classify_each_distinct_text_once(shell, ygpt_server):
    shell.user_ns["tickets"] = ["refund please", "app crashes", "refund please", "refund please"]
    run = cell(shell, "%%ygpt --map tickets --labels billing,bug --out kinds\n{item}")
    assert run.ok, run.message
    classified = [r for r in ygpt_server.requests if r.method in ("FewShotClassify", "Classify")]
    assert len(classified) == 2
    kinds = shell.user_ns["kinds"]
    assert kinds.iloc[0].equals(kinds.iloc[2]) and kinds.iloc[0].equals(kinds.iloc[3])
    assert "✓ 4 answered (2 sent; 2 repeat an earlier row's prompt)" in run.stdout, run.stdout


def test_a_jobs_layout_keeps_its_twins_and_leaves_them_out_first_when_they_do_not_fit():
    """The dataset's metadata is bounded: twins that do not fit are dropped before the positions
    of the rows not uploaded, so attach still places every uploaded row (the twins then None)."""
    few = RowLayout.of(6, [0, 1, 3], twins={0: [2, 5], 1: [4]})
    assert layout_of(few.metadata()) == few and few.twins == ((0, 2, 5), (1, 4))
    uploaded = list(range(100))
    many = RowLayout.of(1_000, uploaded, twins={n: list(range(100 + n, 1_000, 100)) for n in uploaded})
    kept = layout_of(many.metadata())
    assert kept is not None and kept.twins == () and kept.positions() == uploaded


def test_a_reply_that_does_not_fit_the_schema_names_each_repeated_rows_own_label(shell, ygpt_server):
    assert cell(shell, "from pydantic import BaseModel, Field\n"
                       "class Strict(BaseModel):\n    code: str = Field(pattern='^[0-9]+$')\n").ok
    shell.user_ns["data"] = pd.Series(["abc", "abc"], index=["r0", "r5"])
    run = cell(shell, "%%ygpt --map data --schema Strict --out res\nCode: {item}")
    assert run.ok, run.message
    assert len(completions(ygpt_server)) == 1
    errors = shell.user_ns["_ygpt"].errors
    assert "_ygpt.raw['r0']" in errors["r0"] and "'r5'" not in errors["r0"], errors
    assert "_ygpt.raw['r5']" in errors["r5"] and "'r0'" not in errors["r5"], errors


DRAW = "put {index} in the prompt for a draw of each row's own"


def test_at_a_temperature_above_0_repeated_rows_are_told_how_to_get_a_draw_each(shell, ygpt_server):
    shell.user_ns["names"] = ["Mug", "Mug", "Kettle"]
    warm = cell(shell, "%%ygpt --map names --temperature 0.9 --out lines\nA tagline for {item}")
    assert warm.ok and DRAW in warm.stdout, warm.stdout
    dry = cell(shell, "%%ygpt --map names --temperature 0.9 --dry-run\nA tagline for {item} #2").plain
    assert DRAW in dry, dry
    cold = cell(shell, "%%ygpt --map names --temperature 0 --out lines\nA tagline for {item}")
    assert cold.ok and DRAW not in cold.stdout, cold.stdout
