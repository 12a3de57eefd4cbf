"""What a run will cost before it runs, and a cap that stops it: every --dry-run says its
estimated cost (and how the replies' length was guessed); --max-cost RUB and
YGptMagics.max_cost_per_cell refuse a run estimated over the cap with nothing sent, and stop a
--map mid-way before the cap is passed, keeping every answered row, so a re-run with a higher cap
sends only the rest. Prices are set to 1,000 ₽ per 1,000 tokens: a rouble a token."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

import pytest
from cellrun import assert_clear_error
from conftest import cell, completions
from skewed import skewed

from ygpt_magic.errors import CostOverCap

pytestmark = pytest.mark.usefixtures("fresh_names")

ROUBLE_A_TOKEN = 'YGptMagics.prices = {"yandexgpt": 1000}'
TUNED = "yandexgpt-lite/rc@tamrap1sjscq6e9flit3p"
CLASSIFY_A_ROUBLE_A_TOKEN = 'YGptMagics.prices = {"yandexgpt": {"classify": 1000}}'


@pytest.fixture
def priced(shell):
    shell.run_line_magic("config", ROUBLE_A_TOKEN)
    yield
    shell.run_line_magic("config", "YGptMagics.prices = {}")
    shell.run_line_magic("config", "YGptMagics.max_cost_per_cell = None")


def roubles_in(text: str) -> Decimal:
    """The first ``≈1 234.50 ₽`` in ``text``, as a number."""
    found = re.search(r"≈([\d\u00a0.]+)\u00a0₽", text)
    assert found, text
    return Decimal(found.group(1).replace("\u00a0", ""))


def sent_prompts(server) -> Counter:
    return Counter(r.messages[-1]["text"] for r in completions(server))


@pytest.mark.usefixtures("priced")
def test_a_cells_dry_run_prices_its_tokens_and_says_how_the_reply_was_guessed(shell, ygpt_server):
    run = cell(shell, "%%ygpt --once --dry-run --max-tokens 50\nName three rivers")
    assert run.ok, run.message
    tokens = int(re.search(r"(\d+) tokens? by the tokenizer API", run.plain).group(1))
    assert f"Estimated cost ≈{tokens + 50}.00\u00a0₽" in run.plain
    assert "about 50 output tokens (--max-tokens" in run.plain
    assert "yandexgpt, sync" in run.plain
    deferred = cell(shell, "%%ygpt --once --deferred --dry-run\nName three rivers")
    assert "(yandexgpt, async)" in deferred.plain and "a guess of 300 a reply" in deferred.plain
    assert completions(ygpt_server) == []


@pytest.mark.usefixtures("priced")
def test_after_answers_the_guess_is_their_average_completion(shell, ygpt_server):
    assert cell(shell, "%%ygpt --once\nName three rivers").ok
    [sent] = completions(ygpt_server)
    completion = ygpt_server.billed["completion_tokens"]
    run = cell(shell, "%%ygpt --once --dry-run\nName three lakes")
    assert f"about {completion} output tokens (the average completion of the 1 earlier request" in run.plain


@pytest.mark.usefixtures("priced")
def test_map_batch_and_embed_dry_runs_say_their_cost_and_send_nothing(shell, ygpt_server):
    shell.user_ns["words"] = [f"word{i}" for i in range(5)]
    mapped = cell(shell, "%%ygpt --map words --dry-run --max-tokens 10\nSpell {item}")
    tokens = int(re.search(r"(\d+) tokens in all", mapped.plain).group(1))
    assert roubles_in(mapped.plain) == tokens + 5 * 10
    assert "about 50 output tokens" in mapped.plain
    batch = cell(shell, "%%ygpt --map words --batch --dry-run -m gemma-3-12b-it\nSpell {item}")
    assert "(gemma-3-12b-it, batch)" in batch.plain and "Estimated cost ≈" in batch.plain
    unpriced = cell(shell, "%%ygpt --map words --batch --dry-run -m yandexgpt-lite\nSpell {item}")
    assert "no price for yandexgpt-lite, batch" in unpriced.plain
    embedded = cell(shell, "%ygpt embed words --dry-run")
    assert "(text-search-doc, sync)" in embedded.shown and "output" not in embedded.shown
    assert completions(ygpt_server) == []
    assert not any(r.method == "TextEmbedding" for r in ygpt_server.requests)


@pytest.mark.usefixtures("priced")
def test_a_run_estimated_over_its_cap_is_refused_with_nothing_sent(shell, ygpt_server):
    shell.user_ns["words"] = [f"word{i}" for i in range(5)]
    message = assert_clear_error(cell(shell, "%%ygpt --map words --max-cost 5\nSpell {item}"),
                                 "estimated cost", "over the cap of 5", "nothing was sent",
                                 "--max-cost", "fewer", "cheaper model", error_type=CostOverCap)
    assert "5 requests" in message and "--model yandexgpt-lite" in message
    assert_clear_error(cell(shell, "%%ygpt --map words --batch --max-cost 5\nSpell {item}"),
                       "over the cap", error_type=CostOverCap)
    assert_clear_error(cell(shell, "%%ygpt --map words --batch -m yandexgpt-lite --max-cost 5\nSpell {item}"),
                       "cannot be checked", "no price for yandexgpt-lite, batch", "YGptMagics.prices",
                       error_type=CostOverCap)
    assert_clear_error(cell(shell, "%ygpt embed words --max-cost 0.0000001"),
                       "over the cap of 0.0000001", error_type=CostOverCap)
    assert_clear_error(cell(shell, "%%ygpt --max-cost 3\nName three rivers"),
                       "over the cap of 3", "shorten the prompt", error_type=CostOverCap)
    assert completions(ygpt_server) == []
    assert not any(r.method in ("TextEmbedding", "CreateBatch") for r in ygpt_server.requests)


@pytest.mark.usefixtures("priced")
def test_max_cost_per_cell_caps_every_cell_and_a_flag_overrides_it(shell, ygpt_server):
    shell.run_line_magic("config", "YGptMagics.max_cost_per_cell = 2")
    assert_clear_error(cell(shell, "%%ygpt --once\nName three rivers"),
                       "over the cap of 2", "max_cost_per_cell", error_type=CostOverCap)
    assert completions(ygpt_server) == []
    assert cell(shell, "%%ygpt --once --max-cost 1000\nName three rivers").ok
    assert len(completions(ygpt_server)) == 1


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "lots", "''"])
def test_bad_caps_are_one_clear_paragraph(shell, ygpt_server, value):
    shell.user_ns["words"] = ["a", "b"]
    assert_clear_error(cell(shell, f"%%ygpt --map words --max-cost {value}\nSpell {{item}}"),
                       "--max-cost", "roubles", "> 0")
    assert_clear_error(cell(shell, f"%ygpt embed words --max-cost {value}"), "--max-cost", "> 0")
    assert completions(ygpt_server) == []


@pytest.mark.parametrize("value", ["0", "-2.5", "float('nan')", "float('inf')", "'lots'"])
def test_a_bad_max_cost_per_cell_is_refused_when_set(shell, magics, value):
    run = cell(shell, f"%config YGptMagics.max_cost_per_cell = {value}")
    assert "YGptMagics.max_cost_per_cell must be the most a run may cost" in run.shown
    assert magics.max_cost_per_cell is None


@pytest.mark.usefixtures("priced")
@pytest.mark.slow
def test_a_map_stops_at_its_cap_keeps_every_answer_and_a_rerun_sends_only_the_rest(shell, ygpt_server, magics):
    shell.user_ns["seed"] = ["I love it", "I hate it"]   # one-word replies: a low guess for the next run
    assert cell(shell, "%%ygpt --map seed\nThe sentiment of: {item}").ok
    shell.user_ns["cities"] = [f"City number {n}" for n in range(40)]
    template = "%%ygpt --map cities --out facts --max-cost {cap}\nDescribe {{item}} in two sentences"
    ygpt_server.reset()
    ygpt_server.faults.first_chunk_latency(0.3)   # as the cloud answers (DESIGN.md), not at once
    first = cell(shell, template.format(cap=1500))
    assert first.ok, first.message

    sent = sent_prompts(ygpt_server)
    assert set(sent.values()) == {1}, "no row sent twice"
    assert 5 <= len(sent) <= 35, f"stopped about half-way, not at {len(sent)} of 40"
    run = shell.user_ns["_ygpt"]
    assert run.answered == len(sent) and run.failed == 0, "every row sent was answered and kept"
    answered = [f"Describe {c} in two sentences" for c, fact in zip(shell.user_ns["cities"], shell.user_ns["facts"])
                if fact is not None]
    assert sorted(answered) == sorted(sent)
    spent = magics.kernel.session.accounts.by_source["--map rows"].cost.amount
    billed = ygpt_server.billed["total_tokens"]
    assert f"Stopped at the cost cap: spent ≈{Decimal(billed):,.2f}".replace(",", "\u00a0") in first.stdout
    assert f"of 1500 ₽, {40 - len(sent)} rows left" in first.stdout
    assert "higher --max-cost" in first.stdout
    assert billed < 1500 + 8 * 100, "the cap is passed by at most what was in flight"

    ygpt_server.reset()
    ygpt_server.faults.first_chunk_latency(0.1)
    rest = cell(shell, template.format(cap=100000))
    assert rest.ok, rest.message
    again = sent_prompts(ygpt_server)
    assert set(again.values()) == {1} and not set(again) & set(sent), "only the rows left were sent"
    assert len(again) == 40 - len(sent)
    assert all(fact is not None for fact in shell.user_ns["facts"])
    assert magics.kernel.session.accounts.by_source["--map rows"].cost.amount == \
        spent + ygpt_server.billed["total_tokens"]


@pytest.mark.usefixtures("priced")
def test_usage_roubles_are_the_server_counted_tokens_times_the_price_deferred_included(shell, ygpt_server, magics):
    ygpt_server.reset()
    assert cell(shell, "%%ygpt --once\nName three rivers").ok
    assert cell(shell, "%%ygpt --once --deferred\nName three lakes").ok
    billed = ygpt_server.billed["total_tokens"]
    requests = completions(ygpt_server)
    assert [r.method for r in requests] == ["Completion", "AsyncCompletion"]
    total = magics.kernel.session.accounts.total()
    assert total.usage.total_tokens == billed, "the deferred request is billed by the server too"
    assert total.cost.amount == billed   # both were priced at a rouble a token when they arrived


def classified(server) -> int:
    return sum(r.method in ("Classify", "FewShotClassify") for r in server.requests)


@pytest.mark.usefixtures("priced")
def test_a_labels_map_is_capped_at_the_classify_price_and_its_guess_has_no_output(shell, ygpt_server):
    """A classification is billed in its own mode, ``classify``: a price for the token modes
    leaves it unpriced, so a cap cannot be checked and refuses the run, naming that mode."""
    shell.user_ns["reviews"] = [f"Review {n}: great phone" for n in range(6)]
    source = "%%ygpt --map reviews --labels good,bad --max-cost {cap}\n{{item}}"
    unpriced = assert_clear_error(cell(shell, source.format(cap=1)), "cannot be checked",
                                  "no price for yandexgpt, classify", error_type=CostOverCap)
    assert "sync" not in unpriced
    shell.run_line_magic("config", CLASSIFY_A_ROUBLE_A_TOKEN)
    over = assert_clear_error(cell(shell, source.format(cap=1)), "over the cap of 1", "fewer (6 requests now)",
                              "(yandexgpt, classify)", error_type=CostOverCap)
    assert "output" not in over
    assert classified(ygpt_server) == 0
    assert cell(shell, source.format(cap=100000)).ok
    assert classified(ygpt_server) == 6


@pytest.mark.usefixtures("priced")
def test_a_single_labels_cell_is_capped_as_every_cell_is(shell, ygpt_server):
    """max_cost_per_cell holds for a --labels cell too, and --max-cost overrides it there: a
    classification is estimated at its classify price, and refused unpriced under a cap."""
    shell.run_line_magic("config", "YGptMagics.max_cost_per_cell = 0.0001")
    source = "%%ygpt --labels good,bad{flag}\nGreat phone"
    assert_clear_error(cell(shell, source.format(flag="")), "cannot be checked", "yandexgpt, classify",
                       "nothing was sent", error_type=CostOverCap)
    shell.run_line_magic("config", CLASSIFY_A_ROUBLE_A_TOKEN)
    message = assert_clear_error(cell(shell, source.format(flag="")), "over the cap of 0.0001",
                                 "(yandexgpt, classify)", "nothing was sent", error_type=CostOverCap)
    assert "output" not in message
    assert_clear_error(cell(shell, source.format(flag=" --max-cost 1")), "over the cap of 1",
                       error_type=CostOverCap)
    assert classified(ygpt_server) == 0
    assert cell(shell, source.format(flag=" --max-cost 1000")).ok
    assert classified(ygpt_server) == 1
    shell.run_line_magic("config", 'YGptMagics.prices = {"yandexgpt-lite": {"classify": 1000}}')
    tuned = assert_clear_error(cell(shell, f"%%ygpt --model {TUNED}\nGreat phone"), "over the cap of 0.0001",
                               "classify", error_type=CostOverCap)
    assert "output" not in tuned
    shell.user_ns["reviews"] = ["Great phone", "Broke in a week"]
    assert_clear_error(cell(shell, f"%%ygpt --map reviews --model {TUNED} --max-cost 1\n{{item}}"),
                       "over the cap of 1", "(yandexgpt-lite/rc@tamrap1sjscq6e9flit3p, classify)",
                       error_type=CostOverCap)
    assert classified(ygpt_server) == 1


@pytest.mark.usefixtures("priced")
def test_a_labels_map_estimate_counts_the_task_and_labels_the_classifier_reads(shell, ygpt_server, magics):
    """Zero-shot, the classifier reads the task and the labels with every row: the estimate
    counts them, so it is close to the bill (it was half of it), and a run that fits its cap at
    the classify price goes ahead. The task is long (some 90 tokens a row), so an estimate without
    it could not pass; the classifier's own instructions, which the tokenizer API is not shown
    (28 tokens a row), are counted by the estimate as the server bills them."""
    shell.run_line_magic("config", CLASSIFY_A_ROUBLE_A_TOKEN)
    shell.user_ns["reviews"] = [f"review number {i}: the phone broke after a week, awful" for i in range(30)]
    task = " ".join(["Say how the customer who wrote this review of a phone feels about it."] * 6)
    source = f'%%ygpt --map reviews --labels positive,negative,neutral --task "{task}" --max-cost {{cap}}\n{{{{item}}}}'
    refused = assert_clear_error(cell(shell, source.format(cap=1)), "over the cap of 1", error_type=CostOverCap)
    estimated = roubles_in(refused)
    assert cell(shell, source.format(cap=estimated * Decimal("1.1"))).ok
    billed = magics.kernel.session.accounts.by_source["classifications"].cost.amount
    assert abs(estimated - billed) <= billed / 20, f"estimated ≈{estimated} ₽, billed {billed} ₽"
    assert classified(ygpt_server) == 30


@pytest.mark.usefixtures("priced")
def test_a_few_shot_labels_estimate_counts_the_classifiers_own_instructions(shell, ygpt_server, magics):
    """A short text, two labels and two samples: the classifier's own instructions are most of what
    it reads (28 tokens, 10 more a sample: the cloud billed 46 and 72 for the recorded "foo"), so an
    estimate of the task, labels, samples and text alone was under half the bill and a cap let
    twice itself through. The estimate now comes to the bill."""
    shell.run_line_magic("config", CLASSIFY_A_ROUBLE_A_TOKEN)
    shell.user_ns["shots"] = [{"text": "love it", "label": "good"}, {"text": "hate it", "label": "bad"}]
    source = "%%ygpt --labels good,bad --samples shots --max-cost {cap}\nGreat phone"
    refused = assert_clear_error(cell(shell, source.format(cap=1)), "over the cap of 1", error_type=CostOverCap)
    estimated = roubles_in(refused)
    assert cell(shell, source.format(cap=estimated * Decimal("1.1"))).ok
    billed = magics.kernel.session.accounts.by_source["classifications"].cost.amount
    assert abs(estimated - billed) <= billed / 20, f"estimated ≈{estimated} ₽, billed {billed} ₽"
    assert billed > 48   # the instructions and the two samples' share of them


@pytest.mark.usefixtures("priced")
def test_similar_embeds_under_the_same_cap_as_embed_counting_only_what_it_would_send(shell, ygpt_server):
    shell.user_ns["docs"] = [f"document number {i} about cats and dogs" for i in range(20)]
    shell.run_line_magic("config", 'YGptMagics.prices = {"text-search-doc": 1000}')   # 1 ₽ a token
    shell.run_line_magic("config", "YGptMagics.max_cost_per_cell = 50")
    assert_clear_error(cell(shell, "%ygpt similar cats --in docs"), "%ygpt similar --in docs",
                       "over the cap of 50", "nothing was sent", error_type=CostOverCap)
    assert_clear_error(cell(shell, "%ygpt similar cats --in docs --max-cost 60"), "over the cap of 60",
                       error_type=CostOverCap)
    assert not any(r.method == "TextEmbedding" for r in ygpt_server.requests)
    assert cell(shell, "%ygpt similar cats --in docs --max-cost 1000").ok
    ygpt_server.reset()   # the texts are in the memo now: only the query is sent, and counted
    run = cell(shell, "%ygpt similar dogs --in docs")
    assert run.ok, run.message
    assert [r.messages[0]["text"] for r in ygpt_server.requests if r.method == "TextEmbedding"] == ["dogs"]


@pytest.mark.usefixtures("priced")
def test_similar_prices_its_text_at_the_query_models_price_and_says_to_shorten_text(shell, ygpt_server):
    """findings/meaning8.md 8: TEXT goes to text-search-query but was priced with NAME's texts as
    text-search-doc, so a price set for the query model alone was not what the cap checked (6
    tokens let through at the doc price, here 1 ₽ a token), and the refusal said "shorten the
    prompt", which %ygpt similar has none of."""
    shell.user_ns["docs"] = ["cats sleep in the sun", "tax returns are due in April"]
    assert cell(shell, "%ygpt embed docs").ok
    shell.run_line_magic("config", 'YGptMagics.prices = {"text-search-query": 1000}')   # 1 ₽ a token
    ygpt_server.reset()
    message = assert_clear_error(cell(shell, "%ygpt similar where do cats sleep --in docs --max-cost 2"),
                                 "%ygpt similar --in docs", "(text-search-query, sync)", "over the cap of 2",
                                 "nothing was sent", "shorten TEXT", error_type=CostOverCap)
    assert "text-search-doc" not in message and "the prompt" not in message, message
    assert not any(r.method == "TextEmbedding" for r in ygpt_server.requests)
    assert cell(shell, "%ygpt similar where do cats sleep --in docs --max-cost 100").ok


@pytest.mark.usefixtures("priced")
@pytest.mark.slow
def test_embed_stops_at_its_cap_when_the_sampled_estimate_was_low(shell, ygpt_server):
    shell.user_ns["texts"] = skewed("text", 40)   # estimated ≈760 tokens, 1,726 in fact
    shell.run_line_magic("config", 'YGptMagics.prices = {"text-search-doc": 1000}')
    ygpt_server.faults.first_chunk_latency(0.2)
    run = cell(shell, "%ygpt embed texts --max-cost 1000 --concurrency 4")
    assert run.ok, run.message
    sent = Counter(r.messages[0]["text"] for r in ygpt_server.requests if r.method == "TextEmbedding")
    assert set(sent.values()) == {1} and 0 < len(sent) < 40
    assert "Stopped at the cost cap" in run.stdout and f"{40 - len(sent)} rows left" in run.stdout
    embedded = shell.user_ns["_ygpt"]
    assert embedded.answered == len(sent) and embedded.left == 40 - len(sent)
    ygpt_server.reset()
    assert cell(shell, "%ygpt embed texts --max-cost 100000").ok
    again = [r.messages[0]["text"] for r in ygpt_server.requests if r.method == "TextEmbedding"]
    assert len(again) == 40 - len(sent) and not set(again) & set(sent)


@pytest.mark.usefixtures("priced")
def test_a_cheaper_model_is_offered_only_when_there_is_one_for_the_mode(shell, ygpt_server):
    """Built-in prices: yandexgpt-lite is the cheapest synchronous model, gemma-3-12b-it the
    cheapest batch one; a refusal never offers the model in use or one that cannot run the job."""
    shell.user_ns["words"] = [f"word{i}" for i in range(5)]
    shell.run_line_magic("config", "YGptMagics.prices = {}")

    def refusal(flags: str) -> str:
        return assert_clear_error(cell(shell, f"%%ygpt --map words {flags} --max-cost 0.000001\nSpell {{item}}"),
                                  "over the cap", error_type=CostOverCap)

    assert "--model yandexgpt-lite" in refusal("")
    assert "cheaper model" not in refusal("-m yandexgpt-lite")
    assert "--model gemma-3-12b-it" in refusal("--batch -m gemma-3-27b-it")
    cheapest = refusal("--batch -m gemma-3-12b-it")
    assert "cheaper model" not in cheapest and "yandexgpt-lite" not in cheapest
    assert completions(ygpt_server) == []


def test_a_batch_job_is_estimated_and_capped_at_the_minimum_it_is_billed(shell, ygpt_server):
    """A job is billed at least 200,000 tokens (40 ₽ on gemma-3-12b-it, 0.20 ₽ per 1,000): three
    short rows' own tokens (≈0.2 ₽) let a 1 ₽ cap start a 40 ₽ job, and %ygpt usage sent the user
    to that dry run for what a job cost."""
    shell.run_line_magic("config", "YGptMagics.batch_poll_interval = 0.02")
    ygpt_server.batch_row_delay = 0.0
    shell.user_ns["reviews"] = ["Great phone", "Broke in a week", "Fine"]
    dry = cell(shell, "%%ygpt --map reviews --batch -m gemma-3-12b-it --dry-run\nReview: {item}")
    assert roubles_in(dry.plain) == 40
    assert "billed at least 200,000 tokens" in dry.plain
    assert "(gemma-3-12b-it, batch)" in dry.plain
    message = assert_clear_error(
        cell(shell, "%%ygpt --map reviews --batch -m gemma-3-12b-it --max-cost 1 --out capped\nReview: {item}"),
        "200,000 tokens", "over the cap of 1", "nothing was sent", "--max-cost 48", "drop --batch",
        error_type=CostOverCap)
    assert "fewer (3 requests" not in message
    assert "capped" not in shell.user_ns  # a name no other test of this shell sets
    assert not any(r.method in ("CreateBatch", "BatchRow") for r in ygpt_server.requests)
    assert cell(shell, "%%ygpt --map reviews --batch -m gemma-3-12b-it --max-cost 48 --out capped\nReview: {item}").ok
    assert len(shell.user_ns["capped"]) == 3
