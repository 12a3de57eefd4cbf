"""The local server through the wire with the unmodified SDK: both connection forms, every mode."""

from __future__ import annotations

import asyncio
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import AsyncYCloudML, YCloudML

from ygpt_magic.emulator.testing import sdk_kwargs

TRANSLATE = [
    {"role": "system", "text": "Translate the text"},
    {"role": "user", "text": "To be, or not to be: that is the question."},
]
EINSTEIN_1 = "Hi! What fields of science did Albert Einstein study?"
EINSTEIN_2 = "What important discoveries did he make?"


@pytest.fixture(params=["discovery", "service_map"])
def model(request, ygpt_server):
    sdk = YCloudML(**sdk_kwargs(ygpt_server.address, discovery=request.param == "discovery"))
    return sdk.models.completions("yandexgpt")


def test_run_returns_the_scripted_translation(model, ygpt_server):
    result = model.run(TRANSLATE)
    assert result.text == "Быть или не быть: вот в чём вопрос."
    assert result.status.name == "FINAL"
    assert result.model_version
    assert ygpt_server.requests[-1].messages == TRANSLATE
    assert ygpt_server.requests[-1].stream is False


def test_stream_chunks_extend_each_other_and_usage_matches_the_tokenizer(model, ygpt_server):
    chunks = list(model.run_stream(EINSTEIN_1))
    assert len(chunks) > 3
    for before, after in zip(chunks, chunks[1:]):
        assert after.text.startswith(before.text) and len(after.text) > len(before.text)
        assert after.usage.completion_tokens > before.usage.completion_tokens
    assert [c.status.name for c in chunks] == ["PARTIAL"] * (len(chunks) - 1) + ["FINAL"]
    assert chunks[-1].text.startswith("Hi! Albert Einstein was a theoretical physicist.")
    tokens = model.tokenize(EINSTEIN_1)
    assert {c.usage.input_text_tokens for c in chunks} == {len(tokens)}
    last = chunks[-1].usage
    assert last.total_tokens == last.input_text_tokens + last.completion_tokens
    assert ygpt_server.requests[0].stream is True


def test_deferred_operation_waits_then_returns_the_reply(model, ygpt_server):
    ygpt_server.operation_delay = 0.1
    operation = model.run_deferred(TRANSLATE)
    assert operation.get_status().is_running
    result = operation.wait(poll_interval=0.05)
    assert result.text == "Быть или не быть: вот в чём вопрос."
    assert [r.method for r in ygpt_server.requests] == ["AsyncCompletion"]


def test_tokenize_counts_the_whole_request(model):
    # not "hello": that prompt is recorded, and counts as the real service counted it (15)
    short = model.tokenize("hello there")
    longer = model.tokenize([{"role": "system", "text": "Be brief"}, {"role": "user", "text": "hello there"}])
    assert short[0].special and short[0].text == "<s>"
    assert len(longer) > len(short)


def test_async_sdk_streams_too(ygpt_server):
    async def collect():
        sdk = AsyncYCloudML(**sdk_kwargs(ygpt_server.address))
        return [chunk.text async for chunk in sdk.models.completions("yandexgpt-lite").run_stream(TRANSLATE)]

    texts = asyncio.run(collect())
    assert texts[-1] == "Быть или не быть: вот в чём вопрос."
    assert len(texts) >= 2


def test_tutorial_prompts_get_their_exact_answers(ygpt_server):
    model = YCloudML(**sdk_kwargs(ygpt_server.address)).models.completions("yandexgpt")
    french = [{"role": "system", "text": "Translate the text into French"}, TRANSLATE[1]]
    assert model.run(french).text == "Être ou ne pas être : telle est la question."
    assert model.run("Erors  wont corrct themselfs").text == "Errors will not correct themselves."
    first = model.run(EINSTEIN_1).text
    chat = [{"role": "user", "text": EINSTEIN_1}, {"role": "assistant", "text": first},
            {"role": "user", "text": EINSTEIN_2}]
    second = model.run(chat).text
    assert "*E = mc²*" in second
    chat += [{"role": "assistant", "text": second}, {"role": "user", "text": "Make it shorter"}]
    shorter = model.run(chat).text
    assert shorter.startswith("Einstein's key discoveries:") and len(shorter) < len(second)


def test_history_changes_the_answer_and_the_same_history_repeats_it(ygpt_server):
    model = YCloudML(**sdk_kwargs(ygpt_server.address)).models.completions("yandexgpt")
    alone = model.run(EINSTEIN_2).text
    with_history = model.run([{"role": "user", "text": EINSTEIN_1}, {"role": "assistant", "text": "..."},
                              {"role": "user", "text": EINSTEIN_2}]).text
    assert alone != with_history
    assert model.run(EINSTEIN_2).text == alone
    unknown = model.run("How do I bake rye bread?").text
    other = model.run([{"role": "user", "text": "Hello"}, {"role": "assistant", "text": "Hi!"},
                       {"role": "user", "text": "How do I bake rye bread?"}]).text
    assert unknown != other and unknown.count(".") >= 3   # several sentences
