"""``--setup_file`` packaging, checked the way Dataflow uses it: build newsbeam's sdist with
Beam's own stager, install it into a clean virtualenv (no system site-packages, so nothing
of this checkout can leak in), and run the fixtures and a WARC with the installed package
from outside the repository; its rows must equal those of this checkout's run.

    python -m bench.sdist_install [--keep DIR]

Needs PyPI (or a local index) for the dependencies: the first install downloads Beam,
pyarrow, trafilatura, ... (a few hundred MB, several minutes). Prints the timings and
``identical: yes|no``; exit status 0 only when the installed package gave the same rows.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

from apache_beam.runners.portability.stager import Stager

from bench.machine import describe, machine_info
from tests.helpers.comparable import comparable_rows
from tests.helpers.runs import FIXTURES
from tests.helpers.warcs import sample_pages, skipped_pages, write_warc

ROOT = pathlib.Path(__file__).resolve().parents[1]


def step(name: str, command: list[str], cwd: pathlib.Path, timings: dict) -> str:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    timings[name] = round(time.perf_counter() - started, 1)
    if done.returncode:
        sys.exit(f"{name} failed ({' '.join(command)}):\n{done.stderr[-3000:]}")
    print(f"  {name}: {timings[name]} s", flush=True)
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", type=pathlib.Path, help="work here and keep it")
    args = parser.parse_args(argv)
    print(f"sdist install check ({describe(machine_info())})", flush=True)
    work = args.keep or pathlib.Path(tempfile.mkdtemp(prefix="newsbeam-sdist-"))
    work.mkdir(parents=True, exist_ok=True)
    timings: dict = {}
    try:
        started = time.perf_counter()
        # What DataflowRunner/PortableRunner do with --setup_file (build, else setup.py sdist).
        tarball = pathlib.Path(Stager._build_setup_package(str(ROOT / "setup.py"), str(work)))
        timings["build sdist"] = round(time.perf_counter() - started, 1)
        print(f"  build sdist: {timings['build sdist']} s -> {tarball.name}", flush=True)
        venv = work / "venv"
        step("create clean venv", [sys.executable, "-m", "venv", "--clear", str(venv)], work,
             timings)
        step("pip install sdist", [str(venv / "bin" / "pip"), "install", "-q", str(tarball)],
             work, timings)
        where = step("import check", [str(venv / "bin" / "python"), "-c",
                                      "import newsbeam; print(newsbeam.__file__)"], work, timings)
        assert str(venv) in where, f"newsbeam came from {where.strip()}, not the venv"

        (work / "warc").mkdir(exist_ok=True)
        write_warc(work / "warc" / "crawl.warc.gz", sample_pages("wire.example"),
                   extras=skipped_pages())
        config = work / "config.json"
        config.write_text(json.dumps({"output": str(work / "unused"), "sources": [
            {"name": "samples", "kind": "files", "path": str(FIXTURES / "*.txt")},
            {"name": "crawl", "kind": "warc", "path": str(work / "warc" / "*.warc.gz")}]}))
        for output in ("out-installed", "out-checkout"):
            shutil.rmtree(work / output, ignore_errors=True)
        step("run installed package", [str(venv / "bin" / "newsbeam"), "run", "--config",
                                       str(config), "--output", str(work / "out-installed"),
                                       "--runner", "FnApiRunner"], work, timings)
        step("run checkout", [sys.executable, "-m", "newsbeam", "run", "--config", str(config),
                              "--output", str(work / "out-checkout"), "--runner", "FnApiRunner"],
             ROOT, timings)
        installed = comparable_rows(work / "out-installed")
        identical = installed == comparable_rows(work / "out-checkout")
        print("  rows: " + ", ".join(f"{name} {len(rows)}" for name, rows in installed.items()))
        print(f"identical: {'yes' if identical else 'no'}")
        return 0 if identical else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
