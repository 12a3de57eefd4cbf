"""References and values → prompt text: the one place a cell's `{...}` become what is sent.

Rules, chosen so that pasting code or JSON just works:
- `{name}` and `{name.attr.attr}` are replaced by the value rendered for a model (values.py:
  bounded, tables for DataFrames, `_repr_llm_`).
- Before any other rule, braces whose content is a name of the namespace that is not a Python
  name, as written or without the spaces around it, are that value: a ``--map`` row's columns
  named as spreadsheets name them (`{product name}`, `{2024 sales}`, `{product-name}`,
  `{price.usd}`: rows/items.py). A notebook's names are Python names, so a cell is unchanged.
- `{expression}`: braces on one line, with no brace inside, around a Python expression
  (`{df.describe()}`, `{n + 1}`) are evaluated in the notebook's namespace (expressions.py, IPython's
  rule for `!cmd {expr}`) and the value rendered like a name's, always with a note.
- `{In[N]}`, `{Out[N]}`, `{Err[N]}`: the source, the output and the error of the cell numbered N
  (cells.py), N being the number IPython shows in `In [N]:`; an output as that cell showed it,
  when its object's text differs now (outputs.py).
- A value that is a picture (a Figure, a PIL or IPython image: images.is_picture), whether it
  comes from `{Out[N]}`, `{fig}` or `{expression}`, is not written into the text: it goes with the
  cell as a picture, like `--image fig`, the text says `[image fig]` where it was, and a model that
  takes no pictures refuses it with the same message as `--image`.
- `{{` and `}}` are literal braces, except that a `}` closes a brace of pasted JSON or code
  still open before it: in `{"a": {"b": {"c": 1}}}` the last `}}` closes `{"b"` and `{"a"`, so
  every brace goes as written (:func:`_filled`), while `{{x}}` and `{"t": "{{x}}"}` send `{x}`.
- Text inside fenced code blocks (``` or ~~~), inline code spans (`` `f"{name}"` ``) and math
  (``$\\frac{1}{n}$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``: textparts.py has the exact rule) is
  never touched, and what a reference brings in is never interpolated again (a cell's source
  with braces is sent as written). A `{name}` of a defined variable left inside inline code or
  math gets a note saying so, since a user may have meant its value there (one note for all the
  math: a pasted formula names the usual `n`, `i`, `y` of a notebook several times).
- `{price:.2f}`, `{x!r}`: a reference to defined names with an f-string's conversion and/or a
  format spec with no space is formatted as an f-string would (formats.py has the exact rule).
- Braces around anything that is not an expression (`{"a": 1}`, `{a: 1}`, `{a lone word}`), or
  around a constant (`{0}`, `{10}`: a str.format placeholder, a LaTeX group), stay as they are.
- An unknown name or cell, or an expression that raises, is an InterpolationError naming it, never
  a silent empty string.
- Every piece (the cell's own text, each value) is checked for a credential (client/guard.py,
  naming the reference that carried it) before anything is sent, and each value that was
  rendered or cut gets a note for the cell's output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..client import guard
from ..errors import InterpolationError, NoSuchField, capital, choices
from ..render.markdown import fenced
from ..words import composed, with_article
from . import formats
from .expressions import compiled, evaluate, names_read
from .images import is_picture
from .limits import Limits
from .outputs import as_shown
from .textparts import parts
from .values import Rendered, bounded, bounded_ends, first_line, render

if TYPE_CHECKING:
    from ..client.credentials import Credential
    from .cells import NotebookCells

#: a name as Python allows it, in any script (`{текст}`, `{données}`): a letter or ``_``, then
#: letters, digits or ``_``; :func:`_name` then holds a match to ``str.isidentifier``
_IDENT = r"[^\W\d]\w*"
_TOKEN = re.compile(r"\{\{|\}\}|\{(" + _IDENT + r"(?:\." + _IDENT + r")*)\}"
                    r"|\{(In|Out|Err)\[([^\[\]{}\n]*)\]\}|\{([^{}\n]+)\}")
#: what :func:`_filled` reads: a token, or a lone brace (one of pasted JSON or code)
_BRACES = re.compile(_TOKEN.pattern + r"|[{}]")


class StoppedReading(KeyboardInterrupt):
    """Ctrl-C while a reference was read (an expression evaluated, a value turned into text: a
    slow repr, a lazy frame computing itself). Still a KeyboardInterrupt, so a run over rows
    stops as at any press; ``reference`` names it as written and the text it is in
    (``{report} in the cell's text``), for a door that says the stop in one paragraph
    (request.expand)."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference)
        self.reference = reference


@dataclass(frozen=True)
class Expanded:
    """The prompt text, one note per reference that was rendered or cut (shown above the reply
    and by --dry-run), and the pictures `{Out[N]}` referred to, as (name, value); ``cut``: the
    notes of the values sent in part."""

    text: str
    notes: tuple[str, ...] = ()
    pictures: tuple[tuple[str, object], ...] = ()
    cut: tuple[str, ...] = ()


def interpolate(
    text: str,
    namespace: Mapping[str, object],
    *,
    cells: NotebookCells | None = None,
    limits: Limits = Limits(),
    secrets: Iterable[Credential] = (),
    fill: bool = True,
    where: str = "the cell's text",
    checked: bool = False,
) -> Expanded:
    """The cell text with its references filled in (see the module docstring for the rules).

    ``cells``: a cells.NotebookCells for `{In[N]}`-style references (None: they are refused);
    ``fill=False`` (--no-interpolate) sends the text as written, still checked for credentials;
    ``where`` names the text in a credential error; ``checked``: the caller has checked ``text``
    as written (a ``--map`` template: once for the cell, not once a row).
    """
    secrets = tuple(secrets)
    if not checked:
        guard.check(where, text, secrets)
    if not fill or ("{" not in text and "}" not in text):  # every reference and {{ }} has a brace
        return Expanded(text)
    notes: list[str] = []
    cut: list[str] = []
    pictures: list[tuple[str, object]] = []

    def value(match: re.Match[str]) -> str:
        token = match.group(0)
        try:
            found = _reference(match, namespace, cells, limits)
        except KeyboardInterrupt:
            raise StoppedReading(f"{token} in {where}") from None
        if found is None:
            return token
        label, rendered, picture = found
        if picture is not None:
            pictures.append((label[1:-1], picture))
        guard.check(label, rendered.text, secrets)
        if rendered.summary:
            notes.append(f"{label}: {rendered.summary}")
            if rendered.cut:
                cut.append(notes[-1])
        return rendered.text

    out: list[str] = []
    in_math: list[str] = []
    for kind, block in parts(text):
        out.append(_filled(block, value) if kind == "prose" else block)
        if kind == "span":
            notes.extend(note for note in map(_in_span, _defined(block, namespace)) if note not in notes)
        elif kind == "math":
            in_math.extend(name for name in _defined(block, namespace) if name not in in_math)
    if in_math:
        notes.append(f"{', '.join(in_math)}: inside math ($…$), sent as written, as TeX groups; to send "
                     f"a value, put its reference outside the math")
    expanded = "".join(out)
    if expanded != text:  # the text as written was checked above
        guard.check("the expanded prompt", expanded, secrets)
    return Expanded(expanded, tuple(notes), tuple(pictures), tuple(cut))


def _filled(prose: str, value: Callable[[re.Match[str]], str]) -> str:
    """``prose`` with each reference replaced by ``value`` and the escapes read, keeping a stack
    of the braces open: ``{{`` opens an escape, a lone ``{`` a brace of pasted JSON. A ``}}``
    closes an escape as one ``}``, but when a lone ``{`` is the innermost one open, its first
    ``}`` closes that brace as written and the second is read again: reading every ``}}`` as an
    escape dropped a brace from three levels of JSON."""
    out: list[str] = []
    opened: list[str] = []
    at = 0
    while (match := _BRACES.search(prose, at)) is not None:
        out.append(prose[at:match.start()])
        token, at = match.group(0), match.end()
        if token == "}}" and opened and opened[-1] == "{":
            token, at = "}", match.start() + 1
        if token in ("{", "{{"):
            opened.append(token)
        elif token in ("}", "}}"):
            if opened and (token == "}}" or opened[-1] == "{"):
                opened.pop()
        else:
            out.append(value(match))
            continue
        out.append(token[0])
    out.append(prose[at:])
    return "".join(out)


def references(text: str, names: Container[str] = ()) -> frozenset[str]:
    """The ``{name}`` and ``{name.attr}`` references :func:`interpolate` would look up in
    ``text`` (outside code fences, not ``{{escaped}}``), as written, and the braces that hold
    one of ``names`` that is not a Python name (``{product name}``), as that name: a ``--map``
    row checks the cells they read before its template is filled in (rows/items.py)."""
    return frozenset(name for kind, block in parts(text) if kind == "prose"
                     for match in _TOKEN.finditer(block)
                     if (name := _keyed(match, names) or _name(match) or _subscripted(match)))


def unfilled(text: str) -> frozenset[str]:
    """The contents (stripped) of the braces of ``text`` that hold neither a name nor an
    expression (``{a few words}``), which stay as written unless a name of the namespace is
    theirs: a ``--map`` over a frame refuses one that is a column's name mistyped."""
    return frozenset(content.strip() for kind, block in parts(text) if kind == "prose"
                     for match in _TOKEN.finditer(block)
                     if (content := match.group(4)) is not None and compiled(content) is None)


def expression_names(text: str) -> frozenset[str]:
    """The names the ``{expressions}`` of ``text`` read (``text`` in ``{text[:2000]}``; attribute
    names among them): a ``--map`` row too long for the context names the value to shorten even
    when the template reads it through an expression."""
    codes = (compiled(match.group(4)) for kind, block in parts(text) if kind == "prose"
             for match in _TOKEN.finditer(block) if match.group(4) is not None)
    return frozenset().union(*(names_read(code) for code in codes if code is not None))


def _keyed(match: re.Match[str], names: Container[str]) -> str | None:
    """The name of ``names`` that is not a Python name and that the braces hold whole, as
    written or without the spaces around it, in NFC (the form a frame's columns are kept in),
    or None: `{product name}` over a row whose column is 'product name'."""
    content = match.group(1) or match.group(4)
    if content is None:
        return None
    written = composed(content)
    return next((name for name in (written, written.strip())
                 if name in names and not name.isidentifier()), None)


#: ``row['product name']`` at the start of an expression: the field it reads, as ``{row.field}``
_ROW_FIELD = re.compile(r"\s*row\s*\[\s*(['\"])([^'\"\n]+)\1\s*\]")


def _subscripted(match: re.Match[str]) -> str | None:
    """``row.<field>`` for braces whose expression reads ``row['<field>']`` (a column that is no
    Python name, as the refusals advise writing it), so the row's check of missing values sees
    it as it sees ``{row.field}``; None for any other."""
    found = _ROW_FIELD.match(match.group(4) or "")
    return f"row.{composed(found.group(2))}" if found and "." not in found.group(2) else None


def _name(match: re.Match[str]) -> str | None:
    """The `{name}` or `{name.attr}` a token holds when each part is a Python identifier (``\\w``
    also takes a few characters Python does not, e.g. ``²``: those go the expression's way), in
    NFC, the form columns are matched in (rows/items.py) and Python gives the notebook's names."""
    path = composed(match.group(1) or "")   # as Python reads a name typed in a code cell
    return path if path and all(part.isidentifier() for part in path.split(".")) else None


def _defined(chunk: str, namespace: Mapping[str, object]) -> list[str]:
    """Each `{name}` of a defined variable in a chunk sent as written (code, math), as written."""
    return [match.group(0) for match in _TOKEN.finditer(chunk)
            if (name := _name(match)) and name.split(".")[0] in namespace]


def _in_span(token: str) -> str:
    return f"{token}: inside inline code (`…`), sent as written; take it out of the backticks to send its value"


def _reference(match: re.Match[str], namespace: Mapping[str, object], cells: NotebookCells | None,
               limits: Limits) -> tuple[str, Rendered, object] | None:
    """(label, rendered value, the picture it stands for or None) for one `{...}`; None when the
    braces hold no reference (they stay as written)."""
    if (key := _keyed(match, namespace)) is not None:
        return _value("{" + key + "}", namespace[key], limits)
    if match.group(4) is not None:
        return _expression(match.group(4), namespace, limits)
    if match.group(1):
        name = _name(match)
        if name is None:
            return _expression(match.group(1), namespace, limits)
        return _value("{" + name + "}", _lookup(name, namespace), limits)
    kind, index = match.group(2), match.group(3)
    label = f"{{{kind}[{index}]}}"
    count = _count(label, index.strip())
    if cells is None:
        raise InterpolationError(f"The text uses {label}, but cell references work only in a "
                                 f"notebook or IPython session.")
    if kind == "Out":
        value = cells.output(count)
        then = as_shown(cells, count, value, limits)
        if then is not None:
            return label, then, None
        label, rendered, picture = _value(label, value, limits)
        return label, replace(rendered, summary=rendered.summary or f"the output of cell {count}"), picture
    if kind == "In":
        cut, language = bounded(cells.source(count), f"the source of cell {count}", limits.max_chars), "python"
    else:   # an error keeps its end, which says what went wrong
        error = cells.error(count)
        cut, language = bounded_ends(error.text, error.summary, limits.max_chars), ""
    return label, replace(cut, text=fenced(cut.text, language)), None  # cut inside the fence, which stays closed


def _value(label: str, value: object, limits: Limits) -> tuple[str, Rendered, object]:
    """(label, the value rendered, None) for a value, or (label, its placeholder, the value) for a
    picture, which goes with the cell as a picture rather than as its repr."""
    if is_picture(value):
        return label, Rendered(f"[image {label[1:-1]}]", "a picture, sent with the cell"), value
    return label, render(value, limits, label), None


def _expression(content: str, namespace: Mapping[str, object], limits: Limits) -> tuple[str, Rendered, object] | None:
    """An evaluated `{expression}`, noted even when its value went whole (the user should see that
    code ran and what it gave), or None when ``content`` is not an expression."""
    code = compiled(content)
    if code is None:
        return _formatted(content, namespace, limits)
    label = "{" + content + "}"
    value = evaluate(label, code, namespace)
    label, rendered, picture = _value(label, value, limits)
    return label, replace(rendered, summary=f"evaluated, {rendered.summary or type(value).__name__}"), picture


def _formatted(content: str, namespace: Mapping[str, object], limits: Limits) -> tuple[str, Rendered, None] | None:
    """`{price:.2f}`, `{x!r}` formatted as an f-string would (formats.py), or None when the braces
    hold no such reference; a spec the value does not take leaves them as written, noted."""
    formatted = formats.parse(content, namespace)
    if formatted is None:
        return None
    label = "{" + content + "}"
    if formatted.unknown:
        return label, Rendered(label, f"sent as written: {formatted.unknown}"), None
    value = evaluate(label, formatted.code, namespace)
    try:
        text = formats.apply(value, formatted)
    except (ValueError, TypeError) as error:
        why = f"{with_article(type(value).__name__)} does not take this format ({first_line(error)})"
        return label, Rendered(label, f"sent as written: {why}"), None
    return label, bounded(text, f"formatted, {type(value).__name__}", limits.max_chars), None


def _count(label: str, index: str) -> int:
    if not index:
        raise InterpolationError(lambda origin: (
            f"{capital(origin.text)} uses {label} with nothing between the brackets: put the "
            f"number of a cell there, the N of In [N]: (e.g. {label[:-2]}3]}}), or write "
            f"{{{label}}} for literal braces."
        ))
    if not index.isdigit() or int(index) < 1:
        raise InterpolationError(lambda origin: (
            f"{capital(origin.text)} uses {label}: only a cell's number can go between the "
            f"brackets, a whole number from 1 (the N of In [N]:), not {index!r}; negative and "
            f"relative indices are not supported."
        ))
    return int(index)


#: the variable holding the last reply of this kernel (request.py sets it)
LAST_REPLY = "_ygpt"


def _lookup(path: str, namespace: Mapping[str, object]) -> object:
    head, *attrs = path.split(".")
    if head == LAST_REPLY and head not in namespace:
        raise InterpolationError(lambda origin: (
            f"{capital(origin.text)} uses {{{path}}}, the last reply, but this kernel has had no "
            f"reply yet (a restart clears it). "
            f"{choices('Run the %%ygpt cell whose reply it means first', _literal(path), origin.verbatim)}."
        ), missing=head)
    if head not in namespace:
        raise InterpolationError(lambda origin: (
            f"{capital(origin.text)} uses {{{path}}} but there is no variable named '{head}'. "
            f"{choices('Define it in a code cell first', _literal(path), origin.verbatim)}."
        ), missing=head)
    value = namespace[head]
    for depth, attr in enumerate(attrs, start=1):
        try:
            value = getattr(value, attr)
        except AttributeError as error:
            owner = f"'{'.'.join([head, *attrs[: depth - 1]])}' ({type(value).__name__})"
            lacks = str(error) if isinstance(error, NoSuchField) else f"{owner} has no attribute '{attr}'"
            raise _no_attribute(path, lacks) from None
    return value


def _no_attribute(path: str, lacks: str) -> InterpolationError:
    """A cell may send the braces as written (--no-interpolate); a panel message doubles them."""
    return InterpolationError(lambda origin: (
        f"{capital(origin.text)} uses {{{path}}} but {lacks}. "
        f"{choices('Check the name', origin.verbatim or _literal(path))}."
    ))


def _literal(path: str) -> str:
    return f"write {{{{{path}}}}} for literal braces"
