"""Figures from tidy tables (seaborn/matplotlib). Figures compute nothing themselves."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from welfare._options import strict_keywords
from welfare.errors import UnknownOptionError
from welfare.inference.results import Results
from welfare.report.tables import tidy_frame

__all__ = [
    "coefficient_plot",
    "love_plot",
    "overlap_plot",
    "lorenz_plot",
    "source_contribution_plot",
    "decomposition_plot",
    "quantile_effects_plot",
    "share_plot",
    "sensitivity_contour_plot",
    "specification_curve_plot",
]


@strict_keywords
def coefficient_plot(
    models: Results | Mapping[str, Results],
    path: str | Path,
    *,
    title: str,
    terms: list[str] | None = None,
    xlabel: str = "estimate (95% CI)",
    reference: Mapping[str, float] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Dot-and-interval plot of estimates with their 95% confidence intervals.

    Parameters
    ----------
    models : Results or mapping of str to Results
    path : str or pathlib.Path
        PNG file to write.
    title : str
        Prefixed with "SYNTHETIC DATA - " when any model is synthetic.
    terms : list of str, optional
        Terms to plot (default all).
    xlabel : str, default "estimate (95% CI)"
    reference : mapping of str to float, optional
        A known value per term (e.g. a synthetic twin's truth), drawn as a dashed red line.
    labels : mapping of str to str, optional
        Display label per term on the axis (terms not named are shown as they are).

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import seaborn as sns

    if isinstance(models, Results):
        models = {models.estimator: models}
    long = tidy_frame(models)
    if terms is not None:
        long = long[long["term"].isin(terms)]
    synthetic = bool(long["synthetic"].any())
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(long) + 1.8))  # one line per estimate drawn
    order = list(dict.fromkeys(long["term"]))
    long = long.assign(pos=long["term"].map({t: i for i, t in enumerate(order)}))
    offsets = {m: (i - (len(models) - 1) / 2) * 0.18 for i, m in enumerate(models)}
    palette = sns.color_palette("colorblind", len(models))
    for (name, grp), color in zip(long.groupby("model", sort=False), palette, strict=False):
        y = grp["pos"] + offsets[name]
        ax.errorbar(
            grp["estimate"],
            y,
            xerr=[grp["estimate"] - grp["conf_low"], grp["conf_high"] - grp["estimate"]],
            fmt="o",
            color=color,
            capsize=3,
            label=name,
        )
    ax.axvline(0, color="grey", lw=1)
    for term, value in (reference or {}).items():
        if term in order:
            i = order.index(term)
            ax.vlines(value, i - 0.45, i + 0.45, color="firebrick", lw=2, ls="--",
                      label="truth" if term == next(iter(reference)) else None)  # fmt: skip
    ax.set_yticks(range(len(order)), [(labels or {}).get(t, t) for t in order])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if len(models) > 1 or reference:
        ax.legend(fontsize=8, loc="best")
    return _finish(fig, ax, title, synthetic, path)


def _finish(fig, ax, title: str, synthetic: bool, path, figure_title: bool = False) -> Path:
    import matplotlib.pyplot as plt

    text = ("SYNTHETIC DATA - " if synthetic else "") + title
    if figure_title:  # several panels: one title over the figure
        fig.suptitle(text, fontsize=10)
    else:
        ax.set_title(text, fontsize=10)
    if synthetic:
        fig.text(
            0.01,
            0.005,
            "Synthetic twin: demonstrates the method, not evidence about China.",
            fontsize=7,
            color="firebrick",
        )
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


@strict_keywords
def love_plot(table, path: str | Path, *, title: str, threshold: float = 0.1) -> Path:
    """Absolute standardised mean differences before and after adjustment (a "love plot").

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`welfare.premium.balance`.
    path : str or pathlib.Path
        PNG file to write.
    title : str
        Prefixed with "SYNTHETIC DATA - " when the table comes from synthetic data.
    threshold : float, default 0.1
        Reference line for |SMD|.

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    n = len(table)
    fig, ax = plt.subplots(figsize=(7.0, 0.3 * n + 1.8))
    pos = range(n)
    ax.scatter(table["smd_before"].abs(), pos, marker="o", label="before", color="grey")
    if "smd_after" in table:
        ax.scatter(table["smd_after"].abs(), pos, marker="D", label="after", color="C0")
    ax.axvline(threshold, color="firebrick", lw=1, ls="--")
    ax.set_yticks(list(pos), table["covariate"].tolist())
    ax.invert_yaxis()
    ax.set_xlabel("|standardised mean difference|")
    ax.legend(fontsize=8, loc="best")
    return _finish(fig, ax, title, bool(table.attrs.get("synthetic", False)), path)


@strict_keywords
def overlap_plot(scores, path: str | Path, *, title: str, bins: int = 40) -> Path:
    """Histograms of the propensity score by arm, with the overlap bounds marked.

    Parameters
    ----------
    scores : pandas.DataFrame
        From :func:`welfare.premium.propensity_overlap` (columns ``score, treated, weight``).
    path : str or pathlib.Path
    title : str
    bins : int, default 40

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    edges = [i / bins for i in range(bins + 1)]
    for arm, label, color in ((1, "participants", "C0"), (0, "non-participants", "C1")):
        part = scores[scores["treated"] == arm]
        ax.hist(
            part["score"], bins=edges, weights=part["weight"], density=True, alpha=0.5,
            label=label, color=color,
        )  # fmt: skip
    ov = scores.attrs.get("overlap", {})
    if ov.get("rule") in ("trim", "clip"):
        for b in ov["bounds"]:
            ax.axvline(b, color="firebrick", lw=1, ls="--")
    ax.set_xlabel("propensity score")
    ax.set_ylabel("density (survey-weighted)")
    ax.legend(fontsize=8)
    return _finish(fig, ax, title, bool(scores.attrs.get("synthetic", False)), path)


@strict_keywords
def lorenz_plot(
    curves,
    path: str | Path,
    *,
    title: str,
    xlabel: str = "cumulative population share",
    ylabel: str = "cumulative income share",
    marks: Mapping[str, tuple[float, float]] | None = None,
) -> Path:
    """Lorenz (or concentration) curves by group, with the line of equality.

    Parameters
    ----------
    curves : pandas.DataFrame
        Long frame with columns ``group, p, share`` (from
        :func:`welfare.inequality.lorenz_curve`; several may be concatenated); its
        ``attrs["welfare_synthetic"]`` marks the figure as synthetic.
    path : str or pathlib.Path
        PNG file to write.
    title : str
    xlabel, ylabel : str
    marks : mapping of str to (p, share), optional
        Labelled points (e.g. a published share: ``{"report: top 25% = 90%": (0.75, 0.10)}``).

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import seaborn as sns

    missing = {"group", "p", "share"} - set(getattr(curves, "columns", []))
    if missing:
        raise UnknownOptionError(
            f"curves: expected a frame from lorenz_curve with columns group, p, share; "
            f"missing {sorted(missing)}"
        )
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(5.8, 5.2))
    groups = list(dict.fromkeys(curves["group"]))
    palette = sns.color_palette("colorblind", len(groups))
    for g, color in zip(groups, palette, strict=True):
        c = curves[curves["group"] == g]
        ax.plot(c["p"], c["share"], color=color, lw=2, label=str(g))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls=":", label="equality")
    for label, (px, py) in (marks or {}).items():
        ax.plot([px], [py], marker="D", color="firebrick", ls="none", label=label)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="upper left")
    synthetic = bool(curves.attrs.get("welfare_synthetic", False))
    return _finish(fig, ax, title, synthetic, path)


@strict_keywords
def source_contribution_plot(
    result: Results,
    path: str | Path,
    *,
    title: str,
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Income shares and shares of the Gini by source (from :func:`gini_by_source`), with 95% CIs.

    Parameters
    ----------
    result : Results
        A :func:`welfare.inequality.gini_by_source` result.
    path : str or pathlib.Path
    title : str
    labels : mapping of str to str, optional
        Display names of the source columns.

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    import seaborn as sns

    if "sources" not in result.extra or "share" not in "".join(result.terms):
        raise UnknownOptionError(
            f"result: expected a gini_by_source result, found {result.estimator!r}"
        )
    t = result.tidy().set_index("term")
    sources = list(result.extra["sources"])
    names = [(labels or {}).get(s, s) for s in sources]
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(7, 0.55 * len(sources) + 1.6))
    ypos = np.arange(len(sources))
    palette = sns.color_palette("colorblind", 2)
    for off, part, lab, color in (
        (-0.18, "share", "share of total income", palette[0]),
        (0.18, "contribution_share", "share of the Gini", palette[1]),
    ):
        est = np.array([t.loc[f"{part}[{s}]", "estimate"] for s in sources])
        lo = np.array([t.loc[f"{part}[{s}]", "conf_low"] for s in sources])
        hi = np.array([t.loc[f"{part}[{s}]", "conf_high"] for s in sources])
        ax.barh(ypos + off, est, height=0.34, color=color, label=lab)
        ax.errorbar(
            est, ypos + off, xerr=[est - lo, hi - est], fmt="none", color="black", capsize=3
        )
    ax.set_yticks(ypos, names)
    ax.invert_yaxis()
    ax.set_xlabel("fraction (95% CI)")
    ax.legend(fontsize=8, loc="lower right")
    return _finish(fig, ax, title, result.synthetic, path)


@strict_keywords
def decomposition_plot(result: Results, path: str | Path, *, title: str) -> Path:
    """Detailed Oaxaca-Blinder terms with 95% CIs, one panel per part.

    Parameters
    ----------
    result : Results
        A :func:`welfare.inequality.oaxaca` result (twofold or threefold).
    path : str or pathlib.Path
    title : str

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    import seaborn as sns

    t = result.tidy()
    parts = [p for p in ("explained", "unexplained", "endowments", "coefficients", "interaction")
             if p in set(t["term"])]  # fmt: skip
    if not parts:
        raise UnknownOptionError(
            f"result: expected an oaxaca result (explained/unexplained or endowments/"
            f"coefficients/interaction terms), found {result.estimator!r}"
        )
    sns.set_theme(style="whitegrid")
    rows = max(len(t[t["term"].str.startswith(f"{p}[")]) for p in parts)
    fig, axes = plt.subplots(1, len(parts), figsize=(3.6 * len(parts), 0.32 * rows + 1.8),
                             sharey=False)  # fmt: skip
    axes = np.atleast_1d(axes)
    color = sns.color_palette("colorblind", 1)[0]
    for ax, part in zip(axes, parts, strict=True):
        sub = t[t["term"].str.startswith(f"{part}[")]
        names = [s[len(part) + 1 : -1] for s in sub["term"]]
        pos = np.arange(len(sub))
        ax.barh(pos, sub["estimate"], color=color, height=0.6)
        ax.errorbar(sub["estimate"], pos, xerr=[sub["estimate"] - sub["conf_low"],
                    sub["conf_high"] - sub["estimate"]], fmt="none", color="black",
                    capsize=2)  # fmt: skip
        ax.axvline(0, color="grey", lw=1)
        ax.set_yticks(pos, names, fontsize=7)
        ax.invert_yaxis()
        total = t.set_index("term").loc[part, "estimate"]
        ax.set_title(f"{part} ({total:+.3f})", fontsize=9)
    fig.supxlabel("contribution to the gap (95% CI)", fontsize=9)
    return _finish(fig, axes[0], title, result.synthetic, path, figure_title=True)


@strict_keywords
def quantile_effects_plot(
    effects: Mapping[float, Results],
    term: str,
    path: str | Path,
    *,
    title: str,
    mean_effect: Results | None = None,
    ylabel: str = "effect (95% CI)",
) -> Path:
    """Effects of one term across quantiles (e.g. RIF-quantile regressions), with 95% CIs.

    Parameters
    ----------
    effects : mapping of float to Results
        Quantile fraction -> result holding ``term``.
    term : str
    path : str or pathlib.Path
    title : str
    mean_effect : Results, optional
        A mean regression with the same term, drawn as a dashed line with its CI band.
    ylabel : str

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    import seaborn as sns

    absent = [p for p, r in effects.items() if term not in r.terms]
    if not effects or absent:
        raise UnknownOptionError(
            f"term {term!r}: expected it in every result, missing at quantile(s) {absent}"
        )
    sns.set_theme(style="whitegrid")
    ps = sorted(effects)
    rows = [effects[p].tidy().set_index("term").loc[term] for p in ps]
    est = np.array([r.estimate for r in rows])
    lo = np.array([r.conf_low for r in rows])
    hi = np.array([r.conf_high for r in rows])
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    color = sns.color_palette("colorblind", 2)
    ax.fill_between(ps, lo, hi, color=color[0], alpha=0.25, label="95% CI")
    ax.plot(ps, est, marker="o", color=color[0], label="quantile effect")
    if mean_effect is not None:
        m = mean_effect.tidy().set_index("term").loc[term]
        ax.axhline(m.estimate, color=color[1], ls="--", label="mean effect (OLS)")
        ax.axhspan(m.conf_low, m.conf_high, color=color[1], alpha=0.1)
    ax.axhline(0, color="grey", lw=1)
    ax.set_xlabel("quantile of the outcome")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    synthetic = any(r.synthetic for r in effects.values())
    return _finish(fig, ax, title, synthetic, path)


@strict_keywords
def share_plot(
    shares: Results | Mapping[str, tuple[Results, str]],
    path: str | Path,
    *,
    title: str,
    benchmarks: Mapping[str, float] | None = None,
    benchmark_label: str = "published figure",
    xlabel: str = "share (95% CI)",
) -> Path:
    """Horizontal bars of estimated shares with their 95% confidence intervals.

    Parameters
    ----------
    shares : Results or mapping of str to (Results, term)
        A Results (one bar per term, e.g. from :func:`welfare.inclusion.proportions`) or bar
        label -> (result, term), in the order of the bars. The bars use the tidy ``estimate,
        conf_low, conf_high`` of each result, so asymmetric (logit) intervals are drawn as
        they are.
    path : str or pathlib.Path
        PNG file to write.
    title : str
        Prefixed with "SYNTHETIC DATA - " when any result is synthetic.
    benchmarks : mapping of str to float, optional
        A published value per bar label (e.g. the report's 0.5 and 0.75), drawn as a black
        diamond.
    benchmark_label : str, default "published figure"
    xlabel : str, default "share (95% CI)"

    Returns
    -------
    pathlib.Path

    Raises
    ------
    UnknownOptionError
        A term not in its result, or a benchmark label that is not a bar.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import seaborn as sns

    if isinstance(shares, Results):
        shares = {t: (shares, t) for t in shares.terms}
    if not isinstance(shares, Mapping) or not shares:
        raise UnknownOptionError(
            f"shares: expected a Results or a non-empty mapping of label to (Results, term), "
            f"found {type(shares).__name__}"
        )
    rows = []
    for label, cell in shares.items():
        res, term = cell
        if term not in res.terms:
            raise UnknownOptionError(
                f"bar {label!r}: term {term!r} is not in the result; expected one of "
                f"{list(res.terms)[:8]}"
            )
        rows.append(res.tidy().set_index("term").loc[term])
    absent = [b for b in (benchmarks or {}) if b not in shares]
    if absent:
        raise UnknownOptionError(
            f"benchmarks: expected bar labels among {list(shares)}, found {absent}"
        )
    est = [r.estimate for r in rows]
    lo = [r.estimate - r.conf_low for r in rows]
    hi = [r.conf_high - r.estimate for r in rows]
    order = list(shares)
    sns.set_theme(style="whitegrid")
    fig, ax = plt.subplots(figsize=(9.0, 0.45 * len(order) + 1.9))
    color = sns.color_palette("colorblind", 2)
    pos = list(range(len(order)))
    ax.barh(pos, est, color=color[0], alpha=0.8)
    ax.errorbar(est, pos, xerr=[lo, hi], fmt="none", ecolor="black", capsize=3)
    first = True
    for label, value in (benchmarks or {}).items():
        ax.plot(value, order.index(label), marker="D", color="black", ls="none",
                label=benchmark_label if first else None)  # fmt: skip
        first = False
    ax.set_yticks(pos, order)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    if benchmarks:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    synthetic = any(res.synthetic for res, _ in shares.values())
    return _finish(fig, ax, title, synthetic, path, figure_title=True)


@strict_keywords
def sensitivity_contour_plot(
    sensitivity, path: str | Path, *, title: str, lim: float | None = None, n: int = 101
) -> Path:
    """Cinelli-Hazlett contour plot of the bias-adjusted estimate (sensemakr's ``plot``).

    Contours of the adjusted estimate over the partial R2 of a confounder with the treatment
    (x) and with the outcome (y); the dashed red contour is 0; the unadjusted estimate and each
    benchmark bound are marked. Computes nothing: the grid comes from
    :meth:`welfare.robustness.OmittedVariableSensitivity.contour_grid`.

    Parameters
    ----------
    sensitivity : welfare.robustness.OmittedVariableSensitivity
        From :func:`welfare.robustness.cinelli_hazlett`.
    path : str or pathlib.Path
        PNG file to write.
    title : str
        Prefixed with "SYNTHETIC DATA - " for synthetic data.
    lim : float, optional
        Upper limit of both axes (see ``contour_grid``).
    n : int, default 101
        Grid points per axis.

    Returns
    -------
    pathlib.Path

    References
    ----------
    Cinelli, C. and Hazlett, C. (2020), JRSS-B 82(1), 39-67, doi:10.1111/rssb.12348, Fig. 2.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    import seaborn as sns

    grid = sensitivity.contour_grid(lim=lim, n=n)
    k = int(round(len(grid) ** 0.5))
    xs = grid["r2dz_x"].to_numpy().reshape(k, k)
    ys = grid["r2yz_dx"].to_numpy().reshape(k, k)
    zs = grid["adjusted_estimate"].to_numpy().reshape(k, k)
    sns.set_theme(style="white")
    fig, ax = plt.subplots(figsize=(6.0, 5.5))
    cs = ax.contour(xs, ys, zs, levels=10, colors="grey", linewidths=0.8)
    ax.clabel(cs, fontsize=7, fmt="%.3g")
    if np.nanmin(zs) < 0 < np.nanmax(zs):
        ax.contour(xs, ys, zs, levels=[0.0], colors="firebrick", linestyles="--", linewidths=1.2)
    ax.scatter([0], [0], marker="^", color="black", zorder=3)
    ax.annotate(
        f"unadjusted ({sensitivity.estimate:.3g})",
        (0, 0),
        textcoords="offset points",
        xytext=(6, 6),
        fontsize=8,
    )
    for _, b in sensitivity.bounds.iterrows():
        ax.scatter([b["r2dz_x"]], [b["r2yz_dx"]], marker="D", color="firebrick", zorder=3)
        ax.annotate(
            f"{b['bound']} ({b['adjusted_estimate']:.3g})",
            (b["r2dz_x"], b["r2yz_dx"]),
            textcoords="offset points",
            xytext=(6, 4),
            fontsize=8,
        )
    ax.set_xlabel("partial R$^2$ of confounder with the treatment")
    ax.set_ylabel("partial R$^2$ of confounder with the outcome")
    return _finish(fig, ax, title, bool(sensitivity.model.synthetic), path)


@strict_keywords
def specification_curve_plot(
    frame,
    path: str | Path,
    *,
    title: str,
    choices: tuple[str, ...] = ("estimator", "controls", "fixed_effects", "sample"),
    truth: float | None = None,
    synthetic: bool | None = None,
    ylabel: str = "estimate (95% CI)",
) -> Path:
    """Specification curve: sorted estimates with CIs above a panel of the choices behind each.

    Computes nothing: every number comes from the frame of
    :func:`welfare.robustness.speccurve.specification_curve` (Simonsohn, Simmons & Nelson
    2020, Fig. 2 layout). Significant estimates (column ``significant``) are drawn filled,
    the others hollow; the lower panel has one row per level of each choice and a mark where
    the specification uses it.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``estimate, conf_low, conf_high, significant`` and the ``choices`` columns.
    path : str or pathlib.Path
        PNG file to write.
    title : str
        Prefixed with "SYNTHETIC DATA - " for synthetic data.
    choices : tuple of str, default ("estimator", "controls", "fixed_effects", "sample")
        Choice columns shown in the lower panel (a choice with one level is left out).
    truth : float, optional
        A known effect (a synthetic twin's), drawn as a dashed red line.
    synthetic : bool, optional
        Default ``frame.attrs["synthetic"]`` (False if absent).
    ylabel : str, default "estimate (95% CI)"

    Returns
    -------
    pathlib.Path

    Raises
    ------
    UnknownOptionError
        A column the plot needs is not in the frame.

    References
    ----------
    Simonsohn, U., Simmons, J. P. & Nelson, L. D. (2020). Specification curve analysis.
    *Nature Human Behaviour* 4(11), 1208-1214. doi:10.1038/s41562-020-0912-z
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    import seaborn as sns

    need = ["estimate", "conf_low", "conf_high", "significant", *choices]
    absent = [c for c in need if c not in frame.columns]
    if absent:
        raise UnknownOptionError(f"specification curve frame: expected columns {absent}")
    f = frame.sort_values("estimate", kind="mergesort").reset_index(drop=True)
    x = np.arange(len(f))
    shown = [c for c in choices if f[c].nunique() > 1]
    levels = [(c, lev) for c in shown for lev in dict.fromkeys(frame[c])]
    sns.set_theme(style="whitegrid")
    fig, (top, bot) = plt.subplots(
        2, 1, sharex=True, figsize=(max(6.5, 0.12 * len(f) + 3.5), 4.0 + 0.22 * len(levels)),
        gridspec_kw={"height_ratios": [2.2, max(0.6, 0.2 * len(levels))]},
    )  # fmt: skip
    sig = f["significant"].to_numpy(dtype=bool)
    top.vlines(x, f["conf_low"], f["conf_high"], color="grey", lw=1)
    top.scatter(x[sig], f["estimate"][sig], color="C0", s=18, zorder=3, label="p < alpha")
    top.scatter(x[~sig], f["estimate"][~sig], facecolors="white", edgecolors="C0", s=18,
                zorder=3, label="not significant")  # fmt: skip
    top.axhline(0, color="grey", lw=1)
    if truth is not None:
        top.axhline(float(truth), color="firebrick", lw=1.5, ls="--", label="truth")
    top.set_ylabel(ylabel)
    top.legend(fontsize=7, loc="best")
    for i, (c, lev) in enumerate(levels):
        on = (f[c] == lev).to_numpy()
        bot.scatter(x[on], np.full(on.sum(), i), marker="|", s=60, color="black")
    bot.set_yticks(range(len(levels)), [f"{c}: {lev}" for c, lev in levels], fontsize=7)
    bot.set_ylim(len(levels) - 0.5, -0.5)
    bot.set_xlabel("specification (sorted by estimate)")
    if synthetic is None:
        synthetic = bool(frame.attrs.get("synthetic", False))
    return _finish(fig, top, title, bool(synthetic), path, figure_title=True)
