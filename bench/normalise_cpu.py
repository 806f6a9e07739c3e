"""CPU time of reading and normalising a lead list, no database: what the import's workers spend
per row before COPY (the file's mapping is guessed as the import guesses it). `--profile` adds
the functions with the most own time over the first 20,000 rows.

    .venv/bin/python bench/normalise_cpu.py --file var/leads-100k.csv [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import time
from pathlib import Path

from reos.imports import engine, mapping, normalise, reader


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path, default=Path("var/leads-100k.csv"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    table, stream = reader.open_path(str(args.file))
    try:
        plan = normalise.Plan.build(table.headers, mapping.guess_mapping(table.headers))
        normalise.warm()
        began = time.process_time()
        rows = list(itertools.islice(table.rows, args.rows))
        read = time.process_time() - began
    finally:
        stream.close()
    size = engine.CHUNK_ROWS
    began = time.process_time()
    for first in range(0, len(rows), size):
        normalise.process_chunk(plan, first + 1, rows[first : first + size])
    cpu = time.process_time() - began
    print(
        f"{len(rows):,} rows: reading {read:.2f} s, normalising {cpu:.2f} s of CPU "
        f"({cpu / len(rows) * 1e6:.0f} µs a row)"
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for first in range(0, min(len(rows), 20_000), size):
            normalise.process_chunk(plan, first + 1, rows[first : first + size])
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
