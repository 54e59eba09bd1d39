"""Markdown form of an assessment (the CLI's table form is built from the same fields)."""

from __future__ import annotations

from ._api import Assessment


def to_markdown(a: Assessment, top: int = 5) -> str:
    lines = [f"# Assessment{' of ' + a.patient_id if a.patient_id else ''}", ""]
    lines += [f"Knowledge base {a.versions.get('knowledge_base')}, HPO release {a.versions.get('hpo_release')}.", ""]
    if a.caution:
        lines += [f"> **Caution:** {a.caution}", ""]
    lines += ["## Differential", "", "| rank | diagnosis | id | probability |", "|---:|---|---|---:|"]
    for i, c in enumerate(a.differential, 1):
        lines.append(f"| {i} | {c.label} | {c.id or ''} | {c.probability:.3f} |")
    for c in a.differential[:top]:
        lines += ["", f"### {c.label} ({c.probability:.3f})", "", "| finding | status | LR | frequency | basis | source |",
                  "|---|---|---:|---:|---|---|"]
        for x in c.explanation:
            src = "; ".join(a.citations.get(k, k) for k in x.cites)
            lines.append(f"| {x.label} | {'present' if x.present else 'excluded'} | {x.lr:.2f} | {x.frequency:.2f} | "
                         f"{x.basis} | {src} |")
    lines += ["", "## What to check next", ""]
    for n in a.next_checks:
        lines.append(f"- **{n.check}** ({', '.join(n.labels)}): {n.information_gain:.3f} bits; "
                     f"if present favours {n.favours_if_present}, if absent {n.favours_if_absent}")
    e = a.etiology
    lines += ["", "## Tumoral calcinosis etiology", "",
              f"Class: {e.etiology_class or 'undecided'}; Boulman: {', '.join(e.boulman) or 'undecided'}", ""]
    lines += [f"- {r}" for r in e.reasons]
    lines += ["", "## Labs", ""] + [f"- {s}" for s in a.labs.statements]
    lines += ["", "## Management", ""]
    for m in a.management:
        lines.append(f"- **{m.label}**: {m.status} ({m.reason}). {m.rationale}. Sources: {'; '.join(m.citations)}. "
                     f"Registry patients treated so: {m.registry_patients}"
                     + (f" ({'; '.join(m.registry_outcomes)})" if m.registry_outcomes else ""))
    lines += ["", "## Similar published cases", ""]
    for s in a.similar_cases:
        lines.append(f"- {s.case_id} ({s.diagnosis or 'diagnosis not recorded'}), score {s.score:.2f}: "
                     f"{'; '.join(s.reasons)}. Source: {', '.join(s.citations)}")
    return "\n".join(lines) + "\n"
