"""Figures of a cohort summary as SVG text (inline in HTML) or PNG bytes.

Built on matplotlib's object API with the Agg canvas (no pyplot global state), so the
web app can call them from several threads.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

import matplotlib
import numpy as np

matplotlib.use("Agg")

from matplotlib import colormaps, rc_context  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyBboxPatch, Polygon  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from calcispine.knowledge import OTHER_PREFIX, load_vocabulary  # noqa: E402
from calcispine.model import Case, Region, all_levels  # noqa: E402

from ._summary import CohortSummary  # noqa: E402

_RC: dict[Any, Any] = {
    "svg.hashsalt": "calcispine",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_INK = "#2b2b2b"
_PALETTE = ("#b2182b", "#2166ac", "#4d9221", "#e08214", "#8073ac", "#35978f", "#bf812d", "#878787", "#de77ae")


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _empty(fig: Figure, message: str) -> Figure:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", color="#666666")
    return fig


def _treatment_label(code: str) -> str:
    vocab = load_vocabulary()
    if code in vocab.treatment:
        return vocab.treatment[code].label.split(" (")[0]
    return code.removeprefix(OTHER_PREFIX)


def _etiology_label(category: str) -> str:
    labels = {"none_reported": "no particular cause", "dialysis": "dialysis-related",
              "trauma_or_surgery": "trauma or surgery", "connective_tissue": "rheumatic / connective tissue",
              "multiple": "several causes", "other": "other cause", "unknown": "not reported"}
    return labels.get(category, category.removeprefix(OTHER_PREFIX).replace("_", " "))


# ------------------------------------------------------------------------------------------ builders


def build_age_distribution(summary: CohortSummary) -> Figure:
    fig = _new_figure(6.4, 3.4)
    if not summary.ages:
        return _empty(fig, "no ages reported")
    ax = fig.add_subplot()
    top = max(100, int(max(summary.ages) // 10 * 10 + 10))
    bins = list(range(0, top + 1, 10))
    hist, _ = np.histogram(summary.ages, bins=bins)
    counts = [int(h) for h in hist]
    ax.bar(bins[:-1], counts, width=10, align="edge", color="#6f9fc9", edgecolor="white", linewidth=1.2)
    for left, count in zip(bins[:-1], counts, strict=True):
        if count:
            ax.text(left + 5, count + 0.15, str(count), ha="center", va="bottom",
                    fontsize=9, zorder=5, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
    mean, median = summary.mean_age_years, summary.median_age_years
    if mean is not None:
        ax.axvline(mean, color="#b2182b", linewidth=1.5, label=f"mean {mean:.1f} y")
    if median is not None:
        ax.axvline(median, color=_INK, linewidth=1.2, linestyle="--", label=f"median {median:.1f} y")
    ax.set_xticks(bins)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0, top)
    ax.set_ylim(0, max(counts) * 1.18 + 0.5)
    ax.set_xlabel("age at presentation (years)")
    ax.set_ylabel("cases")
    ax.set_title(f"Age distribution (n = {len(summary.ages)}; {summary.pooled})", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=9)
    return fig


_BODY = {Region.CERVICAL: (0.62, 1.00), Region.THORACIC: (0.78, 1.25), Region.LUMBAR: (1.0, 1.65), Region.SACRAL: (0.75, 1.5)}
_DISC = 0.22
_SIZE = {Region.CERVICAL: 7, Region.THORACIC: 12, Region.LUMBAR: 5, Region.SACRAL: 5}
_BEND = {Region.CERVICAL: -0.16, Region.THORACIC: 0.28, Region.LUMBAR: -0.22, Region.SACRAL: 0.35}


def _curve(region: Region, number: int) -> float:
    """Sideways offset of a body: cervical and lumbar lordosis, thoracic kyphosis, sacral tilt (front = left)."""
    t = (number - 0.5) / _SIZE[region]
    return _BEND[region] * (t if region is Region.SACRAL else math.sin(math.pi * t))


def build_spine_levels(summary: CohortSummary) -> Figure:
    """A vertical column of vertebrae C1..S5, each shaded by how many cases involve it."""
    fig = _new_figure(4.6, 9.6)
    ax = fig.add_subplot()
    counts = summary.level_counts
    peak = max(counts.values(), default=0) or 1
    cmap = colormaps["YlOrRd"]
    norm = Normalize(vmin=0, vmax=peak)
    y = 0.0
    region_span: dict[Region, list[float]] = {}
    for lv in all_levels():
        height, width = _BODY[lv.region]
        if lv.region is Region.SACRAL:
            width *= 1 - 0.16 * (lv.number - 1)  # the sacrum tapers
            height *= 0.9
        x0 = _curve(lv.region, lv.number)
        n = counts.get(lv.name, 0)
        face = cmap(norm(n)) if n else "#f2f2f2"
        top = y
        ax.add_patch(FancyBboxPatch(
            (x0 - width / 2, top - height), width, height,
            boxstyle="round,pad=0,rounding_size=0.12", facecolor=face, edgecolor="#555555", linewidth=0.9,
        ))
        # posterior elements: pedicle and spinous process pointing backwards and down
        px = x0 + width / 2
        spine_len = 0.55 if lv.region is not Region.SACRAL else 0.3
        ax.add_patch(Polygon(
            [(px, top - 0.15 * height), (px + spine_len, top - 0.45 * height),
             (px + spine_len, top - 0.85 * height), (px, top - 0.75 * height)],
            closed=True, facecolor=face, edgecolor="#777777", linewidth=0.7, alpha=0.85,
        ))
        cy = top - height / 2
        ax.text(-1.15, cy, lv.name, ha="right", va="center", fontsize=8.5, color=_INK)
        if n:
            text_color = "white" if norm(n) > 0.6 else _INK
            ax.text(x0, cy, str(n), ha="center", va="center", fontsize=9, fontweight="bold", color=text_color)
        region_span.setdefault(lv.region, []).extend([top, top - height])
        y = top - height - (_DISC if lv.region is not Region.SACRAL else 0.06)
    for region, ys in region_span.items():
        hi, lo = max(ys), min(ys)
        x = -2.0
        ax.plot([x + 0.08, x, x, x + 0.08], [hi, hi, lo, lo], color="#888888", linewidth=1)
        n_region = summary.region_counts.get(region.value, 0)
        ax.text(x - 0.08, (hi + lo) / 2, f"{region.value}\n{n_region} case{'s' if n_region != 1 else ''}",
                ha="right", va="center", fontsize=8.5, color=_INK, rotation=90, multialignment="center")
    ax.set_xlim(-2.6, 1.75)
    ax.set_ylim(y - 0.2, 0.35)
    ax.set_aspect("equal")
    ax.set_axis_off()
    fig.suptitle(f"Cases per vertebral level (n = {summary.cases})\n{summary.pooled}", fontsize=11)
    mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(mappable, ax=ax, orientation="horizontal", fraction=0.03, pad=0.01, shrink=0.7)
    bar.set_label("cases involving the level (a span counts at each level)", fontsize=8)
    bar.ax.tick_params(labelsize=8)
    return fig


def build_etiology_by_region(summary: CohortSummary) -> Figure:
    fig = _new_figure(6.4, 3.8)
    table = summary.etiology_by_region
    regions = [r.value for r in Region if any(row.get(r.value, 0) for row in table.values())]
    if any(row.get("unknown", 0) for row in table.values()):
        regions.append("unknown")
    if not regions:
        return _empty(fig, "no cases")
    ax = fig.add_subplot()
    cats = sorted(table, key=lambda c: (-sum(table[c].values()), c))
    bottom = [0] * len(regions)
    for i, cat in enumerate(cats):
        vals = [table[cat].get(r, 0) for r in regions]
        color = _PALETTE[i % len(_PALETTE)]
        ax.bar(regions, vals, bottom=bottom, color=color, edgecolor="white", linewidth=0.8,
               label=f"{_etiology_label(cat)} ({sum(vals)})")
        for x, (v, b) in enumerate(zip(vals, bottom, strict=True)):
            if v:
                ax.text(x, b + v / 2, str(v), ha="center", va="center", fontsize=8, color="white", fontweight="bold")
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    for x, total in enumerate(bottom):
        ax.text(x, total, str(total), ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, max(bottom) * 1.12 + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("cases (region of the first level)")
    ax.set_title(f"Etiology by region ({summary.pooled})", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def build_treatments(summary: CohortSummary) -> Figure:
    items = list(summary.treatment_counts.items())
    fig = _new_figure(6.4, 0.9 + 0.3 * max(len(items), 1))
    if not items:
        return _empty(fig, "no treatments reported")
    ax = fig.add_subplot()
    items.reverse()
    labels = [_treatment_label(code) for code, _ in items]
    values = [n for _, n in items]
    ax.barh(labels, values, color="#4d9221", height=0.65)
    for i, v in enumerate(values):
        ax.text(v + 0.15, i, str(v), va="center", fontsize=8.5)
    ax.set_xlim(0, max(values) * 1.12 + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"cases (of {summary.cases}); a case can have several treatments")
    ax.set_title(f"Treatments ({summary.pooled})", loc="left", fontsize=11)
    ax.tick_params(axis="y", labelsize=9)
    return fig


def build_outcomes(summary: CohortSummary) -> Figure:
    """Outcome as the reports state it, one bar per status; cases with none reported shown apart."""
    counts = summary.outcome_counts
    stated = [(k, n) for k, n in counts.items() if k != "not reported"]
    silent = counts.get("not reported", 0)
    fig = _new_figure(6.4, 1.2 + 0.3 * max(len(stated) + 1, 2))
    if not summary.cases:
        return _empty(fig, "no cases")
    ax = fig.add_subplot()
    rows = [*reversed(stated), ("not reported", silent)] if silent else list(reversed(stated))
    labels = [k for k, _ in rows]
    values = [n for _, n in rows]
    colors = ["#b0b0b0" if k == "not reported" else "#2166ac" for k in labels]
    ax.barh(labels, values, color=colors, height=0.65)
    for i, v in enumerate(values):
        ax.text(v + 0.15, i, str(v), va="center", fontsize=8.5)
    ax.set_xlim(0, max(values, default=0) * 1.12 + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    reported = summary.cases - silent
    ax.set_xlabel(f"cases (of {summary.cases}; an outcome is reported for {reported})")
    ax.set_title(f"Outcome after treatment ({summary.pooled})", loc="left", fontsize=11)
    ax.tick_params(axis="y", labelsize=9)
    return fig


def build_dialysis_finding(summary: CohortSummary) -> Figure:
    fig = _new_figure(6.4, 2.7)
    finding = summary.finding("dialysis_by_region")
    table = finding.table
    if table.n == 0:
        return _empty(fig, "no dialysis-related or no-particular-cause cases in this subset")
    ax = fig.add_subplot()
    rows = list(table.row_labels)
    for i, row in enumerate(rows):
        p = table.proportion(row, "cervical")
        if not p.n:
            continue
        color = _PALETTE[0] if row == "dialysis" else _PALETTE[1]
        ax.barh(i, 100 * p.estimate, color=color, alpha=0.35, height=0.55)
        ax.errorbar(100 * p.estimate, i, xerr=[[max(0.0, 100 * (p.estimate - p.low))], [max(0.0, 100 * (p.high - p.estimate))]],
                    fmt="o", color=color, capsize=5, linewidth=1.6)
        ax.text(104, i, f"{p.k}/{p.n}", va="center", fontsize=9)
    ax.set_yticks(range(len(rows)), [f"{_etiology_label(r)}" for r in rows])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.invert_yaxis()
    ax.set_xlim(0, 115)
    ax.set_xlabel("cervical cases, % (95% Wilson interval)")
    p_text = "not testable" if table.p_value is None else f"Fisher's exact p = {table.p_value:.4f}"
    ax.set_title(f"Share of cases at the cervical spine\n({summary.pooled})\n{p_text} ({table.n} cases)", loc="left",
                 fontsize=10.5)
    return fig


FigureName = Literal[
    "age_distribution", "spine_levels", "etiology_by_region", "treatments", "outcomes", "dialysis_finding",
]
BUILDERS: dict[str, Callable[[CohortSummary], Figure]] = {
    "age_distribution": build_age_distribution,
    "spine_levels": build_spine_levels,
    "etiology_by_region": build_etiology_by_region,
    "treatments": build_treatments,
    "outcomes": build_outcomes,
    "dialysis_finding": build_dialysis_finding,
}


def figure_data(name: str, summary: CohortSummary, cases: Sequence[Case] = ()) -> list[list[Any]]:
    """The numbers a figure draws, as table rows with a header first (for a CSV beside the figure)."""
    if name not in BUILDERS:
        raise ValueError(f"unknown figure {name!r}; choose one of {', '.join(BUILDERS)}")
    d = summary.to_dict()
    if name == "spine_levels":
        return [["level", "cases"], *([lv.name, d["level_counts"].get(lv.name, 0)] for lv in all_levels())]
    if name == "age_distribution":
        return [["case_id", "age_years"], *([c.id, c.age_midpoint] for c in cases if c.age_midpoint is not None)]
    if name == "etiology_by_region":
        return [["region", "etiology", "cases"],
                *([region, cat, n] for cat, row in d["etiology_by_region"].items() for region, n in row.items())]
    if name == "treatments":
        return [["treatment", "cases"], *([k, v] for k, v in d["treatment_counts"].items())]
    if name == "outcomes":
        return [["outcome", "cases"], *([k, v] for k, v in d["outcome_counts"].items())]
    table = summary.finding("dialysis_by_region").table
    return [["row", "column", "cases"],
            *([r, c, table.counts[i][j]] for i, r in enumerate(table.row_labels) for j, c in enumerate(table.col_labels))]


# ------------------------------------------------------------------------------------------ rendering


def _build(name: str, summary: CohortSummary) -> Figure:
    if name not in BUILDERS:
        raise ValueError(f"unknown figure {name!r}; choose one of {', '.join(BUILDERS)}")
    return BUILDERS[name](summary)


def figure_svg(name: str, summary: CohortSummary) -> str:
    """An ``<svg>`` element ready to inline in HTML (no XML prolog, no external references)."""
    with rc_context(_RC):
        fig = _build(name, summary)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    return re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)


def figure_png(name: str, summary: CohortSummary, dpi: int = 110) -> bytes:
    with rc_context(_RC):
        fig = _build(name, summary)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def figure_age_distribution(summary: CohortSummary) -> str:
    return figure_svg("age_distribution", summary)


def figure_spine_levels(summary: CohortSummary) -> str:
    return figure_svg("spine_levels", summary)


def figure_etiology_by_region(summary: CohortSummary) -> str:
    return figure_svg("etiology_by_region", summary)


def figure_treatments(summary: CohortSummary) -> str:
    return figure_svg("treatments", summary)


def figure_outcomes(summary: CohortSummary) -> str:
    return figure_svg("outcomes", summary)


def figure_dialysis_finding(summary: CohortSummary) -> str:
    return figure_svg("dialysis_finding", summary)
