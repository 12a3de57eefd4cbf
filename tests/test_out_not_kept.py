"""`{Out[N]}` and `--image Out[N]` in a kernel whose IPython keeps no outputs in ``Out``.

``cache_size = 0`` (read when the kernel starts: a profile's config, or ``--cache-size``) turns
IPython's output cache off, while its history still keeps the text each output showed. The
refusal said "IPython's output history was cleared since it ran … Run cell N again", which is
untrue there and does not help: the new output is not kept either. A real kernel, as only a
kernel started with that profile has the cache off.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kernels import Kernel
from pictures import MODEL

pytestmark = pytest.mark.slow


@pytest.fixture
def kernel(ygpt_server, tmp_path, monkeypatch) -> Iterator[Kernel]:
    """A kernel whose profile sets ``c.InteractiveShell.cache_size = 0``."""
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_kernel_config.py").write_text("c.InteractiveShell.cache_size = 0\n", encoding="utf-8")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    with Kernel(ygpt_server.address) as started:
        yield started


def shown_count(kernel: Kernel, source: str) -> int:
    """Run a cell that shows an output; the N of its Out[N] as the notebook shows it."""
    parent = kernel.run(source)
    [result] = [content for kind, content in kernel.of(parent) if kind == "execute_result"]
    return int(result["execution_count"])


@pytest.mark.parametrize("asked", ["%%ygpt --once\nExplain {{Out[{n}]}}",
                                   "%%ygpt --once --image Out[{n}] --model " + MODEL + "\nWhat is this?"])
def test_out_of_a_kernel_that_keeps_no_outputs_says_so_not_that_the_history_was_cleared(kernel, asked):
    n = shown_count(kernel, "6 * 7")
    assert kernel.value("dict(Out)") == "{}"
    said = " ".join(kernel.shown(kernel.run(asked.format(n=n))).split())
    assert f"Out keeps no outputs in this kernel, though cell {n} showed one" in said, said
    assert "IPython's cache_size is 0" in said and "Keep the value in a variable" in said, said
    assert "c.InteractiveShell.cache_size = 1000" in said and "restart the kernel" in said, said
    assert "was cleared" not in said and "Run cell" not in said, said
    assert "Traceback" not in said, said
