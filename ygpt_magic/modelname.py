"""The one rule for reading a model's name: ``yandexgpt``, ``yandexgpt/rc``,
``gpt://<folder>/yandexgpt/latest``, ``doc``, ``emb://<folder>/text-search-doc/latest``,
``cls://<folder>/<classifier>``, read once into scheme, folder, name and version.

A model reaches the package spelled as the user typed it (``--model``, a setting, the panel),
and the same model is spelled many ways: with or without the folder's URI around it, with or
without ``latest``, which a name without a version means, by an embedding model's short name
(``doc``) or its own. Each use wants one spelling of it, and a view below gives each: the reply
cache's key, the short name shown, the name prices and ``%ygpt usage`` count it by, a run's
provenance. Before, four functions read a name, each a little differently.

It sits below every layer (the chat layer, the client and the cache all read names), so it
imports nothing of the package, as ``words.py`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the versions a model name may end with, none of them a particular release; a name without
#: one means ``latest`` (the client asks for it: client/models.py)
LATEST = "latest"
VERSIONS = (LATEST, "rc", "deprecated")
#: the short names the embedding service takes (``--model doc``), and the model each names
EMBEDDINGS = {"doc": "text-search-doc", "query": "text-search-query"}


@dataclass(frozen=True)
class ModelName:
    """A model's name as :func:`model_name` read it. ``text``: as given, without blanks around it;
    ``scheme``: ``gpt``, ``emb`` or ``cls`` for a URI, "" for a short name; ``folder``: the URI's
    folder id; ``name`` and ``version`` ("" when none is given: ``latest``; a tuned model's
    ``@<tuning>`` is part of it)."""

    text: str
    scheme: str = ""
    folder: str = ""
    name: str = ""
    version: str = ""

    @property
    def model(self) -> str:
        """The model's own name: an embedding model's short name (``doc``) is the model it names."""
        return EMBEDDINGS.get(self.name, self.name) if self.scheme in ("", "emb") else self.name

    @property
    def versioned(self) -> str:
        """Without scheme and folder, with its version: ``gpt://<folder>/yandexgpt``, ``yandexgpt``
        and ``yandexgpt/latest`` are one ``yandexgpt/latest``; ``doc`` is
        ``text-search-doc/latest``; a ``cls://`` URI loses its folder too. What keys an embedding
        (the folder is not part of the answer, so a vector recorded by one user replays for
        another), and what provenance records (which holds no folder id)."""
        return f"{self.model}/{self.version or LATEST}"

    @property
    def cache_key(self) -> str:
        """The model as the reply cache keys a request by it: :attr:`versioned` for a chat
        model, a short name or a ``gpt://`` URI; another URI (``cls://``, ``emb://``) whole."""
        return self.versioned if self.scheme in ("", "gpt") else self.text

    @property
    def short(self) -> str:
        """The name a user reads, in every output and message: a URI without its scheme and
        folder (``gpt://<folder>/yandexgpt/latest`` is ``yandexgpt/latest``,
        ``emb://<folder>/text-search-doc/latest`` ``text-search-doc/latest``, a tuned
        classifier's ``cls://<folder>/yandexgpt-lite/rc@<tuning>`` ``yandexgpt-lite/rc@<tuning>``,
        as provenance records it); no version added; a short name as typed (``doc``). The folder
        id is the user's own: shown, it lands in saved notebooks."""
        return self.path if self.scheme else self.text

    @property
    def classifier(self) -> str:
        """The name a classification asks for: a ``cls://`` URI whole (it names a tuned
        classifier in its folder, which --labels tells by it), any other as :attr:`short` (a
        ``gpt://`` URI's model, which the classifiers run on in the connection's folder)."""
        return self.text if self.scheme == "cls" else self.short

    @property
    def base(self) -> str:
        """The model a tuned one was tuned on: :attr:`path` without the ``@<tuning>`` of its
        version (``yandexgpt-lite/rc@<tuning>`` is ``yandexgpt-lite/rc``); an untuned name's
        :attr:`path`."""
        version = self.version.partition("@")[0]
        return f"{self.model}/{version}" if version else self.model

    @property
    def path(self) -> str:
        """Without scheme and folder, with the version it names (none added): what a price set
        in ``YGptMagics.prices`` is kept under, so one for ``yandexgpt/latest`` stays apart from
        one for ``yandexgpt``; a price for ``doc`` is one for ``text-search-doc``."""
        return f"{self.model}/{self.version}" if self.version else self.model

    @property
    def priced(self) -> str:
        """The one name a model is counted by (``%ygpt usage``'s rows) and named by when it is
        priced: without scheme and folder, and without ``latest``, which an unversioned name
        means. ``gpt://<folder>/yandexgpt/latest``, ``yandexgpt/latest`` and ``yandexgpt`` are
        ``yandexgpt``; ``yandexgpt/rc`` stays itself."""
        return self.model if self.version in ("", LATEST) else self.path


def model_name(model: str) -> ModelName:
    """``model`` read into its parts (:class:`ModelName`); a URI that names no model after its
    folder (``gpt://<folder>``) is read as a name of its own, whole."""
    text = model.strip()
    scheme, uri, rest = text.partition("://")
    folder, _, path = rest.partition("/") if uri else ("", "", text)
    if uri and not path:
        return ModelName(text, name=text)
    name, _, version = path.partition("/")
    return ModelName(text, scheme if uri else "", folder, name, version)
