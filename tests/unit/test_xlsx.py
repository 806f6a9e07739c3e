"""The streaming XLSX reader: the same text as openpyxl's values for what openpyxl writes, and the
cell kinds Excel and list tools write that openpyxl does not (inline and phonetic strings, errors,
formula text, ISO dates, durations, rows and cells without references)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from reos.errors import Unprocessable
from reos.imports import reader, xlsx


def as_text(value: Any) -> str:
    """What the import made of each openpyxl value before this reader (its `_cell`)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def trimmed(row: list[str]) -> list[str]:
    while row and row[-1] == "":
        row = row[:-1]
    return row


def saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def both(data: bytes, name: str) -> tuple[list[list[str]], list[list[str]]]:
    oracle = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    expected = [trimmed([as_text(v) for v in row]) for row in oracle[name].iter_rows(values_only=True)]
    oracle.close()
    book = xlsx.Workbook(io.BytesIO(data))
    try:
        (sheet,) = [s for s in book.sheets if s.name == name]
        got = [trimmed(row) for row in book.rows(sheet)]
    finally:
        book.close()
    while expected and not expected[-1]:
        expected.pop()
    return got, expected


@pytest.mark.parametrize("epoch", ["1900", "1904"])
def test_every_value_openpyxl_writes_reads_as_openpyxl_reads_it(epoch: str) -> None:
    book = Workbook()
    if epoch == "1904":
        book.epoch = CALENDAR_MAC_1904
    notes = book.active
    assert notes is not None
    notes.title = "Notes"
    notes["A1"] = "Exported from the county"
    leads = book.create_sheet("Leads")
    leads.append(["Property Address", "Zip", "Phone 1", "Est. Equity", "Vacant", "Last Sale", "Note"])
    leads.append(["  12 Oak St ", 33610, 8135551234, 45.5, True, date(2019, 4, 2), "Ümlaut – ok\nline two"])
    leads.append(["7 Elm Ave", 2108, 6175550123, -1200, False, datetime(2021, 1, 5, 13, 45, 30), 3.0])
    leads.append(["9 Pine Rd", "02108", "(617) 555-0199", 1e20, None, time(9, 30), Decimal("12.25")])
    leads["A6"] = "row 5 is missing, B6 and C6 too"
    leads["D6"] = 0.1 + 0.2
    leads["E6"] = 123456789012345
    leads["A7"] = CellRichText(["Rich ", TextBlock(InlineFont(b=True), "text"), " cell"])
    for cell, shown in (("F3", "mm/dd/yyyy"), ("F2", "d-mmm-yy;@"), ("G4", '"Q"0.00')):
        leads[cell].number_format = shown
    leads["B8"] = datetime(1900, 1, 15)
    leads["C8"] = datetime(1900, 3, 1, 6, 0)
    hidden = book.create_sheet("Lookup")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "code"

    data = saved(book)
    got, expected = both(data, "Leads")
    assert got == expected
    assert got[1][:3] == ["  12 Oak St ", "33610", "8135551234"] and got[4] == []
    opened = xlsx.Workbook(io.BytesIO(data))
    assert [(s.name, s.visible) for s in opened.sheets] == [
        ("Notes", True),
        ("Leads", True),
        ("Lookup", False),
    ]
    opened.close()


def test_a_write_only_workbook_of_many_rows_reads_as_openpyxl_reads_it() -> None:
    """Write-only mode writes every string inline and no dimension: the list tools' shape."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("List")
    sheet.append(["Address", "Owner", "Value", "Sold"])
    for n in range(3000):
        sheet.append(
            [
                f"{n} Main St",
                f"Owner {n % 97}",
                n * 1000.5 if n % 3 else n,
                date(2000 + n % 20, 1 + n % 12, 1),
            ]
        )
    got, expected = both(saved(book), "List")
    assert len(got) == 3001 and got == expected


def _workbook(sheet_xml: str, *, shared: str = "", styles: str = "", strict: bool = False) -> bytes:
    """A workbook written by hand, part by part, for what openpyxl never writes."""
    main = (
        "http://purl.oclc.org/ooxml/spreadsheetml/main"
        if strict
        else "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    kinds = f"{rel}/"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="r1" Type="{kinds}officeDocument" Target="book/main.xml"/></Relationships>',
        )
        z.writestr(
            "book/main.xml",
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Leads" sheetId="1" r:id="s1"/><sheet name="Chart" sheetId="2" r:id="c1"/>'
            "</sheets></workbook>",
        )
        z.writestr(
            "book/_rels/main.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="s1" Type="{kinds}worksheet" Target="/book/sheets/one.xml"/>'
            f'<Relationship Id="c1" Type="{kinds}chartsheet" Target="sheets/chart.xml"/>'
            f'<Relationship Id="t1" Type="{kinds}sharedStrings" Target="strings.xml"/>'
            f'<Relationship Id="y1" Type="{kinds}styles" Target="styles.xml"/>'
            f'<Relationship Id="x1" Type="{kinds}hyperlink" Target="https://x.io" TargetMode="External"/>'
            "</Relationships>",
        )
        z.writestr(
            "book/sheets/one.xml", f'<worksheet xmlns="{main}"><sheetData>{sheet_xml}</sheetData></worksheet>'
        )
        z.writestr("book/strings.xml", f'<sst xmlns="{main}">{shared}</sst>')
        z.writestr("book/styles.xml", f'<styleSheet xmlns="{main}">{styles}</styleSheet>')
    return out.getvalue()


STYLES = (
    '<numFmts><numFmt numFmtId="170" formatCode="[h]:mm:ss"/>'
    '<numFmt numFmtId="171" formatCode="[Red]0.00;&quot;d&quot;0"/>'
    '<numFmt numFmtId="172" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
    '<cellXfs><xf numFmtId="0"/><xf numFmtId="170"/><xf numFmtId="171"/><xf numFmtId="172"/>'
    '<xf numFmtId="14"/></cellXfs>'
)


@pytest.mark.parametrize("strict", [False, True])
def test_the_cell_kinds_excel_writes(strict: bool) -> None:
    shared = (
        "<si><t>Owner 1 First Name</t></si>"
        '<si><r><t>Ada </t></r><r><rPr><b/></rPr><t xml:space="preserve">Lovelace</t></r>'
        "<rPh><t>ラブレース</t></rPh></si>"
        "<si><t/></si>"
    )
    sheet = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Note</t></is></c></row>'
        '<row r="3"><c r="A3" t="s"><v>1</v></c><c r="C3" t="e"><v>#N/A</v></c>'
        '<c r="D3" t="str"><f>A3&amp;"!"</f><v>Ada Lovelace!</v></c><c r="E3" t="b"><v>1</v></c></row>'
        '<row><c t="d"><v>2024-02-29T00:00:00</v></c><c s="1"><v>1.5</v></c><c s="2"><v>7</v></c>'
        '<c s="3"><v>45351</v></c><c s="4"><v>0.75</v></c><c s="4"/><c t="s"><v>2</v></c>'
        '<c s="4"><v>not a number</v></c><c t="s"><v>99</v></c></row>'
    )
    book = xlsx.Workbook(io.BytesIO(_workbook(sheet, shared=shared, styles=STYLES, strict=strict)))
    try:
        assert [s.name for s in book.sheets] == ["Leads"]  # a chart sheet has no rows
        rows = list(book.rows(book.sheets[0]))
    finally:
        book.close()
    assert rows == [
        ["Owner 1 First Name", "Note"],
        [],
        ["Ada Lovelace", "", "#N/A", "Ada Lovelace!", "yes"],
        ["2024-02-29", "1 day, 12:00:00", "7", "2024-02-29", "18:00:00", "", "", "not a number", ""],
    ]


def test_a_broken_worksheet_is_a_clear_422_and_a_non_workbook_a_415() -> None:
    broken = _workbook('<row r="1"><c r="A1" t="inlineStr"><is><t>Address</t></is></c></row><row r="2"><c')
    with pytest.raises(Unprocessable, match="not well-formed XML"):
        table = reader.open_table(io.BytesIO(broken), "list.xlsx")
        list(table.rows)
    not_a_book = io.BytesIO()
    with zipfile.ZipFile(not_a_book, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(reader.UnsupportedFile, match=r"no part xl/workbook\.xml"):
        reader.open_table(io.BytesIO(not_a_book.getvalue()), "list.xlsx")


def test_values_no_calendar_holds_and_malformed_numbers_are_read_not_raised() -> None:
    styles = '<cellXfs><xf numFmtId="x"/><xf numFmtId="14"/><xf numFmtId="46"/></cellXfs>'
    sheet = (
        '<row r="x"><c s="1"><v>1e300</v></c><c s="1"><v>nan</v></c><c s="2"><v>1e300</v></c>'
        '<c s="0"><v>12</v></c><c s="7"><v>3.50</v></c><c t="s"><v>-1</v></c></row>'
        '<row r="1"><c s="1"><v>-5</v></c></row>'
    )
    book = xlsx.Workbook(io.BytesIO(_workbook(sheet, styles=styles)))
    try:
        rows = list(book.rows(book.sheets[0]))
    finally:
        book.close()
    assert rows == [["1e+300", "nan", "1e+300", "12", "3.5", ""], ["1899-12-25"]]
