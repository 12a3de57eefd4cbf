"""A refusal from a server that is not Yandex Cloud (the local server, a proxy, another server at
HOST:PORT) names that server, and sends nobody to Yandex Cloud's quotas, roles or console.

UNAVAILABLE and INTERNAL already named "the server at HOST:PORT"; a rate limit (RESOURCE_EXHAUSTED,
the chat API's 429) and a permission refusal blamed Yandex Cloud whoever said them (explore14
finding 5). Through the real shell, the unmodified SDK and the local server's injected faults.
"""

from __future__ import annotations

from cellrun import assert_clear_error
from conftest import cell
from pictures import MODEL, pics, png_bytes  # noqa: F401 (a fixture)

from ygpt_magic.errors import PermissionDenied, QuotaExceeded, ServerFailed

CLOUD_ONLY = ("Yandex Cloud", "cloud console")


def assert_not_blamed_on_the_cloud(message: str) -> None:
    for words in CLOUD_ONLY:
        assert words not in message, message


def test_a_rate_limit_from_the_local_server_is_not_blamed_on_yandex_cloud(shell, ygpt_server):
    ygpt_server.faults.fail_next(10, "RESOURCE_EXHAUSTED")
    run = cell(shell, "%%ygpt\nhello")
    message = assert_clear_error(run, f"The server at {ygpt_server.address}", "RESOURCE_EXHAUSTED",
                                 "after 3 attempts", "run the cell again", error_type=QuotaExceeded)
    assert_not_blamed_on_the_cloud(message)


def test_a_429_of_a_chat_api_that_is_not_the_clouds_names_it(pics, ygpt_server):
    pics.user_ns["png"] = png_bytes()
    ygpt_server.faults.fail_next(10, "RESOURCE_EXHAUSTED", message="Too many requests for now")
    run = cell(pics, f"%%ygpt --no-stream --image png --model {MODEL}\nWhat colour is it?")
    message = assert_clear_error(run, f"The server at {ygpt_server.http_url}", "after 3 attempts",
                                 "Too many requests for now", error_type=QuotaExceeded)
    assert_not_blamed_on_the_cloud(message)


def test_a_permission_refusal_from_another_server_names_it_and_what_the_cloud_would_need(shell, ygpt_server):
    ygpt_server.faults.fail_next(1, "PERMISSION_DENIED")
    run = cell(shell, "%%ygpt\nhello")
    message = assert_clear_error(run, f"The server at {ygpt_server.address}", "PERMISSION_DENIED",
                                 "YC_FOLDER_ID", error_type=PermissionDenied)
    assert "Grant the service account" not in message, message   # as if it were the cloud's
    assert "if it passes requests on to Yandex Cloud" in message, message


def test_the_clouds_own_words_stay_for_the_cloud():
    """Without a server named (the request went to Yandex Cloud), the advice is the cloud's."""
    assert "Yandex Cloud's quota" in str(QuotaExceeded(3)) and "cloud console" in str(QuotaExceeded(3))
    assert "Grant the service account the ai.languageModels.user role" in str(PermissionDenied("b1gf"))
    assert "Yandex Cloud status page" in str(ServerFailed("no text generation service listed"))
