"""%ygpt similar through a real shell and the local server: the rows closest to a text, best
first, from vectors %ygpt embed made or reused, and every bad TEXT or --vectors answered with one
paragraph. Split from test_embed.py, whose helpers it imports."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from cellrun import assert_clear_error
from conftest import cell
from test_embed import CATS, embedded


def test_similar_finds_the_closest_rows_best_first_reusing_embed_vectors(shell, ygpt_server):
    shell.user_ns["frame"] = pd.DataFrame({"body": CATS, "id": [1, 2, 3, 4]})
    assert cell(shell, "%ygpt embed frame --column body --out v").ok
    ygpt_server.requests.clear()
    run = cell(shell, "%ygpt similar where do cats sleep --in frame --column body --top 2")
    assert run.ok, run.message
    assert embedded(ygpt_server) == ["where do cats sleep"]   # the rows' vectors were reused
    query = [r for r in ygpt_server.requests if r.method == "TextEmbedding"][0]
    assert "text-search-query" in query.model_uri
    results = shell.user_ns["_ygpt"].results
    assert list(results.columns) == ["body", "id", "similarity"]
    assert len(results) == 2 and results["id"].iloc[0] == 1
    assert results["similarity"].is_monotonic_decreasing and results["similarity"].iloc[0] > 0.2
    assert "Cats sleep in warm sunny places." in run.shown and "Dogs like" not in run.shown
    with_vectors = cell(shell, "%ygpt similar where do cats sleep --in frame --column body --top 2 --vectors v")
    assert with_vectors.ok and shell.user_ns["_ygpt"].results.equals(results)
    wrong = cell(shell, "%ygpt similar cats --in frame --column body --vectors frame")
    assert not wrong.ok and "must be the matrix %ygpt embed made" in wrong.message


def test_similar_with_a_text_too_long_to_embed_says_it_is_text_and_a_short_one_answers(shell, ygpt_server):
    """findings/advice.md F3: TEXT over the query model's limit was told "split it ... and
    embed each piece", which %ygpt similar has no way to do; it is TEXT to shorten."""
    shell.user_ns["docs"] = CATS
    refused = cell(shell, "%ygpt similar " + "word " * 3000 + "--in docs")
    message = assert_clear_error(refused, "%ygpt similar: TEXT is 3,002 tokens, too long to embed",
                                 "the rows are not the problem", "shorten TEXT")
    assert "embed each piece" not in message and "could not be embedded" not in message, message
    run = cell(shell, "%ygpt similar where cats sleep --in docs --top 1")
    assert run.ok, run.message
    assert shell.user_ns["_ygpt"].results["text"].iloc[0] == CATS[0]


def test_similar_stops_at_a_refusal_every_text_of_name_gets_and_sends_no_query(shell, ygpt_server):
    shell.user_ns["docs"] = [f"note number {i}" for i in range(30)]
    ygpt_server.faults.fail_next(100, "PERMISSION_DENIED", "no embeddings for you", method="TextEmbedding")
    run = cell(shell, "%ygpt similar cats --in docs")
    said = run.stdout + (run.message or "")
    assert said.count("no embeddings for you") == 1, said
    assert "not sent after the first refusal" in said
    assert "cats" not in embedded(ygpt_server) and len(embedded(ygpt_server)) < 30


def test_embed_gives_unit_rows_and_similar_takes_vectors_of_any_length_the_same(shell, ygpt_server):
    shell.user_ns["docs"] = CATS
    assert cell(shell, "%ygpt embed docs --out v").ok
    vectors = shell.user_ns["v"]
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert cell(shell, "%ygpt similar where do cats sleep --in docs --top 4").ok
    expected = shell.user_ns["_ygpt"].results
    shell.user_ns["longer"] = vectors.astype(np.float64) * np.array([[3.0], [0.5], [7.0], [2.0]])
    run = cell(shell, "%ygpt similar where do cats sleep --in docs --top 4 --vectors longer")
    assert run.ok, run.message
    got = shell.user_ns["_ygpt"].results
    assert list(got.index) == list(expected.index)
    assert np.allclose(got["similarity"], expected["similarity"], atol=1e-6)


def test_vectors_of_a_frame_sorted_since_they_were_made_are_refused_before_the_query_is_sent(
        shell, ygpt_server):
    shell.user_ns["df"] = pd.DataFrame({"body": ["cats sleep in the sun", "taxes due in april",
                                                 "dogs walk in the park"]})
    assert cell(shell, "%ygpt embed df --column body --out v").ok
    shell.user_ns["df"] = shell.user_ns["df"].sort_values("body", ascending=False)
    ygpt_server.reset()
    run = cell(shell, "%ygpt similar cats sleep --in df --column body --vectors v --top 1")
    assert_clear_error(run, "--vectors v does not fit df", "sorted, filtered or edited",
                       "%ygpt embed df --column body --out v", "leave out --vectors")
    assert embedded(ygpt_server) == []
    assert cell(shell, "%ygpt similar cats sleep --in df --column body --top 1").ok   # no --vectors: right
    assert shell.user_ns["_ygpt"].results["body"].iloc[0] == "cats sleep in the sun"


def test_vectors_made_before_a_row_was_edited_are_refused_naming_the_row_and_the_rerun_sends_only_it(
        shell, ygpt_server):
    """findings/meaning8.md 1: a row edited after %ygpt embed --out v kept its old text's vector
    in v, and --vectors v ranked it by that vector and showed it with its new text, silently (the
    memo has no vector of the new text to compare with, so the row was trusted as after a
    restart). The kernel knows which texts v was made of: the edited row is named, nothing is
    sent, and the advised command sends that row alone, after which --vectors v ranks right."""
    shell.user_ns["df"] = pd.DataFrame({"t": ["cats sleep in the sun", "tax returns due in April",
                                              "cats hate the rain"]}, index=["a", "b", "c"])
    assert cell(shell, "%ygpt embed df --column t --out v").ok
    shell.user_ns["df"].loc["a", "t"] = "dogs bark loudly"
    ygpt_server.reset()
    run = cell(shell, "%ygpt similar cats --in df --column t --vectors v --top 2")
    message = assert_clear_error(run, "--vectors v does not fit df", "row 'a'", "edited",
                                 "%ygpt embed df --column t --out v", "leave out --vectors")
    assert "'b'" not in message and "'c'" not in message, message
    assert embedded(ygpt_server) == []
    assert cell(shell, "%ygpt embed df --column t --out v").ok
    assert embedded(ygpt_server) == ["dogs bark loudly"]
    run = cell(shell, "%ygpt similar cats --in df --column t --vectors v --top 2")
    assert run.ok, run.message
    assert "a" not in list(shell.user_ns["_ygpt"].results.index)


@pytest.mark.parametrize(("value", "words"), [
    (np.array([["a"] * 256] * 4), ["(4 × 256 numbers: a row of each text's vector)", "<U1"]),
    (np.zeros((3, 256), dtype=np.float32), ["(4 × 256 numbers", "shape (3, 256)"]),
    ([[0.1] * 256] * 4, ["a list"]),
])
def test_vectors_that_are_not_a_numeric_matrix_get_one_paragraph(shell, ygpt_server, value, words):
    shell.user_ns["docs"] = CATS
    shell.user_ns["bad"] = value
    run = cell(shell, "%ygpt similar cats --in docs --vectors bad")
    assert not run.ok and run.typed_error is not None, run.message
    assert "Traceback" not in run.message and "\n" not in run.message.strip()
    for word in words:
        assert word in run.message


def test_vectors_naming_no_variable_says_so_and_the_embed_command_it_gives_makes_it(shell, ygpt_server):
    """findings/advice.md F6: --vectors v1 (a typo) was called "a NoneType", and the command it
    gave had NAME left to fill; it says there is no such variable and gives this line's own
    embed command, which makes the matrix, and --vectors v1 then ranks."""
    shell.user_ns["df"] = pd.DataFrame({"t": ["cats sleep in the sun", "taxes are due in april"]})
    shell.user_ns.pop("v1", None)
    message = assert_clear_error(cell(shell, "%ygpt similar hi --in df --column t --vectors v1"),
                                 "there is no variable named 'v1'")
    assert "NoneType" not in message and "NAME" not in message, message
    advised = re.search(r"Make it with (%ygpt embed df --column t --out v1)", message)
    assert advised, message
    assert cell(shell, advised[1]).ok
    run = cell(shell, "%ygpt similar where cats sleep --in df --column t --vectors v1 --top 1")
    assert run.ok, run.message
    assert shell.user_ns["_ygpt"].results["t"].iloc[0] == "cats sleep in the sun"


def test_rows_of_zeros_in_vectors_never_rank(shell, ygpt_server):
    shell.user_ns["docs"] = CATS
    assert cell(shell, "%ygpt embed docs --out v").ok
    vectors = shell.user_ns["v"].copy()
    vectors[0] = 0
    shell.user_ns["holed"] = vectors
    run = cell(shell, "%ygpt similar where do cats sleep --in docs --top 4 --vectors holed")
    assert run.ok, run.message
    assert 0 not in list(shell.user_ns["_ygpt"].results.index) and len(shell.user_ns["_ygpt"].results) == 3


def table_rows(plain: str) -> list[dict[str, str]]:
    """The rows of the table %ygpt similar printed, by column (its plain form: cells two spaces
    apart), as a user reads them."""
    lines = plain[plain.index("\nrow ") + 1:].splitlines()
    headers = re.split(r"\s{2,}", lines[0].strip())
    return [dict(zip(headers, re.split(r"\s{2,}", line.strip()))) for line in lines[1:] if line.strip()]


def test_the_table_names_rows_as_the_results_do_so_loc_finds_them(shell, ygpt_server):
    shell.user_ns["tickets"] = pd.DataFrame({"text": ["card charged twice", "parcel late", "charged two times"]},
                                            index=pd.Index([101, 102, 103], name="id"))
    run = cell(shell, "%ygpt similar charged twice --in tickets --column text --top 2")
    assert run.ok, run.message
    shown, results = table_rows(run.plain), shell.user_ns["_ygpt"].results
    assert [row["row"] for row in shown] == [str(label) for label in results.index] == ["101", "103"]
    assert "position" not in shown[0] and "repeats" not in run.plain
    shell.user_ns["shops"] = pd.DataFrame(
        {"text": ["card charged twice", "parcel late", "charged two times"]},
        index=pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)], names=["shop", "n"]))
    run = cell(shell, "%ygpt similar charged twice --in shops --column text --top 2")
    assert [row["row"] for row in table_rows(run.plain)] == ["('a', 1)", "('b', 1)"]   # shops.loc[('a', 1)]


def test_an_index_that_repeats_labels_shows_each_rows_label_and_position(shell, ygpt_server):
    """The index ``x, x, y``: the table showed positions under "row" (0, 2, 1) while _ygpt.results
    had the labels (x, y, x), and ``d.loc[2]`` was a KeyError. It shows the labels, as the results
    do, and each row's position, which picks that one row, and says why."""
    d = pd.DataFrame({"text": ["card charged twice", "parcel late", "charged two times"]}, index=["x", "x", "y"])
    shell.user_ns["d"] = d
    run = cell(shell, "%ygpt similar charged twice --in d --column text --top 3")
    assert run.ok, run.message
    shown, results = table_rows(run.plain), shell.user_ns["_ygpt"].results
    assert [row["row"] for row in shown] == list(results.index) == ["x", "y", "x"]
    for row in shown:
        picked = d.iloc[int(row["position"])]
        assert picked.name == row["row"] and picked["text"] == row["text"]
    assert "d's index repeats labels, so a label may name several rows: pick one by its position, e.g. d.iloc[0]" \
        in run.plain, run.plain


def test_a_similarity_column_of_names_own_is_kept_and_the_scores_go_beside_it(shell, ygpt_server):
    """A frame that has a ``similarity`` column (a rating of the user's) had it overwritten in
    _ygpt.results, and a Series named ``similarity`` had its texts replaced by the scores. The
    user's column keeps its values; the scores go into the first free name, which the output says."""
    frame = pd.DataFrame({"body": CATS, "similarity": ["high", "low", "mid", "low"], "similarity_1": [1, 2, 3, 4]})
    shell.user_ns["frame"] = frame
    run = cell(shell, "%ygpt similar where do cats sleep --in frame --column body --top 2")
    assert run.ok, run.message
    results = shell.user_ns["_ygpt"].results
    assert list(results.columns) == ["body", "similarity", "similarity_1", "similarity_2"]
    assert list(results["similarity"]) == list(frame.loc[results.index, "similarity"])
    assert results["similarity_2"].is_monotonic_decreasing and results["similarity_2"].iloc[0] > 0.2
    assert ("the similarity is in column 'similarity_2': frame has a 'similarity' column of its own, "
            "kept as it is") in run.plain, run.plain
    assert [row["similarity_2"] for row in table_rows(run.plain)] == [f"{s:.3f}" for s in results["similarity_2"]]
    shell.user_ns["similarity"] = pd.Series(CATS, name="similarity")
    run = cell(shell, "%ygpt similar where do cats sleep --in similarity --top 2")
    assert run.ok, run.message
    results = shell.user_ns["_ygpt"].results
    assert list(results["similarity"]) == [CATS[label] for label in results.index]
    assert list(results.columns) == ["similarity", "similarity_1"] and "'similarity_1'" in run.plain


def test_the_readmes_similar_example_ranks_the_broken_items_first(shell, ygpt_server):
    """README: `%ygpt similar "broken on arrival" --in reviews --column text`. A word of exactly
    five letters (broke) got no stem on the local server, so it never met broken, and Works great
    ranked above "Broke after a week, refund" (findings firsthour.md 6)."""
    shell.user_ns["reviews"] = pd.DataFrame({"text": ["Works great", "Broke after a week, refund",
                                                      "Lovely colour, fast delivery", "Arrived broken, box crushed"]})
    run = cell(shell, '%ygpt similar "broken on arrival" --in reviews --column text')
    assert run.ok, run.message
    results = shell.user_ns["_ygpt"].results
    assert list(results["text"][:2]) == ["Arrived broken, box crushed", "Broke after a week, refund"], results
    assert results["similarity"].iloc[1] > 0.1, results
