"""Records/s of newsbeam's WARC reader next to plain warcio and FastWARC loops, on the same
archive, in one run.

    python -m bench.warc_reader [--pages 2000] [--repeats 5]

The archive: ``--pages`` corpus pages as request + response + metadata records, gzipped
per record (``bench/warc_inputs.py``; about 6,000 records for 2,000 pages). Each reader
goes through the whole archive, reading every HTML response's payload into memory (what
the pipeline needs) and skipping the rest:

  - ``warcio loop``: ``warcio.ArchiveIterator`` on an open file, ``content_stream().read()``
    for responses (chunked/gzip bodies decoded);
  - ``fastwarc loop``: ``fastwarc.warc.ArchiveIterator(parse_http=True, auto_decode='all')``,
    ``reader.read()`` for responses;
  - ``newsbeam``: ``core.warc.read_archive`` through Beam's FileSystems (what a worker
    runs): classification, bounded reads, truncation checks, RawDocuments;
  - ``newsbeam, 8 ranges``: the same archive read as 8 byte ranges one after the other,
    each finding its first record (``record_start``): the cost of splitting.

records/s = records in the archive / wall seconds; median of the repeats; ratios are taken
within a repeat, then the median.
"""
from __future__ import annotations

import argparse
import pathlib
import statistics
import time

from bench.machine import describe, machine_info, write_json
from bench.warc_inputs import ROOT, corpus_archive
from newsbeam.core.files import FileInput
from newsbeam.core.warc import read_archive, record_start
from newsbeam.store import fs


def warcio_loop(path: pathlib.Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    records = 0
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            records += 1
            if record.rec_type == "response":
                record.content_stream().read()
    return records


def fastwarc_loop(path: pathlib.Path) -> int:
    from fastwarc.warc import ArchiveIterator

    records = 0
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle, parse_http=True, auto_decode="all"):
            records += 1
            if str(record.record_type) == "response":
                record.reader.read()
    return records


def _item(path: pathlib.Path) -> FileInput:
    return FileInput("bench", str(path), path.stat().st_size, path.stat().st_mtime)


def newsbeam_reader(path: pathlib.Path, max_bytes: int = 10 * 2**20) -> int:
    with fs.open_read(str(path)) as handle:
        return sum(1 for _ in read_archive(_item(path), handle, max_bytes))


def newsbeam_ranges(path: pathlib.Path, ranges: int = 8, max_bytes: int = 10 * 2**20) -> int:
    """Entries of the archive read as ``ranges`` byte ranges (skips are entries too)."""
    item = _item(path)
    size = -(-item.size // ranges)
    entries = 0
    for first in range(0, item.size, size):
        with fs.open_read(item.uri) as handle:
            start = record_start(handle, first)
            if start is not None:
                entries += sum(1 for _ in read_archive(
                    item, handle, max_bytes, start,
                    claim=lambda offset: first <= offset < first + size))
    return entries


READERS = {"warcio loop": warcio_loop, "fastwarc loop": fastwarc_loop,
           "newsbeam": newsbeam_reader, "newsbeam, 8 ranges": newsbeam_ranges}


def measure(path: pathlib.Path, repeats: int) -> dict:
    counts = {name: reader(path) for name, reader in READERS.items()}  # warm-up, and checks
    rounds = []
    for repeat in range(repeats):
        seconds = {}
        for name, reader in READERS.items():
            started = time.perf_counter()
            reader(path)
            seconds[name] = time.perf_counter() - started
        rate = {name: counts["warcio loop"] / s for name, s in seconds.items()}
        rounds.append(rate)
        print(f"  repeat {repeat + 1}: " + ", ".join(f"{n} {r:,.0f}" for n, r in rate.items()),
              flush=True)
    median = {name: statistics.median(r[name] for r in rounds) for name in READERS}
    ratios = {name: statistics.median(r[name] / r["warcio loop"] for r in rounds)
              for name in READERS}
    return {"records": counts, "median_records_per_s": median, "vs_warcio": ratios,
            "rounds": rounds}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=pathlib.Path,
                        default=ROOT / "out" / "bench" / "warc_reader.json")
    args = parser.parse_args(argv)
    info = machine_info()
    path = corpus_archive(args.pages)
    print(f"WARC readers ({describe(info)})\n{path.name}: {path.stat().st_size / 2**20:.1f} MiB",
          flush=True)
    result = {"machine": info, "archive": path.name, "bytes": path.stat().st_size,
              **measure(path, args.repeats)}
    print(f"records per reader: {result['records']}")
    for name, rate in result["median_records_per_s"].items():
        print(f"  {name:<20} {rate:>9,.0f} records/s  ({result['vs_warcio'][name]:.2f}x warcio)")
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
