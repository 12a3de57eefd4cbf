"""The model catalogue: the one list of model names, what they are and their context sizes.

The API has no model listing for completions, so the list is static: the service's own (AI
Studio's models page and the SDK's examples), which the local server serves too (emulator/models.py;
tests/test_commands.py holds the two together). ``%ygpt models`` shows it,
the panel offers it in its model dropdown, and planning takes a model's context size from it as
the default budget for trimming history, and ``images`` says which models take pictures
(``%%ygpt --image`` is refused before sending for the others); a model not listed (e.g. a fine-tuned gpt:// URI) is not
trimmed unless ``YGptMagics.context_budget`` is set. A model is looked up by its name as
modelname.py reads it, whatever its spelling (``gpt://<folder>/yandexgpt/rc`` is ``yandexgpt``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..modelname import model_name


@dataclass(frozen=True)
class Model:
    """One entry: the short name a user types (``name`` or ``name/version``), its context size,
    and whether it takes pictures (over the chat API)."""

    name: str
    about: str
    context: int
    images: bool = False


MODELS: tuple[Model, ...] = (
    Model("yandexgpt", "YandexGPT Pro (latest)", 32768),
    Model("yandexgpt/rc", "YandexGPT Pro, release candidate", 32768),
    Model("yandexgpt-lite", "YandexGPT Lite (latest)", 32768),
    Model("yandexgpt-lite/rc", "YandexGPT Lite, release candidate", 32768),
    Model("aliceai-llm", "Alice AI LLM", 32768),
    Model("llama", "Llama 3.3 70B", 8192),
    Model("llama-lite", "Llama 3.1 8B", 8192),
    Model("qwen3-235b-a22b-fp8", "Qwen3 235B", 262144),
    Model("gpt-oss-120b", "gpt-oss 120B", 131072),
    Model("gpt-oss-20b", "gpt-oss 20B", 131072),
    Model("gemma-3-27b-it", "Gemma 3 27B", 131072, images=True),
    Model("gemma-3-12b-it", "Gemma 3 12B", 131072),
    Model("qwen2.5-32b-instruct", "Qwen2.5 32B Instruct", 32768),
)
#: no reply can be longer than this: a bound on max_tokens whatever the model
LARGEST_CONTEXT = max(model.context for model in MODELS)
NAMES: tuple[str, ...] = tuple(model.name for model in MODELS)
_CONTEXT = {model_name(model.name).name: model.context for model in MODELS}
#: the models that take pictures
IMAGE_MODELS: tuple[str, ...] = tuple(model.name for model in MODELS if model.images)


def context_size(model: str) -> int | None:
    """Context size of `name`, `name/version` or `gpt://folder/name/version`, if known."""
    return _CONTEXT.get(model_name(model).name)


def takes_images(model: str) -> bool:
    """Whether the model takes pictures (an unlisted one is assumed not to)."""
    return model_name(model).name in IMAGE_MODELS
