"""One rule reads a model's name (ygpt_magic/modelname.py), and each use takes its spelling of
it: the reply cache's key, the short name a footer shows, the name prices and %ygpt usage count
it by, an embedding's key. The table holds what each use was documented to do when four
functions did it, each a little differently; the stories through the shell (test_cache.py's
replay across folders, test_price_keys.py, test_max_cost.py) hold what a user sees of them."""

from __future__ import annotations

import pytest

from ygpt_magic.client.chat_api import UNREPORTED, reported_version
from ygpt_magic.client.classify import can_classify, is_tuned
from ygpt_magic.client.embeddings import embedding_model, key_model
from ygpt_magic.errors import OptionError
from ygpt_magic.modelname import model_name

FOLDER = "b1gtestfolder"
TUNED = f"cls://{FOLDER}/yandexgpt-lite/rc@tamrap1sjscq6e9flit3p"

#: as typed → (cache key, short, priced)
VIEWS = {
    "yandexgpt": ("yandexgpt/latest", "yandexgpt", "yandexgpt"),
    " yandexgpt/latest ": ("yandexgpt/latest", "yandexgpt/latest", "yandexgpt"),
    f"gpt://{FOLDER}/yandexgpt/latest": ("yandexgpt/latest", "yandexgpt/latest", "yandexgpt"),
    f"gpt://{FOLDER}/yandexgpt": ("yandexgpt/latest", "yandexgpt", "yandexgpt"),
    "yandexgpt/rc": ("yandexgpt/rc", "yandexgpt/rc", "yandexgpt/rc"),
    f"gpt://{FOLDER}/yandexgpt-lite/rc": ("yandexgpt-lite/rc", "yandexgpt-lite/rc", "yandexgpt-lite/rc"),
    f"gpt://{FOLDER}/yandexgpt-lite/latest@tuning": ("yandexgpt-lite/latest@tuning", "yandexgpt-lite/latest@tuning",
                                                      "yandexgpt-lite/latest@tuning"),
    # a classifier's URI is kept whole where it is told by it (the key), not where it is shown or priced
    TUNED: (TUNED, "yandexgpt-lite/rc@tamrap1sjscq6e9flit3p", "yandexgpt-lite/rc@tamrap1sjscq6e9flit3p"),
    f"emb://{FOLDER}/text-search-doc/latest": (f"emb://{FOLDER}/text-search-doc/latest",
                                               "text-search-doc/latest", "text-search-doc"),
    "text-search-query/latest": ("text-search-query/latest", "text-search-query/latest", "text-search-query"),
    "doc": ("text-search-doc/latest", "doc", "text-search-doc"),
}


@pytest.mark.parametrize(("typed", "views"), VIEWS.items())
def test_each_use_reads_the_name_its_way(typed, views):
    name = model_name(typed)
    assert (name.cache_key, name.short, name.priced) == views


def test_a_uri_is_read_into_its_parts():
    name = model_name(f"gpt://{FOLDER}/yandexgpt-lite/rc")
    assert (name.scheme, name.folder, name.name, name.version) == ("gpt", FOLDER, "yandexgpt-lite", "rc")
    assert (model_name("llama").scheme, model_name("llama").folder, model_name("llama").version) == ("", "", "")


@pytest.mark.parametrize("typed", ["doc", "text-search-doc", "doc/latest", f"emb://{FOLDER}/text-search-doc/latest",
                                   f"emb://{FOLDER}/doc"])
def test_every_spelling_of_an_embedding_model_is_one_key(typed):
    """The folder is not part of a vector, so one recorded by one user replays for another."""
    assert key_model(typed) == "text-search-doc/latest"


def test_a_completion_model_is_no_embedding_key():
    with pytest.raises(OptionError, match="not an embedding model"):
        key_model("yandexgpt")


@pytest.mark.parametrize("typed, sent", [("doc", "doc"), ("query", "query"), ("text-search-doc", "doc"),
                                         ("text-search-query/rc", "query/rc"), ("doc/latest", "doc/latest"),
                                         (f"emb://{FOLDER}/text-search-doc/latest", f"emb://{FOLDER}/text-search-doc/latest")])
def test_an_embedding_model_is_sent_as_the_sdk_takes_it(typed, sent):
    assert embedding_model(typed) == sent


@pytest.mark.parametrize("model, tuned, classifies", [
    ("yandexgpt", False, True), ("yandexgpt-lite/rc", False, True), ("llama", False, False),
    ("yandexgpt-lite/rc@tamrap1sjscq6e9flit3p", True, True), (TUNED, True, True), (f"cls://{FOLDER}/abc", True, True)])
def test_a_classifier_is_told_by_its_name(model, tuned, classifies):
    assert (is_tuned(model), can_classify(model)) == (tuned, classifies)


@pytest.mark.parametrize("uri, version", [
    (f"gpt://{FOLDER}/yandexgpt/latest", UNREPORTED), (f"gpt://{FOLDER}/yandexgpt/rc", UNREPORTED),
    ("gpt://qwen3-235b-a22b-fp8/latest", UNREPORTED), ("gpt://gemma-3-27b-it/23.10.2024", "23.10.2024"),
    (f"gpt://{FOLDER}/yandexgpt/23.10.2024", "23.10.2024"), ("", UNREPORTED)])
def test_a_chat_api_answer_reports_a_version_only_when_its_uri_ends_with_one(uri, version):
    assert reported_version(uri) == version
