"""The local server is honest about what it is: every reply says it came from it, and how.

The model version it reports reads ``local server · scripted`` (or ``unscripted``, or ``replay of
<the recorded version>``), so the SDK's ``model_version``, the REST API's ``modelVersion`` and the
magic's footer all say it, whichever way the client reached the server (``%ygpt connect local``
or a ``ygpt-magic serve`` at HOST:PORT).
"""

from __future__ import annotations

import re
import warnings

import grpc
import pytest
import requests
from conftest import cell

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_ai_studio_sdk import AIStudio
    from yandex_ai_studio_sdk.exceptions import AioRpcError
    from yandex_ai_studio_sdk.retry import NoRetryPolicy
    from yandex_cloud_ml_sdk import YCloudML

from ygpt_magic.emulator.testing import sdk_kwargs

TRANSLATE = [{"role": "system", "text": "Translate the text"},
             {"role": "user", "text": "To be, or not to be: that is the question."}]
PLATYPUS = "hello! could you please tell me about platypuses?"
UNSCRIPTED = "Which colour do owls prefer for their umbrellas?"


def model(server):
    return YCloudML(**sdk_kwargs(server.address)).models.completions("yandexgpt")


def test_a_scripted_reply_says_so_in_every_mode(ygpt_server):
    completions = model(ygpt_server)
    ygpt_server.operation_delay = 0.0
    streamed = list(completions.run_stream(TRANSLATE))
    assert {chunk.model_version for chunk in streamed} == {"local server · scripted"}
    assert completions.run(TRANSLATE).model_version == "local server · scripted"
    deferred = completions.run_deferred(TRANSLATE).wait(poll_interval=0.05)
    assert deferred.model_version == "local server · scripted"


def test_an_unscripted_reply_says_it_is_one(ygpt_server):
    assert model(ygpt_server).run(UNSCRIPTED).model_version == "local server · unscripted"


def test_a_replayed_recording_keeps_the_recorded_version_and_says_it_is_a_replay(ygpt_server):
    assert model(ygpt_server).run(PLATYPUS).model_version == "local server · replay of 07.03.2024"


def test_the_rest_api_says_so_too(ygpt_server):
    body = {"modelUri": "gpt://b1gexample/yandexgpt-lite", "messages": TRANSLATE}
    answer = requests.post(ygpt_server.http_url + "/foundationModels/v1/completion", json=body,
                           headers={"Authorization": "Api-Key local-key"}, timeout=10).json()
    assert answer["result"]["modelVersion"] == "local server · scripted"


def test_the_footer_of_a_cell_says_the_reply_came_from_the_local_server(shell, ygpt_server):
    result = cell(shell, '%%ygpt --system "Translate the text"\n'
                         "To be, or not to be: that is the question.\n")
    assert result.error is None
    assert re.search(r"yandexgpt · local server · scripted · \d+ → \d+ tokens · "
                     r"Yandex Cloud would bill ≈[\d.]+\s₽ · \d+\.\d s", result.page)
    assert shell.user_ns["_ygpt"].model_version == "local server · scripted"


def test_whoami_names_the_projects_local_server(shell):
    shell.run_line_magic("ygpt", "connect local")
    first = cell(shell, "%ygpt whoami").plain.splitlines()[0]
    assert "ygpt-magic's local server, not YandexGPT" in first


@pytest.mark.parametrize("call", [
    lambda sdk: list(sdk.tuning.list()),
    lambda sdk: sdk.models.image_generation("yandex-art").run_deferred("a cat"),
    lambda sdk: sdk.files.upload_bytes(b"notes", name="notes.txt"),   # its endpoint id comes from discovery
], ids=["tuning", "image generation", "files"])
def test_a_service_it_does_not_have_says_the_local_server_does_not_serve_it(ygpt_server, call):
    """Not gRPC's bare "Method not found!" (or the SDK's "failed to find endpoint"), which read
    like a broken SDK or setup: the status stays UNIMPLEMENTED, the words say whose it is."""
    with pytest.raises(AioRpcError) as caught:
        call(AIStudio(**sdk_kwargs(ygpt_server.address), retry_policy=NoRetryPolicy()))
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    said = caught.value.details()
    assert re.match(r"The local server \(ygpt-magic serve\) does not serve yandex\.cloud\.ai\.\S+Service "
                    r"\(called: \w+\); it serves text generation ", said), said
    assert "embeddings, text classifiers, datasets, batch inference" in said and "docs/local-server/" in said
