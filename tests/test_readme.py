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


def test_readme_robustness_snippets_run(tmp_path, monkeypatch):
    """The robustness snippets run as written (the Darfur path is the shared data folder)."""
    from tests.conftest import shared_file

    text = (ROOT / "README.md").read_text()
    blocks = [
        b
        for b in re.findall(r"```python\n(.*?)```", text, re.S)
        if "welfare.robustness import" in b
    ]
    assert len(blocks) == 2
    darfur = shared_file("data", "darfur.csv")
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    for b in blocks:
        b = b.replace('"../shared/data/darfur.csv"', repr(str(darfur)))
        exec(compile(b, "README.md", "exec"), ns)  # noqa: S102 - our own documentation
    assert len(ns["tab"].frame) == 10 and ns["tab"].sample.n_obs == 1073
    assert abs(ns["s"].rv_q - 0.1387764) < 1e-6  # sensemakr's Darfur robustness value
