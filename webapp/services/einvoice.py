"""EN 16931 e-invoice validation with the official artefacts (groundwork for issue 15).

One ``Validator`` per process (``validator()``) runs, for a CII (UN/CEFACT D16B) or UBL 2.1 Invoice/CreditNote
document:

1. the XML Schema (CII D16B uncoupled, or UBL 2.1 OS) with lxml;
2. the CEN/TC 434 EN 16931 schematron rules, compiled to XSLT 2.0, on Saxon-HE (``saxonche``): release 1.3.16 by
   default, 1.3.15 with XRechnung (the release the KoSIT XRechnung configuration 2026-01-31 bundles);
3. with ``xrechnung=True``: the KoSIT XRechnung 2.5.0 schematron, then the severity overrides
   (``customLevel``) of the KoSIT scenario whose specification id matches the document.

The artefacts are vendored in ``webapp/einvoice/artefacts`` (versions and sources in its ``VERSIONS.md``).
The Saxon processor, the compiled XSLT executables and the XSD schemas are built lazily, once per process,
under a lock; validation runs under the same lock (neither Saxon executables nor lxml schemas are meant to be
shared between threads while they run), a few milliseconds per document.

Input safety: the document is parsed by lxml with no network, no entity resolution and no DTD loading, and a
document carrying a DOCTYPE is refused (no e-invoice has one); Saxon only ever sees lxml's re-serialisation of
the parsed tree, so it cannot be made to read a file or URL either. Nothing here raises for bad input: a
malformed or unsupported document comes back as a ``Report`` with a fatal finding.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

log = logging.getLogger(__name__)

ARTEFACTS = Path(__file__).resolve().parent.parent / "einvoice" / "artefacts"

NS_CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_UBL = {"Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
          "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"}
NS_SVRL = "http://purl.oclc.org/dsdl/svrl"

CEN_DEFAULT = "1.3.16"
CEN_FOR_XRECHNUNG = "1.3.15"  # KoSIT XRechnung configuration v2026-01-31 bundles CEN 1.3.15
CEN_RELEASES = (CEN_DEFAULT, CEN_FOR_XRECHNUNG)

XSLT_FILES = {
    ("CII", "1.3.16"): "cen-en16931-1.3.16/EN16931-CII-validation.xslt",
    ("UBL", "1.3.16"): "cen-en16931-1.3.16/EN16931-UBL-validation.xslt",
    ("CII", "1.3.15"): "cen-en16931-1.3.15/EN16931-CII-validation.xslt",
    ("UBL", "1.3.15"): "cen-en16931-1.3.15/EN16931-UBL-validation.xslt",
    ("CII", "xrechnung"): "xrechnung-schematron-2.5.0/XRechnung-CII-validation.xsl",
    ("UBL", "xrechnung"): "xrechnung-schematron-2.5.0/XRechnung-UBL-validation.xsl",
}
XSD_FILES = {
    "CrossIndustryInvoice": "cii-d16b-xsd/CrossIndustryInvoice_100pD16B.xsd",
    "Invoice": "ubl-2.1-xsd/maindoc/UBL-Invoice-2.1.xsd",
    "CreditNote": "ubl-2.1-xsd/maindoc/UBL-CreditNote-2.1.xsd",
}
KOSIT_SCENARIOS = "kosit-xrechnung-scenarios.json"

FATAL, WARNING, INFORMATION = "fatal", "warning", "information"
# schematron flags as the CEN and KoSIT rules write them; an assert without a flag is an error (ISO Schematron)
_FLAGS = {"fatal": FATAL, "error": FATAL, "": FATAL, "warning": WARNING, "information": INFORMATION,
          "info": INFORMATION}
_KOSIT_LEVELS = {"error": FATAL, "warning": WARNING, "information": INFORMATION}

MAX_BYTES = 20 * 1024 * 1024  # an e-invoice is kilobytes; refuse anything absurd before parsing it


@dataclass(frozen=True)
class Finding:
    """One failed assert or successful report (or an XSD / parser error)."""

    rule_id: str  # "BR-CO-15", "BR-DE-15", "XSD", "XML-WELLFORMED", "UNSUPPORTED-ROOT" ...
    flag: str  # FATAL, WARNING or INFORMATION (after the KoSIT custom levels, when they apply)
    message: str
    location: str = ""  # an XPath for schematron findings, "line N" for XSD and parser errors
    source: str = ""  # "parser", "detect", "xsd", "en16931", "xrechnung"
    flag_original: str | None = None  # the rule's own flag when a KoSIT custom level changed it

    @property
    def fatal(self) -> bool:
        return self.flag == FATAL


@dataclass(frozen=True)
class Report:
    """What ``Validator.validate`` found. ``ok`` means: no fatal finding."""

    findings: tuple[Finding, ...]
    syntax: str | None = None  # "CII" or "UBL"; None when the document was not recognised
    document: str | None = None  # "CrossIndustryInvoice", "Invoice" or "CreditNote"
    specification_id: str | None = None  # BT-24
    cen_rules: str | None = None  # "1.3.16" / "1.3.15"
    xrechnung: bool = False
    kosit_scenario: str | None = None
    notes: tuple[str, ...] = ()
    timing_ms: dict = field(default_factory=dict, compare=False)

    @property
    def ok(self) -> bool:
        return not any(f.fatal for f in self.findings)

    @property
    def supported(self) -> bool:
        return self.syntax is not None

    @property
    def fatal(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.fatal)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.fatal)

    def rule_ids(self, fatal_only: bool = False) -> set[str]:
        return {f.rule_id for f in self.findings if f.fatal or not fatal_only}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=False)


def parse_svrl(svrl: bytes | str, source: str) -> list[Finding]:
    """The findings of an SVRL report (failed asserts and successful reports)."""
    root = etree.fromstring(svrl.encode("utf-8") if isinstance(svrl, str) else svrl, _parser())
    out = []
    for el in root.iter(f"{{{NS_SVRL}}}failed-assert", f"{{{NS_SVRL}}}successful-report"):
        text = el.find(f"{{{NS_SVRL}}}text")
        raw_flag = (el.get("flag") or el.get("role") or "").strip().lower()
        out.append(Finding(
            rule_id=el.get("id") or "",
            flag=_FLAGS.get(raw_flag, FATAL),
            message=" ".join((text.xpath("string()") if text is not None else "").split()),
            location=el.get("location") or "",
            source=source,
        ))
    return out


class Validator:
    """Compiles what a document needs on first use (once per process) and validates any number of documents.

    Use the process-wide instance from ``validator()``; ``warm_up()`` compiles everything up front (for a
    worker's start, so that no request waits for the compile)."""

    def __init__(self, artefacts: Path = ARTEFACTS):
        self.artefacts = artefacts
        self._lock = threading.RLock()
        self._proc = None
        self._xslt30 = None
        self._executables: dict = {}
        self._schemas: dict = {}
        self._scenarios: list | None = None
        self.compile_ms: dict[str, float] = {}

    # -- lazily built, once ---------------------------------------------------------------------------------
    def _processor(self):
        if self._proc is None:
            from saxonche import PySaxonProcessor  # heavy native module: only when a document is validated

            t = time.perf_counter()
            self._proc = PySaxonProcessor(license=False)
            self._xslt30 = self._proc.new_xslt30_processor()
            self.compile_ms["saxon"] = round((time.perf_counter() - t) * 1000, 1)
        return self._proc

    def _executable(self, syntax: str, rules: str):
        key = (syntax, rules)
        if key not in self._executables:
            self._processor()
            t = time.perf_counter()
            self._executables[key] = self._xslt30.compile_stylesheet(
                stylesheet_file=str(self.artefacts / XSLT_FILES[key]))
            self.compile_ms[f"{rules}-{syntax}"] = round((time.perf_counter() - t) * 1000, 1)
        return self._executables[key]

    def _schema(self, document: str) -> etree.XMLSchema:
        if document not in self._schemas:
            t = time.perf_counter()
            # our own vendored files: the xmldsig schema has an internal DTD subset (entity declarations)
            tree = etree.parse(str(self.artefacts / XSD_FILES[document]),
                               etree.XMLParser(no_network=True, resolve_entities=True, load_dtd=False))
            self._schemas[document] = etree.XMLSchema(tree)
            self.compile_ms[f"xsd-{document}"] = round((time.perf_counter() - t) * 1000, 1)
        return self._schemas[document]

    def _kosit_scenarios(self) -> list:
        if self._scenarios is None:
            data = json.loads((self.artefacts / KOSIT_SCENARIOS).read_text(encoding="utf-8"))
            self._scenarios = [s for s in data["scenarios"] if s.get("xrechnung_rules")]
        return self._scenarios

    def warm_up(self) -> dict[str, float]:
        """Compile every schema and rule set now; returns the compile times in ms."""
        with self._lock:
            for document in XSD_FILES:
                self._schema(document)
            for syntax, rules in XSLT_FILES:
                self._executable(syntax, rules)
            self._kosit_scenarios()
            return dict(self.compile_ms)

    # -- checks ---------------------------------------------------------------------------------------------
    def _run_xsd(self, tree, document: str) -> list[Finding]:
        schema = self._schema(document)
        if schema.validate(tree):
            return []
        return [Finding("XSD", FATAL, e.message, f"line {e.line}", "xsd") for e in schema.error_log]

    def _run_schematron(self, xml_text: str, syntax: str, rules: str, source: str) -> list[Finding]:
        executable = self._executable(syntax, rules)
        node = self._proc.parse_xml(xml_text=xml_text)
        svrl = executable.transform_to_string(xdm_node=node)
        if not svrl:
            raise RuntimeError("the rules produced no SVRL report")
        return parse_svrl(svrl, source)

    def _kosit_levels(self, findings: list[Finding], syntax: str, document: str, spec: str | None,
                      notes: list[str]) -> tuple[list[Finding], str]:
        root = "CII" if syntax == "CII" else f"UBL-{document}"
        candidates = [s for s in self._kosit_scenarios() if s["root"] == root]
        scenario = next((s for s in candidates if s["spec_id"] == spec), None)
        if scenario is None:
            scenario = next(s for s in candidates
                            if s["spec_id"].endswith("xrechnung_3.0") and "Extension" not in s["name"])
            notes.append(f"specification id {spec!r} matches no KoSIT XRechnung scenario (the KoSIT validator "
                         f"would reject the document as unknown); the levels of {scenario['name']!r} applied")
        levels = scenario["custom_levels"]
        out = []
        for f in findings:
            new = _KOSIT_LEVELS.get(levels.get(f.rule_id, ""))
            if f.source in ("en16931", "xrechnung") and new and new != f.flag:
                f = Finding(f.rule_id, new, f.message, f.location, f.source, flag_original=f.flag)
            out.append(f)
        return out, scenario["name"]

    # -- the one entry point ----------------------------------------------------------------------------------
    def validate(self, xml: bytes, xrechnung: bool = False, *, cen: str | None = None) -> Report:
        """Validate one CII or UBL document. Never raises for the document's content."""
        cen = cen or (CEN_FOR_XRECHNUNG if xrechnung else CEN_DEFAULT)
        if cen not in CEN_RELEASES:
            raise ValueError(f"unknown CEN rules release {cen!r}; known: {', '.join(CEN_RELEASES)}")
        if isinstance(xml, str):
            xml = xml.encode("utf-8")
        if len(xml) > MAX_BYTES:
            return Report((Finding("XML-TOO-LARGE", FATAL, f"the document has {len(xml)} bytes; at most "
                                   f"{MAX_BYTES} are accepted", "", "parser"),), xrechnung=xrechnung)
        try:
            tree = etree.fromstring(xml, _parser())
        except etree.XMLSyntaxError as e:
            return Report((Finding("XML-WELLFORMED", FATAL, f"not well-formed XML: {e.msg}",
                                   f"line {e.lineno}", "parser"),), xrechnung=xrechnung)
        if tree.getroottree().docinfo.doctype:
            return Report((Finding("XML-DOCTYPE", FATAL, "a document type declaration (DOCTYPE) is not allowed "
                                   "in an e-invoice", "line 1", "parser"),), xrechnung=xrechnung)
        qname = etree.QName(tree)
        if qname.namespace == NS_CII and qname.localname == "CrossIndustryInvoice":
            syntax, document = "CII", "CrossIndustryInvoice"
            spec = tree.xpath("string(*[local-name()='ExchangedDocumentContext']/*[local-name()="
                              "'GuidelineSpecifiedDocumentContextParameter']/*[local-name()='ID'])")
        elif qname.localname in NS_UBL and qname.namespace == NS_UBL[qname.localname]:
            syntax, document = "UBL", qname.localname
            spec = tree.xpath("string(*[local-name()='CustomizationID'])")
        else:
            return Report((Finding("UNSUPPORTED-ROOT", FATAL,
                                   f"the root element {{{qname.namespace or ''}}}{qname.localname} is neither a "
                                   "CII rsm:CrossIndustryInvoice nor a UBL 2.1 Invoice or CreditNote", "/",
                                   "detect"),), xrechnung=xrechnung)
        spec = spec.strip() or None
        xml_text = etree.tostring(tree, encoding="unicode")  # what Saxon parses: no DOCTYPE, no entities

        with self._lock:
            # compile what this document needs first, so that timing_ms is validation time only
            self._schema(document)
            self._executable(syntax, cen)
            if xrechnung:
                self._executable(syntax, "xrechnung")
            findings: list[Finding] = []
            notes: list[str] = []
            timing: dict[str, float] = {}
            t_all = time.perf_counter()

            def check(label: str, run) -> None:
                t = time.perf_counter()
                try:
                    findings.extend(run())
                except Exception as e:  # a processing error of the rules is a fatal finding, not a crash
                    findings.append(Finding("PROCESSING-ERROR", FATAL, str(e).strip(), "", label))
                timing[label] = round((time.perf_counter() - t) * 1000, 2)

            check("xsd", lambda: self._run_xsd(tree, document))
            check("en16931", lambda: self._run_schematron(xml_text, syntax, cen, "en16931"))
            scenario = None
            if xrechnung:
                check("xrechnung", lambda: self._run_schematron(xml_text, syntax, "xrechnung", "xrechnung"))
                findings, scenario = self._kosit_levels(findings, syntax, document, spec, notes)
            elif spec and "xrechnung" in spec.lower():
                notes.append("the specification id names XRechnung: validate with xrechnung=True to apply the "
                             "XRechnung rules too")
            timing["total"] = round((time.perf_counter() - t_all) * 1000, 2)
        return Report(tuple(findings), syntax, document, spec, cen, xrechnung, scenario, tuple(notes), timing)


_validator: Validator | None = None
_validator_lock = threading.Lock()


def validator() -> Validator:
    """The process-wide validator (created on first use; its rules compile on first use too)."""
    global _validator
    if _validator is None:
        with _validator_lock:
            if _validator is None:
                _validator = Validator()
    return _validator


def warm_up_in_background() -> threading.Thread | None:
    """Compile the process-wide validator's rules in a daemon thread (once per process): the first issue then
    finds them compiled, or waits on the validator's lock for the rest of the compile, never compiling twice."""
    global _warm_up_pid
    if _warm_up_pid == os.getpid():
        return None
    _warm_up_pid = os.getpid()

    def run() -> None:
        try:
            times = validator().warm_up()
            log.info("e-invoice rules compiled in %.0f ms", sum(times.values()))
        except Exception:  # noqa: BLE001 - a broken artefact shows on first use with its own error
            log.exception("compiling the e-invoice rules failed")

    thread = threading.Thread(target=run, name="einvoice-warm-up", daemon=True)
    thread.start()
    return thread


_warm_up_pid: int | None = None


def validate(xml: bytes, xrechnung: bool = False) -> Report:
    """Validate with the process-wide validator (see ``Validator.validate``)."""
    return validator().validate(xml, xrechnung)
