"""Notebook context in a prompt: `{In[N]}`, `{Out[N]}`, `{Err[N]}` and values rendered for a model.

Every test runs cells in the real shell and asserts what the local server received and what the
cell showed (the quiet notes above the reply say what was rendered and how it was cut).
"""

from __future__ import annotations

import sys

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clean, assert_clear_error
from conftest import cell, completions

from ygpt_magic import errors

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


def sent_text(server) -> str:
    return completions(server)[-1].messages[-1]["text"]


def notes(result) -> str:
    """The cell's final Markdown with its escapes removed (the notes escape brackets)."""
    return result.final.replace("\\", "")


def count_of(shell, source: str) -> int:
    """Run a code cell and return its number (the N of In [N]:)."""
    count = shell.execution_count
    cell(shell, source)
    return count


def test_in_sends_the_source_as_written_and_never_interpolates_it_again(shell, ygpt_server):
    source = "def greet(name):\n    return f\"Hello, {name}!\"  # {not_a_variable}"
    n = count_of(shell, source)
    result = cell(shell, f"%%ygpt --once\nWhat does this do?\n{{In[{n}]}}")
    assert result.ok, result.shown
    assert sent_text(ygpt_server) == f"What does this do?\n```python\n{source}\n```"
    assert f"{{In[{n}]}}: the source of cell {n}" in notes(result)


def test_in_keeps_magics_as_written(shell, ygpt_server):
    n = count_of(shell, "%%ygpt --dry-run\nHello {{there}}")
    assert cell(shell, f"%%ygpt --once\n{{In[{n}]}}").ok
    assert sent_text(ygpt_server) == "```python\n%%ygpt --dry-run\nHello {{there}}\n```"


def test_out_of_a_dataframe_is_a_bounded_table_and_the_cell_says_so(shell, ygpt_server):
    pd = pytest.importorskip("pandas")
    shell.user_ns["pd"] = pd
    n = count_of(shell, "pd.DataFrame({'city': ['Kazan', 'Perm'] * 5000, 'people': range(10000)})")
    result = cell(shell, f"%%ygpt --once\nSummarise:\n{{Out[{n}]}}")
    assert result.ok, result.shown
    text = sent_text(ygpt_server)
    assert text.startswith("Summarise:\nDataFrame: 10,000 rows × 2 columns\ndtypes: city ")
    assert "| 0 | Kazan | 0 |" in text and "| 9999 | Perm | 9999 |" in text
    assert text.count("\n| ") == 22  # header, 20 rows and the … row
    assert text.endswith("Left out: rows 10 to 9989 (9,980 rows).")
    assert f"{{Out[{n}]}}: DataFrame 10,000 × 2, sent as 20 rows" in notes(result)


def test_err_is_the_traceback_as_the_user_saw_it_without_machinery(shell, ygpt_server):
    define = count_of(shell, "def mean(xs):\n    return sum(xs) / len(xs)")
    failed = count_of(shell, "empty = []\nmean(empty)")
    result = cell(shell, f"%%ygpt --once\nWhy?\n{{Err[{failed}]}}")
    assert result.ok, result.shown
    text = sent_text(ygpt_server)
    assert text == (
        "Why?\n```\nTraceback (most recent call last):\n"
        f'  File "Cell In[{failed}]", line 2, in <module>\n    mean(empty)\n'
        f'  File "Cell In[{define}]", line 2, in mean\n    return sum(xs) / len(xs)\n'
        "ZeroDivisionError: division by zero\n```"
    )
    assert f"{{Err[{failed}]}}: the ZeroDivisionError of cell {failed}" in notes(result)


def test_err_keeps_library_frames_by_their_path_inside_the_library(shell, ygpt_server):
    failed = count_of(shell, "import json\njson.loads('{broken')")
    assert cell(shell, f"%%ygpt --once\n{{Err[{failed}]}}").ok
    text = sent_text(ygpt_server)
    assert 'File "json/decoder.py"' in text and "JSONDecodeError" in text
    assert sys.prefix not in text and "\x1b[" not in text and "IPython" not in text


def test_a_syntax_error_is_recorded_with_its_cell(shell, ygpt_server):
    failed = count_of(shell, "print('unclosed'")
    assert cell(shell, f"%%ygpt --once\n{{Err[{failed}]}}").ok
    text = sent_text(ygpt_server)
    assert f'File "Cell In[{failed}]", line 1' in text and "SyntaxError" in text


def test_our_own_errors_are_not_failed_cells_and_an_interrupt_is_kept_marked(shell, magics):
    """A Ctrl-C is what the user asks about when a cell hung (test_fix.py: the real SIGINT)."""
    before = dict(magics.kernel.cells.errors)
    cell(shell, "%%ygpt\nTell me about {nobody}")  # an InterpolationError (a UsageError)
    cell(shell, "%ygpt frobnicate")
    assert magics.kernel.cells.errors == before
    stopped = shell.execution_count
    cell(shell, "raise KeyboardInterrupt")
    assert magics.kernel.cells.errors[stopped].interrupted


def test_a_string_of_100_mb_is_cut_with_a_marker(shell, ygpt_server):
    shell.user_ns["log"] = "x" * (100 * 1024 * 1024)
    result = cell(shell, "%%ygpt --once\nRead this log: {log}")
    assert result.ok, result.shown
    text = sent_text(ygpt_server)
    assert text == "Read this log: " + "x" * 8000 + "\n… 104,849,600 characters left out"
    assert "{log}: 104,857,600 characters, cut to the first 8,000 characters" in notes(result)


def test_a_dataframe_of_a_million_rows_and_500_columns_is_bounded(shell, ygpt_server):
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    shell.user_ns["wide"] = pd.DataFrame(np.zeros((10**6, 500)), copy=False)
    result = cell(shell, "%%ygpt --once\n{wide}")
    assert result.ok, result.shown
    text = sent_text(ygpt_server)
    assert len(text) < 8000 and text.count("\n| ") == 22
    assert text.splitlines()[0] == "DataFrame: 1,000,000 rows × 500 columns"
    assert "the other 480: float64 × 480" in text
    assert text.endswith("Left out: rows 10 to 999989 (999,980 rows); columns 21 to 500 (480 columns).")
    assert "{wide}: DataFrame 1,000,000 × 500, sent as 20 rows and the first 20 columns" in notes(result)


def test_a_frame_of_40_columns_and_few_rows_is_not_said_to_be_sent_whole(shell, ygpt_server):
    """All 5 rows went but only the first 20 columns: the note said "sent whole and 20 columns"."""
    pd = pytest.importorskip("pandas")
    shell.user_ns["df"] = pd.DataFrame({f"c{i}": range(5) for i in range(40)})
    result = cell(shell, "%%ygpt --once\n{df}")
    assert result.ok, result.shown
    text = sent_text(ygpt_server)
    assert text.splitlines()[3] == "| " + " | ".join(["", *(f"c{i}" for i in range(20))]) + " |"
    assert text.count("\n| ") == 6 and text.endswith("Left out: columns 21 to 40 (20 columns).")
    assert "{df}: DataFrame 5 × 40, sent as all 5 rows and the first 20 columns" in notes(result)
    assert "whole" not in notes(result)


def test_a_table_whose_long_cells_were_shortened_is_not_said_to_be_sent_whole(shell, ygpt_server):
    pd = pytest.importorskip("pandas")
    shell.user_ns["df"] = pd.DataFrame({"text": ["x" * 300, "short"]})
    result = cell(shell, "%%ygpt --once\n{df}")
    assert result.ok, result.shown
    assert sent_text(ygpt_server).endswith("\n\n1 cell longer than 200 characters was shortened (…).")
    assert "{df}: DataFrame 2 × 1, sent with every row and column, 1 long cell shortened" in notes(result)


def test_the_limits_are_settings(shell, ygpt_server):
    pd = pytest.importorskip("pandas")
    shell.user_ns["df"] = pd.DataFrame({f"c{i}": range(10) for i in range(5)})
    cell(shell, "%config YGptMagics.max_rows = 4")
    cell(shell, "%config YGptMagics.max_columns = 2")
    assert cell(shell, "%%ygpt --once\n{df}").ok
    text = sent_text(ygpt_server)
    assert text.count("\n| ") == 6 and "| 0 | 0 | 0 |" in text and "c2" not in text.split("\n\n")[1]
    cell(shell, "%config YGptMagics.max_value_chars = 10")
    shell.user_ns["word"] = "abcdefghijklmnop"
    assert cell(shell, "%%ygpt --once\n{word}").ok
    assert sent_text(ygpt_server) == "abcdefghij\n… 6 characters left out"


@pytest.mark.parametrize("line", ["max_rows = 0", "max_columns = -1", "max_value_chars = 0",
                                  "value_timeout = -1", "fix_instruction = '  '"])
def test_bad_limits_are_refused_when_set(shell, magics, line):
    name = line.split()[0]
    before = getattr(magics, name)
    result = cell(shell, f"%config YGptMagics.{line}")
    assert f"YGptMagics.{name}" in result.stderr + result.message
    assert getattr(magics, name) == before


def test_repr_llm_then_repr_markdown_then_repr(shell, ygpt_server):
    cell(shell, "class Both:\n    def _repr_llm_(self): return 'for a model'\n"
                "    def _repr_markdown_(self): return '**for people**'\n"
                "class Md:\n    def _repr_markdown_(self): return ('**md**', {})\n"
                "class Plain:\n    def __repr__(self): return 'Plain()'\n"
                "both, md, plain = Both(), Md(), Plain()")
    result = cell(shell, "%%ygpt --once\n{both} / {md} / {plain}")
    assert sent_text(ygpt_server) == "for a model / **md** / Plain()"
    assert "{both}: Both via _repr_llm_()" in notes(result)


def test_a_numpy_array_is_shape_dtype_and_its_edges(shell, ygpt_server):
    np = pytest.importorskip("numpy")
    shell.user_ns["grid"] = grid = np.arange(10**6).reshape(1000, 1000)
    result = cell(shell, "%%ygpt --once\n{grid}")
    text = sent_text(ygpt_server)
    assert text.startswith("ndarray: shape 1,000 × 1,000, dtype int64")
    assert "..." in text and "999999" in text and len(text) < 8000
    shell.user_ns["mean"] = grid.mean()
    cell(shell, "%%ygpt --once\nThe mean is {mean}.")
    assert sent_text(ygpt_server) == "The mean is 499999.5."  # a number as str() shows it
    assert "{grid}: ndarray 1,000 × 1,000, sent as its first and last 10 along each axis" in notes(result)


def test_dry_run_shows_the_expanded_text_and_the_notes(shell, ygpt_server):
    pd = pytest.importorskip("pandas")
    shell.user_ns["df"] = pd.DataFrame({"a": range(100)})
    result = cell(shell, "%%ygpt --dry-run --once\n{df}")
    assert result.ok and not completions(ygpt_server)
    assert "{df}: DataFrame 100 × 1, sent as 20 rows" in result.plain
    assert "Left out: rows 10 to 89 (80 rows)." in result.plain



# -- {expressions}: evaluated as IPython does for `!cmd {expr}` ---------------------------------

@pytest.mark.parametrize("index, said", [(None, "rows 2 to 33"), ([f"r{n}" for n in range(1, 37)], "rows r3 to r34")])
def test_the_left_out_rows_are_named_by_the_labels_the_table_shows(shell, ygpt_server, index, said):
    """The table shows the frame's index labels (0, 1, …, 34, 35): the line under it names the rows
    left out by the same labels, never row 34 that the table shows (learner L3)."""
    pd = pytest.importorskip("pandas")
    shell.user_ns["sales"] = pd.DataFrame({"revenue": range(36)}, index=index)
    shell.run_line_magic("config", "YGptMagics.max_rows = 4")
    result = cell(shell, "%%ygpt --dry-run --once\n{sales}")
    assert result.ok, result.message
    first, last = said.split()[1::2]
    assert f"| {last} |" not in result.plain and f"| {first} |" not in result.plain, result.plain
    assert f"Left out: {said} (32 rows)." in result.plain, result.plain


def test_an_expression_is_evaluated_bounded_and_noted_above_the_reply(shell, ygpt_server):
    pd = pytest.importorskip("pandas")
    shell.user_ns["df"] = pd.DataFrame({"price": [10, 20, 30, 40]})
    result = cell(shell, "%%ygpt --once\nExplain:\n{df.describe()}\nover {len(df) * 2} rows")
    assert result.ok, result.shown
    text = sent_text(ygpt_server)
    assert text.startswith("Explain:\nDataFrame: 8 rows × 1 columns\n") and "| mean | 25.0 |" in text
    assert text.endswith("\nover 8 rows")
    assert "{df.describe()}: evaluated, DataFrame 8 × 1, sent whole" in notes(result)
    assert "{len(df) * 2}: evaluated, int" in notes(result)
    dry = cell(shell, "%%ygpt --once --dry-run\n{df.price.max() - df.price.min()}")
    assert "{df.price.max() - df.price.min()}: evaluated, int" in dry.plain and "30" in dry.plain


def test_a_conversion_f_strings_lack_is_sent_as_written_and_noted_like_a_bad_format_spec(shell, ygpt_server):
    """`{n:zz}` was noted and `{n!z}` went as written in silence: the same slip, told apart."""
    shell.user_ns["n"] = 3
    result = cell(shell, "%%ygpt --once\nCount {n!z}, {n!:>3} and {n:zz}")
    assert result.ok, result.message
    assert sent_text(ygpt_server) == "Count {n!z}, {n!:>3} and {n:zz}"
    said = notes(result)
    assert "{n!z}: sent as written: !z is not a conversion (an f-string takes !r, !s or !a)" in said, said
    assert "{n!:>3}: sent as written: ! is not a conversion" in said, said
    assert "{n:zz}: sent as written: an int does not take this format" in said, said


def test_a_format_spec_note_reads_with_the_article_its_type_takes(shell, ygpt_server):
    """"a int does not take this format": the note's article agrees with the type's name."""
    shell.user_ns.update(n=3, word="tea", price=2.5)
    said = notes(cell(shell, "%%ygpt --once --dry-run\n{n:zz} {word:d} {price:zz}"))
    assert "an int does not take this format" in said and "a str does not take this format" in said, said
    assert "a float does not take this format" in said and "a int" not in said, said


def test_a_cell_with_context_is_clean(shell, ygpt_server):
    n = count_of(shell, "1 + 1")
    result = cell(shell, f"%%ygpt --once\n{{In[{n}]}} gives {{Out[{n}]}}")
    assert result.ok
    assert_clean(result)
    assert sent_text(ygpt_server) == "```python\n1 + 1\n``` gives 2"


NO_PANDAS = """
import importlib.abc, sys

class NotInstalled(importlib.abc.MetaPathFinder):  # as if neither were installed: `import numpy` raises
    def find_spec(self, name, path, target=None):  # ImportError and neither is ever in sys.modules
        if name.partition(".")[0] in ("pandas", "numpy"):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

assert "pandas" not in sys.modules and "numpy" not in sys.modules
sys.meta_path.insert(0, NotInstalled())
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
config = Config()
config.HistoryManager.hist_file = ":memory:"
shell = InteractiveShell.instance(config=config)
shell.run_line_magic("load_ext", "ygpt_magic")
shell.run_line_magic("ygpt", "connect {address} --insecure")
shell.run_cell("rows = [('Kazan', 1), ('Perm', 2)]", store_history=True)
result = shell.run_cell("%%ygpt --once\\nSummarise {{rows}} and {{In[1]}}", store_history=True)
result.raise_error()
"""


@pytest.mark.slow
def test_everything_works_without_pandas_and_numpy(ygpt_server, clean_env):
    import subprocess

    done = subprocess.run([sys.executable, "-c", NO_PANDAS.format(address=ygpt_server.address)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sent_text(ygpt_server) == ("Summarise [('Kazan', 1), ('Perm', 2)] and "
                                      "```python\nrows = [('Kazan', 1), ('Perm', 2)]\n```")


def test_a_long_source_is_cut_inside_its_code_block(shell, ygpt_server):
    n = count_of(shell, "numbers = [\n" + "    1,\n" * 3000 + "]")
    cell(shell, "%config YGptMagics.max_value_chars = 30")
    result = cell(shell, f"%%ygpt --once\n{{In[{n}]}}")
    assert sent_text(ygpt_server) == ("```python\nnumbers = [\n" + "    1,\n" * 2 + "    \n"
                                      "… 20,983 characters left out\n```")
    assert f"{{In[{n}]}}: the source of cell {n}, cut to the first 30 characters" in notes(result)


def test_a_chained_error_keeps_both_parts(shell, ygpt_server):
    failed = count_of(shell, "try:\n    {}['rate']\nexcept KeyError as missing:\n"
                             "    raise ValueError('no rate configured') from missing")
    assert cell(shell, f"%%ygpt --once\n{{Err[{failed}]}}").ok
    text = sent_text(ygpt_server)
    assert "KeyError: 'rate'" in text and "ValueError: no rate configured" in text
    assert "The above exception was the direct cause of the following exception" in text


def test_the_last_reply_goes_as_its_text_and_out_of_a_ygpt_cell_points_to_it(shell, ygpt_server):
    """{_ygpt} sent the Reply's repr (the previous prompt, options, cost); {Out[N]} of a %%ygpt
    cell said it had no output while its reply was shown under it."""
    asked = count_of(shell, "%%ygpt --once\nhello")
    text = shell.user_ns["_ygpt"].text
    result = cell(shell, "%%ygpt --once\nShorten this: {_ygpt}")
    assert result.ok, result.shown
    assert sent_text(ygpt_server) == f"Shorten this: {text}"
    assert "{_ygpt}: Reply via _repr_llm_()" in notes(result)
    result = cell(shell, f"%%ygpt --once\nShorten this: {{Out[{asked}]}}")
    assert_clear_error(result, f"cell {asked} is a %%ygpt cell", "{_ygpt}", "--out NAME",
                       error_type=errors.InterpolationError)


def test_the_levels_of_a_multiindex_are_named_in_the_header(shell, ygpt_server):
    """A groupby over two keys sent '|  | amount |': which level was the year was gone."""
    pytest.importorskip("pandas")
    assert cell(shell, "import pandas as pd\nsales = pd.DataFrame({'city': ['Kazan', 'Perm'], "
                       "'year': [2023, 2024], 'amount': [1, 2]})\n"
                       "g = sales.groupby(['city', 'year']).sum()").ok
    assert cell(shell, "%%ygpt --once\n{g}").ok
    header = [line for line in sent_text(ygpt_server).splitlines() if line.startswith("|")][0]
    assert header == "| city, year | amount |"
