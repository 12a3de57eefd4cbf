"""How a notebook function becomes a tool: what %%ygpt --tools declares, refuses and passes.

Async functions (refused, with a wrapper that works), postponed annotations, parameters pydantic
keeps for itself, a single pydantic model parameter, partials, and what is refused before anything
is sent. The tool loop (runs, results, errors, rounds, choices) is in test_tools.py, with the
scripted server and the shell these tests share; results of other kinds in test_tool_results.py.
"""

from __future__ import annotations

import sys
import warnings

import pytest
from cellrun import assert_clear_error
from conftest import cell, completions
from test_tools import tool_server, tools_shell  # noqa: F401 (fixtures)

from ygpt_magic.errors import ToolError


@pytest.mark.parametrize(("define", "tools", "says"), [
    ("sales = 5", "sales", ["not a function", "int"]),
    ("add = lambda a, b: a + b", "add", ["no type hint", "lambda"]),
    ("", "max", ["no signature", "wrap it in a function of your own"]),
    ("class Opaque: pass\ndef f(x: Opaque) -> str: return ''", "f", ["pydantic cannot describe", "Opaque"]),
    ("alias = get_sales", "get_sales,alias", ["two tools are named 'get_sales'"]),
    ("", "nowhere", ["no variable named 'nowhere'"]),
    ("", "get_sales --tool-choice get_weather", ["no tool of that name", "get_sales"]),
    ("from typing import Literal\ndef f(x: Literal[1.5, float('inf')]) -> int: return 1", "f",
     ["NaN or infinity at properties.x.enum.1", "finite number"]),
])
def test_bad_tools_are_refused_before_anything_is_sent(tools_shell, tool_server, define, tools, says):
    if define:
        assert cell(tools_shell, define).ok
    result = cell(tools_shell, f"%%ygpt --tools {tools}\nHow did the north do?")
    assert_clear_error(result, *says, error_type=ToolError)
    assert completions(tool_server) == []



def warned(shell, source: str):
    """``source`` run as a cell, and the warnings it raised (a notebook would show each)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cell(shell, source)
    return result, [str(warning.message) for warning in caught]

def test_a_single_pydantic_model_parameter_declares_its_fields(tools_shell, tool_server):
    assert cell(tools_shell, "from pydantic import BaseModel\n"
                             "class Query(BaseModel):\n    region: str\n    limit: int = 10\n"
                             "def get_sales(query: Query) -> int:\n"
                             "    '''Sales rows of one region.'''\n"
                             "    calls.append(query)\n    return 3").ok
    result = cell(tools_shell, "%%ygpt --tools get_sales\nHow did the north do?")
    assert result.ok, result.message
    assert set(completions(tool_server)[0].tools[0]["parameters"]["properties"]) == {"region", "limit"}
    [query] = tools_shell.user_ns["calls"]
    assert type(query).__name__ == "Query" and (query.region, query.limit) == ("north", 5)


def test_dry_run_shows_the_declarations_and_sends_nothing(tools_shell, tool_server):
    result = cell(tools_shell, "%%ygpt --dry-run --tools get_sales --tool-choice required\nHow did the north do?")
    assert result.ok, result.message
    assert "\n\ntools:\n    [\n" in result.plain and '"description": "Sales rows of one region."' in result.plain
    # the estimate is of this request alone: the result round is another (combos.md, noted)
    assert "That is the first request only: each round that sends tool results back" in result.plain
    assert completions(tool_server) == [] and tools_shell.user_ns["calls"] == []


def test_an_async_tool_is_refused_before_sending_with_a_wrapper_that_works(tools_shell, tool_server):
    assert cell(tools_shell, "async def get_sales(region: str, limit: int = 10) -> int:\n"
                             "    '''Sales rows of one region.'''\n"
                             "    calls.append((region, limit))\n    return 1204").ok
    result = cell(tools_shell, "%%ygpt --tools get_sales\nHow did the north do?")
    # not assert_clear_error: its noise check refuses the word asyncio, which the fix must name
    assert isinstance(getattr(result.error, "error", None), ToolError), result.error
    message = result.message.strip()
    assert "get_sales is an async function" in message and "\n" not in message
    assert "Traceback" not in result.shown and "never awaited" not in result.shown
    assert completions(tool_server) == []
    wrapper = message[message.index("import asyncio"):]
    assert cell(tools_shell, wrapper.replace("; def", "\ndef")).ok   # the wrapper, as the message writes it
    result = cell(tools_shell, "%%ygpt --tools get_sales_sync\nNorth, without waiting")
    assert result.ok, result.message
    assert tools_shell.user_ns["calls"] == [("north", 5)] and "The north sold 1204 units." in result.final


def test_parameters_pydantic_keeps_for_itself_are_declared_and_passed_without_a_warning(tools_shell, tool_server):
    assert cell(tools_shell, "def row(_id: int, model_config: str, schema: str = 'public') -> str:\n"
                             "    '''One row of a table.'''\n"
                             "    calls.append((_id, model_config, schema))\n    return 'ok'").ok
    result, caught = warned(tools_shell, "%%ygpt --tools row\nRow seven")
    assert result.ok, result.message
    declared = completions(tool_server)[0].tools[0]["parameters"]
    assert set(declared["properties"]) == {"_id", "model_config", "schema"}
    assert sorted(declared["required"]) == ["_id", "model_config"]
    assert tools_shell.user_ns["calls"] == [(7, "fast", "public")]
    assert caught == []   # pydantic's "shadows an attribute" named our model


def test_a_tool_with_postponed_annotations_is_declared_as_without_them(tools_shell, tool_server):
    assert cell(tools_shell, "from __future__ import annotations\nfrom typing import Literal\n"
                             "from pydantic import BaseModel\nclass Period(BaseModel):\n    year: int\n"
                             "def get_sales(region: Literal['north', 'south'], limit: int = 10,\n"
                             "              period: Period | None = None) -> int:\n"
                             "    '''Sales rows of one region.'''\n"
                             "    calls.append((region, limit))\n    return 1204").ok
    result = cell(tools_shell, "%%ygpt --tools get_sales\nHow did the north do?")
    assert result.ok, result.message   # was: "you should define `Literal`, then call f_arguments.model_rebuild()"
    declared = completions(tool_server)[0].tools[0]["parameters"]
    assert declared["properties"]["region"]["enum"] == ["north", "south"]
    assert tools_shell.user_ns["calls"] == [("north", 5)]
    assert cell(tools_shell, "def broken(region: Nowhere) -> int:\n    return 1").ok
    refused = cell(tools_shell, "%%ygpt --tools broken\nHow did the north do?")
    assert_clear_error(refused, "type hints of broken cannot be evaluated", "Nowhere", error_type=ToolError)


def test_a_partial_is_declared_with_its_functions_docstring_and_runs(tools_shell, tool_server):
    assert cell(tools_shell, "import functools\ndef add(x: int, y: int) -> int:\n"
                             "    '''Add two numbers.'''\n    return x + y\n"
                             "north_plus = functools.partial(add, y=2)").ok
    result = cell(tools_shell, "%%ygpt --tools north_plus\nTwo more than north")
    assert result.ok, result.message
    [declared] = completions(tool_server)[0].tools
    assert declared["name"] == "north_plus" and declared["description"] == "Add two numbers."   # was functools'
    assert set(declared["parameters"]["properties"]) == {"x", "y"} and declared["parameters"]["required"] == ["x"]
    assert "It is 3." in result.final


def test_a_class_is_described_by_its_own_docstring_or_its_fields_with_real_type_names(tools_shell, tool_server):
    """dataclasses writes ``Order(region: 'str', …)`` as an undocumented class's docstring (quoted
    types under postponed annotations), and a pydantic model inherits pydantic's manual."""
    assert cell(tools_shell, "from __future__ import annotations\nimport dataclasses\n"
                             "from pydantic import BaseModel\n"
                             "@dataclasses.dataclass\nclass Order:\n    region: str\n    units: int = 1\n"
                             "@dataclasses.dataclass\nclass Refund:\n    '''Money back for one order.'''\n"
                             "    order: int\n"
                             "class Query(BaseModel):\n    region: str\n    limit: int | None = None\n").ok
    result = cell(tools_shell, "%%ygpt --dry-run --tools Order,Refund,Query\nHow did the north do?")
    assert result.ok, result.message
    assert '"description": "Order(region: str, units: int)"' in result.plain
    assert '"description": "Money back for one order."' in result.plain
    assert '"description": "Query(region: str, limit: int | None)"' in result.plain
    assert "'" not in result.plain.partition("tools:")[2] and "pydantic" not in result.plain.lower()


def test_numpy_and_pandas_defaults_are_declared_as_their_values_without_a_warning(tools_shell, tool_server):
    assert cell(tools_shell, "import datetime\nimport pandas as pd\nsales = pd.DataFrame({'units': [1, 2, 3]})\n"
                             "def get_sales(region: str, limit: int = sales.units.max(),\n"
                             "              threshold: float = sales.units.mean(),\n"
                             "              since: datetime.date = pd.Timestamp('2024-01-01')) -> int:\n"
                             "    '''Sales rows of one region.'''\n"
                             "    calls.append((threshold, since))\n    return 3").ok
    result, caught = warned(tools_shell, "%%ygpt --tools get_sales\nHow did the north do?")
    assert result.ok, result.message
    assert caught == []   # was pydantic's "Default value 2.0 is not JSON serializable"
    declared = completions(tool_server)[0].tools[0]["parameters"]["properties"]
    assert (declared["limit"]["default"], declared["threshold"]["default"]) == (3, 2.0)
    assert declared["since"]["default"] == "2024-01-01T00:00:00"
    [(threshold, since)] = tools_shell.user_ns["calls"]
    assert type(threshold).__name__ == "float64" and type(since).__name__ == "Timestamp"   # the defaults as they are


@pytest.mark.parametrize(("hint", "type_name"), [("pd.DataFrame = sales", "DataFrame"),
                                                 ("np.ndarray = None", "ndarray")])
def test_a_parameter_the_model_cannot_send_is_named_with_advice_for_a_function(tools_shell, tool_server, hint,
                                                                                type_name):
    assert cell(tools_shell, "import numpy as np\nimport pandas as pd\nsales = pd.DataFrame({'units': [1, 2, 3]})\n"
                             f"def top(n: int = 5, df: {hint}) -> int:\n    '''Top rows.'''\n    return 1").ok
    result = cell(tools_shell, "%%ygpt --tools top\nHow did the north do?")
    message = assert_clear_error(result, f"the parameter df ({type_name})", "only JSON values",
                                 "df: str = 'sales'", error_type=ToolError)
    assert "model_config" not in message and "arbitrary_types_allowed" not in message
    assert completions(tool_server) == []


def test_an_infinite_or_nan_default_is_left_out_of_the_declaration_and_still_given(tools_shell, tool_server):
    """JSON has no Infinity: declared as it was, the server could not read the request, and the
    cell said the server had failed ("run the cell again": the same every time)."""
    assert cell(tools_shell, "import numpy as np\nsales = [120.0, 95.0, 130.0]\n"
                             "def units_between(low: float = -np.inf, high: float = np.inf,\n"
                             "                  missing: float = float('nan'), limit: int = 10) -> int:\n"
                             "    '''How many sales rows have units between low and high.'''\n"
                             "    calls.append((low, high))\n"
                             "    return sum(low <= units <= high for units in sales)").ok
    result = cell(tools_shell, "%%ygpt --tools units_between\nUnits over 100")
    assert result.ok, result.message
    declared = completions(tool_server)[0].tools[0]["parameters"]
    assert [name for name, field in declared["properties"].items() if "default" in field] == ["limit"]
    assert "required" not in declared   # each still optional
    assert tools_shell.user_ns["calls"] == [(100.0, float("inf"))] and "There are 2." in result.final
    dry = cell(tools_shell, "%%ygpt --dry-run --tools units_between\nUnits over 100")
    assert dry.ok and "Infinity" not in dry.plain and "NaN" not in dry.plain


@pytest.mark.parametrize(("tools", "library", "wrapper"), [
    ("pd.read_csv", "pandas.read_csv", "def my_read_csv(filepath_or_buffer: str)"),   # hints of pandas' own types
    ("np.mean", "numpy.mean", "def my_mean(a: str)"),                                # no hints at all
])
def test_a_library_function_is_refused_with_a_wrapper_of_ones_own(tools_shell, tool_server, tools, library, wrapper):
    """The advice was for the user's own code ("define or import every name they use where the
    function is defined"; "Define it with def"), which a library's function is not."""
    assert cell(tools_shell, "import numpy as np\nimport pandas as pd").ok
    result = cell(tools_shell, f"%%ygpt --tools {tools}\nHow did the north do?")
    message = assert_clear_error(result, f"{tools} is a library function ({library})",
                                 "Wrap it in a function of your own with typed parameters", wrapper,
                                 error_type=ToolError)
    assert "define or import" not in message and "lambda" not in message
    assert completions(tool_server) == []
    assert cell(tools_shell, message[message.index("def my_"):]).ok   # the wrapper, as the message writes it
    name = wrapper.split("(")[0].removeprefix("def ")
    assert cell(tools_shell, f"%%ygpt --dry-run --tools {name}\nHow did the north do?").ok


LIBRARY = '''from __future__ import annotations

import typing

if typing.TYPE_CHECKING:
    from shop._typing import FilePath


def read_orders(path: FilePath) -> list:
    """Read an orders file (the library's manual)."""
    return []
'''


@pytest.mark.parametrize("installed", [
    "usr/lib/python3/dist-packages",              # Debian's apt: in no sysconfig path of its Python
    ".local/lib/python3.11/site-packages",        # pip install --user
])
def test_a_function_of_a_library_installed_by_apt_or_pip_user_gets_the_library_advice(
        tools_shell, tool_server, tmp_path, monkeypatch, installed):
    """findings/review16.md 6: only sysconfig's folders counted, so these got "define or import
    every name they use where the function is defined", advice for one's own code."""
    folder = tmp_path / installed
    folder.mkdir(parents=True)
    (folder / "shoplib.py").write_text(LIBRARY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "shoplib", raising=False)
    try:
        assert cell(tools_shell, "import shoplib").ok
        result = cell(tools_shell, "%%ygpt --tools shoplib.read_orders\nHow did the north do?")
    finally:
        sys.modules.pop("shoplib", None)
    message = assert_clear_error(result, "shoplib.read_orders is a library function (shoplib.read_orders)",
                                 "def my_read_orders(path: str)", error_type=ToolError)
    assert "define or import" not in message
    assert completions(tool_server) == []


@pytest.mark.parametrize(("tools", "wrapper"), [
    ("len", "def my_len(obj: str)"),        # a positional-only parameter
    ("print", "def my_print(args: str)"),   # *args
    ("max", "def my_max(text: str)"),       # no signature Python can read
])
def test_a_builtin_is_wrapped_under_a_name_of_ones_own_not_shadowed(tools_shell, tool_server, tools, wrapper):
    """The advice was def len(region: str, limit: int = 10), which would shadow the builtin."""
    result = cell(tools_shell, f"%%ygpt --tools {tools}\nHow long is it?")
    message = assert_clear_error(result, "Wrap it in a function of your own", wrapper, error_type=ToolError)
    assert f"def {tools}(" not in message and completions(tool_server) == []
    assert cell(tools_shell, message[message.index("def my_"):]).ok   # the wrapper, as the message writes it
    assert cell(tools_shell, f"%%ygpt --dry-run --tools my_{tools}\nHow long is it?").ok
