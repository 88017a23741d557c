"""Bad files stay bad input: a FIFO, a socket or a device matched by a glob, and an archive
warcio cannot read, each end as one reject beside the good inputs, and the next run runs.

Faults are real: a FIFO nobody writes (opening it would block forever), a bound Unix
socket, a link to /dev/zero (endless), and a .warc.gz cut inside the gzip member of a
request record (warcio raises AttributeError there, not one of its own errors)."""
from __future__ import annotations

import io
import os
import pathlib
import socket

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbeam.cli import main
from tests.helpers.accounting import assert_every_input_once, query_rows
from tests.helpers.runs import RUNNER_ARGS, SAMPLES, write_config
from tests.helpers.warcs import sample_pages, write_warc


def record_offsets(data: bytes) -> list[tuple[int, str]]:
    records = ArchiveIterator(io.BytesIO(data))
    return [(records.offset, record.rec_type) for record in records]


def warcio_crash(data: bytes) -> Exception | None:
    """What warcio raises reading ``data`` that is not its own ArchiveLoadFailed."""
    try:
        for record in ArchiveIterator(io.BytesIO(data)):
            record.content_stream().read()
    except Exception as err:  # noqa: BLE001 - the point is which one
        return None if type(err).__name__ == "ArchiveLoadFailed" else err
    return None


def cut_in_a_request(path: pathlib.Path) -> int:
    """Cut ``path`` inside its first request record's gzip member, where warcio crashes;
    returns the length kept."""
    data = path.read_bytes()
    offsets = record_offsets(data)
    (start, _), (end, _) = next((a, b) for a, b in zip(offsets, offsets[1:])
                                if a[1] == "request")
    cut = next(n for n in range(start + 1, end) if isinstance(warcio_crash(data[:n]),
                                                              AttributeError))
    path.write_bytes(data[:cut])
    return cut


def special_files(folder: pathlib.Path) -> list[pathlib.Path]:
    """A FIFO, a listening Unix socket and a link to a character device, named as inputs."""
    fifo, sock, device = folder / "fifo.txt", folder / "socket.txt", folder / "zero.txt"
    os.mkfifo(fifo)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(sock))
    listener.close()  # the socket file stays
    device.symlink_to("/dev/zero")
    return [fifo, sock, device]


def run(config: pathlib.Path, *extra: str) -> int:
    return main(["run", "--config", str(config), *RUNNER_ARGS, *extra])


@pytest.mark.timeout(300)
def test_special_files_and_an_archive_warcio_chokes_on_are_rejects_and_the_run_goes_on(
        tmp_path, samples_dir):
    special = special_files(samples_dir)
    archives = tmp_path / "warc"
    archives.mkdir()
    good = write_warc(archives / "good.warc.gz", sample_pages("good.example"))
    cut = write_warc(archives / "cut.warc.gz", sample_pages("cut.example"))
    cut_in_a_request(cut)
    os.mkfifo(archives / "fifo.warc.gz")
    config = write_config(tmp_path, [
        {"name": "samples", "kind": "files", "path": str(samples_dir / "*.txt")},
        # Ranges of ~2 KB: the damage is reported once however the archives are cut up.
        {"name": "crawl", "kind": "warc", "path": str(archives / "*.warc.gz"),
         "split_mb": 0.002}],
        dedup={"cross_run": False})
    output = tmp_path / "out"

    assert run(config, "-q") == 0
    rejects = {row["input"]: row for row in query_rows(output, "select * from rejects")}
    for path in special:
        assert rejects[str(path)]["reason"] == "not_a_regular_file"
    assert "a FIFO" in rejects[str(samples_dir / "fifo.txt")]["error"]
    assert "a character device" in rejects[str(samples_dir / "zero.txt")]["error"]
    assert rejects[str(archives / "fifo.warc.gz")]["reason"] == "not_a_regular_file"
    broken = rejects[str(cut)]
    assert broken["reason"] == "corrupt_archive" and f"{cut} at offset " in broken["error"]
    good_records = [f"{good}#{offset}" for offset, kind in record_offsets(good.read_bytes())
                    if kind == "response"]
    assert len(good_records) == 5  # each an article or a copy of a sample (the same text)
    files = [str(samples_dir / p.name) for p in (*SAMPLES, *special)]
    assert_every_input_once(output, [*files, *good_records, str(cut),
                                     str(archives / "fifo.warc.gz")])

    # The next run succeeds: nothing new, and the bad files are not read again.
    assert run(config, "-q") == 0
    assert len(query_rows(output, "select * from rejects")) == len(rejects)
