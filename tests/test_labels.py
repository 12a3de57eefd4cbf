"""%%ygpt --labels: the cell's text classified through the real shell, the unmodified SDK and the
local server's classifiers; alone and with --map; what the user sees, what _ygpt holds, what the
server received, and one clear paragraph for every bad input."""

from __future__ import annotations

import pandas as pd
import pytest
from cellrun import assert_clean, assert_clear_error
from conftest import cell

from ygpt_magic import errors

CANARY = "AQVNcanaryLbl-7f3a9c2e51d0b8-LEAKCHECK-z9Qe"
TUNED = "yandexgpt-lite/rc@tamrap1sjscq6e9flit3p"


def classified(server) -> list:
    return [r for r in server.requests if r.method in ("Classify", "FewShotClassify")]


def test_a_cell_is_classified_best_first_with_a_table_and_the_footer(shell, ygpt_server):
    shell.user_ns["city"] = "London"
    run = cell(shell, "%%ygpt --labels translation,alarm,weather\nwhat will the weather be in {city} tomorrow?")
    assert run.ok, run.message
    assert_clean(run)
    reply = shell.user_ns["_ygpt"]
    assert reply.text == "weather"
    assert list(reply.parsed)[0] == "weather" and set(reply.parsed) == {"translation", "alarm", "weather"}
    assert abs(sum(reply.parsed.values()) - 1) < 1e-6
    assert list(reply.parsed.values()) == sorted(reply.parsed.values(), reverse=True)
    (sent,) = classified(ygpt_server)
    assert sent.method == "FewShotClassify"
    assert sent.messages[-1]["text"] == "what will the weather be in London tomorrow?"
    assert "label" in run.final and "confidence" in run.final and "yandexgpt" in run.final
    assert run.final.index("weather") < run.final.index("alarm")


def test_samples_make_it_few_shot_and_pull_the_text_to_their_label(shell, ygpt_server):
    shell.user_ns["examples"] = pd.DataFrame({"text": ["переведи на английский", "поставь будильник"],
                                              "label": ["перевод", "будильник"]})
    run = cell(shell, '%%ygpt --labels перевод,будильник,погода --samples examples --task "определи намерение"\n'
                      'переведи на английский "какая погода в лондоне?"')
    assert run.ok, run.message
    assert shell.user_ns["_ygpt"].text == "перевод"
    list_run = cell(shell, "%%ygpt --labels a,b --samples few --out best\nsome text")
    assert not list_run.ok  # few is not defined yet
    shell.user_ns["few"] = [{"text": "some text", "label": "b"}]
    list_run = cell(shell, "%%ygpt --labels a,b --samples few --out best\nsome text")
    assert list_run.ok, list_run.message
    assert shell.user_ns["best"] == "b"


def test_a_tuned_classifier_answers_with_its_own_labels(shell, ygpt_server):
    run = cell(shell, f"%%ygpt --model {TUNED}\nhello")
    assert run.ok, run.message
    reply = shell.user_ns["_ygpt"]
    assert reply.text == "оператор" and reply.parsed == {"оператор": pytest.approx(0.834, abs=1e-3)}
    assert classified(ygpt_server)[-1].method == "Classify"


def test_a_value_cut_short_is_said_above_the_table_as_a_chat_reply_says_it(shell, ygpt_server):
    shell.user_ns["doc"] = "The weather is sunny today. " * 3000      # 84,000 characters
    run = cell(shell, "%%ygpt --labels weather,alarm\n{doc}")
    assert run.ok, run.message
    assert len(classified(ygpt_server)[-1].messages[-1]["text"]) < 84_000
    note = "{doc}: 84,000 characters, cut to the first 8,000 characters"
    assert note in run.page and note in run.plain
    assert run.plain.index(note) < run.plain.index("confidence")
    assert note in cell(shell, "%%ygpt --once\nSummarise {doc}").page


@pytest.mark.parametrize(("flags", "keywords"), [
    ("--labels only", ("2 to 20", "and the cell gives 1 label.")),
    ("--labels a,b,a", ("twice",)),
    ("--labels a,,b", ("empty",)),
    ("--labels " + ",".join(f"l{i}" for i in range(21)), ("20", "service's limit", "gives 21 labels.")),
    ("--labels a," + "x" * 101, ("100 characters",)),
    ("--labels a,b --tools f", ("--tools", "table")),
    ("--labels a,b --schema S", ("--schema",)),
    ("--labels a,b --image pic", ("--image",)),
    ("--labels a,b --deferred", ("--deferred",)),
    ("--labels a,b --docs notes.md", ("--docs", "table")),
    ("--labels a,b -t 0.3", ("--temperature",)),
    ("--samples s", ("--labels",)),
    (f"--model {TUNED} --labels a,b", ("tuned", "fixed")),
    ("--model cls://folder/my-classifier --task x", ("tuned", "fixed")),
])
def test_bad_flags_get_one_clear_paragraph_and_nothing_is_sent(shell, ygpt_server, flags, keywords):
    run = cell(shell, f"%%ygpt {flags}\nsome text")
    assert_clear_error(run, *keywords, error_type=errors.OptionError)
    assert not classified(ygpt_server)


@pytest.mark.parametrize(("given", "pair"), [
    ("positive,Positive,negative", "'positive' and 'Positive'"),
    ('"positive,negative, neutral ,Neutral"', "'neutral' and 'Neutral'"),
])
def test_labels_equal_but_for_case_are_refused_naming_the_pair(shell, ygpt_server, given, pair):
    """findings/meaning8.md 6: labels that differ only in case were taken, and the classifier
    split the confidence between them ("love it": positive 0.488, Positive 0.488), so a clear
    answer looked like a coin toss; an exact repeat was refused, these are too."""
    shell.user_ns["rv"] = pd.DataFrame({"r": ["love it", "it broke"]})
    run = cell(shell, f"%%ygpt --map rv --labels {given} --out t\n{{r}}")
    assert_clear_error(run, pair, "differ only in case", "split the confidence", "give one",
                       error_type=errors.OptionError)
    assert not classified(ygpt_server)
    assert cell(shell, "%%ygpt --map rv --labels positive,negative --out t\n{r}").ok


@pytest.mark.parametrize(("samples", "keywords"), [
    (pd.DataFrame({"sentence": ["x"], "label": ["a"]}), ("'text' and a 'label' column",)),
    ([{"text": "x", "label": "c"}], ("'c'", "not one of --labels")),
    ("text", ("str",)),
])
def test_bad_samples_are_refused_before_anything_is_sent(shell, ygpt_server, samples, keywords):
    shell.user_ns["samples"] = samples
    run = cell(shell, "%%ygpt --labels a,b --samples samples\nsome text")
    assert_clear_error(run, *keywords, error_type=errors.OptionError)
    assert not classified(ygpt_server)


@pytest.mark.parametrize("model", ["llama", "qwen3-235b-a22b-fp8"])
def test_a_chat_model_given_to_labels_is_said_to_be_no_classifier_before_anything_is_sent(shell, ygpt_server,
                                                                                        model):
    message = assert_clear_error(cell(shell, f"%%ygpt --labels a,b --model {model}\nsome text"),
                                 f"--model {model} is a chat model, not a classifier", "yandexgpt or yandexgpt-lite",
                                 "cls://<folder_id>/<name>/<version>", error_type=errors.OptionError)
    assert "not found" not in message and "gpt://" not in message.replace("cls://", "")
    shell.run_line_magic("config", f"YGptMagics.model = {model!r}")
    try:
        notebooks = assert_clear_error(cell(shell, "%%ygpt --labels a,b\nsome text"),
                                       f"the notebook's model, {model}", "Add --model yandexgpt",
                                       error_type=errors.OptionError)
    finally:
        shell.run_line_magic("config", "YGptMagics.model = 'yandexgpt'")
    assert "not found" not in notebooks
    assert not classified(ygpt_server)
    assert cell(shell, "%%ygpt --labels a,b --model yandexgpt-lite/rc\nsome text").ok


def test_a_tuned_classifier_that_is_not_found_gets_a_classifiers_advice(shell, ygpt_server):
    message = assert_clear_error(cell(shell, "%%ygpt --model cls://b1gtestfolder/my-classifier/v1\nsome text"),
                                 "The classifier 'my-classifier/v1' was not found",
                                 "cls://<folder_id>/<name>/<version>", "YC_FOLDER_ID",
                                 error_type=errors.ModelNotFound)
    assert "gpt://<folder_id>" not in message and "%ygpt models" not in message


def test_a_text_too_long_for_the_classifier_is_told_to_be_shortened_or_split(shell, ygpt_server):
    message = assert_clear_error(cell(shell, "%%ygpt --labels weather,alarm\n" + "word " * 9000),
                                 "A classifier reads at most 8,000 tokens of text", "--map",
                                 error_type=errors.TextTooLongToClassify)
    assert "system message" not in message and "chat history" not in message and "context" not in message


def test_a_quota_fault_is_retried_by_the_sdk_and_the_cell_still_answers(shell, ygpt_server):
    ygpt_server.faults.fail_next(1, "RESOURCE_EXHAUSTED", method="FewShotClassify")
    run = cell(shell, "%%ygpt --labels a,b\nsome text")
    assert run.ok, run.message
    assert len(classified(ygpt_server)) == 2


def test_a_key_in_the_text_or_the_samples_is_never_sent(shell, ygpt_server, clean_env):
    clean_env.setenv("YC_API_KEY", CANARY)
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    shell.user_ns["secret"] = CANARY
    run = cell(shell, "%%ygpt --labels a,b\ncheck {secret}")
    assert_clear_error(run, "nothing was sent", error_type=errors.CredentialInPrompt)
    shell.user_ns["leaky"] = [{"text": f"key {CANARY}", "label": "a"}]
    run = cell(shell, "%%ygpt --labels a,b --samples leaky\nplain text")
    assert_clear_error(run, error_type=errors.CredentialInPrompt)
    assert "LEAKCHECK" not in run.shown
    assert not classified(ygpt_server)


def test_a_key_in_the_task_or_a_label_is_never_sent_nor_shown(shell, ygpt_server, clean_env):
    """The labels and the task go out with every classification, as its text does: the guard
    checks them too, and its refusal names the flag, not the key."""
    clean_env.setenv("YC_API_KEY", CANARY)
    shell.run_line_magic("ygpt", f"connect {ygpt_server.address} --insecure")
    task = cell(shell, f'%%ygpt --labels a,b --task "classify; key {CANARY}"\nsome text')
    assert_clear_error(task, "the --task", "nothing was sent", error_type=errors.CredentialInPrompt)
    label = cell(shell, f"%%ygpt --labels a,{CANARY}\nsome text")
    assert_clear_error(label, "the --labels", "nothing was sent", error_type=errors.CredentialInPrompt)
    shell.user_ns["texts"] = ["one text", "another"]
    mapped = cell(shell, f"%%ygpt --map texts --labels a,{CANARY}\n{{item}}")
    assert_clear_error(mapped, "the --labels", error_type=errors.CredentialInPrompt)
    assert not any("LEAKCHECK" in run.shown for run in (task, label, mapped))
    assert not classified(ygpt_server)


def test_usage_counts_classifications(shell, magics, ygpt_server):
    assert cell(shell, "%%ygpt --labels a,b\nsome text").ok
    accounts = magics.kernel.session.accounts
    assert accounts.by_source["classifications"].requests == 1


def test_a_priced_classification_shows_its_cost_as_every_reply_does(shell, magics, ygpt_server):
    shell.run_line_magic("config", 'YGptMagics.prices = {"yandexgpt": {"classify": 0.4}}')
    try:
        run = cell(shell, "%%ygpt --labels weather,alarm\nwhat will the weather be tomorrow")
        assert run.ok, run.message
        reply = shell.user_ns["_ygpt"]
        assert reply.cost == magics.kernel.session.accounts.by_source["classifications"].cost.amount > 0
        assert "would bill ≈" in run.shown
    finally:
        shell.run_line_magic("config", "YGptMagics.prices = {}")


def test_an_unpriced_classification_says_no_price_as_usage_does(shell, magics, ygpt_server):
    """The price table has no classifier price: the footer says so, as %ygpt usage and cost.md do,
    instead of leaving the cost out as though the request were free (learner L1)."""
    run = cell(shell, "%%ygpt --labels delivery,quality\nThe box arrived crushed.")
    assert run.ok, run.message
    footer = next(line for line in run.final.splitlines() if "tokens" in line)
    assert "no price" in footer, footer
    assert str(magics.kernel.session.accounts.by_source["classifications"].cost) == "no price"


def test_map_gives_a_frame_on_the_rows_index_with_a_failed_row_and_a_resume(shell, ygpt_server):
    reviews = pd.DataFrame({"review": ["great phone", "broke in a week", "weather app", "alarm clock"]},
                           index=["r1", "r2", "r3", "r4"])
    shell.user_ns["reviews"] = reviews
    ygpt_server.faults.fail_next(1, "INTERNAL", "the classifier broke", method="FewShotClassify")
    source = "%%ygpt --map reviews --labels weather,alarm,phone --out result --concurrency 1\n{review}"
    run = cell(shell, source)
    assert run.ok, run.message
    result = shell.user_ns["result"]
    assert list(result.columns) == ["label", "confidence", "weather", "alarm", "phone"]
    assert list(result.index) == ["r1", "r2", "r3", "r4"]
    assert pd.isna(result.loc["r1", "label"])
    assert result.loc["r3", "label"] == "weather" and result.loc["r4", "label"] == "alarm"
    assert "the classifier broke" in shell.user_ns["_ygpt"].errors["r1"]
    assert "✗ 1 failed" in run.stdout
    joined = reviews.join(result)
    assert len(joined[joined.confidence < 2]) == 3
    sent = len(classified(ygpt_server))
    again = cell(shell, source)
    assert again.ok, again.message
    assert len(classified(ygpt_server)) == sent + 1     # only the failed row
    assert shell.user_ns["result"].loc["r1", "label"] == "phone"
    assert "(3 from this kernel's earlier runs)" in again.stdout


def test_a_class_named_like_a_result_column_is_refused_before_any_row_is_sent(shell, ygpt_server):
    shell.user_ns["reviews"] = ["great phone", "broke in a week"]
    assert_clear_error(cell(shell, "%%ygpt --map reviews --labels good,bad,label\n{item}"),
                       "'label' names a column of the result", "label_", error_type=errors.OptionError)
    assert classified(ygpt_server) == []


def test_the_reply_cache_replays_a_classification_and_keys_the_task(shell, ygpt_server, tmp_path):
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'cache.sqlite')!r}")
    source = "%%ygpt --labels weather,alarm\nweather tomorrow"
    first = cell(shell, source)
    again = cell(shell, source)
    assert first.ok and again.ok, (first.message, again.message)
    assert len(classified(ygpt_server)) == 1
    assert "cached" in again.final and shell.user_ns["_ygpt"].text == "weather"
    assert cell(shell, '%%ygpt --labels weather,alarm --task "intent"\nweather tomorrow').ok
    assert len(classified(ygpt_server)) == 2


def test_map_rows_are_cached_and_counted_under_the_classifier_not_the_chat_settings(shell, magics, ygpt_server,
                                                                                    tmp_path):
    """A classifier takes no temperature and answers by its own model: a --map --labels row is
    recorded and paid under the classifier's request, so with a notebook temperature set the rows
    replay after a restart (the memo gone), and usage names the classifier's model."""
    shell.run_line_magic("config", f"YGptMagics.cache_path = {str(tmp_path / 'cache.sqlite')!r}")
    shell.run_line_magic("config", "YGptMagics.temperature = 0.3")
    shell.user_ns["texts"] = ["weather tomorrow", "wake me at 7"]
    source = "%%ygpt --map texts --labels weather,alarm --model yandexgpt-lite --out result\n{item}"
    assert cell(shell, source).ok
    sent = len(classified(ygpt_server))
    magics.kernel.row_memo.clear()   # as after a kernel restart: only the reply cache is left
    again = cell(shell, source)
    assert again.ok, again.message
    assert len(classified(ygpt_server)) == sent and "2 rows replayed from the reply cache" in again.stdout
    models = magics.kernel.session.accounts.by_model
    assert any(name.startswith("yandexgpt-lite") for name in models), list(models)


def test_map_rows_are_classified_whatever_tools_the_chat_offers(shell, ygpt_server):
    """A classification is no chat request: a chat's tools, which --map refuses for its rows, do
    not stop --map --labels (a single --labels cell never minded them either)."""
    assert cell(shell, "def f(x: int) -> int:\n    '''Double x.'''\n    return 2 * x").ok
    shell.run_line_magic("ygpt", "config --tools f")
    shell.user_ns["texts"] = ["weather tomorrow", "wake me at 7"]
    run = cell(shell, "%%ygpt --map texts --labels weather,alarm --out result\n{item}")
    assert run.ok, run.message
    assert shell.user_ns["result"].label.notna().all() and "2 answered" in run.stdout


def test_a_refused_classification_names_what_to_check_for_a_classifier(shell, ygpt_server):
    ygpt_server.faults.fail_next(1, "INVALID_ARGUMENT", "a value is wrong", method="FewShotClassify")
    message = assert_clear_error(cell(shell, "%%ygpt --labels a,b\nsome text"), "INVALID_ARGUMENT", "labels",
                                 error_type=errors.RequestRejected)
    assert "temperature" not in message
