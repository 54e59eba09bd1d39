"""Reading a report from disk (plain text, PDF, PubMed MEDLINE XML, PMC JATS XML) into a Document.

The edge of the extraction package: everything here does I/O; everything after it is pure.
Evidence offsets point into ``Document.text``: the file's own text for plain text, the text
calcispine read out of the markup or the PDF's text layer otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from calcispine.config import Settings

SUPPORTED_SUFFIXES = (".txt", ".text", ".pdf", ".xml", ".nxml")


class ReadError(ValueError):
    """A file calcispine cannot read as a report; the message names the file and the problem."""


@dataclass(frozen=True)
class Document:
    """A report's text and what the file said about itself."""

    text: str
    name: str = "text"
    format: str = "text"
    title: str | None = None
    authors: tuple[str, ...] = ()
    year: int | None = None
    journal: str | None = None
    pmid: str | None = None
    doi: str | None = None
    meta: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", one_newline(self.text))


def one_newline(text: str) -> str:
    """Line ends as LF only, whatever the file or the browser sent (CRLF, CR), so evidence offsets
    into a text survive its round trip through a form."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def sniff_format(data: bytes) -> str:
    """What a file's first bytes say it is: ``pdf``, ``xml``, ``binary`` or ``text``, whatever its name."""
    if data[:5] == b"%PDF-":
        return "pdf"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<!DOCTYPE", b"<article", b"<Pubmed")):
        return "xml"
    return "binary" if b"\x00" in data[:8192] else "text"


def read_document(path: str | Path, settings: Settings | None = None) -> Document:
    """Read one file; raise ReadError with a one-line message naming it when it cannot be read."""
    s = settings or Settings()
    p = Path(path)
    if not p.is_file():
        raise ReadError(f"{p}: no such file")
    size = p.stat().st_size
    if size == 0:
        raise ReadError(f"{p}: the file is empty")
    if size > s.max_upload_bytes:
        raise ReadError(f"{p}: {size:,} bytes is over the limit of {s.max_upload_bytes:,} (CALCISPINE_MAX_UPLOAD_BYTES)")
    data = p.read_bytes()
    kind = sniff_format(data)
    if kind == "pdf":
        doc = _read_pdf(p, data)
    elif kind == "xml":
        doc = _read_xml(p, data)
    elif kind == "binary":
        raise ReadError(f"{p}: this is a binary file, not text, PDF or XML")
    else:
        doc = Document(text=_decode_text(p, data), name=p.name, format="text")
    if not doc.text.strip():
        raise ReadError(f"{p}: no text found in the file")
    if len(doc.text) > s.max_text_chars:
        raise ReadError(f"{p}: {len(doc.text):,} characters is over the limit of {s.max_text_chars:,} (CALCISPINE_MAX_TEXT_CHARS)")
    return doc


def document_from_text(text: str, name: str = "text") -> Document:
    return Document(text=text, name=name, format="text")


def _decode_text(p: Path, data: bytes) -> str:
    for enc in ("utf-8-sig",):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            text = ""
    if not text and sum(b > 127 for b in data) < 0.1 * len(data):
        # English reports in a legacy encoding are nearly always Windows-1252 / Latin-1;
        # detectors guess CJK code pages on such short, mostly-ASCII texts.
        text = data.decode("cp1252", errors="replace")
    if not text:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise ReadError(f"{p}: cannot tell the text encoding (is it a binary file?)")
        text = str(best)
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.01 * max(len(text[:8192]), 1):
        raise ReadError(f"{p}: this looks like a binary file, not text")
    return text


def _read_pdf(p: Path, data: bytes) -> Document:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ReadError(f"{p}: unreadable PDF ({exc})") from exc
    text = "\n\n".join(pg.strip("\n") for pg in pages)
    if len(re.sub(r"\s", "", text)) < 20:
        raise ReadError(f"{p}: the PDF has no text layer (a scan?); run OCR first")
    meta = reader.metadata
    title = str(meta.title) if meta is not None and meta.title else None
    return Document(text=text, name=p.name, format="pdf", title=title)


def _read_xml(p: Path, data: bytes) -> Document:
    from lxml import etree

    try:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False, huge_tree=False)
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ReadError(f"{p}: malformed XML ({exc})") from exc
    tag = etree.QName(root).localname
    if tag in ("PubmedArticleSet", "PubmedArticle", "MedlineCitation"):
        return _medline(p, root)
    if tag in ("article", "pmc-articleset"):
        art = root if tag == "article" else root.find(".//{*}article")
        if art is not None:
            return _jats(p, art)
    raise ReadError(f"{p}: XML with root <{tag}> is neither PubMed MEDLINE nor PMC JATS")


def _itext(el: object) -> str:
    from lxml import etree

    if el is None:
        return ""
    text = etree.tostring(el, method="text", encoding="unicode", with_tail=False)
    return re.sub(r"[ \t]*\n[ \t]*", " ", str(text)).strip()


def _year(text: str | None) -> int | None:
    m = re.search(r"\b(1[89]\d\d|20\d\d)\b", text or "")
    return int(m.group(1)) if m else None


def _medline(p: Path, root: object) -> Document:
    art = root.find(".//{*}MedlineCitation")  # type: ignore[attr-defined]
    if art is None:
        raise ReadError(f"{p}: PubMed XML without a MedlineCitation")
    title = _itext(art.find(".//{*}ArticleTitle"))
    parts = [title, ""]
    abstract = art.findall(".//{*}Abstract/{*}AbstractText")
    if abstract:
        parts.append("Abstract")
    for a in abstract:
        label = a.get("Label")
        body = _itext(a)
        parts.append(f"{label.capitalize() if label.isupper() else label}: {body}" if label else body)
    authors = tuple(
        " ".join(x for x in (_itext(a.find("{*}LastName")), _itext(a.find("{*}Initials"))) if x)
        for a in art.findall(".//{*}AuthorList/{*}Author")
    )
    pmid = _itext(art.find("{*}PMID")) or None
    doi = None
    for el in root.iter("{*}ArticleId", "{*}ELocationID"):  # type: ignore[attr-defined]
        if el.get("IdType") == "doi" or el.get("EIdType") == "doi":
            doi = _itext(el)
    year = _year(_itext(art.find(".//{*}PubDate")))
    journal = _itext(art.find(".//{*}Journal/{*}Title")) or None
    mesh = [_itext(d) for d in art.findall(".//{*}MeshHeading/{*}DescriptorName")]
    return Document(
        text="\n\n".join(parts).strip() + "\n", name=p.name, format="pubmed", title=title or None,
        authors=tuple(a for a in authors if a), year=year, journal=journal,
        pmid=pmid if pmid and pmid.isdigit() else None, doi=doi,
        meta={"mesh": "; ".join(m for m in mesh if m)} if mesh else {},
    )


def _jats(p: Path, art: object) -> Document:
    front = art.find("{*}front")  # type: ignore[attr-defined]
    title = _itext(front.find(".//{*}article-title")) if front is not None else ""
    parts: list[str] = [title, ""]
    if front is not None:
        for ab in front.findall(".//{*}abstract"):
            parts.append("Abstract")
            secs = ab.findall("{*}sec")
            if secs:
                for sec in secs:
                    st = _itext(sec.find("{*}title"))
                    body = " ".join(_itext(x) for x in sec.findall("{*}p"))
                    parts.append(f"{st}: {body}" if st else body)
            else:
                parts.extend(_itext(x) for x in ab.findall("{*}p"))
    body = art.find("{*}body")  # type: ignore[attr-defined]
    legends: list[str] = []
    if body is not None:
        _jats_sec(body, parts, legends)
    back = art.find("{*}back")  # type: ignore[attr-defined]
    if back is not None:
        refs = back.findall(".//{*}ref")
        if refs:
            parts.append("References")
            parts.extend(_itext(r) for r in refs)
    parts.extend(legends)
    authors: list[str] = []
    pmid = doi = None
    year = None
    journal = None
    if front is not None:
        for c in front.findall(".//{*}contrib[@contrib-type='author']"):
            sn = _itext(c.find(".//{*}surname"))
            gn = _itext(c.find(".//{*}given-names"))
            if sn:
                authors.append(f"{sn} {gn}".strip())
        for aid in front.findall(".//{*}article-id"):
            if aid.get("pub-id-type") == "pmid":
                pmid = _itext(aid)
            elif aid.get("pub-id-type") == "doi":
                doi = _itext(aid)
        pd = front.find(".//{*}pub-date/{*}year")
        year = _year(_itext(pd)) if pd is not None else None
        journal = _itext(front.find(".//{*}journal-title")) or None
    return Document(
        text="\n\n".join(x for x in parts).strip() + "\n", name=p.name, format="jats", title=title or None,
        authors=tuple(authors), year=year, journal=journal, pmid=pmid if pmid and pmid.isdigit() else None, doi=doi,
    )


def _jats_sec(el: object, parts: list[str], legends: list[str]) -> None:
    for child in el:  # type: ignore[attr-defined]
        if not isinstance(child.tag, str):
            continue
        name = child.tag.rsplit("}", 1)[-1]
        if name == "sec":
            t = _itext(child.find("{*}title"))
            if t:
                parts.append(t)
            _jats_sec(child, parts, legends)
        elif name == "p":
            for fig in child.findall(".//{*}fig"):
                _jats_fig(fig, legends)
                fig.getparent().remove(fig)
            parts.append(_itext(child))
        elif name in ("fig", "fig-group"):
            for fig in child.iter("{*}fig"):
                _jats_fig(fig, legends)
        elif name == "table-wrap":
            label = _itext(child.find("{*}label")) or "Table"
            cap = _itext(child.find("{*}caption"))
            rows = [" ".join(_itext(c) for c in tr) for tr in child.iter("{*}tr")]
            parts.append(f"{label} {cap}".strip())
            parts.extend(rows)


def _jats_fig(fig: object, legends: list[str]) -> None:
    label = _itext(fig.find("{*}label")) or "Figure"  # type: ignore[attr-defined]
    cap = _itext(fig.find("{*}caption"))  # type: ignore[attr-defined]
    if not re.match(r"fig", label, re.IGNORECASE):
        label = f"Figure {label}"
    legends.append(f"{label.rstrip('.')}. {cap}")
