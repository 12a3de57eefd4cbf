"""Tools through the wire with the unmodified SDK: the local server calls them like the real one.

Every answer here is what a client sees (status, tool calls, arguments, text) or what the server
received (``ygpt_server.requests``); arguments are checked against the tool's own JSON schema.
"""

from __future__ import annotations

import json
import warnings

import grpc
import jsonschema
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from ygpt_magic.emulator import start_local_server
from ygpt_magic.emulator.responders.scripted import load_script
from ygpt_magic.emulator.testing import sdk_kwargs

SALES = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "enum": ["north", "south", "east", "west"]},
        "limit": {"type": "integer", "minimum": 1, "maximum": 50},
        "include_returns": {"type": "boolean"},
        "period": {"type": "object", "properties": {"since": {"type": "string", "format": "date"},
                                                   "months": {"type": "array", "items": {"type": "integer"}}},
                   "required": ["since"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["region", "limit"],
}
WEATHER = {"type": "object", "properties": {"city": {"type": "string"}, "date": {"type": "string"}},
           "required": ["city", "date"]}
CALC = {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}
ASK_SALES = "How many sales did the north region have? Show the top 5."
SOMETHING = "do a SOMETHING with all the numbers from: 5, 4, a, 1"
SOMETHING_AND_SPOONING = "do a SOMETHING and SPOONING with all the numbers from: 5, 4, a, 1"
NUMBERS = {"title": "Numbers", "type": "object",
           "properties": {"numbers": {"title": "Numbers", "type": "array", "items": {"type": "integer"}}},
           "required": ["numbers"]}
SOMETHING_DESCRIPTION = "Tool which have to collect all the numbers from user message and do a {} with it"


@pytest.fixture
def sdk(ygpt_server):
    ygpt_server.operation_delay = 0.0
    return YCloudML(**sdk_kwargs(ygpt_server.address))


def tools(sdk, *specs):
    return [sdk.tools.function(name=name, description=description, parameters=schema)
            for name, description, schema in specs]


def sales_model(sdk, **config):
    return sdk.models.completions("yandexgpt").configure(
        tools=tools(sdk, ("get_sales", "Sales rows of one region", SALES),
                    ("get_weather", "Weather forecast for a city", WEATHER)), **config)


def only_call(result):
    assert result.status.name == "TOOL_CALLS" and not result.text
    [call] = result.tool_calls
    return call.function


@pytest.mark.parametrize("mode", ["run", "run_stream", "run_deferred"])
def test_a_named_tool_is_called_with_arguments_valid_for_its_schema(sdk, mode):
    model = sales_model(sdk)
    if mode == "run_stream":
        events = list(model.run_stream(ASK_SALES))
        assert len(events) == 1   # like the real service: the calls come in one response
        result = events[0]
    elif mode == "run_deferred":
        result = model.run_deferred(ASK_SALES).wait(poll_interval=0.05)
    else:
        result = model.run(ASK_SALES)
    call = only_call(result)
    assert call.name == "get_sales"
    jsonschema.validate(call.arguments, SALES)
    assert call.arguments["region"] == "north" and call.arguments["limit"] == 5
    assert isinstance(call.arguments["period"]["months"], list) and isinstance(call.arguments["tags"], list)
    assert result.usage.completion_tokens > 0


def test_the_results_go_back_as_tool_result_list_and_the_answer_uses_them(sdk, ygpt_server):
    model = sales_model(sdk)
    messages: list = [ASK_SALES]
    first = model.run(messages)
    messages += [first, {"tool_results": [{"name": "get_sales", "content": "1,204 rows"}]}]
    final = model.run(messages)
    assert final.status.name == "FINAL" and not final.tool_calls
    assert "1,204 rows" in final.text
    sent = ygpt_server.requests[-1].messages
    assert sent[1]["tool_calls"][0]["name"] == "get_sales"
    assert sent[1]["tool_calls"][0]["arguments"]["region"] == "north"
    assert sent[2]["tool_results"] == [{"name": "get_sales", "content": "1,204 rows"}]


def test_two_named_tools_are_called_in_parallel_or_one_per_round(sdk, ygpt_server):
    question = "Get the sales of the south and the weather in Paris for 12 of March"
    both = sales_model(sdk).run(question)
    assert [c.function.name for c in both.tool_calls] == ["get_sales", "get_weather"]
    assert both.tool_calls[1].function.arguments == {"city": "Paris", "date": "12 of March"}

    model = sales_model(sdk, parallel_tool_calls=False)
    messages: list = [question]
    names = []
    for _ in range(3):
        result = model.run(messages)
        if not result.tool_calls:
            break
        [call] = result.tool_calls
        names.append(call.function.name)
        messages += [result, {"tool_results": [{"name": call.function.name, "content": f"{call.function.name} ok"}]}]
    assert names == ["get_sales", "get_weather"]
    assert result.status.name == "FINAL" and "get_sales ok" in result.text and "get_weather ok" in result.text
    assert ygpt_server.requests[-1].options["parallel_tool_calls"] is False


def test_tool_choice_none_required_and_a_named_function(sdk, ygpt_server):
    model = sales_model(sdk)
    off = model.configure(tool_choice="none").run(ASK_SALES)
    assert off.status.name == "FINAL" and not off.tool_calls and off.text
    assert ygpt_server.requests[-1].tool_choice == "none"

    unrelated = "Tell me a joke about cats"
    assert model.run(unrelated).status.name == "FINAL"
    forced = only_call(model.configure(tool_choice="required").run(unrelated))
    assert forced.name == "get_sales"
    jsonschema.validate(forced.arguments, SALES)

    weather_tool = tools(sdk, ("get_weather", "Weather forecast for a city", WEATHER))[0]
    named = only_call(model.configure(tool_choice=weather_tool).run(ASK_SALES))
    assert named.name == "get_weather" and ygpt_server.requests[-1].tool_choice == "get_weather"


def test_required_keeps_calling_after_the_results(sdk):
    model = sales_model(sdk, tool_choice="required")
    first = model.run(ASK_SALES)
    again = model.run([ASK_SALES, first, {"tool_results": [{"name": "get_sales", "content": "7"}]}])
    assert again.status.name == "TOOL_CALLS"


def test_an_ambiguous_question_gets_text_under_auto_and_the_first_tool_when_required(sdk):
    does = "A simple calculator that performs basic arithmetic and {} operations."
    calculators = tools(sdk, ("calculator_tool", does.format("@"), CALC),
                        ("another_calculator", does.format("%"), CALC))
    model = sdk.models.completions("yandexgpt").configure(tools=calculators)
    assert model.run("How much it would be 7@8?").status.name == "FINAL"
    call = only_call(model.configure(tool_choice="required").run("How much it would be 7@8?"))
    assert call.name == "calculator_tool" and call.arguments == {"expression": "7@8"}
    single = sdk.models.completions("yandexgpt").configure(tools=calculators[:1])
    assert only_call(single.run("How much it would be 7@8?")).arguments == {"expression": "7@8"}


@pytest.mark.parametrize(("config", "says"), [
    ({"tool_choice": {"type": "function", "function": {"name": "get_stock"}}},
     ["'get_stock'", "get_sales, get_weather"]),
    ({"tools": "twice"}, ["Two tools are named 'get_sales'"]),
    ({"tools": (), "tool_choice": "required"}, ["'required'", "declares no tools"]),
])
def test_inconsistent_tool_requests_are_refused_with_what_to_fix(sdk, config, says):
    model = sales_model(sdk)
    if config.get("tools") == "twice":
        config = {"tools": [*model.config.tools, model.config.tools[0]]}
    with pytest.raises(grpc.RpcError) as raised:
        model.configure(**config).run(ASK_SALES)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert all(part in raised.value.details() for part in says)


@pytest.mark.parametrize(("where", "says"), [
    ("tools", "The parameters of tool 'units_between' is not valid JSON: it holds NaN or Infinity"),
    ("response_format", "The response format's JSON schema is not valid JSON: it holds NaN or Infinity"),
])
def test_a_declaration_holding_infinity_is_refused_as_a_bad_request(sdk, ygpt_server, where, says):
    """A Struct carries inf, JSON cannot: the server answered INTERNAL, "could not answer",
    and the magic told the user the server had failed (run again: the same)."""
    schema = {"type": "object", "properties": {"high": {"type": "number", "default": float("inf")}}}
    config = ({"tools": tools(sdk, ("units_between", "Rows between bounds", schema))} if where == "tools"
              else {"response_format": {"name": "Estimate", "json_schema": schema}})
    for run in ("run", "run_stream", "tokenize"):
        with pytest.raises(grpc.RpcError) as raised:
            result = getattr(sdk.models.completions("yandexgpt").configure(**config), run)("How many?")
            list(result) if run == "run_stream" else None
        assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT, run
        assert says in raised.value.details()


@pytest.mark.parametrize(("entry", "says"), [
    ({"user": "x"}, 'either a "reply" string or "tool_calls"'),
    ({"user": "x", "reply": "y", "tool_calls": [{"name": "f"}]}, 'either a "reply" string or "tool_calls"'),
    ({"user": "x", "tool_calls": []}, '"tool_calls" must be a list'),
    ({"user": "x", "tool_calls": [{"name": "f", "arguments": [1]}]}, '"tool_calls" must be a list'),
    ({"user": "x", "tool_calls": [{"name": "f"}], "after_tools": 3}, '"after_tools" must be a string'),
    ({"user": "x", "tool_calls": [{"name": "f"}], "after_tools": {"reply": "y"}}, "or another round"),
])
def test_a_malformed_tool_script_is_refused_with_the_entry(tmp_path, entry, says):
    script = tmp_path / "bad.json"
    script.write_text(json.dumps({"replies": [entry]}), encoding="utf-8")
    with pytest.raises(ValueError, match="reply #0") as raised:
        load_script(script)
    assert says in str(raised.value)


@pytest.fixture(scope="module")
def scripted_server(tmp_path_factory):
    script = tmp_path_factory.mktemp("scripts") / "tools.json"
    script.write_text(json.dumps({"replies": [
        {"user": "How did the north do?", "tool_calls": [{"name": "get_sales", "arguments": {"region": "north"}}],
         "after_tools": "The north sold {get_sales} units ({result})."},
        {"user": "North against south", "tool_calls": [{"name": "get_sales", "arguments": {"region": "north"}}],
         "after_tools": {"tool_calls": [{"name": "get_sales", "arguments": {"region": "south"}}],
                         "after_tools": "North and south: {result}."}},
        {"user": "Sell me a boat", "tool_calls": [{"name": "buy_boat", "arguments": {"size": "huge"}}]},
        {"user": "Compare the regions", "tool_calls": [{"name": "get_sales", "arguments": {"region": "north"}},
                                                       {"name": "get_sales", "arguments": {"region": "south"}}]},
    ]}), encoding="utf-8")
    with start_local_server(scripts=[script], operation_delay=0.0) as server:
        yield server


def test_scripted_tool_calls_then_the_scripted_answer_with_the_result(scripted_server):
    sdk = YCloudML(**sdk_kwargs(scripted_server.address))
    model = sales_model(sdk)
    first = model.run("How did the north do?")
    assert only_call(first).arguments == {"region": "north"}
    final = model.run(["How did the north do?", first, {"tool_results": [{"name": "get_sales", "content": "1,204"}]}])
    assert final.text == "The north sold 1,204 units (1,204)."

    both = model.run("Compare the regions")
    assert [c.function.arguments["region"] for c in both.tool_calls] == ["north", "south"]
    results = {"tool_results": [{"name": "get_sales", "content": "12"}, {"name": "get_sales", "content": "34"}]}
    answer = model.run(["Compare the regions", both, results]).text   # no after_tools: the tool model answers
    assert "12" in answer and "34" in answer


def test_a_scripted_call_needs_tools_in_the_request_and_a_choice_that_allows_it(scripted_server):
    sdk = YCloudML(**sdk_kwargs(scripted_server.address))
    plain = sdk.models.completions("yandexgpt")
    assert plain.run("How did the north do?").status.name == "FINAL"
    assert sales_model(sdk, tool_choice="none").run("How did the north do?").status.name == "FINAL"
    weather_tool = tools(sdk, ("get_weather", "Weather forecast for a city", WEATHER))[0]
    assert sales_model(sdk, tool_choice=weather_tool).run("How did the north do?").tool_calls[0].function.name \
        == "get_weather"   # the named function wins over the script's call


def test_a_script_of_two_rounds_calls_again_after_the_first_results(scripted_server):
    model = sales_model(YCloudML(**sdk_kwargs(scripted_server.address)))
    messages: list = ["North against south"]
    for region, sold in (("north", "10"), ("south", "20")):
        result = model.run(messages)
        assert only_call(result).arguments == {"region": region}
        messages += [result, {"tool_results": [{"name": "get_sales", "content": sold}]}]
    assert model.run(messages).text == "North and south: 10, 20."


def test_a_script_can_make_the_model_call_a_tool_nobody_declared(scripted_server):
    sdk = YCloudML(**sdk_kwargs(scripted_server.address))
    call = only_call(sales_model(sdk).run("Sell me a boat"))
    assert (call.name, call.arguments) == ("buy_boat", {"size": "huge"})


def recorded_tools(sdk, *names):
    return [sdk.tools.function(name=name, description=SOMETHING_DESCRIPTION.format(name.split("_")[0].upper()),
                               parameters=NUMBERS) for name in names]


def test_the_recorded_function_call_replays_with_its_usage(sdk):
    model = sdk.models.completions("yandexgpt", model_version="rc").configure(tools=recorded_tools(sdk, "something"))
    first = model.run(SOMETHING)
    assert only_call(first).arguments == {"numbers": [5.0, 4.0, 1.0]}   # floats, as the real service sends
    assert (first.usage.input_text_tokens, first.usage.completion_tokens) == (100, 14)
    assert len(model.tokenize(SOMETHING)) == 100
    final = model.run([SOMETHING, first, {"tool_results": [{"name": "something", "content": "+20.0"}]}])
    assert final.text == "The result of doing SOMETHING with the numbers 5, 4, and 1 is +20.0."


def test_the_recorded_parallel_calls_and_tool_choices_replay(sdk):
    pair = recorded_tools(sdk, "something", "spooning")
    model = sdk.models.completions("yandexgpt", model_version="rc").configure(tools=pair)
    assert [c.function.name for c in model.run(SOMETHING_AND_SPOONING).tool_calls] == ["something", "spooning"]
    choices = sdk.models.completions("yandexgpt", model_version="rc").configure(
        tools=recorded_tools(sdk, "something", "something_else"), parallel_tool_calls=False)
    assert choices.configure(tool_choice="none").run(SOMETHING_AND_SPOONING).text.startswith("\n\\[Something\\]")
    named = choices.configure(tool_choice={"type": "function", "function": {"name": "something_else"}})
    assert only_call(named.run(SOMETHING_AND_SPOONING)).name == "something_else"


def test_usage_of_tool_requests_agrees_with_the_tokenizer(sdk):
    model = sales_model(sdk)
    result = model.run(ASK_SALES)
    assert len(model.tokenize(ASK_SALES)) == result.usage.input_text_tokens
    history = [ASK_SALES, result, {"tool_results": [{"name": "get_sales", "content": "1,204 rows"}]}]
    assert len(model.tokenize(history)) == model.run(history).usage.input_text_tokens
    bare = sdk.models.completions("yandexgpt")
    assert len(model.tokenize(ASK_SALES)) > len(bare.tokenize(ASK_SALES))   # the declarations count


@pytest.mark.parametrize(("prompt", "recorded"), [("ping", 15), ("hello", 15),
                                                  ("hello! could you please tell me about platypuses?", 26)])
def test_recorded_prompts_tokenize_to_their_recorded_usage(sdk, prompt, recorded):
    model = sdk.models.completions("yandexgpt")
    tokens = model.tokenize(prompt)
    assert len(tokens) == recorded
    assert prompt.replace(" ", "") in "".join(t.text for t in tokens).replace("▁", "")
