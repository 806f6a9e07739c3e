"""Reading an XLSX workbook's worksheets as rows of text, streamed from the archive.

A worksheet is a ZIP member of XML (`<row r="7"><c r="B7" t="s" s="3"><v>12</v></c>…</row>`);
it is parsed as it is inflated, one row at a time. Memory holds the shared strings (packed), the
styles, one row, and an empty element per row read (~80 bytes: an end event cannot reach the
row's parent to drop it). Values become the text a CSV of the sheet would hold:
- shared and inline strings as written (rich-text runs joined, phonetic guides left out);
- numbers as written, an integral one without its ".0" (ZIPs and phones are stored as numbers);
- numbers under a date or time format (the cell's style): dates as YYYY-MM-DD, date-times ISO,
  times HH:MM:SS, from the workbook's 1900 or 1904 epoch;
- booleans as yes / no; formula cells as their last computed value; errors as written (#N/A).

Only the parts read are parsed: the package and workbook relationships, the workbook (sheet
names, visibility, epoch), the styles' number formats and the shared strings. The parser is
expat's, which expands no external entity and bounds entity growth.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO, Literal, cast
from xml.etree import ElementTree as ET

_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PACKAGE_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Built-in number formats that show a date or a time (ECMA-376 part 1, 18.8.30); 46 is a
# duration ([h]:mm:ss).
_DATE_FORMATS = frozenset({*range(14, 23), 45, 46, 47})
_ELAPSED_FORMATS = frozenset({46})
# In a format code's first section: quoted text, escaped characters, padding and fill characters,
# and bracketed sections other than a duration's ([h], [mm], [ss]): letters there are no date part.
_LITERALS = re.compile(r'"[^"]*"|\\.|_.|\*.|\[(?!(?:h|hh|m|mm|s|ss)\])[^\]]*\]', re.IGNORECASE)
_DATE_PART = re.compile(r"[dmhys]", re.IGNORECASE)
_ELAPSED = re.compile(r"\[(?:h|hh|m|mm|s|ss)\]", re.IGNORECASE)
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
# A worksheet is fed to the parser in small blocks, so a row's cell elements are cleared before
# the collector's youngest generation fills: fed 64 KB at a time they outlived it, were promoted,
# and set off full collections over the whole process (23 s for 100,000 rows in the app against
# 8.6 s).
READ_BYTES = 4096
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
# Column letters → index, A to ZZ: references are read per cell.
_COLUMNS = {name: i for i, name in enumerate([*_LETTERS, *(a + b for a in _LETTERS for b in _LETTERS)])}


class NotAWorkbook(ValueError):
    """The archive is not a workbook this reader can read; the message says what is missing."""


class SharedStrings:
    """A workbook's shared strings, packed: UTF-8 bytes end to end and where each ends. As a list
    of str (and parsed with `iterparse`) the 495,189 strings of a 100,000-row list took 59 MiB
    more, and a million-row list shares about ten times as many."""

    def __init__(self) -> None:
        self._text = bytearray()
        self._ends = array("Q")

    def append(self, value: str) -> None:
        self._text += value.encode()
        self._ends.append(len(self._text))

    def __len__(self) -> int:
        return len(self._ends)

    def get(self, index: int) -> str:
        """The string at `index`, or "" for an index the table does not have."""
        if index >= len(self._ends):
            return ""
        return self._text[self._ends[index - 1] if index else 0 : self._ends[index]].decode()


@dataclass(frozen=True)
class Sheet:
    name: str
    visible: bool
    part: str


def _namespace(tag: str) -> str:
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def _parse(book: zipfile.ZipFile, part: str) -> ET.Element:
    try:
        with book.open(part) as member:
            return ET.parse(member).getroot()
    except KeyError as exc:
        raise NotAWorkbook(f"the workbook has no part {part}") from exc
    except ET.ParseError as exc:
        raise NotAWorkbook(f"the workbook's part {part} is not well-formed XML ({exc})") from exc


def _relationships(book: zipfile.ZipFile, source: str) -> dict[str, tuple[str, str]]:
    """Id → (type, part path) of the relationships of `source` ("" for the package)."""
    folder, name = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in book.NameToInfo:
        return {}
    found = {}
    for rel in _parse(book, rels).iter(_PACKAGE_RELS + "Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        found[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return found


def _of_type(rels: dict[str, tuple[str, str]], kind: str) -> str | None:
    return next((path for rel_type, path in rels.values() if rel_type.endswith("/" + kind)), None)


def _shows_date(code: str) -> tuple[bool, bool]:
    """(a date or time, a duration) for a custom number format."""
    first = code.split(";")[0]
    plain = _LITERALS.sub("", first)
    return _DATE_PART.search(plain) is not None, _ELAPSED.search(first) is not None


class Workbook:
    """An opened workbook: its sheets in order, and rows of any of them as lists of text."""

    def __init__(self, stream: IO[bytes]) -> None:
        try:
            self._zip = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise NotAWorkbook("the file is not a ZIP archive") from exc
        try:
            self._open()
        except BaseException:
            self._zip.close()
            raise

    def _open(self) -> None:
        book = self._zip
        main = _of_type(_relationships(book, ""), "officeDocument") or "xl/workbook.xml"
        root = _parse(book, main)
        ns = self._ns = _namespace(root.tag)
        rels = _relationships(book, main)
        properties = root.find(ns + "workbookPr")
        in_1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
        self._epoch = _EPOCH_1904 if in_1904 else _EPOCH_1900
        self.sheets: list[Sheet] = []
        for sheet in root.iter(ns + "sheet"):
            found = rels.get(sheet.get(_REL) or sheet.get("id") or "")
            if found is None or not found[0].endswith("/worksheet"):
                continue  # a chart sheet or a dialog sheet holds no rows
            visible = sheet.get("state", "visible") == "visible"
            self.sheets.append(Sheet(sheet.get("name", ""), visible, found[1]))
        strings = _of_type(rels, "sharedStrings")
        self._strings = self._shared_strings(strings) if strings in book.NameToInfo else SharedStrings()
        styles = _of_type(rels, "styles")
        self._formats = self._styles(styles) if styles in book.NameToInfo else {}

    def close(self) -> None:
        self._zip.close()

    def _shared_strings(self, part: str) -> SharedStrings:
        strings = SharedStrings()
        root: ET.Element | None = None
        ns = item = ""
        for event, element in _events(self._zip, part, ("start", "end"), f"the workbook's part {part}"):
            if root is None:
                root, ns = element, _namespace(element.tag)
                item = ns + "si"
            elif event == "end" and element.tag == item:
                strings.append(_text(element, ns))
                # The items read go from the tree: a list of millions would keep as many empty
                # elements.
                root.clear()
        return strings

    def _styles(self, part: str) -> dict[int, bool]:
        """Style index → whether it shows a duration, for the styles that show numbers as dates,
        times or durations."""
        root = _parse(self._zip, part)
        ns = _namespace(root.tag)
        custom = {
            int(f.get("numFmtId", "-1")): f.get("formatCode", "")
            for f in root.iter(ns + "numFmt")
            if f.get("numFmtId", "").isdigit()
        }
        formats: dict[int, bool] = {}
        cell_formats = root.find(ns + "cellXfs")
        for index, xf in enumerate(cell_formats if cell_formats is not None else ()):
            number = _whole(xf.get("numFmtId"), 0)
            if number in custom:
                dated, elapsed = _shows_date(custom[number])
            else:
                dated, elapsed = number in _DATE_FORMATS, number in _ELAPSED_FORMATS
            if dated:
                formats[index] = elapsed
        return formats

    def rows(self, sheet: Sheet) -> Iterator[list[str]]:
        """The sheet's rows from the first, a missing row as an empty list, each row's cells
        up to its last written one (a missing cell is "")."""
        ns = self._ns  # a worksheet speaks its workbook's dialect (transitional or strict)
        row_tag, cell_tag = ns + "row", ns + "c"
        expected = 1
        # End events only: a start event per cell doubled the parser's work. Each row read is
        # cleared; its empty shell stays in the tree (~80 bytes, ~85 MB at Excel's 1,048,576
        # rows), since an end event does not reach its parent.
        for _, element in _events(self._zip, sheet.part, ("end",), f"the worksheet {sheet.name!r}"):
            if element.tag != row_tag:
                continue
            number = _whole(element.get("r"), expected)
            while expected < number:
                yield []
                expected += 1
            expected = number + 1
            yield self._cells(element, cell_tag, ns)
            element.clear()

    def _cells(self, row: ET.Element, cell_tag: str, ns: str) -> list[str]:
        cells: list[str] = []
        value_tag = ns + "v"
        for cell in row.iter(cell_tag):
            ref = cell.get("r")
            at = _COLUMNS.get(ref.rstrip(_DIGITS), -1) if ref else len(cells)
            if at < 0:
                at = _column(ref or "")
            if at > len(cells):
                cells.extend([""] * (at - len(cells)))
            kind = cell.get("t", "n")
            if kind == "inlineStr":
                found = cell.find(ns + "is")
                cells.append(_text(found, ns) if found is not None else "")
                continue
            raw = cell.findtext(value_tag)
            if raw is None:
                cells.append("")
            elif kind == "s":
                cells.append(self._strings.get(int(raw)) if raw.isdigit() else "")
            elif kind == "b":
                cells.append("yes" if raw.strip() == "1" else "no")
            elif kind == "n":
                cells.append(self._number(raw, cell.get("s")))
            elif kind == "d":
                cells.append(_iso(raw))
            else:  # "str" (a formula's text), "e" (an error such as #N/A)
                cells.append(raw)
        return cells

    def _number(self, raw: str, style: str | None) -> str:
        shown = self._formats.get(int(style)) if style and style.isdigit() else None
        integral = not any(c in raw for c in ".eE")
        if shown is None:
            if integral:
                return raw.strip()
            try:
                value = float(raw)
            except ValueError:
                return raw
            return str(int(value)) if value.is_integer() else str(value)
        try:
            serial = float(raw)
        except ValueError:
            return raw
        return self._date(serial, elapsed=shown)

    def _date(self, serial: float, *, elapsed: bool) -> str:
        """A serial day count under a date or time format; as a number when no calendar holds it
        (NaN, infinity, past the year 9999)."""
        try:
            days, fraction = divmod(serial, 1)
            clock = timedelta(milliseconds=round(fraction * 86_400_000))
            if elapsed:
                return str(timedelta(days=days) + clock)
            if 0 <= serial < 1 and clock.days == 0:
                return str((datetime.min + clock).time())
            if self._epoch is _EPOCH_1900 and 0 < serial < 60:
                days += 1  # Excel counts a 29 February 1900 that never was
            moment = self._epoch + timedelta(days=days) + clock
        except (OverflowError, ValueError):
            return str(serial)
        return moment.date().isoformat() if moment.time() == datetime.min.time() else moment.isoformat()


def _events(
    book: zipfile.ZipFile, part: str, kinds: tuple[Literal["start", "end"], ...], what: str
) -> Iterator[tuple[str, ET.Element]]:
    """The parser's `kinds` of events over a part as it is inflated, `READ_BYTES` at a time;
    XML that breaks off is `NotAWorkbook` naming `what`."""
    try:
        member = book.open(part)
    except KeyError as exc:
        raise NotAWorkbook(f"the workbook has no part {part}") from exc
    with member:
        parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=kinds)
        while block := member.read(READ_BYTES):
            try:
                parser.feed(block)
                # Start and end events only, each of which carries its element.
                events = list(cast(Iterator[tuple[str, ET.Element]], parser.read_events()))
            except ET.ParseError as exc:
                raise NotAWorkbook(f"{what} is not well-formed XML ({exc})") from exc
            yield from events


def _text(element: ET.Element, ns: str) -> str:
    """A string item's text: its `<t>`, or its rich-text runs' `<t>` joined; phonetic runs
    (`<rPh>`) are guides to reading, not text."""
    plain = element.find(ns + "t")
    if plain is not None:
        return plain.text or ""
    return "".join(run.findtext(ns + "t") or "" for run in element.iter(ns + "r"))


def _whole(text: str | None, default: int) -> int:
    """A count or an index the XML writes as digits; `default` when it is missing or is not."""
    return int(text) if text is not None and text.isdigit() else default


def _column(ref: str) -> int:
    """ "C7" → 2: a cell reference's column, from 0."""
    number = 0
    for char in ref:
        code = ord(char) | 32  # lower case
        if not 97 <= code <= 122:
            break
        number = number * 26 + code - 96
    return number - 1


def _iso(raw: str) -> str:
    """A cell stored as an ISO 8601 date (`t="d"`), written as a date column would be."""
    try:
        moment = datetime.fromisoformat(raw.strip().rstrip("Z"))
    except ValueError:
        return raw
    return moment.date().isoformat() if moment.time() == datetime.min.time() else moment.isoformat()
