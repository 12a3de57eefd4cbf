"""%%ygpt --schema NAME through a real shell and the local server: each kind of schema goes out as
the request's json_schema, and the answer comes back validated, as an instance of the user's type.
"""

from __future__ import annotations

import json

import pytest
from cellrun import assert_clean, assert_clear_error
from conftest import cell, completions, scripted

from ygpt_magic.errors import ReplyNotValid, SchemaError

PERSON_TEXT = "Anna Petrova is 34 years old and lives in Berlin."

KINDS = {
    "pydantic model": "from pydantic import BaseModel\n"
                      "class Person(BaseModel):\n    name: str\n    age: int\n    city: str\n",
    "dataclass": "from dataclasses import dataclass\n"
                 "@dataclass\nclass Person:\n    name: str\n    age: int\n    city: str\n",
    "TypedDict": "from typing_extensions import TypedDict\n"
                 "class Person(TypedDict):\n    name: str\n    age: int\n    city: str\n",
    "JSON schema": "Person = {'title': 'Person', 'type': 'object', 'required': ['name', 'age', 'city'],\n"
                   "          'properties': {'name': {'type': 'string'}, 'age': {'type': 'integer'},\n"
                   "                         'city': {'type': 'string'}}}\n",
}


def field(value, name):
    return value[name] if isinstance(value, dict) else getattr(value, name)


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_schema_is_sent_and_the_answer_validated(shell, ygpt_server, kind):
    assert cell(shell, KINDS[kind]).ok
    result = cell(shell, f"%%ygpt --schema Person --out person\n{PERSON_TEXT}")
    assert result.ok, result.message
    [request] = completions(ygpt_server)
    schema = request.options["json_schema"]
    assert schema["required"] == ["name", "age", "city"]
    assert schema["properties"]["age"]["type"] == "integer"
    person = shell.user_ns["person"]
    assert shell.user_ns["_ygpt"].parsed is person
    if kind in ("pydantic model", "dataclass"):
        assert type(person) is shell.user_ns["Person"]
    assert isinstance(field(person, "age"), int) and isinstance(field(person, "name"), str)
    assert "<pre><code" in result.displays[-1]["text/html"]   # shown as pretty JSON
    assert json.loads(shell.user_ns["_ygpt"].text)["age"] == field(person, "age")
    assert_clean(result)


def test_an_answer_cut_at_max_tokens_is_not_a_value_and_out_keeps_its_own(shell, ygpt_server):
    assert cell(shell, KINDS["pydantic model"] + "person = 'the value from before'").ok
    result = cell(shell, f"%%ygpt --schema Person --out person --max-tokens 3\n{PERSON_TEXT}")
    assert_clear_error(result, "does not fit the schema Person", "cut at max tokens", "--max-tokens",
                       error_type=ReplyNotValid)
    assert shell.user_ns["person"] == "the value from before"
    assert shell.user_ns["_ygpt"].status == "TRUNCATED_FINAL" and shell.user_ns["_ygpt"].parsed is None


@pytest.mark.parametrize(("define", "says"), [
    ("Person = 42", ["not a schema", "int"]),
    ("Person = {'name': 'Anna'}", ["does not look like a JSON schema"]),
    ("Person = {'type': 'objet'}", ["not a valid JSON schema"]),
    ("from typing import TypedDict\nclass Person(TypedDict):\n    name: str", ["typing_extensions"]),
    ("Person = None\ndel Person", ["no variable named 'Person'"]),
    ("from pydantic import BaseModel\nclass Contact(BaseModel):\n    name: str\nPerson = list[Contact]",
     ["Person is a list type", "Wrap the list in a model: class Person(BaseModel): items: list[Contact]",
      "_ygpt.parsed.items"]),
    ("from typing import Literal\nfrom pydantic import BaseModel\n"
     "class Person(BaseModel):\n    age: Literal[1.5, float('nan')]", ["NaN or infinity at properties.age.enum.1"]),
])
def test_something_that_is_not_a_schema_is_refused_before_sending(shell, ygpt_server, define, says):
    assert cell(shell, define).ok
    result = cell(shell, f"%%ygpt --schema Person\n{PERSON_TEXT}")
    assert_clear_error(result, *says, error_type=SchemaError)
    assert completions(ygpt_server) == []


def test_an_infinite_default_is_left_out_of_the_schema_and_the_answer_still_gets_it(shell, ygpt_server):
    """JSON has no Infinity: sent as it was, the server could not read the request, and the cell
    said the server had failed."""
    assert cell(shell, "from pydantic import BaseModel\nclass Estimate(BaseModel):\n    value: float\n"
                       "    upper_bound: float = float('inf')\n").ok
    result = cell(shell, "%%ygpt --schema Estimate --out estimate\nEstimate the units next month.")
    assert result.ok, result.message
    [request] = completions(ygpt_server)
    assert request.options["json_schema"]["properties"]["upper_bound"] == {"title": "Upper Bound", "type": "number"}
    assert isinstance(shell.user_ns["estimate"].upper_bound, float)


@pytest.mark.parametrize("define", [
    "from pydantic import BaseModel, Field\n"
    "class Person(BaseModel):\n    name: str = Field(pattern='^[0-9]+$')\n    age: int\n",
    "Person = {'type': 'object', 'required': ['name'],\n"
    "          'properties': {'name': {'type': 'string', 'pattern': '^[0-9]+$'}}}\n",
])
def test_a_reply_that_does_not_validate_is_a_clear_error_keeping_the_raw_text(shell, ygpt_server, define):
    shell.user_ns.pop("person", None)
    assert cell(shell, define).ok   # a constraint the server's typed answers do not meet
    result = cell(shell, f"%%ygpt --schema Person --out person\n{PERSON_TEXT}")
    assert_clear_error(result, "does not fit the schema Person", "name", "_ygpt.text",
                       error_type=ReplyNotValid)
    reply = shell.user_ns["_ygpt"]
    assert reply.parsed is None and json.loads(reply.text)["name"]
    assert "person" not in shell.user_ns


def test_schema_and_tools_combine(shell, ygpt_server):
    assert cell(shell, KINDS["pydantic model"] +
                "def lookup_person(name: str) -> str:\n"
                "    '''Where a person lives and how old they are.'''\n"
                "    return 'Anna Petrova, 34, Berlin'\n").ok
    shell.run_line_magic("config", "YGptMagics.max_tool_rounds = 1")
    result = cell(shell, "%%ygpt --schema Person --tools lookup_person --tool-choice required\n"
                         "Look up the person Anna Petrova")
    first, second = completions(ygpt_server)
    assert first.tools[0]["name"] == "lookup_person" and first.options["json_schema"]["title"] == "Person"
    assert (first.tool_choice, second.tool_choice) == ("required", "auto")   # forced on the first round only
    assert result.ok, result.message
    assert type(shell.user_ns["_ygpt"].parsed).__name__ == "Person"
    shell.run_line_magic("config", "YGptMagics.max_tool_rounds = 5")
    auto = cell(shell, "%%ygpt --schema Person --tools lookup_person\nLook up the person Anna Petrova")
    assert auto.ok, auto.message
    last = completions(ygpt_server)[-1]
    assert last.messages[2]["tool_results"][0]["content"] == "Anna Petrova, 34, Berlin"
    assert last.options["json_schema"]["title"] == "Person"
    assert type(shell.user_ns["_ygpt"].parsed).__name__ == "Person"


#: an everyday validator that expects "a, b" where the server's typed answer holds a list, so
#: it raises AttributeError, which pydantic passes on as it is (tools3.md F1)
SPLIT_TAGS = ("from pydantic import BaseModel, field_validator\n"
              "class Verdict(BaseModel):\n    sentiment: str\n    tags: list[str]\n"
              "    @field_validator('tags', mode='before')\n    @classmethod\n    def split(cls, v):\n"
              "        return [t.strip() for t in v.split(',')]\n")


def test_a_validator_that_raises_anything_is_one_paragraph_naming_it_as_the_users_code(shell, ygpt_server):
    assert cell(shell, SPLIT_TAGS + "v = 'before'").ok
    result = cell(shell, "%%ygpt --schema Verdict --out v --once\nClassify the review: Great laptop, love it")
    message = assert_clear_error(result, "does not fit the schema Verdict", "tags: your validator Verdict.split",
                                 "AttributeError: 'list' object has no attribute 'split'", "_ygpt.text",
                                 "change Verdict.split", error_type=ReplyNotValid)
    assert "server" not in message
    assert shell.user_ns["v"] == "before"                      # --out keeps its value
    assert json.loads(shell.user_ns["_ygpt"].text)["tags"]     # the raw answer is kept


def test_a_once_reply_that_does_not_fit_does_not_say_the_turn_is_in_the_chat(shell, tmp_path):
    assert cell(shell, KINDS["pydantic model"]).ok
    bad = json.dumps({"name": "Anna", "age": "thirty", "city": "Berlin"})
    with scripted(shell, tmp_path, "bad age", bad):
        once = cell(shell, "%%ygpt --schema Person --once\nbad age")
        assert "0 turns" in cell(shell, "%ygpt history").plain_page
        kept = cell(shell, "%%ygpt --schema Person\nbad age")
    message = assert_clear_error(once, "does not fit the schema Person", "age", "_ygpt.text", error_type=ReplyNotValid)
    assert "in the chat" not in message
    assert_clear_error(kept, "age", "_ygpt.text and the turn is in the chat", error_type=ReplyNotValid)


def test_a_typed_answer_cut_at_max_tokens_is_not_told_to_loosen_the_schema(shell, ygpt_server):
    assert cell(shell, KINDS["pydantic model"]).ok
    result = cell(shell, f"%%ygpt --schema Person --once --max-tokens 3\n{PERSON_TEXT}")
    message = assert_clear_error(result, "cut at max tokens", "raise --max-tokens", error_type=ReplyNotValid)
    assert "loosen" not in message and "in the chat" not in message
