"""The app's own EN 16931 / XRechnung validator (webapp/services/einvoice.py) on the official examples and on
corrupted copies of them. The rules compile once per test session (the ``validator`` fixture)."""
from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import pytest
from lxml import etree

from webapp.services import einvoice
from webapp.services.einvoice import ARTEFACTS, FATAL, INFORMATION, WARNING, Validator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "einvoice"
ROOT = Path(__file__).resolve().parents[2]
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"ram": RAM, "cbc": CBC, "cac": CAC}

EN16931_ONLY = ["CII_business_example_02.xml", "CII_example4.xml", "ubl-tc434-example1.xml",
                "ubl-tc434-creditnote1.xml"]
XRECHNUNG = ["xrechnung-01.01a-INVOICE_uncefact.xml", "xrechnung-01.01a-INVOICE_ubl.xml"]


@pytest.fixture(scope="module")
def validator() -> Validator:
    v = Validator()
    v.warm_up()
    return v


def example(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def edited(name: str, edit) -> bytes:
    tree = etree.fromstring(example(name))
    edit(tree)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def only(tree, xpath: str):
    found = tree.xpath(xpath, namespaces=NS)
    assert len(found) == 1, (xpath, len(found))
    return found[0]


def remove(tree, xpath: str) -> None:
    el = only(tree, xpath)
    el.getparent().remove(el)


def test_the_artefacts_are_vendored_in_the_app_and_not_ignored_by_git():
    for rel in list(einvoice.XSLT_FILES.values()) + list(einvoice.XSD_FILES.values()) + [einvoice.KOSIT_SCENARIOS]:
        assert (ARTEFACTS / rel).is_file(), rel
    assert ARTEFACTS.is_relative_to(ROOT / "webapp")
    for name in ("EUPL-1.2.txt", "Apache-2.0.txt", "SchXslt-MIT.txt"):
        assert (ARTEFACTS / "LICENSES" / name).stat().st_size > 1000
    versions = (ARTEFACTS / "VERSIONS.md").read_text(encoding="utf-8")
    for needle in ("validation-1.3.16", "validation-1.3.15", "v2.5.0", "v2026-01-31", "UBL 2.1 OS"):
        assert needle in versions
    ignore = (ROOT / ".gitignore").read_text(encoding="utf-8")
    assert "artefacts" not in ignore and "fixtures" not in ignore and "*.xsd" not in ignore
    source = Path(einvoice.__file__).read_text(encoding="utf-8")
    assert "/shared" not in source and "validate_einvoice" not in source  # nothing from ../shared at run time


@pytest.mark.parametrize("name", EN16931_ONLY + XRECHNUNG)
def test_the_official_examples_pass_en16931(validator, name):
    report = validator.validate(example(name))
    assert report.ok, [(f.rule_id, f.message) for f in report.fatal]
    assert report.findings == ()
    assert report.cen_rules == "1.3.16"
    assert [*report.timing_ms] == ["xsd", "en16931", "total"]


@pytest.mark.parametrize("name, syntax, document", [
    ("CII_business_example_02.xml", "CII", "CrossIndustryInvoice"),
    ("ubl-tc434-example1.xml", "UBL", "Invoice"),
    ("ubl-tc434-creditnote1.xml", "UBL", "CreditNote"),
])
def test_the_syntax_is_detected_from_the_root(validator, name, syntax, document):
    report = validator.validate(example(name))
    assert (report.syntax, report.document) == (syntax, document)


@pytest.mark.parametrize("name, scenario", [
    ("xrechnung-01.01a-INVOICE_uncefact.xml", "EN16931 XRechnung (CII)"),
    ("xrechnung-01.01a-INVOICE_ubl.xml", "EN16931 XRechnung (UBL Invoice)"),
])
def test_the_xrechnung_examples_pass_the_xrechnung_rules(validator, name, scenario):
    report = validator.validate(example(name), xrechnung=True)
    assert report.ok, [(f.rule_id, f.message) for f in report.fatal]
    assert report.cen_rules == "1.3.15" and report.kosit_scenario == scenario
    assert [(f.rule_id, f.flag) for f in report.findings] == [("BR-DE-TMP-32", INFORMATION)]
    assert report.specification_id == "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"


def test_a_plain_en16931_invoice_fails_xrechnung_for_its_missing_buyer_reference(validator):
    report = validator.validate(example("CII_example4.xml"), xrechnung=True)
    assert not report.ok and "BR-DE-15" in report.rule_ids(fatal_only=True)
    assert report.notes and "matches no KoSIT XRechnung scenario" in report.notes[0]


def test_a_changed_grand_total_fails_br_co_15_in_cii(validator):
    xml = edited("CII_business_example_02.xml", lambda t: setattr(only(t, "//ram:GrandTotalAmount"), "text", "999.99"))
    report = validator.validate(xml)
    assert not report.ok
    assert {"BR-CO-15", "BR-CO-16"} <= report.rule_ids(fatal_only=True)
    finding = next(f for f in report.findings if f.rule_id == "BR-CO-15")
    assert finding.flag == FATAL and finding.source == "en16931"
    assert finding.location.startswith("/") and "CrossIndustryInvoice" in finding.location
    assert "BT-112" in finding.message


def test_a_changed_line_total_sum_fails_br_co_10_in_ubl(validator):
    xml = edited("ubl-tc434-example1.xml",
                 lambda t: setattr(only(t, "/*/cac:LegalMonetaryTotal/cbc:LineExtensionAmount"), "text", "1.00"))
    report = validator.validate(xml)
    assert "BR-CO-10" in report.rule_ids(fatal_only=True)


def test_a_missing_seller_vat_id_fails_br_s_02(validator):
    def drop_vat(tree):
        remove(tree, "//cac:AccountingSupplierParty//cac:PartyTaxScheme[cac:TaxScheme/cbc:ID='VAT']")
    report = validator.validate(edited("ubl-tc434-example1.xml", drop_vat))
    assert not report.ok and "BR-S-02" in report.rule_ids(fatal_only=True)


@pytest.mark.parametrize("name, xpath", [
    ("xrechnung-01.01a-INVOICE_uncefact.xml", "//ram:BuyerReference"),
    ("xrechnung-01.01a-INVOICE_ubl.xml", "/*/cbc:BuyerReference"),
])
def test_a_missing_buyer_reference_fails_br_de_15_under_xrechnung_only(validator, name, xpath):
    xml = edited(name, lambda t: remove(t, xpath))
    report = validator.validate(xml, xrechnung=True)
    assert not report.ok and "BR-DE-15" in report.rule_ids(fatal_only=True)
    assert next(f for f in report.findings if f.rule_id == "BR-DE-15").source == "xrechnung"
    assert validator.validate(xml).ok  # EN 16931 itself does not require BT-10


def test_the_kosit_custom_levels_downgrade_a_fatal_cen_rule(validator):
    """BR-CL-23 (unit code list) is fatal in the CEN rules and a warning in the KoSIT standard scenario."""
    xml = edited("xrechnung-01.01a-INVOICE_ubl.xml",
                 lambda t: [q.set("unitCode", "QQQ") for q in t.xpath("//cbc:InvoicedQuantity", namespaces=NS)])
    plain = validator.validate(xml)
    assert "BR-CL-23" in plain.rule_ids(fatal_only=True)
    report = validator.validate(xml, xrechnung=True)
    downgraded = [f for f in report.findings if f.rule_id == "BR-CL-23"]
    assert downgraded and all(f.flag == WARNING and f.flag_original == FATAL for f in downgraded)
    assert "BR-CL-23" not in report.rule_ids(fatal_only=True)


def test_an_xsd_error_is_fatal(validator):
    def add_unknown(tree):
        etree.SubElement(tree, f"{{{CBC}}}NoSuchElement").text = "x"
    report = validator.validate(edited("ubl-tc434-example1.xml", add_unknown))
    xsd = [f for f in report.findings if f.source == "xsd"]
    assert xsd and xsd[0].rule_id == "XSD" and xsd[0].fatal and "NoSuchElement" in xsd[0].message
    assert xsd[0].location.startswith("line ")


def test_a_non_invoice_is_unsupported(validator):
    report = validator.validate(b'<?xml version="1.0"?><order xmlns="urn:example:order"><id>1</id></order>')
    assert not report.ok and not report.supported
    assert [f.rule_id for f in report.findings] == ["UNSUPPORTED-ROOT"]
    assert "urn:example:order" in report.findings[0].message
    zugferd1 = b'<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>'
    assert validator.validate(zugferd1).findings[0].rule_id == "UNSUPPORTED-ROOT"


@pytest.mark.parametrize("xml", [b"", b"<Invoice><unclosed></Invoice>", b"not xml at all", b"\xff\xfe\x00<"])
def test_malformed_xml_is_a_fatal_finding_not_an_exception(validator, xml):
    report = validator.validate(xml)
    assert not report.ok and not report.supported
    assert [f.rule_id for f in report.findings] == ["XML-WELLFORMED"]
    assert report.findings[0].message.startswith("not well-formed XML")


def test_a_doctype_and_external_entities_are_refused(validator, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = example("ubl-tc434-example1.xml").decode("utf-8").split("?>", 1)[1]
    body = body.replace("<cbc:Note>", "<cbc:Note>&xxe;", 1) if "<cbc:Note>" in body else body
    xml = (f'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file://{secret}">]>' + body).encode()
    report = validator.validate(xml)
    assert not report.ok and [f.rule_id for f in report.findings] == ["XML-DOCTYPE"]
    assert all("TOP-SECRET" not in f.message for f in report.findings)


def test_an_unknown_cen_release_is_a_programming_error(validator):
    with pytest.raises(ValueError, match="1.3.99"):
        validator.validate(example("CII_example4.xml"), cen="1.3.99")


def test_the_process_wide_validator_is_created_once_even_from_threads(monkeypatch):
    monkeypatch.setattr(einvoice, "_validator", None)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(einvoice.validator())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and len({id(v) for v in seen}) == 1


def test_concurrent_validations_give_the_same_reports(validator):
    bad = edited("CII_business_example_02.xml", lambda t: setattr(only(t, "//ram:GrandTotalAmount"), "text", "1"))
    docs = [example(n) for n in EN16931_ONLY] + [bad]
    results: dict = {}

    def run(i):
        results[i] = [validator.validate(d).rule_ids(fatal_only=True) for d in docs]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = [set(), set(), set(), set(), validator.validate(bad).rule_ids(fatal_only=True)]
    assert expected[-1] and all(r == expected for r in results.values())


def test_validation_time_after_the_compile(validator, capsys):
    """Prints (does not assert) the median validation time per document, after the one-time compile."""
    lines = [f"compile once: {round(sum(validator.compile_ms.values()))} ms {validator.compile_ms}"]
    for name, xrechnung in [(n, False) for n in EN16931_ONLY + XRECHNUNG] + [(n, True) for n in XRECHNUNG]:
        xml = example(name)
        runs = []
        for _ in range(10):
            t = time.perf_counter()
            validator.validate(xml, xrechnung)
            runs.append((time.perf_counter() - t) * 1000)
        lines.append(f"{name} xrechnung={xrechnung}: median {statistics.median(runs):.1f} ms")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert len(lines) == 9
