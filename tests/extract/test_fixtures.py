"""Our own fixture texts: a case series, SI units, British spelling, negations, XML, PDF, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from calcispine.config import Settings
from calcispine.extract import ReadError, extract_case, read_document, to_summary

DATA = Path(__file__).parent / "data"


def _summaries(name: str) -> list[dict]:
    res = extract_case(read_document(DATA / name))
    for c in res.cases:
        for f in c.findings:
            assert f.evidence is not None and res.document.text[f.evidence.start:f.evidence.end] == f.evidence.text
    return [to_summary(c, name) for c in res.cases]


def test_case_series_gives_one_case_per_patient() -> None:
    first, second = _summaries("series-two-patients.txt")
    assert (first["age_years"], first["sex"], first["levels"], first["side"]) == (47, "male", ["C5", "C6"], "left")
    # maintenance haemodialysis means end-stage kidney disease (KDIGO G5D)
    assert sorted(first["etiology"]) == ["chronic_kidney_disease", "hemodialysis"]
    # values and units as the text writes them, micro sign included
    assert first["labs"] == {"calcium": "2.61 mmol/L", "phosphate": "2.3 mmol/L", "creatinine": "845 µmol/L"}
    assert sorted(first["treatment"]) == ["hemilaminectomy", "resection"]
    assert first["follow_up_months"] == 12 and first["neuro_deficit"] is True
    assert (second["age_years"], second["sex"], second["levels"]) == (1.83, "female", ["T11", "T12"])
    assert second["neuro_deficit"] is False and second["follow_up_months"] == 6
    assert "conservative" in second["treatment"] and "biopsy" in second["treatment"]


def test_negations_are_excluded_not_observed() -> None:
    res = extract_case(read_document(DATA / "series-two-patients.txt"))
    first = res.cases[0]
    assert "HP:0001945" in {f.hpo_id for f in first.excluded}  # no fever
    assert "HP:0001945" not in {f.hpo_id for f in first.observed}
    assert "trauma" not in first.etiology  # denied trauma
    for c in res.cases:  # the discussion's seizures and Raynaud belong to other patients
        assert not {f.label for f in c.findings} & {"Seizure", "Raynaud phenomenon"}


def test_british_spelling_decades_and_si_units() -> None:
    (s,) = _summaries("british-single.txt")
    assert s["age_range_years"] == [67, 69] and s["age_years"] is None
    assert s["sex"] == "male" and s["levels"] == ["L4", "L5"] and s["side"] == "right"
    assert sorted(s["etiology"]) == ["chronic_kidney_disease", "peritoneal_dialysis"]
    assert s["labs"]["calcium"] == "2.48 mmol/L" and s["labs"]["parathyroid hormone"] == "increased"
    assert sorted(s["treatment"]) == ["dialysis_intensification", "medical_therapy"]
    assert s["neuro_deficit"] is False and s["follow_up_months"] == 18


def test_si_values_are_normalised() -> None:
    res = extract_case(read_document(DATA / "series-two-patients.txt"))
    ca = next(m for m in res.cases[0].measurements if m.analyte == "calcium")
    assert ca.normalised_unit == "mg/dL" and ca.normalised_value == pytest.approx(2.61 * 4.008, rel=1e-3)


def test_jats_xml() -> None:
    doc = read_document(DATA / "jats-case.xml")
    assert doc.format == "jats" and doc.pmid == "12345678" and doc.year == 2020 and doc.authors[0].startswith("Rivera")
    (s,) = _summaries("jats-case.xml")
    assert s["age_years"] == 64 and s["sex"] == "female" and s["levels"] == ["C1", "C2"]
    assert s["etiology"] == ["scleroderma"] and s["treatment"] == ["resection"] and s["follow_up_months"] == 24


def test_pubmed_xml() -> None:
    doc = read_document(DATA / "pubmed-case.xml")
    assert doc.format == "pubmed" and doc.pmid == "87654321"
    res = extract_case(doc)
    assert res.source.id == "pmid:87654321"
    s = to_summary(res.cases[0], "pubmed-case.xml")
    assert s["age_years"] == 16 and s["sex"] == "male" and s["levels"] == ["T7", "T8"]
    assert sorted(s["treatment"]) == ["laminectomy", "resection"] and s["neuro_deficit"] is True


def _pdf(path: Path, text: str | None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path) as pdf:
        fig = plt.figure(figsize=(8.5, 11))
        if text is None:
            ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
            ax.imshow([[0, 1], [1, 0]])
            ax.axis("off")
        else:
            for i, line in enumerate(text.splitlines()):
                fig.text(0.05, 0.95 - i * 0.03, line, fontsize=9)
        pdf.savefig(fig)
        plt.close(fig)
    return path


def test_pdf_with_text_layer(tmp_path: Path) -> None:
    lines = (DATA / "british-single.txt").read_text(encoding="utf-8").split(". ")
    p = _pdf(tmp_path / "text-layer.pdf", "\n".join(lines[:6]) + ".")
    doc = read_document(p)
    assert doc.format == "pdf"
    res = extract_case(doc)
    assert res.cases and [str(x) for x in res.cases[0].levels] == ["L4", "L5"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", bytes(range(256)) * 20, "binary"),
        ("broken.xml", b"<?xml version='1.0'?><article><front>", "malformed XML"),
    ],
)
def test_bad_input_gives_a_one_line_error_naming_the_file(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(ReadError, match=message) as err:
        read_document(p)
    assert name in str(err.value) and "\n" not in str(err.value)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    p = _pdf(tmp_path / "no-text.pdf", None)
    with pytest.raises(ReadError, match="no text layer"):
        read_document(p)


def test_size_limit(tmp_path: Path) -> None:
    p = tmp_path / "big.txt"
    p.write_text("A 50-year-old woman. " * 100, encoding="utf-8")
    with pytest.raises(ReadError, match="over the limit"):
        read_document(p, Settings(max_upload_bytes=500))


def test_not_a_case_report() -> None:
    res = extract_case(read_document(DATA / "not-a-case.txt"))
    assert res.cases == () and any("no patient" in i.message for i in res.issues)


def test_other_encodings_are_detected(tmp_path: Path) -> None:
    p = tmp_path / "latin1.txt"
    p.write_bytes("Case report\nA 40-year-old woman from Mâcon had neck pain; the mass was at C2-C3 près du facet.".encode("latin-1"))
    doc = read_document(p)
    assert "Mâcon" in doc.text


def test_line_ends_are_one_newline_however_the_text_arrives() -> None:
    """Evidence offsets point into the text with LF line ends, whether a file, a form or a paste gave CRLF or CR."""
    from calcispine.extract import Document

    text = (DATA / "series-two-patients.txt").read_text(encoding="utf-8")
    for sent in (text.replace("\n", "\r\n"), text.replace("\n", "\r")):
        res = extract_case(Document(text=sent))
        assert res.document.text == text
        assert res.cases == extract_case(Document(text=text)).cases
