"""`{name}` in a cell: filled from the namespace; code, JSON and escaped braces left alone."""

import pytest

from ygpt_magic.context.interpolate import interpolate
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


def test_braces_around_anything_but_a_name_stay():
    text = 'JSON {"a": 1}, set { n }, sum {n + 1}, call {n()}'
    assert interpolate(text, NS).text == text


def test_unknown_name_is_an_error_naming_it():
    with pytest.raises(InterpolationError, match="no variable named 'missing'.*--no-interpolate"):
        interpolate("Hello {missing}", NS)


def test_unknown_attribute_names_the_object_and_attribute():
    with pytest.raises(InterpolationError, match="'book' \\(Book\\) has no attribute 'author'"):
        interpolate("{book.author}", NS)


def test_private_attributes_are_refused():
    with pytest.raises(InterpolationError, match="only public attributes"):
        interpolate("{book._secret}", NS)


def test_an_int_too_long_to_write_out_is_a_clear_error_and_a_long_one_is_sent_whole():
    with pytest.raises(InterpolationError, match=r"\{big\}.*int into text raised ValueError.*Nothing was sent"):
        interpolate("Factor {big}", {"big": 10 ** 5000})
    assert interpolate("Factor {n}", {"n": 2 ** 2000}).text == f"Factor {2 ** 2000}"
