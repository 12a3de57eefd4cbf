"""Typed answers: a notebook value named by ``--schema`` → the request's JSON schema, and a reply
→ the validated value.

Four kinds of value name a schema: a pydantic model, a dataclass, a TypedDict (all three through
pydantic's ``TypeAdapter``, so a reply is validated with pydantic's coercion and comes back as an
instance of the user's own type) and a JSON-schema dict (validated with ``jsonschema``; the value
is the parsed JSON). Anything else is refused when the cell is parsed, before a request is sent.
``jsonschema`` is imported only for a dict: its import loads its format checkers, and where
Jupyter is installed (jsonschema[format-nongpl]) ``rfc3987_syntax`` builds a grammar then, about
1 s of the first such cell; the pydantic kinds never pay it, and pydantic cannot check a dict.

A schema is a value of its own, beside the tool loop rather than inside it: a cell, a ``--map``
row and each round of a tool exchange carry its :meth:`Schema.response_format`, and the final
reply is read with :meth:`Schema.parse` (:func:`as_record`: a parsed value as a flat dict, one
DataFrame row).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import traceback
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from typing_extensions import is_typeddict  # typing's misses typing_extensions' TypedDicts before 3.12

from ..errors import ReplyNotValid, SchemaError
from ..render.markdown import code_blocks
from .declaring import generator, non_finite

#: modules whose frames are not a validator's: ours, pydantic's (the first other frame is the user's)
_NOT_USERS = ("ygpt_magic.", "pydantic.", "pydantic_core.")

#: keys of a dict that make it look like a JSON schema rather than data
_SCHEMA_KEYS = {"type", "properties", "$ref", "anyOf", "oneOf", "allOf", "enum", "items", "$defs"}


@dataclass(frozen=True)
class Schema:
    """The schema a request asks the answer to follow, and how to read a reply against it."""

    name: str
    json_schema: dict[str, Any]
    kind: str  # "pydantic model", "dataclass", "TypedDict" or "JSON schema"
    adapter: Any = dataclasses.field(default=None, repr=False, compare=False)  # pydantic TypeAdapter

    def columns(self) -> list[str]:
        """The fields :func:`as_record` gives a parsed value (a ``--map`` frame's columns): an
        object's properties (through a top-level ``$ref``, as pydantic writes a recursive
        model), ``value`` for any other kind of answer."""
        schema = self.json_schema
        reference = schema.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/"):
            for part in reference[2:].split("/"):
                schema = schema.get(part, {}) if isinstance(schema, dict) else {}
        if not isinstance(schema, dict) or schema.get("type", "object") != "object":
            return ["value"]
        return [str(name) for name in schema.get("properties", {})]

    def response_format(self) -> dict[str, Any]:
        """What the SDK's ``configure(response_format=...)`` takes for this schema."""
        return {"name": self.name, "json_schema": self.json_schema}

    def parse(self, text: str) -> Any:
        """The reply's value, validated: an instance of the model / dataclass, a dict for a
        TypedDict or a JSON schema. ReplyNotValid says what did not fit."""
        source = _json_source(text)
        try:
            value = json.loads(source)
        except ValueError as error:
            raise ReplyNotValid(self.name, f"it is not JSON ({error})") from None
        if self.adapter is not None:
            import pydantic

            try:
                return self.adapter.validate_python(value)
            except pydantic.ValidationError as error:
                raise ReplyNotValid(self.name, validation_problems(error)) from None
            except Exception as error:  # a validator's own error, which pydantic passes on
                raise ReplyNotValid.validator_raised(self.name, *_validator_of(error), error) from None
        import jsonschema

        problem = jsonschema.exceptions.best_match(
            jsonschema.validators.validator_for(self.json_schema)(self.json_schema).iter_errors(value))
        if problem is not None:
            where = "/".join(str(part) for part in problem.absolute_path) or "the answer"
            raise ReplyNotValid(self.name, f"{where}: {problem.message}")
        return value


def schema_named(name: str, namespace: Mapping[str, Any]) -> Schema:
    """``--schema NAME``: the notebook's value ``name`` as a Schema, checked before anything is
    sent (SchemaError: no such variable, or not a schema)."""
    if name not in namespace:
        raise SchemaError(f"--schema {name}: there is no variable named {name!r}. Define the model "
                          f"in a code cell first, e.g. class {name}(BaseModel): ...")
    return schema_from(namespace[name], name)


def schema_from(value: Any, name: str) -> Schema:
    """The Schema for ``value`` (named ``name`` in the notebook); SchemaError if it is none of
    the four kinds."""
    import pydantic

    if isinstance(value, dict):
        return _dict_schema(value, name)
    kind = _kind(value, pydantic)
    if kind is None:
        raise _not_a_schema(value, name)
    try:
        adapter = pydantic.TypeAdapter(value)
        json_schema = adapter.json_schema(schema_generator=generator())
    except (pydantic.PydanticSchemaGenerationError, pydantic.PydanticInvalidForJsonSchema,
            pydantic.PydanticUserError) as error:
        if "typing_extensions.TypedDict" in str(error):
            raise SchemaError(f"--schema {name}: on Python before 3.12 pydantic reads only "
                              f"TypedDicts from typing_extensions; define {name} with "
                              f"from typing_extensions import TypedDict.") from None
        raise SchemaError(f"--schema {name}: pydantic cannot describe {name} as JSON "
                          f"({_first_line(error)}); use fields of plain types (str, int, float, "
                          f"bool, list, dict, Literal, nested models).") from None
    at = non_finite(json_schema)
    if at is not None:
        raise SchemaError(f"--schema {name}: the JSON schema of {name} holds NaN or infinity at {at}, "
                          f"which JSON cannot write, so the service could not read the request. Use a "
                          f"finite number there, or None.")
    return Schema(name=getattr(value, "__name__", name), json_schema=json_schema, kind=kind,
                  adapter=adapter)


def _not_a_schema(value: Any, name: str) -> SchemaError:
    """Why ``value`` is no schema, with what to write instead: for a list of a model
    (``list[Contact]``, the usual "extract every person"), the model that holds it."""
    items = typing.get_args(value)
    if typing.get_origin(value) in (list, tuple, set, frozenset) and items:
        item = getattr(items[0], "__name__", str(items[0]))
        model = name[:1].upper() + name[1:]
        return SchemaError(
            f"--schema {name}: {name} is a list type ({value}); --schema takes a pydantic model, a "
            f"dataclass, a TypedDict or a JSON-schema dict, not a list of one. Wrap the list in a "
            f"model: class {model}(BaseModel): items: list[{item}], then --schema {model} (the list "
            f"is then _ygpt.parsed.items).")
    return SchemaError(
        f"--schema {name}: {name} is a value of type {type(value).__name__}, not a schema. Use a pydantic "
        f"model class, a dataclass, a TypedDict or a JSON-schema dict, e.g. "
        f"class Person(BaseModel): name: str; age: int.")


def as_record(value: Any) -> dict[str, Any]:
    """A parsed value as a plain dict (a DataFrame row): a model's ``model_dump()``, a
    dataclass's fields, a dict as it is; anything else (a RootModel's list, say) under the key
    ``value``, one column, rather than spread over positional ones. Enum members become their
    values, so a column compares and groups as the text or number the answer held."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {key: _valued(item) for key, item in value.items()}
    return {"value": _valued(value)}


def _valued(value: Any) -> Any:
    """``value`` with every Enum member in it replaced by the member's value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _valued(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_valued(item) for item in value)
    return value


def _kind(value: Any, pydantic: Any) -> str | None:
    if isinstance(value, type) and issubclass(value, pydantic.BaseModel):
        return "pydantic model"
    if isinstance(value, type) and dataclasses.is_dataclass(value):
        return "dataclass"
    if is_typeddict(value):
        return "TypedDict"
    return None


def _dict_schema(value: dict[str, Any], name: str) -> Schema:
    import jsonschema

    if not _SCHEMA_KEYS & set(value):
        raise SchemaError(f"--schema {name}: the dict {name} does not look like a JSON schema "
                          f"(it has none of the keys type, properties, $ref, anyOf, enum, items); "
                          f"write e.g. {{\"type\": \"object\", \"properties\": {{\"name\": "
                          f"{{\"type\": \"string\"}}}}}}.")
    try:
        jsonschema.validators.validator_for(value).check_schema(value)
    except jsonschema.exceptions.SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "its top level"
        raise SchemaError(f"--schema {name}: {name} is not a valid JSON schema at {where}: "
                          f"{error.message}.") from None
    return Schema(name=str(value.get("title") or name), json_schema=value, kind="JSON schema")


def _json_source(text: str) -> str:
    """The JSON in a reply: the first fenced block if the model wrapped it in one."""
    blocks = code_blocks(text)
    return blocks[0][1] if blocks else text


def validation_problems(error: Any, limit: int = 3) -> str:
    """pydantic's errors as one line: ``age: Input should be a valid integer; …``."""
    problems = [f"{'.'.join(str(p) for p in item['loc']) or 'the answer'}: {item['msg']}"
                for item in error.errors()[:limit]]
    more = error.error_count() - limit
    return "; ".join(problems) + (f"; and {more} more" if more > 0 else "")


def _validator_of(error: BaseException) -> tuple[str, str]:
    """(``"tags: "`` or ``""``, ``"Verdict.split"``) for an error a schema's validator raised:
    the first frame below ours and pydantic's is the validator (the user's code), and a field
    validator's class lists the fields it checks."""
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    frame = next((f for f in frames if not str(f.f_globals.get("__name__", "")).startswith(_NOT_USERS)), None)
    if frame is None:
        return "", ""
    code = frame.f_code
    owner = frame.f_locals.get("cls")
    decorators = getattr(getattr(owner, "__pydantic_decorators__", None), "field_validators", {})
    fields = next((d.info.fields for d in decorators.values()
                   if getattr(getattr(d.func, "__func__", d.func), "__code__", None) is code), ())
    return "".join(f"{name}: " for name in fields[:1]), getattr(code, "co_qualname", code.co_name)


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
