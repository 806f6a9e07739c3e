"""Reading a lead list as an XLSX workbook, against baselines in the same run. No database.

The workbook is written from the CSV lead list (`bench/leadgen.py`'s, generated with 100,000 rows
if it is missing) the way list tools write theirs (openpyxl's write-only mode: every string
inline, no `<dimension>`), after a one-row note sheet, unless it exists. Then, CPU seconds in this
process with the app imported, as the import's feeding process has it (`reader_maxrss_mib` is the
process's peak so far: run again once the files exist for the reader's own):
- `reader`: the import's reader (`reos.imports.service.open_table`, the sheet chosen by its header
  row), every row;
- `inflate`: only inflating the worksheet's XML out of the archive (the floor of any reader);
- `expat`: inflating and parsing it with no handler (the floor of any XML reader in Python);
- `openpyxl`: openpyxl's read-only reader of the same sheet, values only (the reader before).

    PYTHONPATH=. .venv/bin/python bench/read_xlsx.py --csv var/leads-100k.csv --xlsx var/leads-100k.xlsx
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import time
import zipfile
from pathlib import Path
from typing import Any
from xml.parsers import expat

from reos.imports import service, xlsx


def write_workbook(source: Path, target: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    book.create_sheet("Notes").append(["Exported lead list"])
    sheet = book.create_sheet("Leads")
    with source.open(newline="", encoding="utf-8", errors="replace") as rows:
        for row in csv.reader(rows):
            # Numbers as a spreadsheet stores them: ZIPs and phones lose nothing but leading zeros.
            sheet.append(
                [int(c) if c.isdigit() and len(c) < 15 and not c.startswith("0") else c for c in row]
            )
    book.save(target)


def _timed(work: Any) -> tuple[float, Any]:
    began = time.process_time()
    found = work()
    return round(time.process_time() - began, 2), found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", type=Path, default=Path("var/leads-100k.csv"))
    parser.add_argument("--xlsx", type=Path, default=Path("var/leads-100k.xlsx"))
    parser.add_argument("--no-openpyxl", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {}
    if not args.csv.exists():
        from bench.leadgen import generate

        args.csv.parent.mkdir(parents=True, exist_ok=True)
        generate(args.csv, rows=100_000)
    if not args.xlsx.exists():
        report["write_s"], _ = _timed(lambda: write_workbook(args.csv, args.xlsx))
    report["bytes"] = args.xlsx.stat().st_size

    def read() -> int:
        with args.xlsx.open("rb") as stream:
            table = service.open_table(stream, args.xlsx.name)
            return sum(1 for _ in table.rows)

    report["reader_s"], report["rows"] = _timed(read)
    report["reader_maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    with args.xlsx.open("rb") as stream:
        book = xlsx.Workbook(stream)
        part = next(s.part for s in book.sheets if s.name == "Leads")
        book.close()

    def inflate(parse: bool) -> int:
        with zipfile.ZipFile(args.xlsx) as archive, archive.open(part) as member:
            bare = expat.ParserCreate()
            size = 0
            while block := member.read(xlsx.READ_BYTES):
                size += len(block)
                if parse:
                    bare.Parse(block, False)
            return size

    report["inflate_s"], report["sheet_xml_bytes"] = _timed(lambda: inflate(False))
    report["expat_s"], _ = _timed(lambda: inflate(True))
    if not args.no_openpyxl:
        from openpyxl import load_workbook

        def old() -> int:
            book = load_workbook(args.xlsx, read_only=True, data_only=True)
            try:
                return sum(1 for _ in book["Leads"].iter_rows(values_only=True))
            finally:
                book.close()

        report["openpyxl_s"], _ = _timed(old)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
