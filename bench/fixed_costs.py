"""What newsbeam pays again and again, next to its yardsticks, side by side in one run:

    python -m bench.fixed_costs [--rounds 3] [--polls 5]

- ``extract``: ``newsbeam extract PAGE`` against trafilatura's own CLI on the same page
  (``trafilatura --with-metadata --json < PAGE``), for a page with ``<html lang>`` and the
  same page without it (then its language comes from other metadata or, failing those,
  the language model);
  each its own process, wall and CPU seconds (the process tree), alternating.
- ``follow``: the CPU cost of a poll that finds nothing new: ``newsbeam follow --every 1s``
  over the fixtures, already ingested, with 1 and with 1 + ``--polls`` polls; the
  difference divided by ``--polls`` is what one more poll costs (its process stays warm).
  The polls' own wall seconds come from their manifests.
(Start-up of ``newsbeam run`` against a minimal Beam pipeline: ``python -m bench.startup``.)
Medians over the rounds; JSON to ``out/bench/fixed_costs.json``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import pathlib
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench.machine import machine_info, write_json

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
PAGES = CORPUS / "scrapinghub_aeb" / "html"  # its first page (sorted by name) is used
HTML_TAG = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
LANG = re.compile(rb"""\s(?:xml:)?lang=("[^"]*"|'[^']*'|\S+)""", re.IGNORECASE)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], stdin: pathlib.Path | None = None) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of its process tree, stdout) of one command."""
    cpu, started = _cpu(), time.perf_counter()
    with open(stdin or os.devnull, "rb") as feed:
        done = subprocess.run(command, stdin=feed, capture_output=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]!r}")
    return time.perf_counter() - started, _cpu() - cpu, done.stdout.decode()


def pages(folder: pathlib.Path) -> dict[str, pathlib.Path]:
    """The page with ``<html lang>`` and without it."""
    html = gzip.decompress(sorted(PAGES.glob("*.html.gz"))[0].read_bytes())
    tag = HTML_TAG.search(html)
    bare = tag.group(0)[:5] + LANG.sub(b"", tag.group(0)[5:])
    without = html[:tag.start()] + bare + html[tag.end():]
    with_lang = html[:tag.start()] + b'<html lang="en"' + bare[5:] + html[tag.end():]
    out = {"has <html lang>": folder / "declared.html",
           "has no <html lang>": folder / "undeclared.html"}
    out["has <html lang>"].write_bytes(with_lang)
    out["has no <html lang>"].write_bytes(without)
    return out


def extract_rounds(folder: pathlib.Path, rounds: int) -> dict:
    newsbeam = [sys.executable, "-m", "newsbeam", "extract"]
    trafilatura = [shutil.which("trafilatura") or "trafilatura", "--with-metadata", "--json"]
    result = {}
    for label, page in pages(folder).items():
        wall: dict[str, list] = {"newsbeam extract": [], "trafilatura CLI": []}
        cpu: dict[str, list] = {"newsbeam extract": [], "trafilatura CLI": []}
        for round_ in range(rounds):
            runs = {"newsbeam extract": (newsbeam + [str(page)], None),
                    "trafilatura CLI": (trafilatura, page)}
            for name in (runs if round_ % 2 == 0 else reversed(list(runs))):
                w, c, _ = timed(*runs[name])
                wall[name].append(w)
                cpu[name].append(c)
        med = {name: statistics.median(values) for name, values in wall.items()}
        med_cpu = {name: statistics.median(values) for name, values in cpu.items()}
        ratios = [n / t for n, t in zip(wall["newsbeam extract"], wall["trafilatura CLI"])]
        result[label] = {"wall": wall, "cpu": cpu, "median_wall": med, "median_cpu": med_cpu,
                         "ratio": statistics.median(ratios)}
        print(f"  extract, page that {label}: " + ", ".join(
            f"{name} {med[name]:.2f} s ({med_cpu[name]:.2f} CPU s)" for name in med)
            + f"; newsbeam / trafilatura {statistics.median(ratios):.2f}x (target <= 1.5)",
            flush=True)
    return result


def follow_rounds(folder: pathlib.Path, rounds: int, polls: int) -> dict:
    output = folder / "follow-out"
    config = str(ROOT / "configs" / "fixtures.yaml")
    timed([sys.executable, "-m", "newsbeam", "run", "--config", config, "--output",
           str(output), "-q"])

    def follow(count: int) -> tuple[float, float, str]:
        return timed([sys.executable, "-m", "newsbeam", "follow", "--config", config,
                      "--output", str(output), "--every", "1s", "--max-runs", str(count)])

    per_poll, poll_wall = [], []
    for _ in range(rounds):
        _, one, _ = follow(1)
        _, many, lines = follow(1 + polls)
        per_poll.append((many - one) / polls)
        poll_wall += [float(line.split(" in ")[1].split(" s")[0]) for line in
                      lines.splitlines()[1:-1] if line.startswith("newsbeam run")]
    result = {"cpu_per_poll": per_poll, "median_cpu_per_poll": statistics.median(per_poll),
              "poll_wall_seconds": poll_wall,
              "median_poll_wall": statistics.median(poll_wall) if poll_wall else None}
    print(f"  follow, a poll with nothing new: {result['median_cpu_per_poll']:.2f} CPU s "
          f"(target <= 1), {result['median_poll_wall']:.2f} s wall (median of "
          f"{len(poll_wall)} later polls)", flush=True)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--polls", type=int, default=5)
    parser.add_argument("--json", type=pathlib.Path,
                        default=ROOT / "out" / "bench" / "fixed_costs.json")
    args = parser.parse_args(argv)
    info = machine_info()
    print(f"Fixed costs ({info})", flush=True)
    with tempfile.TemporaryDirectory(prefix="newsbeam-fixed-") as tmp:
        tmp = pathlib.Path(tmp)
        result = {"machine": info, "extract": extract_rounds(tmp, args.rounds),
                  "follow": follow_rounds(tmp, args.rounds, args.polls),
                  "load_after": os.getloadavg()[0]}
    write_json(args.json, result)
    print(json.dumps({"load_after": result["load_after"]}))
    return result


if __name__ == "__main__":
    main()
