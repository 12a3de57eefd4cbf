"""%%ygpt --map NAME --batch: what a job costs, said before and after it runs. The start line
gives the estimate (a job is billed at least its minimum, so a re-run for a few failed rows is
not cheap), counted from a sample of rows asked of the tokenizer at once; a tokenizer out of
order leaves the job started without it; %ygpt usage says which jobs it leaves out. Through a
real shell and the local server (the rest of --batch: test_map_batch.py)."""

from __future__ import annotations

import re
import time

from conftest import cell, completions
from test_map_batch import BATCH_MODEL, batch_rows, batch_shell  # noqa: F401 (batch_shell: a fixture)

from ygpt_magic.chat.prices import BATCH_MINIMUM_TOKENS


def test_a_tokenizer_that_fails_leaves_the_start_line_without_an_estimate_not_the_job_unstarted(
        batch_shell, ygpt_server):
    """The estimate in the start line is a courtesy: a tokenizer out of order must not stop a job
    it never stopped before (with no --max-cost, nothing needs the estimate). The line says the
    cost could not be estimated, and the rows are answered."""
    shell = batch_shell
    shell.user_ns["words"] = ["one", "two", "three"]
    ygpt_server.faults.fail_next(100, "INTERNAL", method="TokenizeCompletion")
    ygpt_server.faults.fail_next(100, "INTERNAL", method="Tokenize")
    run = cell(shell, f"%%ygpt --map words --batch -m {BATCH_MODEL} --out spelled\nSpell {{item}}")
    ygpt_server.faults.clear()
    assert run.ok, run.message
    assert f"started for 3 rows of words on {BATCH_MODEL}. Its cost could not be estimated" in run.stdout, run.stdout
    assert "✓ 3 answered" in run.stdout and len(batch_rows(ygpt_server)) == 3, run.stdout
    assert "--dry-run says it once the tokenizer answers" in run.stdout and "INTERNAL" not in run.stdout


def test_a_start_says_its_estimate_and_the_advice_for_failed_rows_says_a_new_job_is_billed_its_minimum(
        batch_shell, ygpt_server):
    """A job is billed at least 200,000 tokens: a re-run for 2 failed rows started a second job at
    that minimum (≈40 ₽ where the rows' own tokens cost kopecks), and no output said a rouble;
    only --dry-run gave the estimate. The start line says it now, in the dry run's words, and
    the advice to run the cell again says what a new job for those rows costs, and what they
    cost sent without --batch, which is what the cell then sends."""
    shell = batch_shell
    shell.user_ns["words"] = [f"word {i}" for i in range(10)]
    source = f"%%ygpt --map words --batch -m {BATCH_MODEL} --out answers{{}}\nSpell {{{{item}}}}"
    dry = cell(shell, source.format(" --dry-run"))
    [estimate] = re.findall(r"Nothing was sent\. (Estimated cost [^\n]*?\)\.)", dry.plain)
    assert f"billed at least {BATCH_MINIMUM_TOKENS:,} tokens" in estimate, estimate
    ygpt_server.faults.fail_next(2, "INTERNAL", method="BatchRow", after=3)
    run = cell(shell, source.format(""))
    assert run.ok, run.message
    assert f"started for 10 rows of words on {BATCH_MODEL}. {estimate} It runs in the cloud" in run.stdout, run.stdout
    assert "✗ 2 failed (2 batch row failed)" in run.stdout
    job = re.findall(r"Estimated cost (≈[\d.]+)\s₽", estimate)[0]
    again = (f"Run again with --batch, those rows are a new job, billed at least {BATCH_MINIMUM_TOKENS:,} "
             f"tokens again ({job} ₽); sent without --batch (the answered rows are reused) ")
    assert again + "they are billed by their own tokens, about " in " ".join(run.stdout.split()), run.stdout
    assert f"(the price table has no sync price for {BATCH_MODEL})" in run.stdout   # the built-in table's
    shell.run_line_magic("config", f'YGptMagics.prices = {{"{BATCH_MODEL}": {{"sync": 0.5}}}}')
    shell.user_ns["words"] = [f"word {i}" for i in range(10, 20)]
    ygpt_server.faults.fail_next(2, "INTERNAL", method="BatchRow", after=3)
    run = cell(shell, source.format(""))
    alone = cell(shell, source.replace(" --batch", "").format(" --dry-run"))
    assert "10 rows (8 already answered, reused; 2 to send)" in alone.plain, alone.plain
    [own] = re.findall(r"Estimated cost (≈[\d.]+)\s₽", alone.plain)
    assert again + f"they would cost about {own} ₽." in " ".join(run.stdout.split()), run.stdout
    ygpt_server.requests.clear()
    assert cell(shell, source.replace(" --batch", "").format("")).ok
    assert len(completions(ygpt_server)) == 2 and not batch_rows(ygpt_server) and all(shell.user_ns["answers"])


def test_usage_says_the_batch_jobs_it_leaves_out_and_where_their_cost_is(batch_shell, ygpt_server):
    shell = batch_shell
    shell.user_ns["words"] = ["one", "two", "three"]
    assert cell(shell, f"%%ygpt --map words --batch -m {BATCH_MODEL}\nSpell {{item}}").ok
    alone = cell(shell, "%ygpt usage").page
    assert "No request has been answered" not in alone
    assert "--batch jobs are not counted here: 1 job (3 rows) was started in this kernel" in alone
    assert "the estimate made before the start" in alone and "--dry-run" in alone
    assert cell(shell, "%%ygpt --map words --batch -m qwen2.5-32b-instruct\nSpell {item}").ok
    assert cell(shell, "%%ygpt --once\nHello").ok
    both = cell(shell, "%ygpt usage").page
    assert "Tokens by chat" in both and "2 jobs (6 rows) were started" in both.replace("\n", " ")


def test_a_start_counts_its_sample_of_rows_at_once_each_with_the_schema(batch_shell, ygpt_server):
    """The start line's estimate asked the tokenizer for its sample of 20 rows one after another:
    at the cloud's ~100 ms a round trip, 2 s added to every --batch start (and to --max-cost and
    --dry-run, which count rows the same way). They are asked at once, each with the cell's
    --schema, as the job's rows are read."""
    shell = batch_shell
    assert cell(shell, "from pydantic import BaseModel\nclass Verdict(BaseModel):\n    sentiment: str\n").ok
    shell.user_ns["words"] = [f"word {i}" for i in range(40)]
    round_trip = 0.3
    ygpt_server.faults.hold_next(1000, "TokenizeCompletion", seconds=round_trip)
    started = time.perf_counter()
    run = cell(shell, f"%%ygpt --map words --batch -m {BATCH_MODEL} --schema Verdict --out v\nRate {{item}}")
    elapsed = time.perf_counter() - started
    assert run.ok, run.message
    assert "Estimated cost ≈" in run.stdout and "✓ 40 answered" in run.stdout, run.stdout
    counts = [r for r in ygpt_server.requests if r.method == "TokenizeCompletion"]
    assert 10 < len(counts) <= 20 and all(r.options.get("json_schema") for r in counts), counts[0].options
    assert elapsed < 8 * round_trip, f"{len(counts)} round trips took {elapsed:.1f} s"
