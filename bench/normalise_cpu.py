"""CPU time of reading and normalising a lead list, no database: what the import's workers spend
per row before COPY (the file's mapping is guessed as the import guesses it). `--profile` adds
the functions with the most own time over the first 20,000 rows. `--fingerprint` prints a hash
of every COPY payload, its ids renumbered in order of appearance: a change meant to make the
normaliser faster must leave it as it was.

    .venv/bin/python bench/normalise_cpu.py --file var/leads-100k.csv [--profile] [--fingerprint]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import itertools
import pstats
import re
import time
from pathlib import Path

from reos.imports import engine, mapping, normalise, reader

_ID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def fingerprint(plan: normalise.Plan, rows: list[list[str]]) -> str:
    """SHA-256 (16 hex digits) of the payloads of every chunk, each id replaced by its order of
    first appearance (ids are random; where they stand is what the merge reads)."""
    digest = hashlib.sha256()
    seen: dict[bytes, int] = {}

    def renumber(match: re.Match[bytes]) -> bytes:
        return b"id%d" % seen.setdefault(match.group(0), len(seen))

    for first in range(0, len(rows), engine.CHUNK_ROWS):
        chunk = normalise.process_chunk(plan, first + 1, rows[first : first + engine.CHUNK_ROWS])
        tallies = f"{chunk.first},{chunk.rows},{chunk.refused}".encode()
        for part in (chunk.stage, chunk.contacts, chunk.points, chunk.errors, tallies):
            digest.update(_ID.sub(renumber, part) + b"|")
    return digest.hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", type=Path, default=Path("var/leads-100k.csv"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--fingerprint", action="store_true")
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
    if args.fingerprint:
        print(f"fingerprint of the payloads: {fingerprint(plan, rows)}")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for first in range(0, min(len(rows), 20_000), size):
            normalise.process_chunk(plan, first + 1, rows[first : first + size])
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
