"""The local server's HTTP side as a plain HTTP client sees it: where it listens, how it refuses."""

from __future__ import annotations

import requests

from ygpt_magic.emulator import start_local_server


def test_http_side_listens_next_to_grpc_and_stops_with_it():
    with start_local_server() as server:
        assert server.http_url.startswith("http://127.0.0.1:")
        assert server.http_url.rsplit(":", 1)[1] != server.address.rsplit(":", 1)[1]
        assert requests.get(server.http_url + "/nowhere", timeout=5).status_code == 404
    try:
        requests.get(server.http_url + "/nowhere", timeout=2)
    except requests.ConnectionError:
        return
    raise AssertionError("the HTTP side still answers after stop()")


def test_unknown_path_is_a_404_with_the_clouds_error_json(ygpt_server):
    answer = requests.post(ygpt_server.http_url + "/foundationModels/v2/completion", json={}, timeout=5)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    assert (error["grpcCode"], error["httpCode"], error["httpStatus"]) == (5, 404, "Not Found")
    assert "/foundationModels/v2/completion" in error["message"] and error["details"] == []
