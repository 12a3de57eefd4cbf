"""The %ygpt line is taken as written (IPython fills in `$name` and `{name}` on other magics'
lines, not on ours), so `%ygpt chat $name` makes a chat called '$name'. A new chat name that reads
like an expansion says so in one line, with the call that names the chat after the value."""

from __future__ import annotations

from conftest import cell

TAKEN = ("The name '$name' was taken as written: IPython fills in $name and {name} on other "
         "magics' lines, not on a %ygpt line. To name the chat after a variable's value, run in a cell: ")


def test_a_chat_named_like_a_variable_says_it_was_taken_as_written(shell):
    cell(shell, "%ygpt reset --all")
    cell(shell, "name = 'WORLD'")
    switched = cell(shell, "%ygpt chat $name")
    assert switched.ok, switched.message
    assert switched.plain == ("Current chat: '$name' (0 turns). " + TAKEN
                              + 'get_ipython().run_line_magic("ygpt", f"chat {name}")'), switched.plain
    braced = cell(shell, "%ygpt chat {name}").plain
    assert "The name '{name}' was taken as written" in braced, braced
    assert "taken as written" not in cell(shell, "%ygpt chat $name").plain   # it exists now: said once
    assert "taken as written" not in cell(shell, "%ygpt chat price$").plain


def test_a_cell_whose_chat_is_named_like_a_variable_says_so_above_its_reply(shell):
    cell(shell, "%ygpt reset --all")
    asked = cell(shell, "%%ygpt --chat $name\nHello")
    assert asked.ok, asked.message
    assert ("⚠ " + TAKEN + 'get_ipython().run_cell_magic("ygpt", f"--chat {name}", prompt)') in asked.shown
    again = cell(shell, "%%ygpt --chat $name\nHello again")
    assert "taken as written" not in again.shown


def test_a_chat_renamed_like_a_variable_says_it_was_taken_as_written(shell):
    cell(shell, "%ygpt reset --all")
    cell(shell, "%ygpt chat notes")
    renamed = cell(shell, "%ygpt chats --rename notes {topic}")
    assert renamed.ok, renamed.message
    assert renamed.plain.endswith(
        "The name '{topic}' was taken as written: IPython fills in $name and {name} on other magics' lines, "
        "not on a %ygpt line. To name the chat after a variable's value, run in a cell: "
        'get_ipython().run_line_magic("ygpt", f"chats --rename {{topic}} {topic}")'), renamed.plain
