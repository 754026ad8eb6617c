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


def test_readme_f5_f7_snippets_run(tmp_path, monkeypatch):
    """The consumption-growth, county and inclusion snippets run as written, in order."""
    text = (ROOT / "README.md").read_text()
    keys = ("welfare.consumption import", "welfare.county import", "welfare.inclusion import")
    blocks = [
        b for b in re.findall(r"```python\n(.*?)```", text, re.S) if any(k in b for k in keys)
    ]
    assert len(blocks) == 3
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    for b in blocks:
        exec(compile(b, "README.md", "exec"), ns)  # noqa: S102 - our own documentation
    # the snippets' objects are the documented ones
    assert ns["fit"].coefficients.synthetic and "edi_lag:rural" in ns["fit"].coefficients.terms
    assert ns["obi"].vcov_spec.n_clusters == 2000
    assert "e_household" in ns["op"].terms
