"""Every subpackage ships: pyproject's package list names each folder with an __init__.py."""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT


def test_every_subpackage_is_listed_in_pyproject():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(conf["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "welfare").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found - listed == set(), f"subpackages missing from pyproject: {found - listed}"
