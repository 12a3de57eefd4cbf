"""`ygpt-magic serve` refusing what it cannot honour: a bad flag, a port in use, a bad script or
TLS folder, each in one line and an exit code, before any server starts (a running one, as a
user sees it in a terminal: test_serve_terminal.py; ``--host``: test_serve_elsewhere.py;
`ygpt-magic demo`: test_demo_cli.py).

Every story here is a message and an exit code, so each runs in this process through the
function the console script calls (serving.run_here): the same parser and checks, the same
stdout and stderr (file descriptors, so gRPC's own log lines would show), without the second of
CPU a fresh interpreter costs."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from serving import run_here

from ygpt_magic.emulator.tls import ensure_certificate


def test_serve_refuses_a_broken_script_with_a_message(capfd):
    result = run_here(capfd, "serve", "--script", "/nonexistent.json")
    assert result.code == 2 and "Cannot read the script" in result.err and "READY" not in result.out


@pytest.mark.parametrize("method", ["completion", "Completoin"])
def test_serve_refuses_a_fault_on_an_rpc_it_does_not_have_as_it_refuses_an_unknown_status(capfd, method):
    result = run_here(capfd, "serve", "--fail-next", "1", "--fail-method", method)
    assert result.code == 2 and "READY" not in result.out
    assert result.err.startswith(f"ygpt-magic serve: Unknown RPC '{method}' for a fault; did you mean "
                                 "Completion? Use one of: Completion, "), result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


@pytest.mark.parametrize("flags", [("--fail-next", "1", "--fail-code", "OK"),
                                   ("--break-after", "1", "--break-code", "ok")])
def test_serve_refuses_ok_as_a_fault_status_in_one_line(capfd, flags):
    result = run_here(capfd, "serve", *flags)
    assert result.code == 2 and "READY" not in result.out
    assert result.err.startswith("ygpt-magic serve: OK is not a failure: a call cannot be failed with it; "
                                 "use one of: CANCELLED, UNKNOWN, "), result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


@pytest.mark.parametrize("flags, needs", [
    (["--fail-code", "RESOURCE_EXHAUSTED"], "--fail-code needs --fail-next N"),
    (["--fail-code", "NOPE"], "--fail-code needs --fail-next N"),
    (["--fail-method", "nah"], "--fail-method needs --fail-next N"),
    (["--break-code", "zz"], "--break-code needs --break-after N"),
    (["--proxy-port", "8443"], "--proxy-port needs --tls DIR"),
])
def test_serve_refuses_a_switch_given_without_the_one_it_needs(capfd, flags, needs):
    """Alone, such a switch would start a server that injects no fault: a fault test would pass
    for the wrong reason (run_here fails the test if it starts one)."""
    result = run_here(capfd, "serve", *flags)
    assert result.code == 2 and result.out == "" and "Traceback" not in result.err
    assert result.err.startswith("usage: ygpt-magic serve")
    assert result.err.splitlines()[-1] == f"ygpt-magic serve: error: {needs}", result.err


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
def test_serve_refuses_an_out_of_range_port_or_delay_with_a_usage_line(capfd, flags, says):
    result = run_here(capfd, "serve", *flags)
    assert result.code == 2 and result.out == "", result.out
    assert result.err.startswith("usage: ygpt-magic serve") and says in result.err, result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("content, says", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"replies": []}' + " " * (20 * 1024 * 1024), "over the 16 MiB limit"),
])
def test_serve_refuses_a_deep_or_huge_script_with_one_line(capfd, tmp_path: Path, content, says):
    script = tmp_path / "odd.json"
    script.write_text(content, encoding="utf-8")
    result = run_here(capfd, "serve", "--script", str(script))
    assert result.code == 2 and "READY" not in result.out
    assert result.err.startswith(f"ygpt-magic serve: The script {script} is ") and says in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


def test_serve_refuses_an_endless_script_without_reading_it_all(capfd):
    result = run_here(capfd, "serve", "--script", "/dev/zero")
    assert result.code == 2 and "over the 16 MiB limit" in result.err and "Traceback" not in result.err


@contextmanager
def _a_port_in_use() -> Iterator[int]:
    """A port of 127.0.0.1 that something listens on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@pytest.mark.parametrize("switch, listening", [("--port", "Cannot listen on"),
                                               ("--http-port", "Cannot listen for HTTP on")])
def test_serve_on_a_port_in_use_says_so_in_one_line_and_what_to_do(capfd, switch, listening):
    """Without gRPC's own 'E1206 … add_port.cc:83]' log line (its C core writes to file
    descriptor 2, which run_here reads), or aiohttp's 'error while attempting to bind on address'
    around the system's words."""
    with _a_port_in_use() as port:
        result = run_here(capfd, "serve", switch, str(port))
    assert result.code == 2 and "READY" not in result.out
    assert result.err == (f"ygpt-magic serve: {listening} 127.0.0.1:{port} (address already in use); "
                          f"choose another {switch} (0 picks a free one).\n")


def test_serve_on_a_proxy_port_in_use_names_the_switch_and_what_to_do(capfd, tmp_path: Path):
    """As the gRPC and HTTP ports' refusals do, not '[Errno 98] error while attempting to bind'."""
    with _a_port_in_use() as port:
        result = run_here(capfd, "serve", "--tls", str(tmp_path / "tls"), "--proxy-port", str(port))
    assert result.code == 2 and "READY" not in result.out
    assert result.err == (f"ygpt-magic serve: Cannot listen for the HTTPS proxy on 127.0.0.1:{port} "
                          "(address already in use); choose another --proxy-port (0 picks a free one).\n")


#: why an address cannot be listened on here: not this machine's, or IPv6 on a machine without it
NOT_HERE = ("cannot assign requested address", "address family not supported by protocol")


@pytest.mark.parametrize("host, listening", [("192.0.2.1", "192.0.2.1"), ("2001:db8::1", "[2001:db8::1]")])
def test_serve_on_an_address_of_another_machine_says_to_change_the_host(capfd, host, listening):
    """An IPv6 one too (documentation addresses, no machine's), in brackets and without gRPC's log line."""
    result = run_here(capfd, "serve", "--host", host)
    assert result.code == 2 and "READY" not in result.out
    assert result.err in [f"ygpt-magic serve: Cannot listen on {listening}:0 ({reason}); give --host an address "
                          "of this machine (127.0.0.1: this machine only, 0.0.0.0: every interface; ::1 and :: "
                          "for IPv6, where this machine has it).\n"
                          for reason in NOT_HERE]


@pytest.mark.parametrize("host, printed", [("0.0.0.0", "127.0.0.1"), ("::", "::1")])
def test_serve_tls_on_every_interface_vouches_for_the_address_it_prints(tmp_path: Path, host, printed):
    """serve --host :: --tls prints [::1]:PORT: a certificate without ::1 failed the SDK's handshake."""
    cert_path, _ = ensure_certificate(tmp_path / "tls", host)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address(printed) in names.get_values_for_type(x509.IPAddress)


@pytest.mark.parametrize("under", ["tls", "deeper/tls"])
def test_serve_tls_in_a_folder_under_a_file_names_the_file_and_what_to_do(capfd, tmp_path: Path, under):
    """Not '[Errno 17] File exists: …' (or 'Not a directory'), which names neither the switch nor the file."""
    afile = tmp_path / "afile"
    afile.write_text("x")
    result = run_here(capfd, "serve", "--tls", str(afile / under))
    assert result.code == 2 and "READY" not in result.out
    assert result.err == (f"ygpt-magic serve: --tls {afile / under}: cannot make or write this folder ({afile} "
                          "is a file, not a folder), so the server did not start. Give --tls a folder you can "
                          "create, e.g. --tls ~/.cache/ygpt-magic/tls.\n")
    assert afile.read_text() == "x"


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
    """The pair serve --tls makes (by ensure_certificate, as serve does), then given to another user."""
    if os.geteuid() != 0:
        pytest.skip("making a file of another user needs root")
    ensure_certificate(folder, "127.0.0.1")
    for name in ("cert.pem", "key.pem"):
        os.chown(folder / name, 12345, 12345)


@pytest.mark.parametrize("plant, problem", [
    (_planted_key, "key.pem is a symbolic link or not a regular file"),
    (_shared_folder, "tls other users can write in it"),
    (_linked_folder, "tls is a symbolic link or a file, not a folder"),
    (_someone_elses_pair, "cert.pem belongs to another user"),
], ids=["planted-symlink", "shared-folder", "linked-folder", "not-owned"])
def test_serve_tls_refuses_a_folder_or_a_key_pair_that_is_not_safely_its_own(capfd, tmp_path: Path, plant, problem):
    folder, victim = tmp_path / "tls", tmp_path / "victim.txt"
    victim.write_text("precious")
    plant(folder, victim)
    result = run_here(capfd, "serve", "--port", "0", "--tls", str(folder))
    assert "READY" not in result.out and result.code == 2, "the server must not start"
    assert f"{problem}, so the server did not start" in result.err and "Traceback" not in result.err
    assert "~/.cache/ygpt-magic/tls" in result.err
    assert victim.read_text() == "precious"
