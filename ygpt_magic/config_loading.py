"""Settings from ``%config`` and ``ipython_config.py`` that a validator refuses: said once, dropped.

IPython's ``%config`` merges the line into the shell's config as well as the class's (before or
after the class's validator runs, depending on class names), and so does a bad line in
``ipython_config.py``; kept there, a refused value made every later ``%load_ext`` /
``%reload_ext`` fail with a TraitError traceback. The mixin below reports a refused value in one
line and drops it from both configs; the setting keeps its value. A name the class has no setting
for (``c.YGptMagics.temprature``) is said in one line and dropped the same way: traitlets would
warn with its own file path and source line instead.
"""

from __future__ import annotations

import sys
from typing import Any

from traitlets import TraitError, TraitType
from traitlets.config import Config, Configurable
from traitlets.config.loader import DeferredConfig, LazyConfigValue

from .words import closest


class RefusedConfigDropped(Configurable):
    """Mixed in before ``Magics``: traitlets' config loading, minus the values refused."""

    def _load_config(self, cfg: Config, section_names: list[str] | None = None,
                     traits: dict[str, TraitType[Any, Any]] | None = None) -> None:
        """traitlets' config loading, minus the values the validators refuse (reported)."""
        traits = self.traits(config=True) if traits is None else traits
        self._drop_unknown(cfg, traits)
        for name, value in self._find_my_config(cfg).items():
            trait = traits.get(name)
            if trait is None or isinstance(value, LazyConfigValue):
                continue
            try:
                if isinstance(value, DeferredConfig):  # `ipython --YGptMagics.x=...`
                    value = value.get_value(trait)
                # _validate: type and bounds; _cross_validate: our @validate methods (which
                # _validate leaves out while notifications are held)
                trait._cross_validate(self, trait._validate(self, value))
            except TraitError as error:
                self._drop_config(name, cfg)
                print(f"{error} Ignored: {type(self).__name__}.{name} stays {getattr(self, name)!r}.",
                      file=sys.stderr)
        super()._load_config(cfg, section_names, traits)

    def _drop_unknown(self, cfg: Config, traits: dict[str, TraitType[Any, Any]]) -> None:
        """Names in this class's own section that are no setting of it: said and dropped (a
        name in a shared section such as ``Magics`` may be another class's setting)."""
        section = type(self).__name__
        own = cfg[section] if section in cfg and isinstance(cfg[section], Config) else Config()
        # a capitalised name is a subsection (traitlets' rule), not a setting
        for name in [name for name in own if name not in traits and not name[:1].isupper()]:
            self._drop_config(name, cfg, (section,))
            print(f"{section}.{name} is not a setting{_closest(name, section, traits)}. Ignored: "
                  f"%config {section} lists the settings.", file=sys.stderr)

    def _drop_config(self, name: str, cfg: Config, sections: tuple[str, ...] | None = None) -> None:
        parent = getattr(self.parent, "config", None)
        for config in (cfg, parent) if parent is not None else (cfg,):
            for section in self.section_names() if sections is None else sections:
                if section in config and isinstance(config[section], Config):
                    config[section].pop(name, None)


def _closest(name: str, section: str, traits: dict[str, TraitType[Any, Any]]) -> str:
    """`` (closest: YGptMagics.temperature)`` for a misspelt name, or nothing."""
    match = closest(name, traits)
    return f" (closest: {section}.{match})" if match else ""
