"""Full replication run: REPORT.html, byte-identical reruns, --jobs N (issue 8, items 5 and 7).

The fast tests run ``python -m welfare.replicate --only F3,F6,F8`` (all on the SYNTHETIC twin)
three times in fresh processes: serially, with ``--jobs 2``, and with the command recorded in
the first run's manifest. F3 draws a seeded bootstrap, F6 fits pyfixest models with two fixed
effects (whose last digits depend on the string-hash seed), and all three write figures. The
reference for "identical" is the other run's bytes; for the manifest's hashes it is hashlib on
the files; for the HTML it is REPORT.md and the PNG files themselves.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import re
import shlex
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from welfare.errors import ReplicationError, UnknownOptionError, WelfareWarning
from welfare.replicate import run
from welfare.replicate.html import render_html, render_markdown
from welfare.replicate.runner import finding_seed
from welfare.report.tables import Table

SUBSET = "F3,F6,F8"
VOLATILE = {"command", "reproduce", "created_utc", "timings_seconds", "jobs"}


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "welfare.replicate", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("full")
    out = {}
    for key, extra in (("serial", []), ("jobs2", ["--jobs", "2"])):
        p = _cli("--only", SUBSET, "--out", base / key, "--quiet", *extra)
        assert p.returncode == 0, p.stderr
        out[key] = base / key
    # the rerun: exactly the command the manifest says reproduces the first run (other folder)
    cmd = json.loads((out["serial"] / "manifest.json").read_text())["reproduce"]
    argv = shlex.split(cmd.replace(str(out["serial"]), str(base / "rerun")))
    assert argv[:3] == ["python", "-m", "welfare.replicate"]
    p = _cli(*argv[3:], "--quiet")
    assert p.returncode == 0, p.stderr
    out["rerun"] = base / "rerun"
    return out


def _files(folder: Path) -> dict[str, bytes]:
    """Every table, figure and sample.csv of a run, by relative path."""
    files = [folder / "sample.csv", *(folder / "tables").iterdir(), *(folder / "figures").iterdir()]
    return {f.relative_to(folder).as_posix(): f.read_bytes() for f in files}


def _assert_identical(a: Path, b: Path) -> None:
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb)
    differ = [k for k in fa if fa[k] != fb[k]]
    assert not differ, f"files differ between {a.name} and {b.name}: {differ}"
    assert sum(k.endswith(".png") for k in fa) >= 6 and sum(k.endswith(".csv") for k in fa) >= 8


def test_rerun_with_the_manifest_command_is_byte_identical(runs):
    _assert_identical(runs["serial"], runs["rerun"])


def test_jobs_2_is_byte_identical_to_serial(runs):
    _assert_identical(runs["serial"], runs["jobs2"])


def test_report_md_and_html_differ_only_in_the_created_time(runs):
    for name in ("REPORT.md", "REPORT.html"):
        a = (runs["serial"] / name).read_text().splitlines()
        b = (runs["jobs2"] / name).read_text().splitlines()
        changed = [
            line
            for line in difflib.unified_diff(a, b, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert len(changed) == 2, changed  # one line out, one line in
        assert all("Seed: 20190601" in x and "created 20" in x for x in changed), changed
        strip = [re.sub(r"created \S+;", "created T;", x[1:]) for x in changed]
        assert strip[0] == strip[1]


def test_manifest_carries_what_a_rerun_needs(runs):
    ma = json.loads((runs["serial"] / "manifest.json").read_text())
    mb = json.loads((runs["jobs2"] / "manifest.json").read_text())
    assert {k: v for k, v in ma.items() if k not in VOLATILE} == {
        k: v for k, v in mb.items() if k not in VOLATILE
    }
    assert ma["jobs"] == 1 and mb["jobs"] == 2
    assert ma["seed"] == 20190601 and ma["python_hash_seed"] == "0"
    assert ma["findings"] == SUBSET.split(",")
    assert {"python", "numpy", "pandas", "pyfixest", "matplotlib"} <= set(ma["versions"])
    assert len(ma["data"]["sha256"]) == 64
    assert all(len(o["sha256"]) == 64 for o in ma["data"]["other_data"])
    # the recorded hash of every output file equals hashlib on the file as written
    files = _files(runs["serial"])
    assert sorted(ma["outputs_sha256"]) == sorted(files)
    for name, data in files.items():
        assert ma["outputs_sha256"][name] == hashlib.sha256(data).hexdigest(), name
    # per-finding seeds: first 4 bytes of sha256("welfare:<seed>:<id>"), mod 2^31
    for fid in SUBSET.split(","):
        digest = hashlib.sha256(f"welfare:20190601:{fid}".encode()).digest()
        assert ma["finding_seeds"][fid] == int.from_bytes(digest[:4], "big") % 2**31
    assert len(set(ma["finding_seeds"].values())) == 3
    # F3's bootstrap note names the seed that F3 received, not the run's seed
    f3 = (runs["serial"] / "tables" / "F3_gini_by_source.md").read_text()
    assert f"seed {ma['finding_seeds']['F3']}" in f3


class _Collect(HTMLParser):
    """Tags, text of h2, image sources and unbalanced tags of an HTML page."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.h2, self.imgs, self.tags = [], [], [], [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.imgs.append(dict(attrs)["src"])
        if tag in ("a", "link", "script"):
            self.errors.append(f"external reference <{tag}>")
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "h2":
            self._in_h2, self._text = True, ""

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")
        if tag == "h2":
            self._in_h2 = False
            self.h2.append(self._text)

    def handle_data(self, data):
        if self._in_h2:
            self._text += data


def test_html_report_has_the_sections_tables_and_figures_of_the_markdown(runs):
    out = runs["serial"]
    md = (out / "REPORT.md").read_text()
    page = (out / "REPORT.html").read_text()
    p = _Collect()
    p.feed(page)
    assert not p.errors and not p.stack
    assert p.h2 == [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert len(p.h2) == 8
    assert p.tags.count("table") == md.count("\n|---|") > 10
    figs = re.findall(r"^!\[[^]]*\]\(([^)]+)\)$", md, flags=re.M)
    assert len(figs) == len(p.imgs) >= 6
    for rel, src in zip(figs, p.imgs, strict=True):
        prefix = "data:image/png;base64,"
        assert src.startswith(prefix)
        assert base64.b64decode(src[len(prefix) :]) == (out / rel).read_bytes()
    assert "SYNTHETIC DATA" in page and "not evidence about China" in page
    assert '<div class="banner">' in page
    # notes are escaped ("p<0.1" in a note must not open a tag)
    assert "* p&lt;0.1" in page and "* p<0.1" not in page


def test_render_html_and_markdown_on_a_hand_made_report(tmp_path):
    png = tmp_path / "figures" / "x.png"
    png.parent.mkdir()
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 4)
    body = pd.DataFrame({"est": ["0.5 <1>"]}, index=["a&b"])
    t = Table(title="T <1>", body=body, notes=("p<0.1",))
    blocks = [
        ("h1", "R"),
        ("banner", ["**SYN** `x`"]),
        ("p", "a < b"),
        ("ul", ["i"]),
        ("table", t, "T1"),
        ("figure", "figures/x.png", "F9"),
    ]
    page = render_html(blocks, base=tmp_path, title="t")
    body_html = page.split("<body>\n")[1].split("\n</body>")[0]
    assert body_html == "\n".join(
        [
            "<h1>R</h1>",
            '<div class="banner"><strong>SYN</strong> <code>x</code></div>',
            "<p>a &lt; b</p>",
            "<ul>\n<li>i</li>\n</ul>",
            "<h4>T &lt;1&gt;</h4>",
            "<table>",
            "<thead><tr><th></th><th>est</th></tr></thead>",
            "<tbody>",
            "<tr><td>a&amp;b</td><td>0.5 &lt;1&gt;</td></tr>",
            "</tbody>",
            "</table>",
            '<p class="note">p&lt;0.1</p>',
            '<p class="files">Files: <code>tables/T1.md</code>, <code>.tex</code>, '
            "<code>.csv</code></p>",
            '<figure><img alt="F9" src="data:image/png;base64,iVBORw0KGgoAAAAA">'
            "<figcaption><code>figures/x.png</code></figcaption></figure>",
        ]
    )
    assert base64.b64encode(png.read_bytes()).decode() == "iVBORw0KGgoAAAAA"
    md = render_markdown(blocks)
    assert md.startswith("# R\n\n> **SYN** `x`\n\na < b\n\n- i\n\n" + t.to_markdown())
    assert md.endswith("Files: `tables/T1.md`, `.tex`, `.csv`\n\n![F9](figures/x.png)\n\n")
    (tmp_path / "figures" / "bad.png").write_text("not a png")
    with pytest.raises(ReplicationError, match="expected a PNG"):
        render_html([("figure", "figures/bad.png", "F")], base=tmp_path)
    with pytest.raises(ReplicationError, match="expected report blocks"):
        render_markdown([("h3", "x")])


@pytest.mark.parametrize("jobs", [0, -1, True, 1.5, "2"])
def test_bad_jobs_is_a_named_error_before_any_output(tmp_path, jobs):
    with pytest.raises(UnknownOptionError, match=r"jobs=.*expected a positive integer"):
        run(out=tmp_path / "o", only=["F8"], progress=False, jobs=jobs)
    assert not (tmp_path / "o").exists()


def test_cli_bad_jobs_is_a_one_line_error(tmp_path):
    p = _cli("--only", "F8", "--out", tmp_path / "o", "--jobs", "0")
    assert p.returncode == 2 and "Traceback" not in p.stderr and "jobs=0" in p.stderr


def test_in_process_parallel_run_returns_the_same_results(tmp_path):
    """run(jobs=2) ships results back from worker processes: same Results, same files."""
    serial = run(out=tmp_path / "s", only=["F4", "F8"], progress=False)
    with pytest.warns(WelfareWarning) if sys.flags.hash_randomization else _nullcontext():
        par = run(out=tmp_path / "p", only=["F4", "F8"], progress=False, jobs=2)
    assert list(par) == ["F4", "F8"]
    for fid in par:
        assert list(par[fid].results) == list(serial[fid].results)
        for name, r in serial[fid].results.items():
            pd.testing.assert_frame_equal(par[fid].results[name].tidy(), r.tidy())
        assert par[fid].here == serial[fid].here
    assert _files(tmp_path / "s") == _files(tmp_path / "p")  # F4, F8 fit no multi-FE model


def _nullcontext():
    import contextlib

    return contextlib.nullcontext()


def test_finding_seed_depends_only_on_seed_and_finding():
    assert finding_seed(20190601, "F2") == finding_seed(20190601, "F2")
    assert finding_seed(20190601, "F2") != finding_seed(20190601, "F3")
    assert finding_seed(20190601, "F2") != finding_seed(20190602, "F2")
    digest = hashlib.sha256(b"welfare:7:F1").digest()
    assert finding_seed(7, "F1") == int.from_bytes(digest[:4], "big") % 2**31


@pytest.mark.slow
def test_full_run_jobs_1_and_2_byte_identical(tmp_path):
    """Every finding F1-F8: serial and --jobs 2 write the same tables and figures."""
    for key, extra in (("s", []), ("j", ["--jobs", "2"])):
        p = _cli("--out", tmp_path / key, "--quiet", *extra)
        assert p.returncode == 0, p.stderr
    _assert_identical(tmp_path / "s", tmp_path / "j")
    assert len(_files(tmp_path / "s")) > 100


def test_a_stale_finding_script_ahead_on_sys_path_is_refused(tmp_path, monkeypatch):
    """A copy of a finding script outside this installation (an old checkout in the working
    directory) once produced an F2 report without its robustness section, silently."""
    from welfare.replicate import runner

    stale = tmp_path / "stale_code"
    stale.mkdir()
    (stale / "stale_f4.py").write_text("def run(ctx):\n    raise AssertionError('ran')\n")
    monkeypatch.syspath_prepend(str(stale))
    monkeypatch.setitem(runner.FINDINGS, "F4", "stale_f4")
    with pytest.raises(ReplicationError, match=r"F4: expected the script stale_f4 under this"):
        run(out=tmp_path / "out", only=["F4"], progress=False)
    # the manifest says where the code came from
    run(out=tmp_path / "ok", only=["F8"], progress=False)
    code = json.loads((tmp_path / "ok" / "manifest.json").read_text())["code"]
    assert Path(code["root"]) == Path(runner.__file__).resolve().parents[2]
