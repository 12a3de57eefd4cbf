"""A new user's first hour, as the README leads it (findings firsthour2.md): a notebook run headless,
a machine with no network, the README's embed line. Each test asserts what the user sees."""

from __future__ import annotations

import getpass
import os
import socket
from pathlib import Path

import pytest
from cellrun import assert_clear_error
from conftest import cell, typed_at_prompts
from IPython.core.error import StdinNotImplementedError

from ygpt_magic.client.credentials import LOCAL_KEY
from ygpt_magic.errors import AuthStopped, HostNotFound, NoInputHere

#: what ipykernel's getpass and input raise when the frontend sends no input (allow_stdin false)
NO_STDIN = "getpass was called, but this frontend does not support input requests."


def test_auth_where_the_frontend_cannot_ask_says_what_to_do_and_changes_nothing(shell, monkeypatch):
    """`%ygpt auth` in a notebook run by nbconvert --execute, papermill or a CI job: one
    paragraph naming the environment variables, not StdinNotImplementedError's traceback."""
    def no_stdin(prompt: str = "") -> str:
        raise StdinNotImplementedError(NO_STDIN)

    monkeypatch.setattr(getpass, "getpass", no_stdin)
    before = cell(shell, "%ygpt whoami").plain
    message = assert_clear_error(cell(shell, "%ygpt auth"), "YC_API_KEY", "YC_FOLDER_ID",
                                 "nothing changed", error_type=NoInputHere)
    assert "StdinNotImplementedError" not in message
    assert cell(shell, "%ygpt whoami").plain == before


def test_auth_whose_folder_cannot_be_asked_keeps_the_key_unused(shell, monkeypatch):
    typed_at_prompts(monkeypatch, "AQVNenteredKEY0123456789abcdefG7Hj", StdinNotImplementedError(NO_STDIN))
    assert_clear_error(cell(shell, "%ygpt auth"), "YC_API_KEY", error_type=NoInputHere)
    assert "AQVN…G7Hj" not in cell(shell, "%ygpt whoami").plain


def test_auth_ended_at_the_folder_prompt_keeps_the_key_unused(shell, monkeypatch):
    """Ctrl-D there, as a frontend passes it on (EOFError): the entry ends, and the key typed
    before it is not kept (test_auth_stopped.py: in real frontends)."""
    typed_at_prompts(monkeypatch, "AQVNenteredKEY0123456789abcdefG7Hj", EOFError())
    assert_clear_error(cell(shell, "%ygpt auth"), "ended at the folder id prompt (Ctrl-D): nothing was changed",
                       error_type=AuthStopped)
    assert "AQVN…G7Hj" not in cell(shell, "%ygpt whoami").plain


@pytest.mark.slow
@pytest.mark.parametrize(("given", "uses"), [({"YC_API_KEY": "AQVNheadlessKEY0123456789abcdefG7Hj"},
                                              "The cells use api key from YC_API_KEY: AQVN…G7Hj."),
                                             ({"YGPT_ENDPOINT": "local"}, f"The cells use {LOCAL_KEY}."),
                                             ({}, "None is found: set YC_API_KEY (or YC_IAM_TOKEN) and YC_FOLDER_ID")])
def test_auth_in_a_notebook_run_without_input_says_what_the_cells_use_and_the_run_goes_on(tmp_path, given, uses):
    """A real kernel run by nbclient (`jupyter execute`, nbconvert, papermill), whose frontend
    allows no input: one notebook asks when opened and runs in CI on the environment's key, so
    %ygpt auth there stops nothing; it says what the cells use, or what to set."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in
                                               ("%load_ext ygpt_magic", "%ygpt auth", "print('after')")])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YC_", "YGPT_"))}
    env.update({"PATH": "/usr/bin:/bin", "YC_FOLDER_ID": "b1gheadless", **given})
    nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(tmp_path))}}).execute(env=env)
    [shown] = notebook.cells[1].outputs
    text = shown["data"]["text/plain"]
    assert text.startswith("This run takes no input (jupyter execute, nbconvert --execute, papermill), so "
                           "%ygpt auth asks nothing, and the run goes on with the credentials found without "
                           "it. "), text
    assert uses in text and ("None is found" in text) == (not given), text
    assert notebook.cells[2].outputs[0]["text"] == "after\n"   # the run went on


@pytest.fixture
def offline(monkeypatch):
    """A machine whose DNS resolves none of Yandex Cloud's names (a train, a sealed CI box), the
    same on a networked machine: the lookup Python makes is refused for *.yandex.net."""
    real = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        if isinstance(host, str) and host.rstrip(".").endswith("yandex.net"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)


def test_the_clouds_name_not_resolving_points_to_the_local_server_not_a_spelling(shell, offline):
    """YC_API_KEY / YC_FOLDER_ID set, no network, the README's first cell: the user typed no host,
    so no 'check its spelling'; %ygpt connect local works offline."""
    cell(shell, "%ygpt connect cloud")
    message = assert_clear_error(cell(shell, '%%ygpt --system "Translate the text"\nTo be, or not to be'),
                                 "api.cloud.yandex.net", "could not be resolved", "no network",
                                 "%ygpt connect local", error_type=HostNotFound)
    assert "spelling" not in message, message


def test_connect_cloud_where_its_name_does_not_resolve_does_not_say_connected(shell, offline):
    """`%ygpt connect cloud` (or `%ygpt connect`, to see where one is) on a machine without network:
    a name lookup, which sends nothing to Yandex, instead of 'Connected to Yandex Cloud'."""
    for line in ("%ygpt connect cloud", "%ygpt connect"):
        said = cell(shell, line)
        assert said.ok, said.message
        assert said.final.startswith("Using Yandex Cloud at api.cloud.yandex.net:443 (TLS on), but cells "
                                     "will fail there."), said.final
        assert "could not be resolved" in said.final and "%ygpt connect local" in said.final, said.final
        assert "Connected" not in said.final and "spelling" not in said.final, said.final


def test_connect_cloud_where_its_name_resolves_says_connected(shell, monkeypatch):
    """A machine whose DNS knows the cloud's name (a documentation address stands in for it; no
    connection is made to it): 'Connected', as before."""
    real = socket.getaddrinfo
    known = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.1", 443))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *args, **kwargs:
                        known if host == "api.cloud.yandex.net" else real(host, *args, **kwargs))
    said = cell(shell, "%ygpt connect cloud").final
    assert said == "Connected to Yandex Cloud at api.cloud.yandex.net:443 (TLS on).", said


def test_after_make_demo_the_docs_say_how_to_open_the_notebooks_in_jupyterlab():
    """`make demo` installs the demo extra, which has no JupyterLab (it stays quick): the README,
    the install page and the first tutorial say how to add it to .venv (the lab extra) and start
    that one, whose Python has ygpt_magic."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    root = Path(__file__).resolve().parent.parent
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert not any(package.startswith("jupyterlab") for package in extras["demo"])
    assert any(package.startswith("jupyterlab") for package in extras["lab"])
    for page in ("README.md", "docs/install.md", "notebooks/00_setup.ipynb"):
        text = (root / page).read_text()
        assert ".venv/bin/pip install -e '.[lab]'" in text and "YGPT_ENDPOINT=local .venv/bin/jupyter lab" in text, page


def test_embed_without_out_says_where_the_vectors_are(shell, fresh_names):
    """The README's `%ygpt embed reviews --column text` (no --out): _ygpt is the run, not the
    array, so the cell says where the float32 matrix went."""
    pd = pytest.importorskip("pandas")
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["Fast delivery", "Arrived broken", "Too expensive"]})
    ran = cell(shell, "%ygpt embed reviews --column text")
    assert ran.ok, ran.message
    assert ran.final == ("The vectors are in _ygpt.embeddings, a 3 × 256 float32 array (one row per text); "
                         "--out VAR stores it in VAR too."), ran.final
    assert shell.user_ns["_ygpt"].embeddings.shape == (3, 256)
    assert "_ygpt.embeddings" not in cell(shell, "%ygpt embed reviews --column text --out vectors").shown


def test_an_unknown_model_is_quoted_with_one_full_stop(shell):
    """The server's words end with their own full stop: the quote closes the sentence."""
    message = assert_clear_error(cell(shell, "%%ygpt --model yandexgpt-nonexistent\nHello"),
                                 "'yandexgpt-nonexistent' was not found")
    assert "The server said: “" in message and message.endswith(".”"), message


def test_the_install_page_says_to_install_the_wheel_outside_a_clone():
    """Outside a clone `pip install '.[demo]'` finds no project there ('Neither setup.py nor
    pyproject.toml found'): the page names the wheel, which carries the extra."""
    page = (Path(__file__).resolve().parent.parent / "docs" / "install.md").read_text()
    outside = page.split("Outside a clone", 1)[1].split("\n\n", 1)[0]
    assert "'.[demo]'" not in outside, outside
    assert "pip install 'dist/ygpt_magic-VERSION-py3-none-any.whl[demo]'" in outside, outside
