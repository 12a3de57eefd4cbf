"""`{name}` and `{expression}` in a cell: filled from the namespace; code, JSON and escaped braces
left alone."""

import pytest

from ygpt_magic.context.interpolate import interpolate
from ygpt_magic.context.limits import Limits
from ygpt_magic.errors import InterpolationError


class Book:
    title = "Dune"
    _secret = "hidden"


NS = {"city": "Kazan", "n": 3, "book": Book()}


def test_names_and_attributes_are_filled_in():
    assert interpolate("Weather in {city} for {n} days: {book.title}", NS).text == \
        "Weather in Kazan for 3 days: Dune"


def test_double_braces_are_literal():
    assert interpolate("Use {{city}} as a placeholder", NS).text == "Use {city} as a placeholder"


def test_fenced_code_is_never_interpolated():
    text = "Explain:\n```python\nd = {city: 1}\nprint(f'{n}')\n```\nabout {city}\n~~~\n{n}\n~~~\n"
    assert interpolate(text, NS).text == text.replace("about {city}", "about Kazan")


def test_unclosed_fence_protects_the_rest_of_the_cell():
    text = "{city}\n```\n{missing}\n"
    assert interpolate(text, NS).text == "Kazan\n```\n{missing}\n"


def test_expressions_are_evaluated_in_the_namespace_and_noted():
    expanded = interpolate("sum {n + 1}, spaced { n }, title {book.title.upper()}, len {len(book.title)}", NS)
    assert expanded.text == "sum 4, spaced 3, title DUNE, len 4"
    assert expanded.notes == ("{n + 1}: evaluated, int", "{ n }: evaluated, int",
                              "{book.title.upper()}: evaluated, str", "{len(book.title)}: evaluated, int")


def test_an_expression_is_bounded_like_a_name():
    expanded = interpolate("{'x' * 50}", NS, limits=Limits(max_chars=10))
    assert expanded.text == "x" * 10 + "\n… 40 characters left out"
    assert expanded.notes == ("{'x' * 50}: evaluated, 50 characters, cut to the first 10 characters",)


def test_an_expression_cannot_change_a_variable():
    namespace = dict(NS)
    assert interpolate("{(n := 10)} then {n}", namespace).text == "10 then 3"
    assert namespace == NS


def test_braces_around_anything_but_an_expression_stay():
    text = ('JSON {"a": {"b": 1}}, dicts {n: 1} {key:value} {n!z}, words {a lone word}, code { return n; }, '
            'empty {} { }, two lines {n\n+ 1}')
    assert interpolate(text, NS).text == text


def test_a_conversion_or_format_spec_on_defined_names_is_formatted_like_an_f_string():
    """{price:.2f} was sent as written, with no note: the model read an unfilled template."""
    namespace = {**NS, "price": 3.14159, "rows": [1, 2, 3]}
    expanded = interpolate("Is {price:.2f} fair? {book.title!r}, {rows[1:]!r:>8}, {n:,}, {price:.2x}", namespace)
    assert expanded.text == "Is 3.14 fair? 'Dune',   [2, 3], 3, {price:.2x}"
    assert expanded.notes == ("{price:.2f}: formatted, float", "{book.title!r}: formatted, str",
                              "{rows[1:]!r:>8}: formatted, list", "{n:,}: formatted, int",
                              "{price:.2x}: sent as written: a float does not take this format "
                              "(Unknown format code 'x' for object of type 'float')")


def test_an_expression_that_raises_is_an_error_naming_it_and_the_exception():
    with pytest.raises(InterpolationError, match=r"\{n / 0\}.*ZeroDivisionError: division by zero.*"
                                                 r"Nothing was sent.*\{\{n / 0\}\}.*--no-interpolate"):
        interpolate("Ratio {n / 0}", NS)


def test_expressions_are_not_evaluated_when_interpolation_is_off_or_in_code():
    calls = []
    namespace = {"count": lambda: calls.append(1) or len(calls)}
    assert interpolate("{count()}", namespace, fill=False).text == "{count()}"
    assert interpolate("```\n{count()}\n```\n{{count()}}", namespace).text == "```\n{count()}\n```\n{count()}"
    assert interpolate("{count()}", namespace).text == "1" and calls == [1]


def test_unknown_name_is_an_error_naming_it():
    with pytest.raises(InterpolationError, match="no variable named 'missing'.*--no-interpolate"):
        interpolate("Hello {missing}", NS)


def test_unknown_attribute_names_the_object_and_attribute():
    with pytest.raises(InterpolationError, match="'book' \\(Book\\) has no attribute 'author'"):
        interpolate("{book.author}", NS)


def test_private_attributes_are_filled_in_as_ipython_would():
    assert interpolate("{book._secret}", NS).text == "hidden"


def test_an_int_too_long_to_write_out_is_a_clear_error_and_a_long_one_is_sent_whole():
    with pytest.raises(InterpolationError, match=r"\{big\}.*int into text raised ValueError.*Nothing was sent"):
        interpolate("Factor {big}", {"big": 10 ** 5000})
    assert interpolate("Factor {n}", {"n": 2 ** 2000}).text == f"Factor {2 ** 2000}"


def test_the_notes_of_values_sent_in_part_are_told_apart():
    """A --map run says which rows carried a value in part (rows/plans.py): a text cut to its
    first characters, a table's rows left out, a table cell shortened; never a value sent whole."""
    pd = pytest.importorskip("pandas")
    names = {"long": "x" * 5000, "short": "ok", "table": pd.DataFrame({"a": range(30)}),
             "wide": pd.DataFrame({"a": ["y" * 300]}), "whole": pd.DataFrame({"a": [1, 2]})}
    limits = Limits(max_chars=2000, max_rows=10)
    expanded = interpolate("{long} {short} {table} {wide} {whole} {len(short)}", names, limits=limits)
    assert [note.split(":")[0] for note in expanded.cut] == ["{long}", "{table}", "{wide}"]
    assert [note.split(":")[0] for note in expanded.notes] == ["{long}", "{table}", "{wide}", "{whole}",
                                                               "{len(short)}"]


def test_a_text_with_a_memory_address_says_the_reply_cache_cannot_replay_it():
    logs = ["crash at 0x7f3a12bc44d0", "segfault at 0x7f3a12bc44d8"]   # data: a list of log lines
    expanded = interpolate("Which book? {book} / {book.title} / {log} / {logs}",
                           {**NS, "log": "crash at 0x7f3a12bc44d0", "logs": logs})
    assert ".Book object at 0x" in expanded.text  # sent as it is
    assert expanded.notes == ("{book}: its text holds a memory address, which tells the model nothing and is "
                              "new in every kernel, so the reply cache cannot replay this cell in another "
                              "kernel; refer to the object's data (an attribute, a method's result) rather "
                              "than to the object",)  # a str or a list of them is data, whatever it says: no note


def test_a_constant_in_braces_stays_as_written():
    """str.format placeholders and LaTeX groups: evaluating them only dropped the braces."""
    text = ("Why does '{0} and {1}'.format(a) raise IndexError? Explain $x^{10}$, $\\frac{1}{2}$, "
            "{-1}, {1.5}, {'a'} and {1, 2}")
    expanded = interpolate(text, NS)
    assert expanded.text == text and expanded.notes == ()
    assert interpolate("{n, 2} and {1 + 1}", NS).text == "(3, 2) and 2"  # names and sums still run


def test_inline_code_is_never_interpolated_and_a_variable_left_there_is_noted():
    text = 'Why does `f"{city}"` print `{n}` times, and ``a ` {missing}`` not {city}? `{city}`'
    expanded = interpolate(text, NS)
    assert expanded.text == text.replace("not {city}", "not Kazan")
    assert expanded.notes == ("{city}: inside inline code (`…`), sent as written; take it out of the "
                              "backticks to send its value",
                              "{n}: inside inline code (`…`), sent as written; take it out of the "
                              "backticks to send its value")
    # a lone backtick, or one closed only after a blank line, opens no code span
    assert interpolate("it`s {n}\n\n`{n}\n\n{n}`", NS).text == "it`s 3\n\n`3\n\n3`"
