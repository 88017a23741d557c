"""What the command line prints besides results: the progress line and its logging filter."""
from __future__ import annotations

import io
import logging

from newsbeam.cli import console
from newsbeam.cli.progress import ProgressReporter, format_progress
from newsbeam.core.progress import ProgressWriter, read_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stage_counts_add_up_across_writers_and_make_one_line(tmp_path):
    first, second = ProgressWriter(str(tmp_path)), ProgressWriter(str(tmp_path))
    first.add("read_ok", 3)
    first.add("read_rejected")
    second.add("fetch_ok", 2)
    second.add("extract_rejected")
    second.add("normalize_ok", 4)
    second.add("articles_rows", 4)
    for writer in (first, second):
        writer.flush()
    counts = read_progress(str(tmp_path))
    assert counts == {"read_ok": 3, "read_rejected": 1, "fetch_ok": 2, "extract_rejected": 1,
                      "normalize_ok": 4, "articles_rows": 4}
    assert format_progress(counts, 125.0) == (
        "newsbeam: 2:05 6 inputs read, 4 extracted, 2 rejects, 4 articles and "
        "0 duplicates written, 0.0 inputs/s")
    assert ProgressWriter(str(tmp_path / "elsewhere")).folder is None  # a remote worker


def test_a_terminal_gets_one_redrawn_line_then_a_clean_one(tmp_path):
    ProgressWriter(str(tmp_path)).add("read_ok")  # the first add flushes
    terminal = Terminal()
    reporter = ProgressReporter(str(tmp_path), terminal, clock=lambda: 0.0)
    reporter.report()
    reporter.report()
    reporter.stop()
    line = format_progress({"read_ok": 1}, 0.0)
    assert terminal.getvalue() == f"\r{line}\033[K" * 2 + "\r\033[K"


def test_a_log_gets_lines_and_the_final_counts_of_a_run_that_finished(tmp_path):
    log = io.StringIO()
    reporter = ProgressReporter(str(tmp_path), log, clock=lambda: 0.0)
    reporter.report()
    reporter.stop(final=True)
    assert log.getvalue().count("\n") == 2
    failed = io.StringIO()
    ProgressReporter(str(tmp_path), failed).stop(final=False)
    assert failed.getvalue() == ""


def record(name: str, level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, (), None)


def test_default_output_is_newsbeams_own_and_verbose_drops_only_beams_chatter():
    quiet, verbose = console._ConsoleFilter(False), console._ConsoleFilter(True)
    ours = record("newsbeam.store.recover", logging.WARNING, "recovered out: ...")
    beams = record("apache_beam.runners.portability.local_job_service", logging.WARNING,
                   "Worker: severity: WARN ...")
    chatter = record("apache_beam.typehints.native_type_compatibility", logging.INFO,
                     "Converting string literal type hint to Any: \"Iterable\"")
    assert quiet.filter(ours) and not quiet.filter(beams) and not quiet.filter(chatter)
    assert verbose.filter(ours) and verbose.filter(beams) and not verbose.filter(chatter)
