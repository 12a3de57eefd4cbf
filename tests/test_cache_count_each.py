"""A long chat's turns counted through the reply cache: the kernel's secrets are read once for
all the turns (as Client.count_tokens_each reads them), each turn is still guarded whole, and
the counts are asked at once, recorded, then replayed without the server."""

from __future__ import annotations

import pytest
from conftest import TEST_KEY

from ygpt_magic.cache import ReplyCache
from ygpt_magic.chat import BUILTIN
from ygpt_magic.client import Client
from ygpt_magic.client.credentials import Credential
from ygpt_magic.client.settings import ClientSettings
from ygpt_magic.errors import CredentialInPrompt

TURNS = [[{"role": "user", "text": f"Question number {n}: what is {n} squared?"}] for n in range(6)]


@pytest.fixture
def counted(ygpt_server, clean_env, tmp_path):
    """A cell's cache front over a real client, and the list of times it read the secrets."""
    client = Client(endpoint=ygpt_server.address, insecure=True, settings=ClientSettings(retries=0))
    reads: list[int] = []

    def secrets() -> list[Credential]:
        reads.append(1)
        return [Credential("api_key", "YC_API_KEY", TEST_KEY)]

    cache = ReplyCache(str(tmp_path / "replies.sqlite"), "auto")
    yield (lambda: cache.front(lambda: client, target="local", where="cell In [3]", prompt="count",
                               secrets=secrets)), reads
    cache.close()
    client.close()


def test_turns_counted_with_one_read_of_the_secrets(counted, ygpt_server):
    front, reads = counted
    first = front().count_tokens_each(TURNS, BUILTIN)
    assert len(first) == len(TURNS) and all(count > 5 for count in first)
    assert len(reads) == 1
    assert [r.method for r in ygpt_server.requests] == ["TokenizeCompletion"] * len(TURNS)

    assert front().count_tokens_each(TURNS, BUILTIN) == first   # replayed: nothing sent
    assert len(reads) == 2 and len(ygpt_server.requests) == len(TURNS)


def test_a_turn_with_the_key_is_refused_before_anything_is_sent(counted, ygpt_server):
    front, reads = counted
    leaking = [*TURNS[:3], [{"role": "user", "text": f"my key is {TEST_KEY}"}]]
    with pytest.raises(CredentialInPrompt):
        front().count_tokens_each(leaking, BUILTIN)
    assert len(reads) == 1 and ygpt_server.requests == []
