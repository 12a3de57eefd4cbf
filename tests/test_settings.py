"""Settings (`%config YGptMagics.<name>` and ipython_config.py): what a user sees when one is
given a value it cannot hold, or a name it does not have."""

from __future__ import annotations

import pytest
from cellrun import assert_clean, run
from traitlets import Int

from ygpt_magic.magics import YGptMagics

#: every whole-number setting: traitlets' Int takes True and False as 1 and 0
WHOLE_NUMBERS = sorted(name for name, trait in YGptMagics.class_traits(config=True).items()
                       if isinstance(trait, Int))


def test_the_whole_number_settings_are_found():
    assert {"context_budget", "retries", "map_concurrency", "max_rows", "max_columns"} <= set(WHOLE_NUMBERS)


@pytest.mark.parametrize("name", WHOLE_NUMBERS)
def test_a_bool_is_not_kept_as_a_whole_number_setting(shell, magics, name):
    """`True` was stored as the value (and `%ygpt config` showed it): refused like any other
    bad value, in the one line they all get, the setting kept."""
    before = getattr(magics, name)
    try:
        result = run(shell, f"%config YGptMagics.{name} = True")
        assert_clean(result)
        line = result.stderr.strip()
        assert line.startswith(f"YGptMagics.{name} must ") and "\n" not in line
        assert "not True" in line and line.endswith(f" Ignored: YGptMagics.{name} stays {before!r}.")
        assert getattr(magics, name) == before and getattr(magics, name) is not True
        assert name not in shell.config.YGptMagics   # nor kept for the next %load_ext
    finally:
        shell.config.YGptMagics.pop(name, None)
