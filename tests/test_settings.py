"""Settings (`%config YGptMagics.<name>` and ipython_config.py): what a user sees when one is
given a value it cannot hold, or a name it does not have."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cellrun import assert_clean, run
from conftest import CREDENTIAL_ENV
from traitlets import Float, Int

from ygpt_magic.magics import YGptMagics

REPO = Path(__file__).resolve().parent.parent

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


#: every number setting, whole or not: traitlets checks a value's type before our validators
NUMBERS = sorted(name for name, trait in YGptMagics.class_traits(config=True).items()
                 if isinstance(trait, (Int, Float)))


@pytest.mark.parametrize("name", NUMBERS)
def test_a_number_setting_given_words_says_what_the_setting_looks_like(shell, magics, name):
    """`= "lots"` got traitlets' "The 'x' trait of a YGptMagics instance expected a float, not
    the str 'lots'"; every number setting now answers with its own rule, naming the value."""
    before = getattr(magics, name)
    try:
        result = run(shell, f'%config YGptMagics.{name} = "lots"')
        assert_clean(result)
        line = result.stderr.strip()
        assert line.startswith(f"YGptMagics.{name} must ") and "\n" not in line, line
        assert "'lots'" in line and "trait of a YGptMagics instance" not in line, line
        assert line.endswith(f" Ignored: YGptMagics.{name} stays {before!r}."), line
        assert getattr(magics, name) == before and name not in shell.config.YGptMagics
    finally:
        shell.config.YGptMagics.pop(name, None)


# -- a name the magics have no setting for -----------------------------------------------------

def ipython_with_config(ipython_dir: Path, config: str) -> subprocess.CompletedProcess[str]:
    """``ipython -c`` with ``config`` as the ipython_config.py of a temporary IPYTHONDIR, the
    extension loaded from it as a user's profile would; prints max_tokens and temperature."""
    profile = ipython_dir / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_config.py").write_text(
        "c.InteractiveShellApp.extensions = ['ygpt_magic']\n" + config, encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if name not in CREDENTIAL_ENV}
    env.update(IPYTHONDIR=str(ipython_dir), PYTHONPATH=str(REPO))
    code = "m = get_ipython().magics_manager.registry['YGptMagics']; print(m.max_tokens, m.temperature)"
    return subprocess.run([sys.executable, "-m", "IPython", "--no-banner", "--colors=nocolor", "-c", code],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_a_misspelt_setting_in_ipython_config_is_one_line_naming_the_closest(tmp_path):
    """traitlets printed ``…/traitlets.py:1520: UserWarning: Config option `temprature` not
    recognized by `YGptMagics`.  Did you mean `temperature`?`` and a line of its source."""
    ran = ipython_with_config(tmp_path, "c.YGptMagics.temprature = 0.5\nc.YGptMagics.max_tokens = 200\n"
                                        "c.YGptMagics.xyzzy = 1\n")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split()[-2:] == ["200", "None"]  # the good line kept, the misspelt one not applied
    assert ran.stderr.splitlines() == [
        "YGptMagics.temprature is not a setting (closest: YGptMagics.temperature). "
        "Ignored: %config YGptMagics lists the settings.",
        "YGptMagics.xyzzy is not a setting. Ignored: %config YGptMagics lists the settings.",
    ]


def test_a_misspelt_setting_typed_with_config_is_said_once(shell):
    try:
        typed = run(shell, "%config YGptMagics.retrys = 3")
        assert typed.stderr.strip() == ("YGptMagics.retrys is not a setting (closest: YGptMagics.retries). "
                                        "Ignored: %config YGptMagics lists the settings.")
        assert_clean(typed)
        assert "retrys" not in shell.config.YGptMagics
        reloaded = run(shell, "%reload_ext ygpt_magic")
        assert reloaded.ok and reloaded.stderr == ""   # said once, not again at every load
    finally:
        shell.config.YGptMagics.pop("retrys", None)
