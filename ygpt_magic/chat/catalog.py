"""The model catalogue: the one list of model names, what they are and their context sizes.

The API has no model listing for completions, so the list is static. ``%ygpt models`` shows it,
the panel offers it in its model dropdown, and planning takes a model's context size from it as
the default budget for trimming history; a model not listed (e.g. a fine-tuned gpt:// URI) is not
trimmed unless ``YGptMagics.context_budget`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Model:
    """One entry: the short name a user types (``name`` or ``name/version``), and its context."""

    name: str
    about: str
    context: int


MODELS: tuple[Model, ...] = (
    Model("yandexgpt", "YandexGPT Pro (latest)", 32768),
    Model("yandexgpt/rc", "YandexGPT Pro, release candidate", 32768),
    Model("yandexgpt-lite", "YandexGPT Lite (latest)", 32768),
    Model("yandexgpt-lite/rc", "YandexGPT Lite, release candidate", 32768),
    Model("llama", "Llama 3.3 70B", 8192),
    Model("llama-lite", "Llama 3.1 8B", 8192),
    Model("qwen3-235b-a22b-fp8", "Qwen3 235B", 262144),
    Model("gpt-oss-120b", "gpt-oss 120B", 131072),
    Model("gpt-oss-20b", "gpt-oss 20B", 131072),
    Model("gemma-3-27b-it", "Gemma 3 27B", 131072),
)
NAMES: tuple[str, ...] = tuple(model.name for model in MODELS)
_CONTEXT = {model.name.partition("/")[0]: model.context for model in MODELS}


def context_size(model: str) -> int | None:
    """Context size of `name`, `name/version` or `gpt://folder/name/version`, if known."""
    if "://" in model:
        model = model.partition("://")[2].partition("/")[2]
    return _CONTEXT.get(model.partition("/")[0])
