"""`--format code` puts into the new cell what a notebook runs: the reply's Python blocks, a
shell block as IPython's ``!command`` lines, and no output or text block (findings: smallfixes 1).
Before, every block was joined, so a reply that said ``pip install`` in a bash block gave a cell
that failed on its first line."""

from __future__ import annotations

from conftest import cell, scripted

ASK = "Write a function that doubles a number and show it"
REPLY = """Install nothing, just check the shell:

```bash
$ echo ready to double
```

The function:

```python
def double(x):
    return 2 * x
```

```
print(double(21))
```

You should see:

```text
42
```

or, in a terminal:

```console
$ python double.py
42
```
"""
CELL = """!echo ready to double

def double(x):
    return 2 * x

print(double(21))

!python double.py"""


def test_format_code_puts_python_and_shell_commands_below_and_says_what_it_left_out(shell, tmp_path):
    with scripted(shell, tmp_path, ASK, REPLY):
        result = cell(shell, f"%%ygpt --once --format code\n{ASK}")
    assert result.ok, result.shown
    assert shell.rl_next_input == CELL
    assert ("The new cell holds the reply's Python and its bash and console blocks as !command lines; "
            "left out: the text block and the console block's output.") in result.page


def test_the_new_cell_runs_in_ipython(shell, tmp_path):
    """The user runs the cell the reply made: the shell line runs as a command, the Python as Python."""
    reply = "```sh\necho ready to double\n```\n\n```python\nprint(2 * 21)\n```\n\n```text\n42\n```"
    with scripted(shell, tmp_path, ASK, reply):
        assert cell(shell, f"%%ygpt --once --format code\n{ASK}").ok
    made = shell.rl_next_input
    ran = cell(shell, made)
    assert ran.ok, ran.shown
    assert ran.shown.split() == ["ready", "to", "double", "42"]


def test_a_reply_with_only_output_puts_nothing_below_and_says_so(shell, tmp_path):
    """Output to expect is no code: the cell it made raised a SyntaxError on its first line."""
    with scripted(shell, tmp_path, ASK, "You will see:\n\n```text\n42\n```"):
        result = cell(shell, f"%%ygpt --once --format code\n{ASK}")
    assert result.ok, result.shown
    assert shell.rl_next_input is None
    assert ("No Python or shell block in the reply, so nothing was put into a new cell; left out: "
            "the text block.") in result.page
