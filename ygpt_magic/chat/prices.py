"""What a request costs: Yandex Cloud's prices, in roubles per 1,000 tokens, by model and mode.

The built-in table is data (``prices.json``, with the date and the page it was taken from), so a
price change is a data change; ``YGptMagics.prices`` overrides or extends it, keyed by the model's
short name as ``%ygpt models`` shows it, a version (``yandexgpt/rc``), a URI or an embedding
model's short name (``doc``), all read by the one rule of modelname.py: a name without a
version is ``latest``, so a ``yandexgpt/latest`` price prices ``yandexgpt``, and ``%ygpt usage``
counts both in one row (``ModelName.priced``). A price is a number (every mode) or a mapping of
modes (``sync``: a streamed or ``--no-stream`` request, ``async``: ``--deferred``, ``batch``: a
Batch Processing job). Money is ``Decimal`` throughout: sums of thousands of 0.0001 ₽ requests must not
drift, and a table value such as 1.2 must stay 1.2.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..errors import PriceError
from ..modelname import VERSIONS, model_name
from ..words import closest

if TYPE_CHECKING:
    from .values import Usage

#: the ways a model is billed: tokens of synchronous, asynchronous (--deferred) and batch requests,
#: and classifications (billed per request, at a price the published table does not print, so
#: only YGptMagics.prices gives one: a single number prices the token modes, not this one)
TOKEN_MODES = ("sync", "async", "batch")
MODES = (*TOKEN_MODES, "classify")
#: the fewest tokens Yandex Cloud bills a Batch Processing job for, however few its rows hold
#: (the pricing page, as prices.json's note and docs/guide/cost.md say): per-token prices do not
#: show it, so a job's estimate is raised to it (rows/costs.py)
BATCH_MINIMUM_TOKENS = 200_000
#: a price for every mode, or some of them
Price = Mapping[str, Decimal]
_NBSP = "\u00a0"
_EXAMPLE = '%config YGptMagics.prices = {"yandexgpt": 1.2} or {"yandexgpt": {"sync": 1.2, "async": 0.6}}'


@dataclass(frozen=True)
class PriceTable:
    """Roubles per 1,000 tokens by model short name and mode; ``as_of`` and ``source`` say
    where the built-in numbers came from."""

    models: Mapping[str, Price]
    as_of: str = ""
    source: str = ""

    def price(self, model: str, mode: str = "sync") -> Decimal | None:
        """Roubles per 1,000 tokens of ``model`` (a short name, ``name/version`` or a
        ``gpt://`` / ``emb://`` / ``cls://`` URI) in ``mode``; None when unknown. An entry for
        ``name/version`` wins over one for ``name``: its version's (``latest`` when it names
        none), then its name's. So a ``yandexgpt/latest`` price prices ``yandexgpt``, and a
        ``yandexgpt`` price every version that has none of its own."""
        name = model_name(model)
        for entry in (name.versioned, name.model):
            if mode in self.models.get(entry, {}):
                return self.models[entry][mode]
        return None

    def cost(self, usage: Usage, model: str, mode: str = "sync") -> Decimal | None:
        """Roubles for one reply's tokens (prompt + completion), None when the price is unknown."""
        price = self.price(model, mode)
        return None if price is None else price * usage.total_tokens / 1000

    def overridden(self, overrides: Mapping[str, Any]) -> PriceTable:
        """This table with ``overrides`` (checked, as ``YGptMagics.prices`` holds them): a number
        replaces a model's every mode, a mapping the modes it names."""
        models = dict(self.models)
        for name, modes in checked(overrides).items():
            key = model_name(name).path
            models[key] = {**models.get(key, {}), **modes}
        return PriceTable(models, self.as_of, self.source)


def checked(prices: Any) -> dict[str, dict[str, Decimal]]:
    """``prices`` as a setting holds it → {model: {mode: Decimal}}; PriceError says what is wrong."""
    if not isinstance(prices, Mapping):
        raise PriceError(f"YGptMagics.prices must be a dict of model names to prices, not "
                         f"{type(prices).__name__}; e.g. {_EXAMPLE}.")
    return {_model_name(name): _modes(name, value) for name, value in prices.items()}


def unknown_names(prices: Mapping[str, Any]) -> str:
    """One line on the names of ``prices`` (checked) that no catalogued model has, with the one
    each most likely meant, or "": such a price is kept, for a model of that exact name (a tuned
    one), but a typo there would price nothing, and say nothing."""
    from .catalog import NAMES

    bases = {*(model_name(name).name for name in NAMES), *builtin().models}
    known = {*bases, *(f"{base}/{version}" for base in bases for version in VERSIONS)}
    odd = [name.strip() for name in prices if "://" not in name and model_name(name).path not in known]
    if not odd:
        return ""
    guesses = [f"{name!r} (did you mean {guess}?)" if (guess := closest(name, known)) else repr(name)
               for name in odd]
    return (f"YGptMagics.prices: no model %ygpt models lists is called {', '.join(guesses)}; "
            f"such a price applies only to a model of exactly that name (a tuned one).")


def _model_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise PriceError(f"YGptMagics.prices is keyed by model names as %ygpt models shows them "
                         f"(yandexgpt, yandexgpt-lite/rc, ...), not {name!r}; e.g. {_EXAMPLE}.")
    return name.strip()


def _modes(name: str, value: Any) -> dict[str, Decimal]:
    if not isinstance(value, Mapping):
        return dict.fromkeys(TOKEN_MODES, _roubles(name, None, value))
    unknown = [mode for mode in value if mode not in MODES]
    if unknown or not value:
        named = ", ".join(map(repr, unknown)) if unknown else "none"
        raise PriceError(f"YGptMagics.prices[{name!r}] may name the modes sync, async, batch and classify, "
                         f"not {named}; e.g. {_EXAMPLE}.")
    return {mode: _roubles(name, mode, price) for mode, price in value.items()}


def _roubles(name: str, mode: str | None, value: Any) -> Decimal:
    """One price: a finite number ≥ 0 (a float is read by its shortest form: 1.2, not
    1.1999999999999999555910790149937)."""
    number = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    if not number or not math.isfinite(value) or value < 0:
        where = f"[{name!r}]" + (f"[{mode!r}]" if mode else "")
        raise PriceError(f"YGptMagics.prices{where} must be roubles per 1,000 tokens, a number "
                         f"≥ 0, not {value!r}; e.g. {_EXAMPLE}.")
    return Decimal(str(value)) if isinstance(value, float) else Decimal(value)


@cache
def builtin() -> PriceTable:
    """The table shipped with the package (prices.json), read once: it is a constant."""
    data = json.loads(resources.files(__package__).joinpath("prices.json").read_text("utf-8"),
                      parse_float=Decimal)
    return PriceTable(checked(data["models"]), data["as_of"], data["source"])


def roubles(amount: Decimal) -> str:
    """An estimate as a Russian reader reads money: ``≈0.05 ₽``, ``≈1 234.50 ₽``, ``≈0.0041 ₽``.

    Kopecks (two decimals) from 0.01 ₽ up; below that two significant digits, since one
    request often costs less than a kopeck and "≈0.00 ₽" would say nothing. The ₽ sign follows
    the number after a no-break space and thousands are grouped by no-break spaces, as Russian
    typography does; the decimal point stays a point, as in every other number this package
    shows (token counts, seconds) and as a price is typed into ``YGptMagics.prices``, so one
    output never mixes two decimal marks.
    """
    if not amount:
        return f"0{_NBSP}₽"
    # two significant digits at most, without the zeros a Decimal keeps after them (0.00010 and
    # 0.000104 both read 0.0001), positional (not 4.1e-05); chosen once rounded: 0.00997 ₽ is a
    # kopeck, "0.01", not "0.010"
    small = Decimal(f"{amount:.2g}").normalize()
    text = f"{amount:,.2f}" if small >= Decimal("0.01") else f"{small:f}"
    return f"≈{text.replace(',', _NBSP)}{_NBSP}₽"


def saved(cost: Decimal, local: bool) -> str:
    """What a replay saved, as a replayed reply's footer and a replayed --map run's summary say
    it; ``local``: it was recorded against the local server, which bills no one, so the roubles
    are what Yandex Cloud would have billed."""
    return f"saved {roubles(cost)}" + (" at Yandex Cloud prices" if local else "")
