"""`%ygpt models`: the text models Yandex Cloud offers, by short name, with context sizes.

A static list (the API has no model listing). It also gives the default context budget for
history trimming; a model not listed here (e.g. a fine-tuned gpt:// URI) is not trimmed unless
`YGptMagics.context_budget` is set.
"""

from __future__ import annotations

from IPython.core.magic_arguments import magic_arguments

from ._common import parse, show_table

SUMMARY = "models: known model names and their context sizes"

#: (short name, what it is, context size in tokens)
MODELS: tuple[tuple[str, str, int], ...] = (
    ("yandexgpt", "YandexGPT Pro (latest)", 32768),
    ("yandexgpt/rc", "YandexGPT Pro, release candidate", 32768),
    ("yandexgpt-lite", "YandexGPT Lite (latest)", 32768),
    ("yandexgpt-lite/rc", "YandexGPT Lite, release candidate", 32768),
    ("llama", "Llama 3.3 70B", 8192),
    ("llama-lite", "Llama 3.1 8B", 8192),
    ("qwen3-235b-a22b-fp8", "Qwen3 235B", 262144),
    ("gpt-oss-120b", "gpt-oss 120B", 131072),
    ("gpt-oss-20b", "gpt-oss 20B", 131072),
    ("gemma-3-27b-it", "Gemma 3 27B", 131072),
)
_CONTEXT = {name.partition("/")[0]: size for name, _, size in MODELS}


def context_size(model: str) -> int | None:
    """Context size of `name`, `name/version` or `gpt://folder/name/version`, if known."""
    if "://" in model:
        model = model.partition("://")[2].partition("/")[2]
    return _CONTEXT.get(model.partition("/")[0])


@magic_arguments(name="ygpt models")
def run(magics, line: str) -> None:
    """List model names for --model / YGptMagics.model. A full gpt://<folder>/<name>/<version>
    URI works too."""
    parse(run, line, "ygpt models")
    current = magics.effective_options(None).model
    rows = [[("* " if name == current else "") + name, about, f"{size:,}"]
            for name, about, size in MODELS]
    show_table(["model", "", "context tokens"], rows)
