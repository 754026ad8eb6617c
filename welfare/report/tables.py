"""Tables from the tidy schema: single and side-by-side, to markdown, LaTeX, HTML and CSV.

Tables never compute statistics: they format :meth:`Results.tidy` and
:meth:`Results.metadata`. Every table built from synthetic data carries the synthetic label in
its notes (and its title says so).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from welfare._options import strict_keywords
from welfare.errors import UnknownOptionError
from welfare.inference.results import Results

__all__ = [
    "Table",
    "balance_table",
    "effects_table",
    "format_number",
    "frame_table",
    "grid_table",
    "regression_table",
    "tidy_frame",
    "truth_table",
]


@dataclass(frozen=True)
class Table:
    """A formatted table: a title, a body of strings and notes.

    Attributes
    ----------
    title : str
    body : pandas.DataFrame
        Formatted cells (strings); index = row labels.
    notes : tuple of str
    long : pandas.DataFrame
        The tidy numbers behind the table (full precision, one row per model x term), written
        by :meth:`to_csv`.
    """

    title: str
    body: pd.DataFrame
    notes: tuple[str, ...] = ()
    long: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_markdown(self) -> str:
        """GitHub-flavoured markdown with the notes below."""
        cols = [""] + [str(c) for c in self.body.columns]
        lines = [f"**{self.title}**", "", "| " + " | ".join(cols) + " |"]
        lines.append("|" + "|".join(["---"] + [":---:"] * len(self.body.columns)) + "|")
        for idx, row in self.body.iterrows():
            lines.append("| " + " | ".join([_label(idx)] + [str(v) for v in row]) + " |")
        lines.append("")
        lines.extend(f"_{n}_  " for n in self.notes)
        return "\n".join(lines) + "\n"

    def to_latex(self) -> str:
        """Return a LaTeX table with notes as a footnote block."""

        def esc(s: str) -> str:
            for a, b in (
                ("\\", r"\textbackslash{}"),
                ("&", r"\&"),
                ("%", r"\%"),
                ("_", r"\_"),
                ("#", r"\#"),
                ("$", r"\$"),
                ("{", r"\{"),
                ("}", r"\}"),
            ):
                s = s.replace(a, b) if a != "\\" else s
            return s.replace("[", "{[}").replace("]", "{]}")

        ncol = len(self.body.columns)
        out = [
            r"\begin{table}[htbp]\centering",
            rf"\caption{{{esc(self.title)}}}",
            r"\begin{tabular}{l" + "c" * ncol + "}",
            r"\hline",
            " & ".join([""] + [esc(str(c)) for c in self.body.columns]) + r" \\",
            r"\hline",
        ]
        for idx, row in self.body.iterrows():
            out.append(" & ".join([esc(_label(idx))] + [esc(str(v)) for v in row]) + r" \\")
        out += [r"\hline", r"\end{tabular}"]
        if self.notes:
            out.append(r"\par\smallskip\begin{minipage}{0.95\linewidth}\footnotesize")
            out += [esc(n) + r"\\" for n in self.notes]
            out.append(r"\end{minipage}")
        out.append(r"\end{table}")
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        """Return the title (``h4``), an HTML table and the notes (``p class="note"``).

        Every cell, the title and the notes are HTML-escaped; row labels follow the markdown
        rendering (standard-error rows show no label). ``REPORT.html`` embeds exactly this.
        """
        from html import escape

        head = "".join(f"<th>{escape(str(c))}</th>" for c in ["", *self.body.columns])
        rows = [
            "<tr>"
            + "".join(
                [f"<td>{escape(_label(idx))}</td>"] + [f"<td>{escape(str(v))}</td>" for v in row]
            )
            + "</tr>"
            for idx, row in self.body.iterrows()
        ]
        out = [
            f"<h4>{escape(self.title)}</h4>",
            "<table>",
            f"<thead><tr>{head}</tr></thead>",
            "<tbody>",
            *rows,
            "</tbody>",
            "</table>",
            *[f'<p class="note">{escape(n)}</p>' for n in self.notes],
        ]
        return "\n".join(out)

    def to_csv(self, path: str | Path | None = None) -> str:
        """Return the tidy numbers (full precision) with the metadata columns; written if ``path``."""
        text = self.long.to_csv(index=False)
        if path is not None:
            Path(path).write_text(text)
        return text

    def __str__(self) -> str:
        return self.to_markdown()


def _label(idx) -> str:
    """Row label; standard-error rows (keys ending in a space) show no label."""
    s = str(idx)
    return "" if s.endswith(" ") else s


def format_number(x: float, digits: int = 3, signed: bool = False) -> str:
    """Format with fixed decimals, or 3 significant digits when it would round to zero.

    ``format_number(0.0000123)`` gives ``"1.23e-05"`` rather than ``"0.000"``, so effects per
    US$ or per RMB stay readable.
    """
    if pd.isna(x):
        return ""
    sign = "+" if signed else ""
    if x != 0 and abs(x) < 0.5 * 10 ** (-digits):
        return f"{x:{sign}.3g}"
    return f"{x:{sign}.{digits}f}"


def _fmt(x: float, digits: int) -> str:
    return format_number(x, digits)


def _stars(p: float) -> str:
    if pd.isna(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


def tidy_frame(models: Mapping[str, Results], alpha: float = 0.05) -> pd.DataFrame:
    """Stack the tidy tables of several results with their metadata (long format)."""
    frames = []
    for name, res in models.items():
        t = res.tidy(alpha)
        meta = res.metadata()
        t.insert(0, "model", name)
        for k in (
            "estimator",
            "estimand",
            "vcov",
            "cluster",
            "n_obs",
            "n_clusters",
            "df",
            "reference",
            "weights",
            "data",
            "synthetic",
        ):
            t[k] = meta[k]
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


@strict_keywords
def regression_table(
    models: Results | Mapping[str, Results],
    *,
    title: str = "",
    terms: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    digits: int = 3,
    stars: bool = False,
    show_ci: bool = False,
    extra_rows: Mapping[str, Sequence[str]] | None = None,
    notes: Sequence[str] = (),
) -> Table:
    """Side-by-side table of one or more results: estimate over (standard error).

    Parameters
    ----------
    models : Results or mapping of str to Results
        Column name -> results. A single Results gives one column.
    title : str
        Prefixed with "SYNTHETIC DATA - " when any model is on synthetic data.
    terms : sequence of str, optional
        Terms to show, in order; default all, in order of first appearance.
    labels : mapping, optional
        Display names for terms.
    digits : int, default 3
    stars : bool, default False
        Significance stars (* 10%, ** 5%, *** 1%) from each model's own reference distribution.
    show_ci : bool, default False
        Show the 95% interval instead of the standard error.
    extra_rows : mapping, optional
        Further rows (e.g. ``{"Village FE": ["no", "yes"]}``).
    notes : sequence of str, optional
        Further notes, printed after the standard-error note.

    Returns
    -------
    Table
    """
    if isinstance(models, Results):
        models = {models.estimator: models}
    labels = dict(labels or {})
    long = tidy_frame(models)
    if terms is None:
        terms = list(dict.fromkeys(long["term"]))
    cols = list(models)
    rows: dict[str, list[str]] = {}
    for term in terms:
        est_row, se_row = [], []
        for name in cols:
            t = long[(long["model"] == name) & (long["term"] == term)]
            if t.empty:
                est_row.append("")
                se_row.append("")
                continue
            r = t.iloc[0]
            est_row.append(_fmt(r.estimate, digits) + (_stars(r.p_value) if stars else ""))
            se_row.append(
                f"[{_fmt(r.conf_low, digits)}, {_fmt(r.conf_high, digits)}]"
                if show_ci
                else f"({_fmt(r.std_error, digits)})"
            )
        label = labels.get(term, term)
        rows[label] = est_row
        rows[f"{label} "] = se_row  # trailing space keeps the index unique
    meta = {name: res.metadata() for name, res in models.items()}
    rows["N"] = [str(meta[c]["n_obs"]) for c in cols]
    rows["Variance"] = [
        str(meta[c]["vcov"])
        + (f" ({meta[c]['cluster']}, G={meta[c]['n_clusters']})" if meta[c]["cluster"] else "")
        for c in cols
    ]
    rows["Inference"] = [
        "normal (z)" if meta[c]["df"] is None else f"t, {meta[c]['df']} df" for c in cols
    ]
    for k, v in (extra_rows or {}).items():
        rows[k] = list(v)
    body = pd.DataFrame(rows, index=cols).T
    synthetic = any(res.synthetic for res in models.values())
    user_notes = list(notes)
    notes = []
    if synthetic:
        lab = next(res.data_label for res in models.values() if res.synthetic)
        notes.append(f"SYNTHETIC DATA: {lab}. Not evidence about any real population.")
    else:
        labs = sorted({res.data_label for res in models.values() if res.data_label})
        if labs:
            notes.append("Data: " + "; ".join(labs) + ".")
    notes.append(
        ("95% confidence intervals in brackets." if show_ci else "Standard errors in parentheses.")
        + (" * p<0.1, ** p<0.05, *** p<0.01." if stars else "")
    )
    notes.extend(user_notes)
    for name, res in models.items():
        notes.append(
            f"({name}) {res.estimator}; {res.estimand}; weights: {res.weights}; "
            f"{res.vcov_spec.describe()}; {res.sample.describe()}."
        )
        notes.extend(f"({name}) {n}" for n in res.notes)
    full_title = ("SYNTHETIC DATA - " if synthetic else "") + (title or "Estimates")
    return Table(title=full_title, body=body, notes=tuple(notes), long=long)


@strict_keywords
def truth_table(
    rows: Sequence[tuple[str, Results, str, float]],
    *,
    title: str,
    digits: int = 4,
    note: str = "SYNTHETIC DATA: the truth is the twin's data-generating process; |z| < 3 expected.",
) -> Table:
    """Estimates beside the known truth of a synthetic twin.

    Parameters
    ----------
    rows : sequence of (label, results, term, true value)
    title : str
    digits : int, default 4
    note : str
        The note under the table (what agreement to expect).

    Returns
    -------
    Table
        Columns estimate, std. error, truth, (estimate - truth)/SE.
    """
    body, long = {}, []
    for label, res, term, truth in rows:
        t = res.tidy().set_index("term").loc[term]
        z = (t.estimate - truth) / t.std_error
        body[label] = [
            _fmt(t.estimate, digits),
            _fmt(t.std_error, digits),
            _fmt(truth, digits),
            f"{z:.2f}",
        ]
        long.append(
            {
                "label": label,
                "term": term,
                "estimate": t.estimate,
                "std_error": t.std_error,
                "truth": truth,
                "z_vs_truth": z,
                "estimator": res.estimator,
                "data": res.data_label,
                "synthetic": True,  # a truth exists only for a synthetic twin
            }
        )
    df = pd.DataFrame(body, index=["estimate", "std. error", "truth", "(est - truth)/SE"]).T
    notes = (note,)
    return Table(title="SYNTHETIC DATA - " + title, body=df, notes=notes, long=pd.DataFrame(long))


def _data_notes(results) -> list[str]:
    synthetic = [r for r in results if r.synthetic]
    if synthetic:
        return [
            f"SYNTHETIC DATA: {synthetic[0].data_label}. Not evidence about any real population."
        ]
    labs = sorted({r.data_label for r in results if r.data_label})
    return ["Data: " + "; ".join(labs) + "."] if labs else []


@strict_keywords
def effects_table(
    rows: Mapping[str, Mapping[str, tuple[Results, str]]],
    *,
    title: str,
    estimands: Sequence[str] = ("ATE", "ATT"),
    truth: Mapping[str, float] | None = None,
    digits: int = 3,
    notes: Sequence[str] = (),
) -> Table:
    """One row per estimator, one column pair per estimand: estimate (SE) and 95% CI.

    Parameters
    ----------
    rows : mapping of str to mapping of str to (Results, term)
        ``{"IPW": {"ATE": (res_ate, "ATE"), "ATT": (res_att, "ATT")}, ...}``; an estimand a
        method does not give is left out of its mapping (blank cells).
    title : str
        Prefixed with "SYNTHETIC DATA - " when any result is synthetic.
    estimands : sequence of str, default ("ATE", "ATT")
    truth : mapping of str to float, optional
        True values of a synthetic twin, shown as a last row.
    digits : int, default 3
    notes : sequence of str, optional

    Returns
    -------
    Table
    """
    body, long = {}, []
    results = []
    for method, by in rows.items():
        cells = []
        for est in estimands:
            if est not in by:
                cells += ["", ""]
                continue
            res, term = by[est]
            results.append(res)
            t = res.tidy().set_index("term").loc[term]
            cells += [
                f"{_fmt(t.estimate, digits)} ({_fmt(t.std_error, digits)})",
                f"[{_fmt(t.conf_low, digits)}, {_fmt(t.conf_high, digits)}]",
            ]
            meta = res.metadata()
            long.append(
                {"method": method, "estimand": est, **t.to_dict(), "term": term,
                 **{k: meta[k] for k in ("estimator", "vcov", "cluster", "n_obs", "n_clusters",
                                         "weights", "data", "synthetic")}}
            )  # fmt: skip
        any_res = next(iter(by.values()))[0]
        cells += [str(any_res.n_obs), any_res.vcov_spec.kind]
        body[method] = cells
    if truth:
        body["truth (data-generating process)"] = [
            c
            for est in estimands
            for c in ((_fmt(truth[est], digits), "") if est in truth else ("", ""))
        ] + ["", ""]
    columns = [c for est in estimands for c in (f"{est} (SE)", f"{est} 95% CI")] + ["N", "Variance"]
    df = pd.DataFrame(body, index=columns).T
    synthetic = any(r.synthetic for r in results)
    out_notes = _data_notes(results) + [
        "Standard errors in parentheses; 95% intervals from each estimator's reference "
        "distribution (normal for the treatment-effect estimators; t with the stated df for OLS)."
    ]
    out_notes += list(notes)
    for method, by in rows.items():
        res = next(iter(by.values()))[0]
        out_notes.append(
            f"({method}) {res.estimator}; weights: {res.weights}; {res.vcov_spec.describe()}; "
            f"{res.sample.describe()}."
        )
        out_notes.extend(f"({method}) {n}" for n in dict.fromkeys(
            n for r, _ in by.values() for n in r.notes))  # fmt: skip
    return Table(
        title=("SYNTHETIC DATA - " if synthetic else "") + title,
        body=df,
        notes=tuple(out_notes),
        long=pd.DataFrame(long),
    )


@strict_keywords
def balance_table(balance: pd.DataFrame, *, title: str, digits: int = 3) -> Table:
    """Format a balance frame (:func:`welfare.premium.balance`) as a table.

    Parameters
    ----------
    balance : pandas.DataFrame
        Columns as returned by :func:`welfare.premium.balance`.
    title : str
        Prefixed with "SYNTHETIC DATA - " when the frame comes from synthetic data.
    digits : int, default 3

    Returns
    -------
    Table
    """
    cols = [c for c in balance.columns if c != "covariate"]
    headers = {
        "mean_treated_before": "mean, participants",
        "mean_control_before": "mean, others",
        "smd_before": "SMD",
        "var_ratio_before": "variance ratio",
        "mean_treated_after": "mean, participants (adjusted)",
        "mean_control_after": "mean, others (adjusted)",
        "smd_after": "SMD (adjusted)",
        "var_ratio_after": "variance ratio (adjusted)",
    }
    body = pd.DataFrame(
        {headers.get(c, c): [_fmt(v, digits) for v in balance[c]] for c in cols},
        index=balance["covariate"].tolist(),
    )
    synthetic = bool(balance.attrs.get("synthetic", False))
    notes = []
    if synthetic:
        notes.append(f"SYNTHETIC DATA: {balance.attrs.get('data_label', '')}.")
    notes.append(
        "Means and variances are survey-weighted (before) and weighted by the estimator's "
        "implied weights times the survey weights (adjusted). "
        "SMD = (mean participants - mean others) / sqrt((var participants + var others) / 2), "
        "the denominator from the unadjusted sample; |SMD| < 0.1 is the usual benchmark; "
        "variance ratio = var participants / var others. "
        f"After: weights implied by {balance.attrs.get('estimator', 'the estimator')} for the "
        f"{balance.attrs.get('estimand', '')}."
    )
    return Table(
        title=("SYNTHETIC DATA - " if synthetic else "") + title,
        body=body,
        notes=tuple(notes),
        long=balance.copy(),
    )


@strict_keywords
def grid_table(
    cells: Mapping[str, Mapping[str, tuple[Results, str] | str]],
    *,
    title: str,
    digits: int = 3,
    notes: Sequence[str] = (),
) -> Table:
    """Build a grid of estimates: rows x columns, each cell "estimate (SE)" of a Results term.

    Parameters
    ----------
    cells : mapping of row label to mapping of column label to (Results, term) or str
        A string is printed as it is (e.g. a published value); a missing cell is blank.
    title : str
        Prefixed with "SYNTHETIC DATA - " when any result is synthetic.
    digits : int, default 3
    notes : sequence of str
        Added below the data and variance notes.

    Returns
    -------
    Table
        Body of "estimate (SE)" strings; ``long`` has the tidy numbers of every cell.
    """
    columns = list(dict.fromkeys(c for row in cells.values() for c in row))
    body, long, results = {}, [], []
    for row, cols in cells.items():
        out = []
        for c in columns:
            cell = cols.get(c)
            if cell is None:
                out.append("")
            elif isinstance(cell, str):
                out.append(cell)
            else:
                res, term = cell
                if term not in res.terms:
                    raise UnknownOptionError(
                        f"cell ({row!r}, {c!r}): term {term!r} is not in {res.estimator!r}; "
                        f"expected one of {list(res.terms)[:8]}"
                    )
                t = res.tidy().set_index("term").loc[term]
                out.append(f"{_fmt(t.estimate, digits)} ({_fmt(t.std_error, digits)})")
                long.append({"row": row, "column": c, "term": term, **t.to_dict(),
                             "estimator": res.estimator, "data": res.data_label,
                             "synthetic": res.synthetic})  # fmt: skip
                results.append(res)
        body[row] = out
    df = pd.DataFrame(body, index=columns).T
    synthetic = any(r.synthetic for r in results)
    uniq = list({id(r): r for r in results}.values())
    # where each variance and sample applies: whole columns, else the rows
    cells_of: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for row, cols in cells.items():
        for c, cell in cols.items():
            if isinstance(cell, tuple):
                key = (cell[0].vcov_spec.describe(), cell[0].sample.describe())
                cells_of.setdefault(key, []).append((row, c))
    se_notes = []
    for (spec, samp), where in cells_of.items():
        if len(cells_of) == 1:
            place = ""
        else:
            cols_here = sorted({c for _, c in where}, key=columns.index)
            full = [c for c in cols_here if all((r, c) in where for r in cells if c in cells[r]
                                                 and isinstance(cells[r][c], tuple))]  # fmt: skip
            rows_here = list(dict.fromkeys(r for r, c in where if c not in full))
            parts = []
            if full:
                parts.append("column(s) " + ", ".join(full))
            if rows_here:
                parts.append("row(s) " + ", ".join(rows_here))
            place = "[" + "; ".join(parts) + "] "
        se_notes.append(f"{place}standard errors: {spec}; sample: {samp}.")
    all_notes = [
        *_data_notes(uniq),
        "Standard errors in parentheses.",
        *se_notes,
        *notes,
    ]
    return Table(
        title=("SYNTHETIC DATA - " if synthetic else "") + title,
        body=df,
        notes=tuple(all_notes),
        long=pd.DataFrame(long),
    )


@strict_keywords
def frame_table(
    frame: pd.DataFrame,
    *,
    title: str,
    synthetic: bool,
    data_label: str = "",
    index: str | None = None,
    digits: Mapping[str, int] | int = 3,
    notes: Sequence[str] = (),
) -> Table:
    """Format a numeric DataFrame as a table (test statistics, adjusted p-values, counts).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per table row; not modified. Numbers are formatted, text is shown as it is.
    title : str
        Prefixed with "SYNTHETIC DATA - " when ``synthetic``.
    synthetic : bool
        The numbers come from synthetic data (a note says so).
    data_label : str, default ""
        Label of the data, shown in the first note.
    index : str, optional
        Column used as row labels (default: the frame's index).
    digits : int or mapping of column to int, default 3
        Decimals per column (p-values are best shown with 3 or 4).
    notes : sequence of str
        Further notes.

    Returns
    -------
    Table
        ``long`` is the frame (full precision, written by :meth:`Table.to_csv`) with its row
        labels (column ``row`` when they come from the index) and ``data``, ``synthetic``.

    Raises
    ------
    UnknownOptionError
        ``index`` or a ``digits`` key that is not a column.
    """
    cols = list(frame.columns)
    keys = [index] if index is not None else []
    if isinstance(digits, Mapping):
        keys += list(digits)
    absent = [k for k in keys if k not in cols]
    if absent:
        raise UnknownOptionError(f"expected columns of the frame {cols}, found {absent}")
    body = frame.set_index(index) if index is not None else frame.copy()
    body = body.astype(object)
    for c in body.columns:
        d = digits.get(c, 3) if isinstance(digits, Mapping) else digits
        num = pd.to_numeric(body[c], errors="coerce").dropna()
        if len(num) and not pd.api.types.is_bool_dtype(frame[c]) and (num % 1 == 0).all():
            if not (isinstance(digits, Mapping) and c in digits):
                d = 0  # whole numbers (counts, degrees of freedom) shown without decimals
        body[c] = [
            _fmt(float(v), d)
            if isinstance(v, numbers.Real) and not isinstance(v, bool) and not pd.isna(v)
            else ("" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
            for v in body[c]
        ]
    lead = []
    if synthetic:
        lead.append(
            f"SYNTHETIC DATA: {data_label or 'synthetic data'}. Not evidence about any real "
            "population."
        )
    elif data_label:
        lead.append(f"Data: {data_label}.")
    full_title = ("SYNTHETIC DATA - " if synthetic else "") + title
    long = frame.copy() if index is not None else frame.rename_axis("row").reset_index()
    long = long.assign(data=data_label, synthetic=bool(synthetic))
    return Table(title=full_title, body=body, notes=tuple(lead + list(notes)), long=long)
