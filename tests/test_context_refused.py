"""References that cannot be filled in: one paragraph that says what to do, and nothing sent.

A `{expr}` that raises or hangs, a name or cell that does not exist, the cell itself, and an output
that is gone (a reopened notebook, `%reset`, a restart before any reply). Split from
test_context.py, whose helpers it uses."""

from __future__ import annotations

import pytest
from cellrun import LOST_EXCEPTIONS, assert_clear_error
from conftest import cell, completions
from test_context import count_of

from ygpt_magic import errors

pytestmark = [*LOST_EXCEPTIONS, pytest.mark.usefixtures("fresh_names")]


def test_an_expression_that_raises_is_one_paragraph_and_nothing_is_sent(shell, ygpt_server):
    shell.user_ns["prices"] = {"tea": 3}
    result = cell(shell, "%%ygpt --once\nIs {prices['coffee'] * 2} too much?")
    assert_clear_error(result, "{prices['coffee'] * 2}", "KeyError: 'coffee'", "nothing was sent",
                       "--no-interpolate", error_type=errors.InterpolationError)
    assert not completions(ygpt_server)

# -- bad input: one clear paragraph, nothing sent ----------------------------------------------

class Boom:
    def __repr__(self):
        raise RuntimeError("repr exploded")


class Slow:
    def __repr__(self):
        while True:
            pass


def _bad_references(shell) -> list[tuple[str, tuple[str, ...]]]:
    here = shell.execution_count
    plain = count_of(shell, "x = 1")
    return [
        ("{In[]}", ("nothing between the brackets", "{In[3]}")),
        ("{In[abc]}", ("only a cell's number", "'abc'", "from 1")),
        ("{Out[-1]}", ("only a cell's number", "'-1'", "negative")),
        ("{Err[0]}", ("only a cell's number", "'0'")),
        (f"{{In[{here + 1000}]}}", (f"no cell {here + 1000} has run yet", "earlier cells are 1 to")),
        (f"{{Out[{plain}]}}", (f"cell {plain} has no output", "Cells with an output")),
        (f"{{Err[{plain}]}}", (f"cell {plain} raised no error", "Cells that raised one")),
        ("{boom}", ("{boom}", "RuntimeError: repr exploded", "Nothing was sent")),
    ]


def test_bad_references_are_refused_before_anything_is_sent(shell, ygpt_server):
    shell.user_ns["boom"] = Boom()
    for reference, keywords in _bad_references(shell):
        result = cell(shell, f"%%ygpt --once\nLook at {reference}")
        assert_clear_error(result, *keywords, error_type=errors.InterpolationError)
    assert not completions(ygpt_server)


def test_a_reference_to_the_cell_itself_is_refused(shell, ygpt_server):
    here = shell.execution_count
    result = cell(shell, f"%%ygpt --once\n{{In[{here}]}}")
    assert_clear_error(result, "this cell itself", error_type=errors.InterpolationError)
    assert not completions(ygpt_server)


def test_out_of_a_reopened_notebook_after_a_restart_says_to_run_that_cell_again(shell, ygpt_server):
    """The notebook shows Out[41] from before the restart; this kernel has run a few cells."""
    later = shell.execution_count + 40
    result = cell(shell, f"%%ygpt --once\nExplain {{Out[{later}]}}")
    assert_clear_error(result, f"no cell {later} has run yet",
                       "Cell numbers start again at 1 when the kernel restarts",
                       "run that cell again, then use the N of its new In [N]:",
                       error_type=errors.InterpolationError)
    assert not completions(ygpt_server)


def test_out_after_reset_says_the_output_history_was_cleared_not_that_the_cell_had_none(shell, ygpt_server):
    """%reset empties Out, but cell n did have an output: the refusal said "cell n has no output"."""
    n = count_of(shell, "6 * 7")
    assert cell(shell, "%reset -f").ok
    result = cell(shell, f"%%ygpt --once\nExplain {{Out[{n}]}}")
    message = assert_clear_error(result, f"the output of cell {n} is no longer in Out",
                                 "IPython's output history was cleared since it ran (%reset does that",
                                 f"Run cell {n} again and use the N of its new Out[N]",
                                 error_type=errors.InterpolationError)
    assert "has no output" not in message
    assert not completions(ygpt_server)


def test_the_last_reply_after_a_restart_says_it_is_the_last_reply_and_what_cleared_it(shell, ygpt_server):
    """A reopened notebook's `Shorten this: {_ygpt}` run before any %%ygpt cell: the user did not
    define _ygpt, so "Define it in a code cell first" sent them the wrong way."""
    result = cell(shell, "%%ygpt --once\nShorten this: {_ygpt.text}")
    message = assert_clear_error(result, "{_ygpt.text}, the last reply, but this kernel has had no reply yet",
                                 "(a restart clears it)", "Run the %%ygpt cell whose reply it means first",
                                 error_type=errors.InterpolationError)
    assert "Define it in a code cell" not in message
    assert not completions(ygpt_server)


def test_a_hanging_repr_is_stopped_and_named(shell, ygpt_server):
    shell.user_ns["slow"] = Slow()
    cell(shell, "%config YGptMagics.value_timeout = 0.2")
    result = cell(shell, "%%ygpt --once\n{slow}")
    assert_clear_error(result, "{slow}", "longer than 0.2 s", "value_timeout",
                       error_type=errors.InterpolationError)
    assert not completions(ygpt_server)
