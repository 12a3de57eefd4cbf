"""The floors in pyproject.toml hold: each is a version that can be installed and works.

They lied before: ``grpcio>=1.60``, ``protobuf>=5.26``, ``yandexcloud>=0.300`` and
``cryptography>=41`` sat below what every SDK we allow requires, so no install ever had them;
``wcwidth>=0.2`` allowed 0.2.0-0.2.5, which import pkg_resources (gone from setuptools 81+), so
``import ygpt_magic.panel`` failed; and the classifiers named Python 3.11 alone, while 3.10-3.13
all work (a wheel installed and toured on each).

No network here: the oldest SDK chain's floors are written below, from the METADATA of the
oldest versions our floor allows, and checked against the installed SDK's metadata (an SDK only
raises its floors, so a floor written here above today's is a typo)."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
#: the oldest SDK our floor allows, and what it and its chain require (yandex-cloud-ml-sdk 0.19.0
#: needs yandex-ai-studio-sdk>=0.19; 0.19.0 of that needs yandexcloud>=0.359.0, grpcio>=1.70.0 and
#: typing-extensions>=4; yandexcloud 0.359.0 needs grpcio>=1.68.1, protobuf>=5.29.1, cryptography>=44.0.0)
OLDEST_SDK = Version("0.19")
OLDEST_CHAIN = {"yandex-ai-studio-sdk": Version("0.19"), "yandexcloud": Version("0.359.0"),
                "grpcio": Version("1.70.0"), "protobuf": Version("5.29.1"), "cryptography": Version("44.0.0"),
                "typing-extensions": Version("4")}
SDK_CHAIN = ("yandex-cloud-ml-sdk", "yandex-ai-studio-sdk", "yandexcloud")
#: the first wcwidth that imports without pkg_resources (0.2.1 did too, 0.2.2-0.2.5 did not)
WCWIDTH_WORKS = Version("0.2.6")
#: the newest Python a wheel was installed and toured on
NEWEST_PYTHON = (3, 13)


def project() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def floors() -> dict[str, Version]:
    """Our dependencies by name, with the version each is pinned at or above."""
    found = {}
    for line in project()["dependencies"]:
        requirement = Requirement(line)
        lows = [Version(spec.version) for spec in requirement.specifier if spec.operator in (">=", "==", "~=")]
        found[requirement.name.lower()] = max(lows, default=Version("0"))
    return found


def sdk_requires() -> dict[str, Version]:
    """What the installed SDK chain requires, by name, at its floor (its unconditional needs)."""
    found: dict[str, Version] = {}
    for name in SDK_CHAIN:
        for line in metadata.requires(name) or ():
            requirement = Requirement(line)
            if requirement.marker is not None:
                continue
            lows = [Version(spec.version) for spec in requirement.specifier if spec.operator == ">="]
            found[requirement.name.lower()] = max([*lows, found.get(requirement.name.lower(), Version("0"))])
    return found


def test_no_floor_is_below_what_the_oldest_sdk_brings():
    ours = floors()
    assert ours["yandex-cloud-ml-sdk"] == OLDEST_SDK, "the SDK's floor moved: write its chain's floors above"
    low = {name: (ours[name], need) for name, need in OLDEST_CHAIN.items() if name in ours and ours[name] < need}
    assert not low, f"floors no install can have (ours, the oldest SDK's): {low}"


def test_every_package_we_share_with_the_sdk_is_checked_here():
    shared = set(floors()) & set(sdk_requires())
    assert shared <= set(OLDEST_CHAIN), f"add the oldest SDK's floor of {shared - set(OLDEST_CHAIN)} to OLDEST_CHAIN"


def test_the_oldest_chain_written_here_is_not_above_the_installed_sdks():
    today = sdk_requires()
    above = {name: (need, today[name]) for name, need in OLDEST_CHAIN.items() if name in today and need > today[name]}
    assert not above, f"floors written here above what the installed SDK requires: {above}"


def test_wcwidth_floor_imports_without_pkg_resources():
    assert floors()["wcwidth"] >= WCWIDTH_WORKS


def test_the_classifiers_name_every_python_that_works():
    listed = {tuple(int(part) for part in c.rsplit(" ", 1)[1].split("."))
              for c in project()["classifiers"] if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    oldest = tuple(int(part) for part in project()["requires-python"].removeprefix(">=").split("."))
    assert listed == {(3, minor) for minor in range(oldest[1], NEWEST_PYTHON[1] + 1)}
