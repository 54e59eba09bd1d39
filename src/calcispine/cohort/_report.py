"""One self-contained HTML report of a cohort: figures inlined as SVG, no external links."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from html import escape
from pathlib import Path

from calcispine import __version__
from calcispine.knowledge import load_vocabulary
from calcispine.model import Case, Source, render_levels

from ._figures import figure_svg
from ._summary import CohortSummary, summarise

#: How the summary's figures are named for a reader, in report order.
FIGURE_LABELS: dict[str, str] = {
    "cases": "Cases",
    "male": "Male",
    "female": "Female",
    "mean_age_years": "Mean age (years)",
    "median_age_years": "Median age (years)",
    "age_range_years": "Age range (years)",
    "cervical": "Cervical (first level)",
    "thoracic": "Thoracic (first level)",
    "lumbar": "Lumbar (first level)",
    "sacral": "Sacral (first level)",
    "no_particular_cause": "No particular cause",
    "hyperphosphatemia": "Hyperphosphatemia",
    "secondary": "Secondary (Smack class)",
    "trauma_or_surgery": "Trauma or prior surgery",
    "dialysis_related": "Dialysis-related",
    "osteoarthritis": "Osteoarthritis",
    "seronegative_spondyloarthropathy": "Seronegative spondyloarthropathy",
    "surgical": "Any surgical treatment",
    "surgical_resection": "Surgical resection",
    "parathyroidectomy": "Parathyroidectomy",
    "renal_transplantation": "Renal transplantation",
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.muted{color:#666;font-size:.9rem}table{border-collapse:collapse;font-size:.88rem}
th,td{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}.fig svg{max-width:100%;height:auto}
.finding{background:#fff8e6;border-left:4px solid #e08214;padding:.6rem 1rem;margin:1rem 0}
"""


def format_value(value: object) -> str:
    if isinstance(value, list | tuple):
        return "-".join(format_value(v) for v in value)
    if value is None:
        return "n/a"
    return str(value)


def case_citation(case: Case, sources: Mapping[str, Source]) -> str:
    """How a report names a case: the cited report, then every source stating it."""
    parts = []
    if case.cites is not None:
        ref = f" [{case.cites.reference}]" if case.cites.reference else ""
        parts.append(f"{case.cites.first_author}{ref} {case.cites.year or ''}".strip())
    for sid in case.source_ids:
        parts.append(sources[sid].citation() if sid in sources else sid)
    return "; ".join(dict.fromkeys(parts))


TC_TITLE = "Spinal tumoral calcinosis: pooled published cases"
MIXED_TITLE = "Calcified lesions of the spine: pooled published cases of several diagnoses"


def report_title(summary: CohortSummary) -> str:
    """A title that names what is pooled."""
    if summary.is_mixed:
        return MIXED_TITLE
    if summary.pooled in ("tumoral calcinosis", "no cases"):
        return TC_TITLE
    return f"Spinal {summary.pooled}: pooled published cases"


def render_report(
    cases: Iterable[Case],
    sources: Mapping[str, Source] | Iterable[Source] | None = None,
    *,
    title: str | None = None,
    subset: str | None = None,
    summary: CohortSummary | None = None,
) -> str:
    """The report as one HTML string (figures as inline SVG; nothing fetched from anywhere).

    The title and every figure say what is pooled: tumoral calcinosis alone gets the TC title;
    a mix of diagnoses is named as a mix, with each diagnosis and its count.
    """
    cases = list(cases)
    by_id = dict(sources) if isinstance(sources, Mapping) else {s.id: s for s in (sources or ())}
    summary = summary or summarise(cases, by_id)
    if title is None:
        title = report_title(summary)
    data = summary.to_dict()
    vocab = load_vocabulary()
    finding = summary.finding("dialysis_by_region")

    stats_rows = "".join(
        f"<tr><th>{escape(label)}</th><td class='n'>{escape(format_value(data[key]))}</td></tr>"
        for key, label in FIGURE_LABELS.items()
    )

    def fig(name: str, caption: str) -> str:
        return f"<figure class='fig'>{figure_svg(name, summary)}<figcaption class='muted'>{escape(caption)}</figcaption></figure>"

    def treatment_text(case: Case) -> str:
        return ", ".join(
            vocab.treatment[c].label.split(" (")[0] if c in vocab.treatment else c.removeprefix("other:")
            for c in case.treatment_codes
        )

    case_rows = "".join(
        "<tr>"
        f"<td>{escape(c.id)}</td>"
        f"<td>{escape(c.sex.value)}</td>"
        f"<td class='n'>{escape(format_value(c.age_years if c.age_years is not None else c.age_range_years))}</td>"
        f"<td>{escape(render_levels(c.levels) or 'n/a')}</td>"
        f"<td>{escape(', '.join(t.removeprefix('other:') for t in c.etiology) or 'n/a')}</td>"
        f"<td>{escape(treatment_text(c) or 'n/a')}</td>"
        f"<td>{escape(case_citation(c, by_id))}</td>"
        "</tr>"
        for c in cases
    )
    table = finding.table
    finding_rows = "".join(
        f"<tr><th>{escape(r)}</th>" + "".join(f"<td class='n'>{n}</td>" for n in row) + "</tr>"
        for r, row in zip(table.row_labels, table.counts, strict=True)
    )
    finding_head = "".join(f"<th>{escape(c)}</th>" for c in table.col_labels)
    subset_text = f"Subset: {escape(subset)}. " if subset else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="muted">{subset_text}Pooled: {escape(summary.pooled)}. {summary.cases} cases from {summary.source_count} source(s). calcispine {escape(__version__)},
vocabulary {escape(vocab.version)}. Region = region of the first level listed; a case counts once per category.</p>
<h2>Pooled figures</h2>
<div class="grid"><table>{stats_rows}</table>{fig("age_distribution", "Age at presentation, 10-year bins.")}</div>
<h2>Levels along the spine</h2>
<div class="grid">{fig("spine_levels", "Each vertebra shaded by the number of cases whose span includes it.")}
<div>{fig("etiology_by_region", "Etiology by region of the first level.")}
{fig("treatments", "Treatments (a case may have several).")}
{fig("outcomes", "Outcome after treatment as the reports state it.")}</div></div>
<h2>Finding: where dialysis-related cases sit</h2>
<div class="finding"><p>{escape(finding.statement)}</p>
<table><tr><th></th>{finding_head}</tr>{finding_rows}</table></div>
{fig("dialysis_finding", "Share of cervical cases with 95% Wilson intervals.")}
<h2>Cases</h2>
<table><tr><th>case</th><th>sex</th><th>age</th><th>levels</th><th>etiology</th><th>treatment</th><th>cited as / sources</th></tr>
{case_rows}</table>
</body></html>
"""


def write_report(path: Path | str, html: str) -> Path:
    """Write atomically (temp file in the same folder, then rename): never a half-written report."""
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is meant to be shared
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
