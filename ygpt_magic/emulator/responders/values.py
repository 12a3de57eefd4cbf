"""Values that fit a JSON schema, drawn from a text: tool arguments and typed (json_schema) answers.

The real model reads the prompt and fills the schema from it; this does the same, cheaply and
deterministically: integers and numbers come from the numbers in the text, enums pick the member
the text mentions (a scale of leanings, positive / negative / mixed, the one its words lean to:
sentiment.py; so do a sentiment string, a rating with no number and a yes/no field named for a
leaning, ``would_recommend``), a date field takes a date-like phrase, a month or year field the
month or year the text names ("May" or 5; 2023), a place or name field the capitalised words, an
expression field the arithmetic in the text, a prose field (summary, reason, ...) the
text's longest sentence, and any other string field a slice of the text's keywords (a different
slice per field, so fields do not all say the same). A field's name is read word by word
(``due_date``, ``startTime``), so ``sentiment`` is no "time" and ``update`` no "date". The value
always has the schema's type: objects carry every property (nested, through ``$ref``/``$defs``
as pydantic writes them), arrays are arrays (a tuple's ``prefixItems`` each of its own type, a
list nested deep empty, so a recursive model ends), a ``uuid`` string is a UUID, and
``minimum``/``maximum``/``maxLength`` are kept.
"""

from __future__ import annotations

import re
import uuid
from itertools import count
from typing import Any

from . import sentiment

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?!\w|\.\d)")
_EXPRESSION = re.compile(r"[-(]*\d[\d.]*(?:\s*[-+*/@%^×÷]\s*[(]*\d[\d.]*[)]*)+")
_WORD = re.compile(r"[^\W\d_][\w'-]*")
_MONTH = (r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|январ|феврал|март|апрел|ма[йя]|июн|июл|август"
          r"|сентябр|октябр|ноябр|декабр)[a-zа-яё]*")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_DATE = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}\b"
    rf"|\b{_DAY}\s+(?:of\s+)?{_MONTH}\b(?:,?\s+\d{{4}})?"
    rf"|\b{_MONTH}\s+{_DAY}(?:\s*(?:-|to)\s*{_DAY})?\b(?:,?\s+\d{{4}})?",
    re.IGNORECASE,
)
_MONTH_WORD = re.compile(_MONTH, re.IGNORECASE)
#: a month named alone, outside a date: English capitalised, so the verbs "may" and "march" are not one
_LONE_MONTH = re.compile(r"\b(?:January|February|March|April|June|July|August|September|October|November|"
                         r"December|(?i:январ|феврал|март|апрел|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-яё]*)\b")
_MONTH_NUMBERS = (("jan", "январ"), ("feb", "феврал"), ("mar", "март"), ("apr", "апрел"), ("may", "ма"),
                  ("jun", "июн"), ("jul", "июл"), ("aug", "август"), ("sep", "сентябр"), ("oct", "октябр"),
                  ("nov", "ноябр"), ("dec", "декабр"))
_YEAR = re.compile(r"(?<![\w.])(?:1[5-9]|20)\d\d(?![\w.])")
_PROPER = re.compile(r"[A-ZА-ЯЁ][\w'-]*(?:(?:\s+(?:and|of|the|de|la|von|van|и))?\s+[A-ZА-ЯЁ][\w'-]*)*")
STOPWORDS = frozenset(
    "a an the and or of to in on at by for from with without into about as is are was were be been it its "
    "this that these those do does did what which who whom how much many would could should can will please "
    "me my you your we our i all any some there here than then so if not no yes".split()
    + "и в во на с со по к ко о об от для из за что как какой какая какие это ли мне нам вы ты не да".split()
)
PLACE_PARTS = 4   # a place field joins at most this many proper names ("Avenue …, Paris, France")
_PLACE = ("place", "location", "city", "country", "address", "venue", "where", "region", "town", "место", "город")
_NAME = ("name", "title", "person", "author", "имя", "название")
_DATE_HINT = ("date", "day", "when", "time", "дата", "когда")
_MONTH_HINT = ("month", "месяц")
_YEAR_HINT = ("year", "год")
_EXPRESSION_HINT = ("expression", "formula", "equation", "query", "выражение")
_PROSE_HINT = ("summary", "description", "reason", "explanation", "comment", "text", "answer", "note",
               "feedback", "message", "sentence", "описание", "причина", "итог", "ответ")
_SENTIMENT_HINT = ("sentiment", "tone", "mood", "polarity", "тональность", "настроение")
_RATING_HINT = ("rating", "score", "stars", "grade", "оценка")
DEEPEST_LIST = 4   # a list nested this deep (in a list of lists, or a recursive model) is empty
PROSE_WORDS = 8   # a prose field's phrase: at most this many words of the text's longest sentence
_NAME_PART = re.compile(r"[A-ZА-ЯЁ]?[a-zа-яё]+|[A-ZА-ЯЁ]+(?![a-zа-яё])|\d+")
_LABEL = re.compile(r"^\s*[\w ]{1,20}:\s*")


def name_parts(name: str) -> frozenset[str]:
    """The words of a field's name: ``due_date`` → {due, date}, ``startTime`` → {start, time}."""
    return frozenset(part.casefold() for part in _NAME_PART.findall(name))


def _hinted(name: str, hints: tuple[str, ...]) -> bool:
    return not name_parts(name).isdisjoint(hints)


def keywords(text: str) -> list[str]:
    """The text's content words, in order, each once (case kept as written)."""
    seen: set[str] = set()
    words = []
    for word in _WORD.findall(text):
        folded = word.casefold()
        if folded not in STOPWORDS and len(folded) > 1 and folded not in seen:
            seen.add(folded)
            words.append(word)
    return words


def proper_names(text: str) -> list[str]:
    """Runs of capitalised words (names, places), months left out; a lone capitalised word that
    starts a sentence is just the sentence's first word."""
    names = []
    for match in _PROPER.finditer(text):
        words = [w for w in match.group(0).split() if not re.fullmatch(_MONTH, w, re.IGNORECASE)]
        before = text[max(0, match.start() - 20):match.start()].rstrip()
        starts_sentence = not before or before[-1] in ".!?"
        name = " ".join(words)
        if words and not (starts_sentence and len(match.group(0).split()) == 1) and name not in names:
            names.append(name)
    return names


class Filler:
    """Fills schemas from one text; numbers and keyword slices are handed out in turn, so two
    fields of one answer get different values."""

    def __init__(self, text: str, root: dict[str, Any] | None = None):
        self.text = text
        self.root = root or {}
        self.numbers = [float(n) for n in _NUMBER.findall(text)]
        self.words = keywords(text)
        self.names = proper_names(text)
        self._unused_numbers = list(range(len(self.numbers)))
        self._used_words: set[str] = set()
        self._next_name = count()

    def value(self, schema: Any, name: str = "", depth: int = 0) -> Any:
        """A value of ``schema`` for the field called ``name``."""
        schema = self._resolve(schema)
        if not isinstance(schema, dict) or depth > 8:
            return self._string(name, {})
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                options = [self._resolve(s) for s in schema[key]]
                schema = next((s for s in options if isinstance(s, dict) and s.get("type") != "null"), options[0])
                return self.value(schema, name, depth + 1)
        if schema.get("allOf"):
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part))
            return self.value({**merged, **{k: v for k, v in schema.items() if k != "allOf"}}, name, depth + 1)
        if schema.get("enum"):
            return self._member(schema["enum"])
        if "const" in schema:
            return schema["const"]
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or (kind is None and "properties" in schema):
            props = schema.get("properties") or {}
            return {prop: self.value(props[prop], prop, depth + 1) for prop in _field_order(schema)}
        if kind == "array":
            return self._array(schema, name, depth)
        if kind in ("integer", "number"):
            return self._number(schema, name, integer=kind == "integer")
        if kind == "boolean":
            return self._boolean(name)
        if kind == "null":
            return None
        return self._string(name, schema)

    def _resolve(self, schema: Any) -> Any:
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            target: Any = self.root
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema

    def _member(self, options: list[Any]) -> Any:
        leaning = sentiment.classify(options, self.text)
        if leaning is not None:
            return leaning
        folded = self.text.casefold()
        mentioned = [o for o in options if isinstance(o, str) and re.search(rf"\b{re.escape(o.casefold())}\b", folded)]
        return mentioned[0] if mentioned else options[0]

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        """An array of ``schema``: a tuple's items one by one (``prefixItems``); a list's as
        the text gives them, empty once nested ``DEEPEST_LIST`` deep when the schema allows it
        (a recursive model, ``children: list['Node']``, ends there, as a real answer does)."""
        if schema.get("prefixItems"):
            return [self.value(item, name, depth + 1) for item in schema["prefixItems"]]
        if depth >= DEEPEST_LIST and not schema.get("minItems"):
            return []
        items = self._resolve(schema.get("items") or {})
        kind = items.get("type") if isinstance(items, dict) else None
        most = 100 if kind in ("integer", "number") else 3
        low, high = int(schema.get("minItems", 1)), int(schema.get("maxItems", most))
        if kind in ("integer", "number") and not items.get("enum"):
            size = max(low, min(high, len(self._unused_numbers)))
            return [self._number(items, "", integer=kind == "integer") for _ in range(size)]
        if kind == "string" and not items.get("enum") and not items.get("format"):
            words = self.words[:max(low, min(high, 3))] or ["item"]
            return (words * low)[:max(low, len(words))]
        return [self.value(items, name, depth + 1) for _ in range(max(low, 1))]

    def _number(self, schema: dict[str, Any], name: str, *, integer: bool) -> int | float:
        """A month or year field's month or year in the text ("May 10th, 2023" → 5, 2023), else
        :meth:`_drawn`; kept within the schema's minimum and maximum."""
        value = _calendar_number(name, self.text)
        if value is None:
            value = self._drawn(schema, name)
        if "minimum" in schema:
            value = max(value, float(schema["minimum"]))
        if "maximum" in schema:
            value = min(value, float(schema["maximum"]))
        return int(round(value)) if integer else value

    def _drawn(self, schema: dict[str, Any], name: str) -> float:
        """The number written next to the field's name ("scored 4.5", "ratio 0.25", "5 apples"),
        else the first number no other field took, else the schema's default (or 1)."""
        index = self._number_near(name)
        if index is None and self._unused_numbers:
            index = self._unused_numbers[0]
        if index is None and _hinted(name, _RATING_HINT) and "minimum" in schema and "maximum" in schema:
            return self._rating(float(schema["minimum"]), float(schema["maximum"]))
        if index is None:
            return float(schema.get("default", 1))
        if index in self._unused_numbers:
            self._unused_numbers.remove(index)
        return self.numbers[index]

    def _boolean(self, name: str) -> bool:
        """A yes/no field named for a leaning (``would_recommend``, ``is_complaint``) answers as
        the text's words lean; any other is true unless the text says no."""
        lean = sentiment.name_lean(name_parts(name))
        if lean:
            return sentiment.polarity(self.text) * lean > 0
        return not re.search(r"\b(no|not|false|нет|не)\b", self.text, re.IGNORECASE)

    def _rating(self, low: float, high: float) -> float:
        """A rating with no number in the text: the top, the bottom or the middle of its range,
        as the text's words lean."""
        score = sentiment.polarity(self.text)
        return high if score > 0 else low if score < 0 else (low + high) / 2

    def _string(self, name: str, schema: dict[str, Any]) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            text = "2025-01-01T00:00:00Z"
        elif fmt == "date":
            text = next((d for d in _dates(self.text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)), "2025-01-01")
        elif _hinted(name, _SENTIMENT_HINT):
            text = sentiment.word(self.text)
        elif _hinted(name, _DATE_HINT):
            text = next(iter(_dates(self.text)), "2025-01-01")
        elif _hinted(name, _MONTH_HINT) and (month := _month(self.text)):
            text = month
        elif _hinted(name, _YEAR_HINT) and (year := _YEAR.search(self.text)):
            text = year.group(0)
        elif fmt == "uuid":
            text = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}:{self.text}"))
        elif fmt == "email":
            text = "user@example.com"
        elif fmt in ("uri", "url"):
            text = "https://example.com/"
        elif _hinted(name, _EXPRESSION_HINT) and (found := _EXPRESSION.findall(self.text)):
            text = found[0].strip()
        elif _hinted(name, _PLACE + _NAME) and (proper := self._proper(name)):
            text = proper
        elif _hinted(name, _PROSE_HINT) and (phrase := _phrase(self.text)):
            text = phrase
        else:
            text = self._near(name) or self._slice()
        self._used_words.update(w.casefold() for w in _WORD.findall(text))
        if "maxLength" in schema:
            text = text[: int(schema["maxLength"])]
        return text.ljust(int(schema.get("minLength", 0)), ".")

    def _proper(self, name: str) -> str:
        """Places: every proper name; other name fields: the next proper name in turn."""
        if not self.names:
            return ""
        if _hinted(name, _PLACE):
            return ", ".join(self.names[:PLACE_PARTS])
        return self.names[next(self._next_name) % len(self.names)]

    def _near(self, name: str) -> str:
        """The word next to the field's name in the text ("the north region" → region: "north")."""
        labelled = re.search(rf"\b{re.escape(name)}\s*[:=]\s*([\w'-]+)", self.text, re.IGNORECASE) if name else None
        if labelled:
            return labelled.group(1)
        words: list[str] = _WORD.findall(self.text)
        folded = [w.casefold() for w in words]
        target = name.casefold().rstrip("s")
        for i, word in enumerate(folded):
            if target and word.rstrip("s") == target:
                for j in (i - 1, i + 1):
                    if 0 <= j < len(words) and folded[j] not in STOPWORDS:
                        return words[j]
        return ""

    def _number_near(self, name: str) -> int | None:
        stem = name.split("_")[0].casefold()[:5]
        if len(stem) < 3:
            return None
        matches = list(_NUMBER.finditer(self.text))
        for index, match in enumerate(matches):   # "ratio 0.25", "scored 4.5" first
            before = self.text[max(0, match.start() - 40):match.start()]
            if re.search(rf"\b{re.escape(stem)}\w*\W+(?:[^\W\d]+\W+)?$", before, re.IGNORECASE):
                return index
        for index, match in enumerate(matches):   # then "5 apples"
            after = self.text[match.end():match.end() + 40]
            if re.match(rf"\W+(?:[^\W\d]+\W+)?{re.escape(stem)}", after, re.IGNORECASE):
                return index
        return None

    def _slice(self) -> str:
        """Two keywords no other field used yet (all keywords again once each was used)."""
        fresh = [w for w in self.words if w.casefold() not in self._used_words] or self.words
        if not fresh:
            return self.text.strip()[:80] or "text"
        return " ".join(fresh[:2])


def _field_order(schema: dict[str, Any]) -> list[str]:
    """The properties in a stable order: the gRPC wire sends a schema as a Struct, a map whose
    key order is lost, so required fields come in their listed order (pydantic lists them as
    declared), then the others by name."""
    props = schema.get("properties") or {}
    required = [name for name in schema.get("required") or () if name in props]
    return required + sorted(name for name in props if name not in required)


def _phrase(text: str) -> str:
    """The text's longest sentence (a leading ``Label:`` left out), cut to PROSE_WORDS words."""
    sentences = [_LABEL.sub("", part).strip() for part in re.split(r"[\n.!?]+", text)]
    longest = max(sentences, key=len, default="")
    words = longest.split()
    return " ".join(words[:PROSE_WORDS]).rstrip(",;:")


def _dates(text: str) -> list[str]:
    """Date-like phrases: ISO and numeric dates, "12 of March", "May 10th to 12th, 2023"."""
    return [m.group(0).strip() for m in _DATE.finditer(text)]


def _month(text: str) -> str:
    """The month a text names: the one of its first date phrase that has one ("May 10th to
    12th" → "May"), else one named alone ("in March"); "" when it names none."""
    found = next((m for d in _dates(text) if (m := _MONTH_WORD.search(d))), None) or _LONE_MONTH.search(text)
    return found.group(0) if found else ""


def _calendar_number(name: str, text: str) -> float | None:
    """For a number field named for a month or a year, the one the text names (May → 5, 2023);
    None for any other field, or when the text names none."""
    month = _month(text).casefold() if _hinted(name, _MONTH_HINT) else ""
    if month:
        return float(next(n for n, stems in enumerate(_MONTH_NUMBERS, 1) if month.startswith(stems)))
    year = _YEAR.search(text) if _hinted(name, _YEAR_HINT) else None
    return float(year.group(0)) if year else None


_IMPLIED = {"date": "string", "when": "string", "time": "string", "place": "string", "venue": "string",
            "location": "string", "city": "string", "address": "string", "name": "string", "title": "string",
            "number": "number", "numbers": "numbers", "count": "integer", "amount": "number", "price": "number",
            "total": "number", "age": "integer", "дата": "string", "место": "string", "город": "string",
            "имя": "string", "название": "string", "числа": "numbers", "число": "number"}


def implied_schema(instructions: str) -> dict[str, Any] | None:
    """For a json_object request (any JSON): an object schema with the fields the instructions
    name ("Extract the date and venue" → date, venue), or None when they name none."""
    fields = {}
    for word in _WORD.findall(instructions.casefold()):
        kind = _IMPLIED.get(word)
        if kind is not None and word not in fields:
            fields[word] = ({"type": "array", "items": {"type": "number"}} if kind == "numbers" else {"type": kind})
    return {"type": "object", "properties": fields, "required": list(fields)} if fields else None


def fill(schema: dict[str, Any], text: str) -> Any:
    """A value of ``schema`` (a JSON schema) drawn from ``text``."""
    return Filler(text, schema).value(schema)
