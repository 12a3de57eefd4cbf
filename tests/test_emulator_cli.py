"""`ygpt-magic serve` as a user runs it (`ygpt-magic demo`: test_demo_cli.py; ``--host``:
test_serve_elsewhere.py)."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import grpc
import pytest
import requests
from cryptography import x509

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from yandex_cloud_ml_sdk import YCloudML
    from yandex_cloud_ml_sdk.exceptions import AioRpcError
    from yandex_cloud_ml_sdk.retry import NoRetryPolicy

from conftest import cell

from ygpt_magic.emulator.testing import sdk_kwargs
from ygpt_magic.emulator.tls import ensure_certificate

CLI = [sys.executable, "-m", "ygpt_magic.cli"]


def start_serve(*flags: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([*CLI, "serve", "--port", "0", *flags], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    ready = process.stdout.readline().strip()
    assert ready.startswith("READY 127.0.0.1:"), process.stderr.read()
    return process, ready.split()[1]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.slow
def test_serve_prints_ready_answers_and_stops_cleanly_on_a_signal(signum, tmp_path: Path):
    script = tmp_path / "mine.json"
    script.write_text('{"replies": [{"user": "What is the answer?", "reply": "42."}]}', encoding="utf-8")
    process, address = start_serve("--script", str(script), "--fail-next", "1", "--fail-code", "RESOURCE_EXHAUSTED")
    try:
        model = YCloudML(**sdk_kwargs(address), retry_policy=NoRetryPolicy()).models.completions("yandexgpt")
        with pytest.raises(AioRpcError) as caught:
            model.run("What is the answer?")
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert model.run("What is the answer?").text == "42."
    finally:
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "stopped" in stderr and "Completion model=" in stderr


#: the banner's line for a notebook: the connect command, and the HTTP address in it
CONNECT_LINE = re.compile(r"in a notebook: %ygpt (connect \S+ --insecure --http (\S+));")


@pytest.mark.slow
def test_serve_tells_a_notebook_user_the_connect_line_and_that_line_works(shell):
    """The banner names the magic's own command (plaintext: ``--insecure``, or a TLS handshake
    with a server that speaks none fails after the SDK's retries; ``--http``: the chat API that
    pictures go through), and it answers as written."""
    process, address = start_serve()
    try:
        banner = process.stderr.readline()
        said = CONNECT_LINE.search(banner)
        assert said and address in said.group(1), banner
        assert f"HTTP (REST, OpenAI-compatible /v1/) at {said.group(2)}." in banner, banner
        shell.run_line_magic("ygpt", said.group(1))
        result = cell(shell, "%%ygpt --once\nHello")
        assert result.ok, result.message
        assert said.group(2) in cell(shell, "%ygpt whoami").plain
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


@pytest.mark.slow
def test_serve_listens_for_http_on_the_port_asked_and_names_it_in_the_ready_line():
    with socket.socket() as probe:   # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        http_port = probe.getsockname()[1]
    process = subprocess.Popen([*CLI, "serve", "--http-port", str(http_port)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        words = process.stdout.readline().split()
        assert words[0] == "READY" and words[2] == f"http://127.0.0.1:{http_port}", process.stderr.read()
        assert requests.get(words[2] + "/nowhere", timeout=5).json()["error"]["httpCode"] == 404
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0 and f"HTTP (REST, OpenAI-compatible /v1/) at {words[2]}" in stderr


@pytest.mark.slow
def test_serve_refuses_a_broken_script_with_a_message():
    result = subprocess.run([*CLI, "serve", "--script", "/nonexistent.json"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "Cannot read the script" in result.stderr and "READY" not in result.stdout


@pytest.mark.parametrize("method", ["completion", "Completoin"])
@pytest.mark.slow
def test_serve_refuses_a_fault_on_an_rpc_it_does_not_have_as_it_refuses_an_unknown_status(method):
    result = subprocess.run([*CLI, "serve", "--fail-next", "1", "--fail-method", method],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "READY" not in result.stdout
    assert result.stderr.startswith(f"ygpt-magic serve: Unknown RPC '{method}' for a fault; did you mean "
                                    "Completion? Use one of: Completion, "), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("flags", [("--fail-next", "1", "--fail-code", "OK"),
                                   ("--break-after", "1", "--break-code", "ok")])
@pytest.mark.slow
def test_serve_refuses_ok_as_a_fault_status_in_one_line(flags):
    result = subprocess.run([*CLI, "serve", *flags], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "READY" not in result.stdout
    assert result.stderr.startswith("ygpt-magic serve: OK is not a failure: a call cannot be failed with it; "
                                    "use one of: CANCELLED, UNKNOWN, "), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("flags, needs", [
    (["--fail-code", "RESOURCE_EXHAUSTED"], "--fail-code needs --fail-next N"),
    (["--fail-code", "NOPE"], "--fail-code needs --fail-next N"),
    (["--fail-method", "nah"], "--fail-method needs --fail-next N"),
    (["--break-code", "zz"], "--break-code needs --break-after N"),
    (["--proxy-port", "8443"], "--proxy-port needs --tls DIR"),
])
@pytest.mark.slow
def test_serve_refuses_a_switch_given_without_the_one_it_needs(flags, needs):
    """Alone, such a switch would start a server that injects no fault: a fault test would pass
    for the wrong reason."""
    try:
        result = subprocess.run([*CLI, "serve", *flags], capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve started with {' '.join(flags)}")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.startswith("usage: ygpt-magic serve")
    assert result.stderr.splitlines()[-1] == f"ygpt-magic serve: error: {needs}", result.stderr


CALLS_A_TOOL = '''
from yandex_ai_studio_sdk import AIStudio
sdk = AIStudio()   # no verify=False: an SDK example's default TLS channel
tool = sdk.tools.function(name="calculator", description="A simple calculator",
                          parameters={"type": "object", "properties": {"expression": {"type": "string"}}})
result = sdk.models.completions("yandexgpt").configure(tools=[tool]).run("How much is 7@8?")
print(result.status.name, result.tool_calls[0].function.arguments)
'''


@pytest.mark.slow
def test_serve_tls_lets_an_unchanged_sdk_script_in_through_environment_variables(tmp_path: Path):
    process, address = start_serve("--tls", str(tmp_path / "tls"))
    try:
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "YC_API_ENDPOINT": address, "YC_API_KEY": "any-key",
               "YC_FOLDER_ID": "any-folder", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(tmp_path / "tls" / "cert.pem")}
        result = subprocess.run([sys.executable, "-c", CALLS_A_TOOL],
                                env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "TOOL_CALLS {'expression': '7@8'}"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=" in stderr and (tmp_path / "tls" / "key.pem").stat().st_mode & 0o077 == 0


@pytest.mark.slow
@pytest.mark.parametrize("flags, says", [
    (["--port", "70000"], "argument --port: 70000 is not a port"),
    (["--http-port", "99999"], "argument --http-port: 99999 is not a port"),
    (["--proxy-port", "-1"], "argument --proxy-port: -1 is not a port"),
    (["--latency", "nan"], "argument --latency: nan is not a number of seconds"),
    (["--first-chunk-latency", "-1"], "argument --first-chunk-latency: -1 is not a number of seconds"),
    (["--operation-delay", "-1"], "argument --operation-delay: -1 is not a number of seconds"),
    (["--batch-row-delay", "inf"], "argument --batch-row-delay: inf is not a number of seconds"),
    (["--stall-seconds", "-0.5"], "argument --stall-seconds: -0.5 is not a number of seconds"),
    (["--fail-next", "-2"], "argument --fail-next: -2 is not a count"),
])
def test_serve_refuses_an_out_of_range_port_or_delay_with_a_usage_line(flags, says):
    result = subprocess.run([*CLI, "serve", *flags], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and result.stdout == "", result.stdout
    assert result.stderr.startswith("usage: ygpt-magic serve") and says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("content, says", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"replies": []}' + " " * (20 * 1024 * 1024), "over the 16 MiB limit"),
])
def test_serve_refuses_a_deep_or_huge_script_with_one_line(tmp_path: Path, content, says):
    script = tmp_path / "odd.json"
    script.write_text(content, encoding="utf-8")
    result = subprocess.run([*CLI, "serve", "--script", str(script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "READY" not in result.stdout
    assert result.stderr.startswith(f"ygpt-magic serve: The script {script} is ") and says in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("switch, listening", [("--port", "Cannot listen on"),
                                               ("--http-port", "Cannot listen for HTTP on")])
@pytest.mark.slow
def test_serve_on_a_port_in_use_says_so_in_one_line_and_what_to_do(switch, listening):
    """Without gRPC's own 'E1206 … add_port.cc:83]' log line, or aiohttp's 'error while
    attempting to bind on address' around the system's words."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*CLI, "serve", switch, str(port)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "READY" not in result.stdout
    assert result.stderr == (f"ygpt-magic serve: {listening} 127.0.0.1:{port} (address already in use); "
                             f"choose another {switch} (0 picks a free one).\n")


#: why an address cannot be listened on here: not this machine's, or IPv6 on a machine without it
NOT_HERE = ("cannot assign requested address", "address family not supported by protocol")


@pytest.mark.parametrize("host, listening", [("192.0.2.1", "192.0.2.1"), ("2001:db8::1", "[2001:db8::1]")])
@pytest.mark.slow
def test_serve_on_an_address_of_another_machine_says_to_change_the_host(host, listening):
    """An IPv6 one too (documentation addresses, no machine's), in brackets and without gRPC's log line."""
    result = subprocess.run([*CLI, "serve", "--host", host], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "READY" not in result.stdout
    assert result.stderr in [f"ygpt-magic serve: Cannot listen on {listening}:0 ({reason}); give --host an address "
                             "of this machine (127.0.0.1: this machine only, 0.0.0.0: every interface; ::1 and :: "
                             "for IPv6, where this machine has it).\n"
                             for reason in NOT_HERE]


@pytest.mark.slow
def test_serve_refuses_an_endless_script_without_reading_it_all():
    result = subprocess.run([*CLI, "serve", "--script", "/dev/zero"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "over the 16 MiB limit" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_serve_tls_keeps_its_key_in_a_private_folder_under_a_leaf_certificate(tmp_path: Path):
    folder = tmp_path / "tls"
    process, _ = start_serve("--tls", str(folder))
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=10)
    cert = x509.load_pem_x509_certificate((folder / "cert.pem").read_bytes())
    assert folder.stat().st_mode & 0o777 == 0o700 and (folder / "key.pem").stat().st_mode & 0o777 == 0o600
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in names.get_values_for_type(x509.IPAddress)


@pytest.mark.parametrize("host, printed", [("0.0.0.0", "127.0.0.1"), ("::", "::1")])
def test_serve_tls_on_every_interface_vouches_for_the_address_it_prints(tmp_path: Path, host, printed):
    """serve --host :: --tls prints [::1]:PORT: a certificate without ::1 failed the SDK's handshake."""
    cert_path, _ = ensure_certificate(tmp_path / "tls", host)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address(printed) in names.get_values_for_type(x509.IPAddress)


def _planted_key(folder: Path, victim: Path) -> None:
    folder.mkdir(mode=0o700)
    (folder / "key.pem").symlink_to(victim)


def _shared_folder(folder: Path, victim: Path) -> None:
    folder.mkdir()
    folder.chmod(0o777)


def _linked_folder(folder: Path, victim: Path) -> None:
    (victim.parent / "elsewhere").mkdir()
    folder.symlink_to(victim.parent / "elsewhere")


def _someone_elses_pair(folder: Path, victim: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a file of another user needs root")
    process, _ = start_serve("--tls", str(folder))
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=10)
    for name in ("cert.pem", "key.pem"):
        os.chown(folder / name, 12345, 12345)


@pytest.mark.slow
@pytest.mark.parametrize("plant, problem", [
    (_planted_key, "key.pem is a symbolic link or not a regular file"),
    (_shared_folder, "tls other users can write in it"),
    (_linked_folder, "tls is a symbolic link or a file, not a folder"),
    (_someone_elses_pair, "cert.pem belongs to another user"),
], ids=["planted-symlink", "shared-folder", "linked-folder", "not-owned"])
def test_serve_tls_refuses_a_folder_or_a_key_pair_that_is_not_safely_its_own(tmp_path: Path, plant, problem):
    folder, victim = tmp_path / "tls", tmp_path / "victim.txt"
    victim.write_text("precious")
    plant(folder, victim)
    process = subprocess.Popen([*CLI, "serve", "--port", "0", "--tls", str(folder)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        ready = process.stdout.readline()
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert ready == "" and process.returncode == 2, "the server must not start"
    assert f"{problem}, so the server did not start" in stderr and "Traceback" not in stderr
    assert "~/.cache/ygpt-magic/tls" in stderr
    assert victim.read_text() == "precious"


@pytest.mark.slow
def test_plain_serve_says_unchanged_sdk_scripts_need_tls():
    """An SDK example run unchanged (TLS by default) against a plain serve ends in gRPC's
    WRONG_VERSION_NUMBER, after the SDK's retries (15 s, not waited out here): the banner, the
    one thing the user read, says to start it with --tls (findings firsthour.md 7)."""
    process, address = start_serve()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    banner = stderr.split("Local YandexGPT server at ", 1)[1]
    assert f"with endpoint='{address}', verify=False (the SDK's insecure option)" in banner, banner
    assert ("Unchanged SDK scripts (YC_API_ENDPOINT) use TLS, which this server does not speak: start it with "
            "--tls DIR for them.") in banner, banner
