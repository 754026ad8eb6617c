"""The README's inequality snippets run as written (a new user copies them)."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_readme_inequality_snippets_run(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    blocks = [
        b
        for b in re.findall(r"```python\n(.*?)```", text, re.S)
        if "welfare.inequality import" in b
    ]
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)  # the Lorenz figure is written here
    ns: dict = {}
    for b in blocks:
        exec(compile(b, "README.md", "exec"), ns)  # noqa: S102 - our own documentation
    assert (tmp_path / "lorenz.png").stat().st_size > 10_000
