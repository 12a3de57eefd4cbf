"""The local server speaks embeddings: gRPC ``TextEmbedding``, REST ``textEmbedding`` and the chat
API's ``/v1/embeddings`` give one vector for one text; recorded texts replay the cloud's vector,
other texts get a deterministic unit vector in which related texts are close; the SDK's own
examples run unchanged and find the Pushkin paragraph.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from array import array
from pathlib import Path

import grpc
import pytest
import requests
import yaml
from sdk_examples.runner import run_example, serving

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML

from ygpt_magic.emulator.testing import sdk_kwargs

RECORDINGS = Path(__file__).resolve().parent.parent / "ygpt_magic" / "emulator" / "cassettes" / "embeddings"
KEY = {"Authorization": "Api-Key local-key"}
CATS = "Where do cats like to sleep?"
PUSHKIN = "Александр Сергеевич Пушкин"


def recorded_grpc() -> tuple[dict, dict]:
    """The recorded TextEmbedding request and response (text-search-doc, "hello")."""
    data = json.loads((RECORDINGS / "test_text_embeddings_run.gprc.json").read_text(encoding="utf-8"))
    found = next(i for i in data["interactions"] if i["request"]["cls"] == "TextEmbeddingRequest")
    return found["request"]["message"], found["response"]["message"]


def recorded_http() -> dict:
    interaction = yaml.safe_load((RECORDINGS / "http_test_embeddings_run.yaml").read_text(encoding="utf-8"))
    return json.loads(interaction["interactions"][0]["response"]["body"]["string"])


def cosine(a, b) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def model(server, name: str = "doc"):
    return YCloudML(**sdk_kwargs(server.address)).models.text_embeddings(name)


def rest(server, text: str, name: str = "text-search-doc") -> requests.Response:
    body = {"modelUri": f"emb://any-folder/{name}/latest", "text": text}
    return requests.post(server.http_url + "/foundationModels/v1/textEmbedding", json=body, headers=KEY, timeout=10)


def chat_api(server, texts: list[str], name: str = "text-search-doc") -> dict:
    body = {"model": f"emb://any-folder/{name}/latest", "input": texts}
    answer = requests.post(server.http_url + "/v1/embeddings", json=body, headers=KEY, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_recorded_text_gets_the_clouds_recorded_vector_and_says_it_is_a_replay(ygpt_server):
    asked, answer = recorded_grpc()
    result = model(ygpt_server).run(asked["text"])
    assert list(result.embedding) == answer["embedding"]
    assert result.num_tokens == int(answer["numTokens"]) == 3
    assert result.model_version == f"local server · replay of {answer['modelVersion']}"


def test_any_other_text_gets_a_stable_256_number_unit_vector_of_float32_values(ygpt_server):
    first, again = model(ygpt_server).run(CATS), model(ygpt_server).run(CATS)
    vector = list(first.embedding)
    assert len(vector) == 256 and vector == list(again.embedding)
    assert math.isclose(math.fsum(x * x for x in vector), 1.0, abs_tol=1e-6)
    assert array("f", vector).tolist() == vector
    assert first.model_version == "local server · hashed words and word pieces"


def test_the_input_tokens_are_the_tokenizers_and_the_two_marks_an_embedding_model_adds(ygpt_server):
    body = {"modelUri": "gpt://any-folder/yandexgpt/latest", "text": CATS}
    tokens = requests.post(ygpt_server.http_url + "/foundationModels/v1/tokenize", json=body, headers=KEY,
                           timeout=10).json()["tokens"]
    assert model(ygpt_server).run(CATS).num_tokens == len(tokens) - 1 + 2 == 9   # less the "<s>"


def recorded_counts() -> list[tuple[str, str, str, int]]:
    """(door, model, text, input tokens) of every recorded embedding, gRPC and HTTP."""
    asked, answer = recorded_grpc()
    found = [("grpc", asked["modelUri"].split("/")[3], asked["text"], int(answer["numTokens"]))]
    for path in sorted(RECORDINGS.glob("http_*.yaml")):
        for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
            body = json.loads(interaction["request"]["body"])
            (text,) = body["input"]
            usage = json.loads(interaction["response"]["body"]["string"])["usage"]
            found.append(("http", body["model"].split("/")[3], text, usage["prompt_tokens"]))
    return found


@pytest.mark.parametrize(("door", "name", "text", "tokens"), recorded_counts())
def test_a_text_is_counted_as_the_cloud_counted_each_recorded_one(ygpt_server, door, name, text, tokens):
    """The recorded text itself replays its count; the same words in other letters are counted by
    the server's rule, which must give what the cloud billed."""
    unrecorded = text.swapcase()
    if door == "grpc":
        answer = model(ygpt_server, name.removeprefix("text-search-")).run(unrecorded)
        counted, version = answer.num_tokens, answer.model_version
    else:
        answer = chat_api(ygpt_server, [unrecorded], name)
        counted, version = answer["usage"]["prompt_tokens"], model(ygpt_server).run(unrecorded).model_version
    assert "hashed" in version   # counted, not replayed
    assert counted == tokens


@pytest.mark.parametrize("text", ["hello", CATS, PUSHKIN])
def test_grpc_rest_and_the_chat_api_give_one_vector_for_one_text(ygpt_server, text):
    over_grpc = model(ygpt_server).run(text)
    over_rest = rest(ygpt_server, text).json()
    over_chat = chat_api(ygpt_server, [text])
    assert over_rest["embedding"] == list(over_grpc.embedding) == over_chat["data"][0]["embedding"]
    assert int(over_rest["numTokens"]) == over_grpc.num_tokens == over_chat["usage"]["prompt_tokens"]
    assert over_rest["modelVersion"] == over_grpc.model_version
    assert [r.method for r in ygpt_server.requests] == ["TextEmbedding"] * 3


def test_the_chat_apis_answer_has_the_recorded_shape_and_the_recorded_vector(ygpt_server):
    recorded = recorded_http()
    ours = chat_api(ygpt_server, ["hello"])
    assert ours.keys() == recorded.keys() and ours["data"][0].keys() == recorded["data"][0].keys()
    assert ours["usage"] == recorded["usage"]
    assert cosine(ours["data"][0]["embedding"], recorded["data"][0]["embedding"]) > 0.9999


def test_a_query_is_closer_to_a_document_on_its_subject(ygpt_server):
    query, doc = model(ygpt_server, "query"), model(ygpt_server, "doc")
    cats = doc.run("Cats sleep most of the day, often in warm sunny spots around the house.")
    taxes = doc.run("Income tax returns are due in April; file your taxes early to avoid penalties.")
    asked = query.run(CATS)
    # unrelated texts meet only by collisions in 256 dimensions, whose spread is about 1/16
    assert cosine(asked, cats) > 0.2 and abs(cosine(asked, taxes)) < 0.15
    russian = query.run("где любят спать кошки?")
    kittens, tax = doc.run("Кошки спят большую часть дня."), doc.run("Налог уплачивается до 15 июля.")
    assert cosine(russian, kittens) > 0.15 and abs(cosine(russian, tax)) < 0.1


def test_a_query_finds_its_own_text_when_that_text_was_recorded_for_the_other_model(ygpt_server):
    """Only doc's "hello" is recorded: a query made in another space would rank it by noise."""
    query, doc = model(ygpt_server, "query"), model(ygpt_server, "doc")
    asked = query.run("hello")
    assert cosine(asked, doc.run("hello")) > 0.99 > cosine(asked, doc.run("world"))


def test_a_shorter_vector_is_the_start_of_the_full_one_made_unit_again(ygpt_server):
    full = list(model(ygpt_server).run(CATS).embedding)
    short = list(model(ygpt_server).configure(dimensions=8).run(CATS).embedding)
    assert len(short) == 8 and math.isclose(math.fsum(x * x for x in short), 1.0, abs_tol=1e-6)
    assert cosine(short, full[:8]) == pytest.approx(1.0)


def test_a_fault_injected_for_text_embedding_reaches_the_sdk_as_its_status(ygpt_server):
    ygpt_server.faults.fail_next(1, "PERMISSION_DENIED", "no embeddings for you", method="TextEmbedding")
    with pytest.raises(grpc.RpcError) as failure:
        model(ygpt_server).run(CATS)
    assert failure.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert failure.value.details() == "no embeddings for you"
    assert len(model(ygpt_server).run(CATS)) == 256   # one call only


def test_an_embedding_waits_the_servers_latency_like_a_cloud_call(ygpt_server):
    ygpt_server.faults.first_chunk_latency(0.15)
    try:
        started = time.perf_counter()
        model(ygpt_server).run("paced like the cloud")
        assert time.perf_counter() - started >= 0.15
    finally:
        ygpt_server.faults.clear()


def test_a_model_that_does_not_embed_is_refused_with_what_to_use(ygpt_server):
    with pytest.raises(grpc.RpcError) as failure:
        model(ygpt_server, "emb://any-folder/yandexgpt/latest").run(CATS)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "invalid model_uri" in failure.value.details()
    assert "text-search-doc, text-search-query" in failure.value.details()
    answer = requests.post(ygpt_server.http_url + "/foundationModels/v1/textEmbedding", headers=KEY, timeout=10,
                           json={"modelUri": "gpt://any-folder/yandexgpt/latest", "text": CATS})
    assert answer.status_code == 400 and answer.json()["error"]["grpcCode"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert "emb://<folder_id>/<model>" in answer.json()["error"]["message"]


def test_an_empty_text_is_refused_with_what_to_send(ygpt_server):
    with pytest.raises(grpc.RpcError) as failure:
        model(ygpt_server).run("  ")
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "send the text" in failure.value.details()


def test_a_text_over_the_clouds_2000_token_limit_is_refused_at_every_door(ygpt_server):
    """The cloud's limit for text vectorization is 2,000 input tokens ("Quotas and limits in Yandex
    Foundation Models"): chunks that embed here must embed there."""
    longest, over = "word " * 1997, "word " * 1999   # 1,998 and 2,000 tokens, and the model's 2 marks
    assert len(model(ygpt_server).run(longest)) == 256
    assert rest(ygpt_server, longest).json()["numTokens"] == "2000"   # the count the limit applies to
    says = ("The text to embed is 2,002 tokens long; an embedding model takes at most 2,000 (Yandex Cloud's limit "
            "for text vectorization). Split the text into shorter pieces and embed each.")
    with pytest.raises(grpc.RpcError) as failure:
        model(ygpt_server).run(over)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT and failure.value.details() == says
    answer = rest(ygpt_server, over)
    assert answer.status_code == 400 and answer.json()["error"]["message"] == says
    answer = requests.post(ygpt_server.http_url + "/v1/embeddings", headers=KEY, timeout=10,
                           json={"model": "emb://any-folder/text-search-query/latest", "input": ["hello", over]})
    assert answer.status_code == 400 and says in answer.text


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tls = tmp_path_factory.mktemp("tls") / "tls"
    with serving(tls) as address:
        yield address, tls, tmp_path_factory.mktemp("home")


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_the_sdks_own_example_runs_unchanged_and_finds_the_pushkin_paragraph(served, flavour):
    address, tls, home = served
    done = run_example(f"{flavour}/text_embeddings/run.py", address, tls, home)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(PUSHKIN) and "Ромашка" not in done.stdout
