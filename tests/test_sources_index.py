"""The sources index: an unchanged file is never embedded twice, a changed one re-embeds only
its changed chunks, a fault while embedding keeps every complete file and the next run embeds
only what is missing; a file holding a key is refused by name and nothing of it is stored."""

from __future__ import annotations

import sqlite3

import pytest
from disks import read_only_checkout, small_disk
from sources_helpers import CountingEmbed

from ygpt_magic.client.credentials import Credential
from ygpt_magic.client.guard import check
from ygpt_magic.errors import CredentialInPrompt, CredentialInSource, IndexUnusable, InternalError, NoSources
from ygpt_magic.errors.sources import WINDOWS_1251, worded
from ygpt_magic.sources import Index, gather, index_path

CANARY = "AQVN" + "x7Kp2mQ9vL4nR8sT1wY6zB3cD5fG0hJ2kM9"  # the shape of a Yandex Cloud API key


def paragraphs(name: str, count: int) -> str:
    return "\n\n".join(f"## {name} part {n}\n\n" + " ".join([f"{name}{n}"] * 200) for n in range(count))


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("alpha", "beta", "gamma"):
        (folder / f"{name}.md").write_text(paragraphs(name, 3), encoding="utf-8")
    return tmp_path


def open_index(base, space="doc"):
    return Index(index_path(base / "ygpt.sqlite"), space)


def test_the_index_sits_beside_the_reply_cache(tmp_path):
    assert index_path(tmp_path / "ygpt.sqlite") == tmp_path / "ygpt.sources.sqlite"


def test_an_unchanged_file_is_never_embedded_twice(docs):
    first = CountingEmbed()
    library = gather("docs", open_index(docs), first, base=docs)
    assert library.embedded == 9 and len(first.texts) == 9
    assert sorted(library.documents.values()) == ["docs/alpha.md", "docs/beta.md", "docs/gamma.md"]
    again = CountingEmbed()
    assert gather("docs", open_index(docs), again, base=docs).embedded == 0
    assert again.calls == []


def test_the_index_file_alone_holds_every_file_indexed(docs, tmp_path_factory):
    gather("docs", open_index(docs), CountingEmbed(), base=docs)
    copy = tmp_path_factory.mktemp("copy") / "ygpt.sources.sqlite"
    copy.write_bytes((docs / "ygpt.sources.sqlite").read_bytes())
    assert gather("docs", Index(copy, "doc"), CountingEmbed(), base=docs).embedded == 0


def test_a_changed_file_re_embeds_only_its_changed_chunks(docs):
    gather("docs", open_index(docs), CountingEmbed(), base=docs)
    path = docs / "docs" / "beta.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n\n## beta part 3\n\nA new closing paragraph.",
                    encoding="utf-8")
    embed = CountingEmbed()
    library = gather("docs", open_index(docs), embed, base=docs)
    assert embed.texts == ["## beta part 3\n\nA new closing paragraph."]
    assert library.embedded == 1


def test_a_changed_file_replaces_its_old_version_unless_another_file_still_holds_it(docs):
    """Each version was kept whole, text and vectors, so a file that changes every day grew the
    index by its full size every day."""
    index = open_index(docs)
    (docs / "copy.md").write_text((docs / "docs" / "alpha.md").read_text(encoding="utf-8"), encoding="utf-8")
    gather("docs, copy.md", index, CountingEmbed(), base=docs)
    alpha = docs / "docs" / "alpha.md"
    for day in range(3):
        alpha.write_text(alpha.read_text(encoding="utf-8") + f"\n\nDay {day}.", encoding="utf-8")
        assert gather("docs, copy.md", index, embed := CountingEmbed(), base=docs).embedded == 1
        assert embed.texts[0].endswith(f"Day {day}.")
    db = sqlite3.connect(docs / "ygpt.sources.sqlite")
    # the 3 files and the copy of alpha's first version, which copy.md still holds
    assert db.execute("SELECT COUNT(*) FROM files").fetchone() == (4,)
    assert db.execute("SELECT COUNT(*) FROM texts").fetchone() == (10,)   # 9 first, 1 changed (grows)
    assert gather("copy.md", index, again := CountingEmbed(), base=docs).embedded == 0 and again.calls == []


def test_a_fault_while_embedding_keeps_every_vector_that_came_back_and_the_next_run_embeds_the_rest(docs):
    with pytest.raises(ConnectionError):
        gather("docs", open_index(docs), (first := CountingEmbed(fail_after=2)), base=docs, batch=2)
    rows = sqlite3.connect(docs / "ygpt.sources.sqlite").execute("SELECT COUNT(*), SUM(chunks) FROM files").fetchone()
    assert rows == (1, 3)  # alpha's 3 chunks came in 2 calls, the second with beta's first chunk
    embed = CountingEmbed()
    assert gather("docs", open_index(docs), embed, base=docs).embedded == 5
    assert not set(embed.texts) & set(first.texts), "beta's first chunk was paid for, and kept"
    assert {text.split()[1] for text in embed.texts} == {"beta"} | {"gamma"}


def test_a_file_holding_a_key_is_refused_by_name_and_nothing_is_stored(docs):
    (docs / "notes").mkdir()
    (docs / "notes" / "settings.txt").write_text(f"endpoint: llm.api.cloud.yandex.net\nkey: {CANARY}\n")
    embed = CountingEmbed()
    with pytest.raises(CredentialInSource) as refused:
        gather("docs, notes", open_index(docs), embed, base=docs)
    assert "notes/settings.txt contains what looks like a Yandex Cloud API key" in str(refused.value)
    assert CANARY not in str(refused.value)
    assert embed.calls == []
    stored = b"".join(path.read_bytes() for path in docs.glob("ygpt.sources.sqlite*"))
    assert stored and CANARY[:12].encode() not in stored and b"endpoint" not in stored
    assert b"alpha0" not in stored  # refused before any file was embedded or stored


def test_a_padded_iam_token_of_the_published_shape_is_refused_masked_with_rotation_advice(docs):
    """The published IAM token shape allows ``=`` padding before its dot; the old loose check
    (``t1.`` word, dot, word) missed such a token, and a caller without a guard sent it."""
    token = "t1." + "9euelZqPad" + "Q1x2Y3z4" * 5 + "==." + "sig" + "AbCdEfGhIjKlMnOp" * 5 + "Pd3"
    (docs / "docs" / "deploy.md").write_text(f"Deploy with\n\n    Authorization: Bearer {token}\n")
    embed = CountingEmbed()
    with pytest.raises(CredentialInSource) as refused:
        gather("docs", open_index(docs), embed, base=docs)
    assert str(refused.value).startswith(
        "Nothing was sent or indexed: the file docs/deploy.md contains what looks like a Yandex Cloud IAM token "
        "(t1.9…pPd3), which is not a credential this kernel uses")
    assert "rotate it" in str(refused.value) and token[8:-8] not in str(refused.value)
    assert embed.calls == []


def test_the_kernels_own_credential_is_refused_through_the_guard(docs):
    secret = "local-secret-key-123456"
    (docs / "docs" / "setup.md").write_text(f"Run with key {secret} set.")
    credentials = [Credential("api_key", "YC_API_KEY", secret)]
    with pytest.raises(CredentialInPrompt) as refused:
        gather("docs", open_index(docs), CountingEmbed(), base=docs,
               guard=lambda where, text: check(where, text, credentials))
    assert str(refused.value).startswith("Nothing was sent: the file docs/setup.md contains your api key (from "
                                         "YC_API_KEY)")
    assert secret not in str(refused.value)


def test_nothing_to_read_lists_what_was_skipped_and_what_to_do(tmp_path):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.png").write_bytes(b"\x89PNG")
    (tmp_path / "data.bin").write_bytes(b"\x00\x01\x02")
    with pytest.raises(NoSources) as nothing:
        gather("pics, data.bin, *.docx", Index(None, "doc"), CountingEmbed(), base=tmp_path)
    assert str(nothing.value) == (
        "--docs 'pics, data.bin, *.docx' gave no file to read. Skipped: pics/a.png (not a type --docs reads); "
        "pics (no file --docs reads in it); '*.docx' (the pattern matches nothing); data.bin (binary, not text). "
        "Name text files (.txt, .md, .rst, .py, .ipynb, .csv, .tsv, .json, .html) or PDFs, folders holding them, or "
        "globs such as 'reports/**/*.md' (comma-separated; relative to the notebook's folder), then run the cell "
        "again.")


def test_skipped_files_are_listed_beside_the_ones_read(docs):
    (docs / "docs" / "old.txt").write_bytes("отчёт".encode("cp1251"))
    library = gather("docs", Index(None, "doc"), CountingEmbed(), base=docs)
    assert library.skipped_lines() == [f"docs/old.txt ({worded(WINDOWS_1251, ['docs/old.txt'])})"]


def test_two_paths_with_the_same_content_are_embedded_once(docs):
    (docs / "copy.md").write_text((docs / "docs" / "alpha.md").read_text(encoding="utf-8"), encoding="utf-8")
    library = gather("docs/alpha.md, copy.md", Index(None, "doc"), embed := CountingEmbed(), base=docs)
    assert list(library.documents.values()) == ["docs/alpha.md"] and len(embed.texts) == 3


def test_vectors_of_another_model_are_not_reused(docs):
    gather("docs", open_index(docs, "doc-a"), CountingEmbed(), base=docs)
    assert gather("docs", open_index(docs, "doc-b"), CountingEmbed(), base=docs).embedded == 9


def test_a_file_that_is_not_an_index_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "ygpt.sources.sqlite"
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(IndexUnusable) as refused:
        Index(path, "doc")
    assert str(refused.value) == (
        f"The sources index {str(path)!r} cannot be used: the file is not a sources index (or is damaged). Fix "
        f"the file or its folder, or delete the file: it only saves embedding requests and is rebuilt from your "
        f"files at the next --docs cell.")


def test_an_index_of_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "ygpt.sources.sqlite"
    Index(path, "doc").close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '9' WHERE name = 'schema'")
    with pytest.raises(IndexUnusable, match="written by a newer ygpt_magic"):
        Index(path, "doc")


@pytest.mark.parametrize("where", ["ygpt.sources.sqlite", "cache/ygpt.sources.sqlite"])
def test_an_index_that_cannot_be_created_there_is_kept_in_memory_and_said_once(docs, where):
    """The index only saves requests: where its file cannot be made (the path is a folder, or
    its folder is a file), the cells go on in memory."""
    path = docs / where
    if path.parent == docs:
        path.mkdir()
    else:
        path.parent.write_text("a file, not a folder")
    told: list[str] = []
    index = Index(path, "doc", on_memory=lambda reason: told.append(reason.line()))
    assert gather("docs", index, CountingEmbed(), base=docs).embedded == 9
    assert gather("docs", index, again := CountingEmbed(), base=docs).embedded == 0 and again.calls == []
    why = ("it is a folder; move it out of the way: the index of the reply cache is kept under its name"
           if path.parent == docs
           else f"the file cannot be created there: {str(path.parent)!r} is a file, not a folder")
    assert told == [f"ygpt sources index: {str(path)!r} cannot be used ({why}); this kernel keeps the index in "
                    f"memory instead."]
    assert path.is_dir() if path.parent == docs else path.parent.is_file()


def test_a_read_only_checkout_uses_its_committed_index_in_memory(docs):
    gather("docs", open_index(docs), CountingEmbed(), base=docs)
    for companion in docs.glob("ygpt.sources.sqlite-*"):
        companion.unlink()  # committed: the index file alone
    (docs / "docs" / "delta.md").write_text(paragraphs("delta", 2), encoding="utf-8")
    with read_only_checkout(docs) as checkout:
        told: list[str] = []
        index = Index(index_path(checkout / "ygpt.sqlite"), "doc", on_memory=lambda reason: told.append(reason.problem))
        embed = CountingEmbed()
        assert gather("docs", index, embed, base=checkout).embedded == 2  # only the file it lacks
        assert {text.split()[1] for text in embed.texts} == {"delta"}
        assert len(told) == 1 and told[0] in {  # SQLite's words: by what it failed to write first
            "the file or its folder is read-only",
            f"the file cannot be opened there: the folder {str(checkout)!r} is read-only"}
        index.close()


def test_a_disk_that_fills_up_while_indexing_keeps_every_vector_in_memory(tmp_path):
    (tmp_path / "docs").mkdir()
    for name in (f"file{n}" for n in range(40)):
        (tmp_path / "docs" / f"{name}.md").write_text(paragraphs(name, 3), encoding="utf-8")
    with small_disk(tmp_path / "disk", "128k") as disk:
        told: list[str] = []
        index = Index(disk / "ygpt.sources.sqlite", "doc", on_memory=lambda reason: told.append(reason.problem))
        assert gather("docs", index, CountingEmbed(), base=tmp_path).embedded == 120
        # the files written before it are kept, in memory too
        assert told == ["the disk is full, or the file could not be written"]
        assert gather("docs", index, again := CountingEmbed(), base=tmp_path).embedded == 0 and again.calls == []
        index.close()


def test_an_embed_function_giving_the_wrong_shape_is_our_bug_said_as_such(docs):
    with pytest.raises(InternalError, match="the embed function gave shape"):
        gather("docs", Index(None, "doc"), lambda texts: CountingEmbed()(texts)[:1], base=docs)


def test_a_new_chunking_re_embeds_only_the_chunks_whose_text_it_changed(docs, monkeypatch):
    (docs / "docs" / "long.md").write_text("# Long\n\n" + "One sentence of a long line. " * 300, encoding="utf-8")
    gather("docs", open_index(docs), CountingEmbed(), base=docs)
    monkeypatch.setattr("ygpt_magic.sources.index.CHUNKING", "paragraphs-300-500-v999")
    again = CountingEmbed()
    library = gather("docs", open_index(docs), again, base=docs)
    assert again.texts == [] and len(library.documents) == 4, "every chunk's text is the same: no request"
