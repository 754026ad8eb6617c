"""``python -m welfare.replicate``: run the replication scripts and write the report.

Output folder layout::

    REPORT.md            each finding beside the report's claim, with what was skipped and why
    REPORT.html          the same report, self-contained (HTML tables, figures as base64 PNG)
    manifest.json        seed and per-finding seeds, versions, data hashes, the command that
                         reproduces the run, SHA-256 of every output file, timings
    sample.csv           rows in the analysis sample and rows left out, by reason
    tables/*.md|tex|csv  every table (CSV = tidy numbers at full precision)
    figures/*.png        figures
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import pickle
import platform
import shlex
import sys
import time
import tomllib
import warnings
from dataclasses import replace
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import pandas as pd

from welfare._options import strict_keywords
from welfare.data.readers import SurveyData, read_survey
from welfare.data.sample import EstimationSample, build_sample
from welfare.datasets.county import county_panel
from welfare.datasets.household_panel import household_panel
from welfare.datasets.taobao import DEFAULT_SEED, taobao_village_survey
from welfare.errors import ReplicationError, UnknownOptionError, WelfareError, WelfareWarning
from welfare.replicate.context import TWIN_SPEC, AnalysisSpec, Context, FindingResult
from welfare.replicate.html import render_html, render_markdown

__all__ = ["run", "main", "FINDINGS", "analysis_sample", "finding_seed"]

# finding id -> module in welfare.replication (None: not implemented in this version)
FINDINGS: dict[str, str | None] = {
    "F1": "welfare.replication.f1_participation",
    "F2": "welfare.replication.f2_income_premium",
    "F3": "welfare.replication.f3_inequality",
    "F4": "welfare.replication.f4_wages",
    "F5": "welfare.replication.f5_consumption",
    "F6": "welfare.replication.f6_counties",
    "F7": "welfare.replication.f7_inclusion",
    "F8": "welfare.replication.f8_concentration",
}

_PACKAGES = (
    "welfare",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pyfixest",
    "formulaic",
    "scikit-learn",
    "matplotlib",
    "seaborn",
    "pyreadstat",
)


def _claims() -> dict:
    return tomllib.loads(resources.files("welfare.replicate").joinpath("claims.toml").read_text())


def analysis_sample(survey: SurveyData, spec: AnalysisSpec) -> tuple[SurveyData, EstimationSample]:
    """Complete cases over every column the findings use (one sample for all findings).

    Returns the subset (a new frame; the input is not modified) and the sample with the rows
    left out by reason.
    """
    roles = [
        ("participation", [spec.participation]),
        ("outcome", [spec.outcome]),
        (
            "covariate",
            list(
                dict.fromkeys(
                    spec.participation_covariates + spec.premium_controls + spec.interactions
                )
            ),
        ),
        ("fixed effect", list(spec.fixed_effects)),
    ]
    missing = [c for c in spec.columns if c not in survey.data.columns]
    if missing:
        raise ReplicationError(
            f"the [analysis] section names column(s) {missing} that the data do not have; "
            f"expected schema or [extra] names among {list(survey.data.columns)}"
        )
    design_cols = [("design", survey.design.columns)] if survey.design.columns else []
    sample = build_sample(survey.data, roles + design_cols)
    sub = survey.data.loc[sample.mask].reset_index(drop=True)
    sub.attrs = dict(survey.data.attrs)
    return replace(survey, data=sub), sample


def _inclusion_with_covariates(twin) -> SurveyData:
    """Return the twin's inclusion module with the head's age and income per person added."""
    inc = twin.inclusion_survey
    frame = inc.data.merge(
        twin.data[["hh_id", "head_age", "income_pc"]], on="hh_id", how="left", validate="1:1"
    )
    frame.attrs = dict(inc.data.attrs)
    return replace(inc, data=frame)


def _frame_hash(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(",".join(map(str, frame.columns)).encode())
    h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()


def _other_data(ctx: Context) -> list[dict]:
    """Label, source, rows and hash of the data besides the household survey (F5-F8)."""
    out = []
    for name, frame, source in (
        ("county panel", ctx.counties, "welfare.datasets.county_panel"),
        ("household panel", ctx.households, "welfare.datasets.household_panel"),
        (
            "inclusion module",
            None if ctx.inclusion is None else ctx.inclusion.data,
            "welfare.datasets.taobao_village_survey (inclusion)",
        ),
    ):
        if frame is not None:
            out.append(
                {
                    "name": name,
                    "label": str(frame.attrs.get("welfare_label", "")),
                    "source": source,
                    "rows": int(len(frame)),
                    "sha256": _frame_hash(frame),
                }
            )
    return out


def _check_out(out: Path) -> None:
    """Refuse a non-empty folder that is not an earlier welfare output (nothing is removed)."""
    if out.exists() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise ReplicationError(
            f"--out {str(out)!r} is a non-empty folder that is not a welfare output "
            "(no manifest.json); expected a new or an earlier welfare output folder"
        )


def _prepare_out(out: Path) -> Path:
    """Create the output folder; clear the files of an earlier welfare run inside it.

    A non-empty folder that is not an earlier welfare output is refused, so nothing of the
    user's is overwritten; an earlier run's tables and figures are removed so that no stale
    file (another seed, another --only) sits beside the new ones.
    """
    if out.exists() and any(out.iterdir()):
        _check_out(out)
        for sub, exts in (("tables", {".md", ".tex", ".csv"}), ("figures", {".png"})):
            for f in (out / sub).glob("*"):
                if f.suffix in exts:
                    f.unlink()
        for name in ("REPORT.md", "REPORT.html", "manifest.json", "sample.csv"):
            (out / name).unlink(missing_ok=True)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    return out


def resolve_codebook(codebook: str | Path) -> Path:
    """Return a codebook path, or the path of a codebook shipped with welfare by its name.

    ``"nsw_dw"`` (or ``"nsw_dw.toml"``) finds the shipped NSW codebook from any folder.

    Raises
    ------
    FileNotFoundError
        Neither a file nor a shipped codebook of that name.
    """
    p = Path(codebook)
    if p.exists():
        return p
    shipped = resources.files("welfare.replication.codebooks")
    for name in (p.name, f"{p.name}.toml"):
        cand = shipped.joinpath(name)
        if cand.is_file():
            return Path(str(cand))
    names = sorted(f.name for f in shipped.iterdir() if f.name.endswith(".toml"))
    raise FileNotFoundError(
        f"codebook {str(codebook)!r} not found; expected a file path or a shipped codebook "
        f"name among {names}"
    )


def _data_hash(survey: SurveyData) -> str:
    return survey.sha256 or _frame_hash(survey.data)


#: Folder holding the ``welfare`` package (and, in a development install, ``replication/``).
_CODE_ROOT = Path(__file__).resolve().parents[2]


def _finding_module(fid: str):
    """Import a finding's script, refusing one from outside this installation of welfare.

    A folder on ``sys.path`` ahead of the installation (e.g. an older checkout under the
    working directory) could otherwise supply a stale script to a current runner, silently.
    """
    mod = importlib.import_module(FINDINGS[fid])
    where = Path(getattr(mod, "__file__", "") or "").resolve()
    if _CODE_ROOT not in where.parents:
        raise ReplicationError(
            f"{fid}: expected the script {FINDINGS[fid]} under this installation of welfare "
            f"({_CODE_ROOT}), found it at {where}; another copy of the package is ahead on "
            "sys.path (run from another folder, or remove the stale copy)"
        )
    return mod


def _code() -> dict[str, str | None]:
    """Where the code came from: the installation folder and its git commit, if any."""
    commit = None
    head = _CODE_ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref_file = _CODE_ROOT / ".git" / ref[5:]
            commit = ref_file.read_text().strip() if ref_file.is_file() else None
            if commit is None:  # a packed ref
                packed = (_CODE_ROOT / ".git" / "packed-refs").read_text().splitlines()
                commit = next((ln.split()[0] for ln in packed if ln.endswith(ref[5:])), None)
        else:
            commit = ref
    except OSError:
        pass
    return {"root": str(_CODE_ROOT), "git_commit": commit}


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in _PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


@strict_keywords
def run(
    *,
    data: str | Path | None = None,
    codebook: str | Path | None = None,
    out: str | Path = "welfare-replication",
    only: list[str] | None = None,
    seed: int = DEFAULT_SEED,
    progress: bool = True,
    jobs: int = 1,
) -> dict[str, FindingResult]:
    """Run the replication scripts and write tables, figures, manifest and REPORT.md.

    Parameters
    ----------
    data : str or pathlib.Path, optional
        A user's file (.csv, .parquet, .dta). Default: the synthetic twin generated with ``seed``.
    codebook : str or pathlib.Path, optional
        Codebook for ``data`` (required with ``data``; its ``[analysis]`` says what to run).
    out : str or pathlib.Path, default "welfare-replication"
    only : list of str, optional
        Finding ids (e.g. ``["F1", "F2"]``).
    seed : int, default 20190601
        Seed of the synthetic twin (and of any randomised step).
    progress : bool, default True
        Print one line per step.
    jobs : int, default 1
        Findings run in parallel in this many processes (joblib, loky backend), and inside a
        finding the resampling and independent fits (cross-fitting folds, the rows of the
        robustness table, the specification curve, placebo permutation blocks) run on this
        many workers (:func:`welfare._parallel.parallel_map`; nested in a finding's process,
        joblib uses threads). 1 runs everything one step after the other in this process.
        Finding ``f`` receives the seed :func:`finding_seed` ``(seed, f)``, whatever the number
        of jobs or the worker that runs it, and no random draw depends on how work is split,
        so tables and figures are byte-identical for any ``jobs``.

    Returns
    -------
    dict of str to FindingResult

    Raises
    ------
    ReplicationError
        Unknown or unimplemented finding ids; data without a codebook.
    UnknownOptionError
        ``jobs`` is not a positive integer.

    Notes
    -----
    Outputs: ``REPORT.md`` and ``REPORT.html`` (the same blocks rendered twice; the HTML
    embeds every table and figure), ``manifest.json`` (seed and per-finding seeds, package
    versions, data hashes, the command that reproduces the run and the SHA-256 of every table
    and figure), ``sample.csv``, ``tables/`` and ``figures/``. Two runs with the same seed,
    data and versions write byte-identical tables and figures; REPORT.md and the manifest differ
    only in the creation time, timings, command and output folder.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int | np.integer) or jobs < 1:
        raise UnknownOptionError(
            f"jobs={jobs!r} is not allowed; expected a positive integer (1 runs the findings "
            "one after the other)"
        )
    jobs = int(jobs)
    t_start = time.perf_counter()
    say = print if progress else (lambda *a, **k: None)
    ids = list(FINDINGS) if not only else [f.strip().upper() for f in only]
    unknown = [f for f in ids if f not in FINDINGS]
    if unknown:
        raise ReplicationError(f"unknown finding(s) {unknown}; expected some of {list(FINDINGS)}")
    not_impl = [f for f in ids if FINDINGS[f] is None]
    if only and not_impl:
        raise ReplicationError(
            f"finding(s) {not_impl} are not implemented in this version; implemented: "
            f"{[k for k, v in FINDINGS.items() if v]}"
        )
    _check_out(Path(out))  # the folder is cleared only once the data have been read
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if data is None:
        if codebook is not None:
            raise ReplicationError("--codebook given without --data")
        say(f"[data] generating the SYNTHETIC twin of the Taobao Village Survey (seed {seed})")
        twin = taobao_village_survey(seed)
        survey, truth, spec = twin.survey, dict(twin.truth), TWIN_SPEC
        population = twin.population
        workers = twin.worker_survey
        panel = county_panel(seed)
        counties, county_truth = panel.data, panel.truth
        inclusion = _inclusion_with_covariates(twin)
        hp = household_panel(seed, counties=panel)
        households, household_truth = hp.data, hp.truth
        spec = replace(spec, label=survey.label)
    else:
        if codebook is None:
            raise ReplicationError(
                "--data needs --codebook: the codebook maps the file's columns onto welfare's "
                "schema and says what to analyse ([analysis])"
            )
        say(f"[data] reading {data} with codebook {codebook}")
        codebook = resolve_codebook(codebook)
        survey = read_survey(data, codebook)
        truth, population = None, None
        workers, counties, county_truth, inclusion = None, None, None, None
        households, household_truth = None, None
        spec = AnalysisSpec.from_codebook(survey.codebook.analysis, survey.label)
    full, sample = analysis_sample(survey, spec)
    timings["data"] = time.perf_counter() - t0
    say(f"[data] {survey.label}: {sample.describe()}")
    out = _prepare_out(Path(out))
    sample.report().to_csv(out / "sample.csv", index=False)
    ctx = Context(
        survey=full,
        spec=spec,
        truth=truth,
        out=out,
        seed=seed,
        population=population,
        workers=workers,
        counties=counties,
        county_truth=county_truth,
        inclusion=inclusion,
        households=households,
        household_truth=household_truth,
        jobs=jobs,
    )
    todo = [fid for fid in ids if FINDINGS[fid] is not None]
    seeds = {fid: finding_seed(seed, fid) for fid in todo}
    results: dict[str, FindingResult] = {}
    if jobs == 1 or len(todo) <= 1:
        for fid in todo:
            say(f"[{fid}] running {FINDINGS[fid].rsplit('.', 1)[-1]} (seed {seeds[fid]}) ...",
                flush=True)  # fmt: skip
            results[fid], timings[fid] = _run_finding(fid, ctx, seeds[fid])
            _say_done(say, fid, results[fid], timings[fid])
    else:
        from joblib import Parallel, delayed

        say(f"[jobs] running {', '.join(todo)} in {min(jobs, len(todo))} processes", flush=True)
        if _hash_seed() == "random":
            warnings.warn(
                "string hashing is randomised in this process (PYTHONHASHSEED unset): pyfixest "
                "demeans two or more fixed effects in a hash-dependent order, so the last digits "
                "of F5/F6 estimates can differ from a serial run; set PYTHONHASHSEED=0 (as "
                "`python -m welfare.replicate` does) for byte-identical output",
                WelfareWarning,
                stacklevel=2,
            )
        payload = _dumps(ctx)
        # each task carries its finding's own seed: the output does not depend on which worker
        # runs which finding, nor on the order in which they finish
        # joblib caps each worker's BLAS/OpenMP threads at cores // workers (no oversubscription)
        done = Parallel(n_jobs=min(jobs, len(todo)), backend="loky")(
            delayed(_run_finding_pickled)(fid, payload, seeds[fid]) for fid in todo
        )
        for fid, blob in zip(todo, done, strict=True):
            results[fid], timings[fid] = pickle.loads(blob)
            _say_done(say, fid, results[fid], timings[fid])
    timings["total"] = time.perf_counter() - t_start
    manifest = {
        "command": " ".join(sys.argv) if sys.argv else "",
        "reproduce": _reproduce_command(data, codebook, only, seed, out),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {
            "label": survey.label,
            "synthetic": survey.synthetic,
            "source": str(data) if data else "welfare.datasets.taobao_village_survey",
            "other_data": _other_data(ctx),
            "codebook": str(codebook) if codebook else None,
            "sha256": _data_hash(survey),
            "rows": int(len(survey.data)),
            "analysis_sample": sample.n_obs,
            "dropped": dict(sample.dropped),
            "design": survey.design.describe(),
            "participation_column": spec.participation,
            "compare_with_report": spec.compare_with_report,
            "participation": ctx.describe(spec.participation),
            "outcome": ctx.describe(spec.outcome),
        },
        "seed": seed,
        "finding_seeds": seeds,
        "findings": list(results),
        "jobs": jobs,
        "python_hash_seed": _hash_seed(),
        "versions": _versions(),
        "code": _code(),
        "platform": {"system": platform.system(), "machine": platform.machine()},
        "outputs_sha256": _output_hashes(out),
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    _write_report(out, survey, sample, results, manifest)
    say(f"[done] {out / 'REPORT.md'} ({timings['total']:.1f} s)")
    return results


def finding_seed(seed: int, finding: str) -> int:
    r"""Seed of one finding, derived from the run's seed and the finding's id.

    .. math::

        s_f = \left\lfloor \mathrm{SHA256}(\text{"welfare:}\,seed\,\text{:}\,f\text{"})
        _{[0, 4)} \right\rfloor_{\text{big-endian}} \bmod 2^{31}

    (the first four bytes of the digest, big-endian, as a non-negative 31-bit integer). It
    depends on nothing else (not on the worker, the number of jobs or the order of the
    findings), so a finding's random draws are the same in a serial and in a parallel run, and
    different findings draw from different streams. The derivation follows the advice to seed
    parallel tasks from a key per task rather than per worker (Salmon, Moraes, Dror & Shaw
    2011, "Parallel random numbers: as easy as 1, 2, 3", SC'11, DOI 10.1145/2063384.2063405).

    Parameters
    ----------
    seed : int
        The run's seed (``--seed``).
    finding : str
        Finding id, e.g. ``"F2"``.

    Returns
    -------
    int
        In ``[0, 2**31)``.
    """
    digest = hashlib.sha256(f"welfare:{int(seed)}:{finding}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


def _run_finding(fid: str, ctx: Context, seed: int) -> tuple[FindingResult, float]:
    """Run one finding's script with its own seed and write its tables.

    BLAS and OpenMP run on one thread inside a finding, in this process and in a worker alike:
    a multi-threaded matrix product splits its sums by thread count, so its last bits (e.g.
    F2's 999 placebo regressions) would depend on how many workers share the cores; spare
    cores go to the finding's own parallel tasks instead (``ctx.jobs``,
    :mod:`welfare._parallel`). The finding's numbers are the same for any ``jobs``.
    """
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    t0 = time.perf_counter()
    with threadpool_limits(limits=1):  # BLAS and OpenMP (see welfare._parallel)
        res = _finding_module(fid).run(replace(ctx, seed=seed))
    out = ctx.out
    named = list(res.tables.items())
    if res.truth_table is not None:
        named.append((f"{fid}_truth", res.truth_table))
    for name, table in named:
        (out / "tables" / f"{name}.md").write_text(table.to_markdown())
        (out / "tables" / f"{name}.tex").write_text(table.to_latex())
        table.to_csv(out / "tables" / f"{name}.csv")
    return res, time.perf_counter() - t0


def _say_done(say, fid: str, res: FindingResult, seconds: float) -> None:
    say(
        f"[{fid}] done in {seconds:.1f} s: {len(res.tables)} table(s), {len(res.figures)} figure(s)"
    )


def _dumps(obj) -> bytes:
    """Pickle for the worker processes.

    cloudpickle also ships the ``refit`` closures of Results, whose immutable slots
    ``Results.__reduce__`` rebuilds.
    """
    import cloudpickle

    return cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def _run_finding_pickled(fid: str, payload: bytes, seed: int) -> bytes:
    """Worker side of ``jobs > 1``: the context arrives pickled, the result leaves pickled."""
    ctx = pickle.loads(payload)
    return _dumps(_run_finding(fid, ctx, seed))


def _hash_seed() -> str:
    """Return the string-hash seed of this process: PYTHONHASHSEED, or "random"."""
    if sys.flags.hash_randomization:
        return "random"
    return os.environ.get("PYTHONHASHSEED", "0")


def _reproduce_command(data, codebook, only, seed: int, out) -> str:
    """Return the command line that reruns this run (same seed, data, codebook and findings)."""
    parts = ["python", "-m", "welfare.replicate", "--seed", str(seed)]
    if data is not None:
        parts += ["--data", str(data), "--codebook", str(codebook)]
    if only:
        parts += ["--only", ",".join(f.strip().upper() for f in only)]
    parts += ["--out", str(out)]
    return shlex.join(parts)


def _output_hashes(out: Path) -> dict[str, str]:
    """SHA-256 of every table, figure and ``sample.csv`` (paths relative to ``out``)."""
    files = [out / "sample.csv", *sorted((out / "tables").glob("*")),
             *sorted((out / "figures").glob("*.png"))]  # fmt: skip
    return {
        f.relative_to(out).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in files
        if f.is_file()
    }


def _n_participants(survey: SurveyData, sample: EstimationSample, manifest) -> float:
    """Count the participants in the analysis sample."""
    col = manifest["data"]["participation_column"]
    return float(survey.data.loc[sample.mask, col].sum())


def _report_blocks(out: Path, survey: SurveyData, sample: EstimationSample, results, manifest):
    """Describe the report as blocks (see :mod:`welfare.replicate.html`): REPORT.md and REPORT.html."""
    claims = _claims()
    tag = " [synthetic twin]" if survey.synthetic else f" [{survey.label}]"
    blocks: list[tuple] = [("h1", "welfare replication report")]
    if survey.synthetic:
        blocks.append(
            (
                "banner",
                [
                    "**SYNTHETIC DATA.** Every number below is computed on synthetic twins "
                    "generated by",
                    "`welfare.datasets` with known true parameters: the Taobao Village Survey "
                    "(F1-F4,",
                    "F7), a CFPS-like household panel (F5) and a county panel (F5, F6, F8).",
                    "They demonstrate the pipeline; they are **not evidence about China**.",
                ],
            )
        )
    n_part = int(_n_participants(survey, sample, manifest))
    blocks.append(
        (
            "ul",
            [
                f"Data: {survey.label} (sha256 `{manifest['data']['sha256'][:16]}...`)",
                f"Design: {survey.design.describe()}",
                f"Analysis sample (F1-F4): {sample.describe()}; {n_part} participants "
                f"({manifest['data']['participation']}) (see `sample.csv`)",
                f"Participation: {manifest['data']['participation']}; outcome: "
                f"{manifest['data']['outcome']}",
                *[
                    f"Also: {o['label'] or o['name']}, {o['rows']} rows "
                    f"(sha256 `{o['sha256'][:16]}...`)"
                    for o in manifest["data"]["other_data"]
                ],
                f"Seed: {manifest['seed']}; welfare {manifest['versions']['welfare']}; "
                f"created {manifest['created_utc']}; versions and timings in `manifest.json`",
            ],
        )
    )
    for fid in FINDINGS:
        c = claims.get(fid, {})
        blocks.append(("h2", f"{fid}. {c.get('title', '')}"))
        if manifest["data"]["compare_with_report"]:
            blocks.append(("p", f"**Report:** {c.get('claim', '')}"))
        else:
            blocks.append(
                (
                    "p",
                    "**Report** (context only: these data are another setting, so nothing here "
                    f"is compared with it): {c.get('claim', '')}",
                )
            )
        if fid not in results:
            why = (
                "not implemented in this version"
                if FINDINGS[fid] is None
                else "not requested (--only)"
            )
            blocks.append(("p", f"**Here:** not run ({why})."))
            continue
        res = results[fid]
        blocks.append(("p", f"**Here{tag}:**"))
        blocks.append(("ul", list(res.here)))
        if res.skipped:
            blocks.append(("p", "**Skipped** (the data do not support it):"))
            blocks.append(("ul", list(res.skipped)))
        for name, table in res.tables.items():
            blocks.append(("table", table, name))
        if res.truth_table is not None:
            blocks.append(("table", res.truth_table, None))
        for fig in res.figures:
            rel = Path(fig).relative_to(out)
            blocks.append(("figure", rel.as_posix(), fid))
    return blocks


def _write_report(out: Path, survey: SurveyData, sample: EstimationSample, results, manifest):
    """Write REPORT.md and the self-contained REPORT.html from the same blocks."""
    blocks = _report_blocks(out, survey, sample, results, manifest)
    (out / "REPORT.md").write_text(render_markdown(blocks))
    title = "welfare replication report" + (" (SYNTHETIC DATA)" if survey.synthetic else "")
    (out / "REPORT.html").write_text(render_html(blocks, base=out, title=title))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point of ``python -m welfare.replicate``."""
    p = argparse.ArgumentParser(
        prog="python -m welfare.replicate",
        description="Replicate the household-level findings of 'E-commerce Development: "
        "Experience from China' (2019). Default data: the SYNTHETIC twin.",
    )
    p.add_argument(
        "--data", help="your survey file (.csv, .parquet, .dta); default: synthetic twin"
    )
    p.add_argument("--codebook", help="codebook (.toml/.yaml) mapping --data onto welfare's schema")
    p.add_argument(
        "--out", default="welfare-replication", help="output folder (default: %(default)s)"
    )
    p.add_argument("--only", help="comma-separated finding ids, e.g. F1,F2")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="run the findings, and the resampling inside them, on N workers; the output is "
        "the same for any N (default: %(default)s)",
    )
    a = p.parse_args(argv)
    only = a.only.split(",") if a.only else None
    try:
        run(
            data=a.data,
            codebook=a.codebook,
            out=a.out,
            only=only,
            seed=a.seed,
            progress=not a.quiet,
            jobs=a.jobs,
        )
    except (WelfareError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
