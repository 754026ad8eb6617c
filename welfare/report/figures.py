"""Figures from tidy tables (seaborn/matplotlib). Figures compute nothing themselves."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from welfare._options import strict_keywords
from welfare.inference.results import Results
from welfare.report.tables import tidy_frame

__all__ = ["coefficient_plot"]


@strict_keywords
def coefficient_plot(
    models: Results | Mapping[str, Results],
    path: str | Path,
    *,
    title: str,
    terms: list[str] | None = None,
    xlabel: str = "estimate (95% CI)",
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
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * long["term"].nunique() * max(1, len(models)) + 1.8))
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
    ax.set_yticks(range(len(order)), order)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(("SYNTHETIC DATA - " if synthetic else "") + title, fontsize=10)
    if len(models) > 1:
        ax.legend(fontsize=8, loc="best")
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
