"""Reading lead files as a stream of rows: CSV in any common encoding and delimiter, or XLSX.

Nothing is held whole: CSV is decoded line by line (UTF-8 first, then Windows-1252, then
Latin-1, so one badly encoded row does not spoil the file; UTF-16 with a byte order mark, as
Excel saves "Unicode Text", whole), XLSX is parsed as it is inflated, row by row (`xlsx`).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from reos.errors import AppError, Unprocessable
from reos.imports import xlsx

SNIFF_BYTES = 64 * 1024
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DELIMITERS = ",;\t|"
csv.field_size_limit(1024 * 1024)


class UnsupportedFile(AppError):
    status_code = 415
    code = "unsupported_file"


class UnreadableRow(list[str]):
    """A CSV record the reader could not read: the importer reports it as a bad row, with
    `reason`, and reads on (the reader resumes at the next line)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def _unreadable(exc: csv.Error) -> UnreadableRow:
    if "field larger than field limit" in str(exc):
        return UnreadableRow(
            'the row could not be read: a cell is over 1 MB, most often a quote (") opened and never '
            "closed, which runs on over the rows after it"
        )
    return UnreadableRow(f"the row could not be read as CSV: {exc}")


def _records(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _unreadable(exc)
        else:
            yield row


_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13))


def _looks_binary(sample: bytes) -> bool:
    """More than 1 % control bytes. A stray NUL in a text file is dropped as it is read."""
    return len(sample) - len(sample.translate(None, _CONTROL)) > len(sample) / 100


def detect_format(head: bytes, filename: str) -> str:
    """'csv' or 'xlsx', from the content first (a renamed file is still read right)."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if not head.strip():
        raise Unprocessable("the file is empty", details={"field": "file"})
    if head.startswith(_UTF16_BOMS):
        return "csv"  # Excel's "Unicode Text": UTF-16 with its byte order mark
    if _looks_binary(head[:4096]) or head.startswith((b"%PDF", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"\x1f\x8b")):
        raise UnsupportedFile(
            f"{filename or 'the file'} is not a CSV or XLSX file",
            details={"field": "file", "accepted": ["csv", "xlsx"]},
        )
    return "csv"


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return line.decode("cp1252")
        except UnicodeDecodeError:
            return line.decode("latin-1")


def _lines(stream: IO[bytes]) -> Iterator[str]:
    first = True
    for raw in stream:
        if first:
            first = False
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
        yield _decode(raw)


def _without_nul(lines: Iterator[str]) -> Iterator[str]:
    # PostgreSQL text cannot hold NUL: one in a cell had failed the whole import's COPY.
    for line in lines:
        yield line.replace("\x00", "") if "\x00" in line else line


def _utf16_lines(stream: IO[bytes]) -> Iterator[str]:
    """Lines of a UTF-16 file, newline kept (a quoted cell may span lines), decoded as they come."""
    decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
    pending = ""
    while block := stream.read(SNIFF_BYTES):
        pending += decoder.decode(block)
        end = pending.rfind("\n") + 1
        if end:
            for line in pending[:end].split("\n")[:-1]:
                yield line + "\n"
            pending = pending[end:]
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _delimiter(sample: str) -> str:
    """The header line's most frequent candidate when one leads (a quoted comma in a data row
    fools the sniffer into reading a tab-separated file as one column), else the sniffer's."""
    header = next((line for line in sample.splitlines() if line.strip()), "")
    counts = sorted(((header.count(d), d) for d in _DELIMITERS), reverse=True)
    if counts[0][0] > counts[1][0]:
        return counts[0][1]
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


@dataclass
class Table:
    """A file opened for reading: its format, header and the data rows (lists of strings)."""

    format: str
    headers: list[str]
    rows: Iterator[list[str]]
    delimiter: str | None = None
    # A workbook's worksheets in order, and the one read (empty and None for a CSV).
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None


def _csv(stream: IO[bytes]) -> Table:
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    lines: Iterator[str]
    if head.startswith(_UTF16_BOMS):
        # One encoding for the whole file: its lines cannot be split as bytes.
        sample = head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
        lines = _utf16_lines(stream)
    else:
        sample = _decode(head[3:] if head.startswith(b"\xef\xbb\xbf") else head)
        lines = _lines(stream)
    # Cut at the last full line, so the sniffer sees no half row.
    cut = sample.rfind("\n")
    delimiter = _delimiter(sample[: cut if cut > 0 else len(sample)])
    reader = csv.reader(
        _without_nul(lines), delimiter=delimiter, quotechar='"', doublequote=True, skipinitialspace=False
    )
    records = _records(reader)
    headers: list[str] | None = None
    for row in records:
        if isinstance(row, UnreadableRow):
            raise Unprocessable(f"the header row: {row.reason}", details={"field": "file"})
        if any(cell.strip() for cell in row):
            headers = [cell.strip() for cell in row]
            break
    return _checked(Table("csv", headers or [], records, delimiter))


# A header row further down than this is not looked for when choosing among a workbook's sheets.
HEADER_SEARCH_ROWS = 50
# How much of a sheet name an error message repeats (a name is whatever the workbook says).
SHEET_NAME_SHOWN = 100


def _first_filled(rows: Iterator[list[str]], limit: int | None = None) -> list[str] | None:
    for seen, row in enumerate(rows):
        if limit is not None and seen >= limit:
            return None
        cells = [cell.strip() for cell in row]
        if any(cells):
            return cells
    return None


def _xlsx(stream: IO[bytes], sheet: str | None, wanted: Callable[[list[str]], bool] | None) -> Table:
    """The named worksheet, else the first whose header row `wanted` accepts, else the first with
    a header row: a workbook often opens on a notes or summary sheet before the list."""
    try:
        book = xlsx.Workbook(stream)
    except xlsx.NotAWorkbook as exc:
        raise UnsupportedFile(
            f"the file looks like a ZIP archive but is not a readable XLSX workbook: {exc}",
            details={"field": "file", "accepted": ["csv", "xlsx"]},
        ) from exc
    try:
        sheets = {s.name: s for s in book.sheets}
        names = list(sheets)
        if not names:
            raise Unprocessable("the workbook has no worksheet", details={"field": "file"})
        if sheet is not None:
            if sheet not in sheets:
                raise Unprocessable(
                    f"the workbook has no sheet named {sheet[:SHEET_NAME_SHOWN]!r}; its sheets are "
                    + ", ".join(repr(n) for n in names),
                    details={"field": "sheet", "sheets": names},
                )
            chosen = sheets[sheet]
        else:
            chosen = _choose_sheet(book, wanted)
        values = _readable(book.rows(chosen), chosen.name)
        headers = _first_filled(values)

        def rows() -> Iterator[list[str]]:
            try:
                yield from values
            finally:
                book.close()

        return _checked(Table("xlsx", headers or [], rows(), sheets=names, sheet=chosen.name))
    except BaseException:
        # The rows' own close never runs for a table refused before its first row.
        book.close()
        raise


def _readable(rows: Iterator[list[str]], name: str) -> Iterator[list[str]]:
    """A worksheet's rows; XML that breaks off is a 422 naming the sheet, not a crash."""
    try:
        yield from rows
    except xlsx.NotAWorkbook as exc:
        raise Unprocessable(str(exc), details={"field": "file", "sheet": name[:SHEET_NAME_SHOWN]}) from exc


def _choose_sheet(book: xlsx.Workbook, wanted: Callable[[list[str]], bool] | None) -> xlsx.Sheet:
    if len(book.sheets) == 1:
        return book.sheets[0]
    first_filled: xlsx.Sheet | None = None
    # Visible sheets first: a hidden one holds lookups or an old copy more often than the list.
    for candidate in sorted(book.sheets, key=lambda s: not s.visible):
        headers = _first_filled(_readable(book.rows(candidate), candidate.name), HEADER_SEARCH_ROWS)
        if headers is None:
            continue
        if wanted is None or wanted(headers):
            return candidate
        first_filled = first_filled or candidate
    return first_filled or book.sheets[0]


def _checked(table: Table) -> Table:
    if not table.headers:
        raise Unprocessable("the file has no header row", details={"field": "file"})
    # Trailing empty header cells (spreadsheets pad rows) are dropped; other blanks get a name.
    headers = list(table.headers)
    while headers and not headers[-1]:
        headers.pop()
    seen: set[str] = set()
    named = []
    for i, header in enumerate(headers):
        name = header or f"Column {i + 1}"
        while name in seen:
            name = f"{name} ({i + 1})"
        seen.add(name)
        named.append(name)
    if len(named) < 1:
        raise Unprocessable("the file has no header row", details={"field": "file"})
    table.headers = named
    return table


def open_table(
    stream: IO[bytes],
    filename: str = "",
    *,
    sheet: str | None = None,
    wanted: Callable[[list[str]], bool] | None = None,
) -> Table:
    """Open a seekable binary stream as a table of rows (raises 4xx on files it cannot read).
    For a workbook, `sheet` names the worksheet to read; without it the first whose header row
    `wanted` accepts is read. A CSV has no sheets, so naming one is refused."""
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    fmt = detect_format(head, filename)
    if fmt == "xlsx":
        return _xlsx(stream, sheet, wanted)
    if sheet is not None:
        raise Unprocessable(
            "a CSV file has no sheets; send sheet only with an XLSX workbook", details={"field": "sheet"}
        )
    return _csv(stream)


def open_path(
    path: str,
    filename: str = "",
    *,
    sheet: str | None = None,
    wanted: Callable[[list[str]], bool] | None = None,
) -> tuple[Table, IO[bytes]]:
    stream = open(path, "rb")  # noqa: SIM115 - closed by the caller after the rows are read
    try:
        return open_table(stream, filename or path, sheet=sheet, wanted=wanted), stream
    except BaseException:
        stream.close()
        raise


def text_stream(data: bytes) -> IO[bytes]:
    return io.BytesIO(data)
