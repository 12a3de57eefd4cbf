"""Settings from ``%config`` and ``ipython_config.py`` that a validator refuses: said once, dropped.

IPython's ``%config`` merges the line into the shell's config as well as the class's (before or
after the class's validator runs, depending on class names), and so does a bad line in
``ipython_config.py``; kept there, a refused value made every later ``%load_ext`` /
``%reload_ext`` fail with a TraitError traceback. The mixin below reports a refused value in one
line and drops it from both configs; the setting keeps its value. A name the class has no setting
for (``c.YGptMagics.temprature``) is said in one line and dropped the same way: traitlets would
warn with its own file path and source line instead.

A value of the wrong type for a number (``max_cost_per_cell = "lots"``) fails traitlets' type
check before the setting's own validator could say what the setting looks like, so the
validators are asked about a stand-in instead (:func:`stand_in`): a number no setting takes
(NaN, or -1 for a whole number, as every whole-number setting here is ≥ 0) that prints as the
value given, so their refusal names it: ``… must be the most a run may cost, in roubles: … (got
'lots')``. A validator that would take the stand-in leaves traitlets' message as it was.
"""

from __future__ import annotations

import sys
from typing import Any

from traitlets import Float, Int, TraitError, TraitType
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
                self._check(trait, value)
            except TraitError as error:
                self._drop_config(name, cfg)
                print(f"{error} Ignored: {type(self).__name__}.{name} stays {getattr(self, name)!r}.",
                      file=sys.stderr)
        super()._load_config(cfg, section_names, traits)

    def _check(self, trait: TraitType[Any, Any], value: Any) -> None:
        """TraitError unless ``value`` passes the trait's checks (_validate: type and bounds)
        and our @validate methods (_cross_validate, which _validate leaves out while
        notifications are held); a value of the wrong type gets the validators' rule."""
        try:
            trait._cross_validate(self, trait._validate(self, value))
        except TraitError as error:
            raise self._rule(trait, value) or error from None

    def _rule(self, trait: TraitType[Any, Any], value: Any) -> TraitError | None:
        """The validators' refusal of ``value``'s stand-in when a number ``trait`` refused its
        type; None when the type was right (the refusal given stands) or they would take it."""
        if not isinstance(trait, (Float, Int)) or _takes(self, trait, value):
            return None
        try:
            trait._cross_validate(self, stand_in(trait, value))
        except TraitError as rule:
            return rule
        return None

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


class _Shown:
    """A number that prints as the value it stands for (``{value}`` and ``{value!r}`` alike)."""

    shown: str

    def __str__(self) -> str:
        return self.shown

    __repr__ = __str__

    def __format__(self, _spec: str) -> str:
        return self.shown


class _ShownFloat(_Shown, float):
    """NaN, shown as another value."""


class _ShownInt(_Shown, int):
    """-1, shown as another value."""


def _takes(owner: Configurable, trait: Float[Any, Any] | Int[Any, Any], value: Any) -> bool:
    """Whether ``value`` passes ``trait``'s type check (traitlets' own, before any validator)."""
    try:
        trait.validate(owner, value)
    except TraitError:
        return False
    return True


def stand_in(trait: Float[Any, Any] | Int[Any, Any], value: Any) -> float | int:
    """What the validators of a number ``trait`` are asked about in place of ``value`` (of the
    wrong type): a number no setting takes, printed as ``repr(value)``."""
    standing = _ShownFloat("nan") if isinstance(trait, Float) else _ShownInt(-1)
    standing.shown = repr(value)
    return standing
