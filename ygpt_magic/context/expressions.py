"""`{expression}` in a cell: evaluated in the notebook's namespace, as IPython does for `!cmd {expr}`.

IPython expands a shell line by evaluating each `{...}` field with a copy of the user's namespace
as globals (``InteractiveShell.var_expand``, ``utils.text.FullEvalFormatter``), and gives up on the
whole line, sent as written, when anything fails. A prompt is prose full of JSON, sets and code, so
the rule here is narrower and says what failed:

- only braces on one line with no brace inside are candidates, and only when their content
  (stripped) compiles as one Python expression: ``{df.describe()}``, ``{n + 1}``, ``{rows[:3]}``;
  ``{"a": 1}``, ``{x!r}``, ``{x:.2f}``, ``{return x;}`` are not expressions (the last two may be
  an f-string's formatting of one: formats.py);
- a constant names nothing and stays as written too: ``{0}``, ``{10}``, ``{-1}``, ``{1.5}``,
  ``{"a"}``, and a tuple or set of them (``{1, 2}``): evaluating it would only drop the braces of a
  str.format placeholder (``'{0}'.format(a)``) or a LaTeX group (``x^{10}``, ``\frac{1}{2}``);
- it is evaluated once, like a code cell's last line, with a copy of the names its code reads as
  globals (so a ``:=`` inside cannot change a variable), and with no time limit: Ctrl-C stops it,
  as it stops a cell. Only those names are copied: a ``--map`` row's namespace holds every column
  of a frame (a thousand, on a frame of features) over the notebook's names, and copying them all
  for each row made planning a wide frame many times slower than a narrow one;
- an expression that raises is an InterpolationError naming it and the exception's first line:
  nothing is sent, rather than text the user did not mean (a ``--map`` row fails alone when the
  expression raised over that row's values: the error carries the names it read);
- a name is what Python makes of it, in a ``--map`` row too: a column named ``max`` (describe()'s,
  or ``id``, ``type``, ``len`` in scraped data) is the row's value, and hides the builtin in
  ``{max(len(text), 1)}``, as a variable ``max = 3`` would in a code cell. Calls are not resolved
  around it: ``{max}`` and ``{max(…)}`` would then mean two things. Instead the error of an
  expression that calls such a hidden builtin says which column (or variable) hides it, and how to
  reach the builtin (``builtins.max``) or rename the column.
"""

from __future__ import annotations

import ast
import builtins
from collections import ChainMap
from collections.abc import Mapping
from types import CodeType

from ..errors import ExpressionRaised, InterpolationError, capital, choices
from .values import first_line


def compiled(content: str) -> CodeType | None:
    """``content`` compiled as one expression, or None when it is not one or is a constant (then
    the braces around it are plain text)."""
    try:
        tree = ast.parse(content.strip(), "<ygpt expression>", "eval")
        if _constant(tree.body):
            return None
        return compile(tree, "<ygpt expression>", "eval", dont_inherit=True)
    except (SyntaxError, ValueError, MemoryError, RecursionError):  # Value: NUL; the others: deep nesting
        return None


def _constant(node: ast.expr) -> bool:
    """A literal that refers to nothing: a constant, a signed number, a tuple or set of them."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, (ast.Tuple, ast.Set)):
        return all(_constant(item) for item in node.elts)
    return isinstance(node, ast.Constant)


def evaluate(label: str, code: CodeType, namespace: Mapping[str, object]) -> object:
    """The value of ``code`` in (a copy of) ``namespace``; ``label`` (``{n + 1}``) names it if it
    raises, and the error says what it read (a ``--map`` row over a NaN fails alone on it)."""
    try:
        return eval(code, _globals(code, namespace))  # the user's own code, in their kernel, as IPython does
    except Exception as error:
        raised = f"{type(error).__name__}: {first_line(error)}"
        hidden = _hidden_builtins(code, namespace) if isinstance(error, TypeError) else []
        why, fix = _hiding(hidden, namespace) if hidden else (
            "", "Fix the expression (it runs in the notebook's namespace, like a code cell)")
        raise InterpolationError(lambda origin: (
            f"{capital(origin.text)} uses {label}, a Python expression, and evaluating it raised "
            f"{raised}. Nothing was sent. {why}"
            f"{choices(fix, f'write {{{label}}} for literal braces', origin.verbatim)}."
        ), raised=ExpressionRaised(label, raised, names_read(code))) from None


def _hidden_builtins(code: CodeType, namespace: Mapping[str, object]) -> list[str]:
    """The builtin functions ``code`` names that ``namespace`` hides with a value that cannot be
    called: ``max`` over a row with a column ``max`` makes ``{max(len(text), 1)}`` raise "'int'
    object is not callable", which says nothing of the column."""
    return sorted(name for name in names_read(code) if name in namespace
                  and callable(getattr(builtins, name, None)) and not callable(namespace[name]))


def _hiding(hidden: list[str], namespace: Mapping[str, object]) -> tuple[str, str]:
    """What hides the ``hidden`` builtins, a sentence each, and how to reach them. A ``--map``
    row's names are the first map of a ChainMap over the notebook's (rows/plans.py): there, a
    name is a column."""
    row = namespace.maps[0] if isinstance(namespace, ChainMap) else {}
    why = "".join(f"In a --map row, {name} is the row's value in its column '{name}', which hides "
                  f"Python's {name}(). " if name in row else
                  f"The notebook's variable {name} hides Python's {name}(). " for name in hidden)
    kinds = {"the column" if name in row else "the variable": None for name in hidden}
    renames = " or ".join(sorted(kinds))
    reach = " and ".join(f"builtins.{name}(…)" for name in hidden)
    return why, f"Rename {renames} or write {reach} (after import builtins in a code cell)"


def _globals(code: CodeType, namespace: Mapping[str, object]) -> dict[str, object]:
    """The names of ``namespace`` that ``code`` reads (its comprehensions' and lambdas' too,
    which read globals, not an eval's locals), with the notebook's ``__builtins__``: what
    ``dict(namespace)`` would give the code, at the cost of its own names only. A name the
    namespace lacks stays out, so a builtin of that name is found, or a NameError raised."""
    wanted = names_read(code) | {"__builtins__"}
    return {name: namespace[name] for name in wanted if name in namespace}


def names_read(code: CodeType) -> frozenset[str]:
    """The names ``code`` reads, its comprehensions' and lambdas' too (attribute names among
    them: a superset, which is all a row needs to find the values it may have read)."""
    inner = (names_read(const) for const in code.co_consts if isinstance(const, CodeType))
    return frozenset(code.co_names).union(code.co_varnames, *inner)
