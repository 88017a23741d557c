"""SIGKILL real runs at random moments, then check nothing was lost or let in twice.

    python -m bench.kill_loop [--kills 10] [--corpus scrapinghub] [--seed 1]

Each round starts ``newsbeam run`` on the corpus pages (as local files, with a few copies so
there are duplicates) into one output and kills its whole process group after a random
delay: half the rounds anywhere in [0, the duration of an unkilled run], half in its last
fifth, where the commit is (a kill inside the few-millisecond commit itself is rare: the
commit's steps are covered by injected faults in tests/store/test_commit.py). Then runs go on unkilled until one finds
nothing left to read. The union of all runs must hold every input exactly once as an
article, a duplicate or a reject, no ``duplicate_of`` naming a missing article, no
``article_id`` twice, and a manifest for every committed run. Prints what each kill hit.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import duckdb
import yaml

from bench.machine import describe, machine_info

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def make_inputs(folder: pathlib.Path, corpus: str, copies: int) -> list[str]:
    pages = sorted((CORPUS / "scrapinghub_aeb" / "html").glob("*.html.gz"))
    if corpus == "trafilatura":
        pages = sorted((CORPUS / "trafilatura" / "cache").glob("*.html.gz"))
    folder.mkdir(parents=True)
    for page in pages:
        shutil.copy(page, folder / page.name)
    for page in pages[:copies]:  # the same page under another name: a duplicate
        shutil.copy(page, folder / f"copy-{page.name}")
    (folder / "empty.txt").write_bytes(b"")  # a reject
    return sorted(str(p) for p in folder.iterdir())


def command(config: pathlib.Path, output: pathlib.Path) -> list[str]:
    return [sys.executable, "-m", "newsbeam", "run", "--config", str(config), "--output",
            str(output), "--runner", "FnApiRunner"]


def run(config, output, kill_after: float | None) -> tuple[int, float]:
    started = time.perf_counter()
    child = subprocess.Popen(command(config, output), cwd=ROOT, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        child.wait(timeout=kill_after)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    return child.returncode, time.perf_counter() - started


def check(output: pathlib.Path, inputs: list[str]) -> dict:
    sql = duckdb.connect()
    ended = [i for (i,) in sql.sql(f"""
        select input from '{output}/articles/*/*.parquet' union all
        select input from '{output}/duplicates/*/*.parquet' union all
        select input from '{output}/rejects/*/*.parquet'""").fetchall()]
    dangling = sql.sql(f"""select count(*) from '{output}/duplicates/*/*.parquet' d
        anti join '{output}/articles/*/*.parquet' a on d.duplicate_of = a.article_id""").fetchall()
    twice = sql.sql(f"""select count(*) from (select article_id from
        '{output}/articles/*/*.parquet' group by 1 having count(*) > 1)""").fetchall()
    log = {p.stem for p in (output / "_log").glob("*.json")}
    manifests = {p.stem for p in (output / "_runs").glob("*.json")}
    return {"inputs": len(inputs), "ended": len(ended), "distinct_ended": len(set(ended)),
            "missing": len(set(inputs) - set(ended)), "extra": len(set(ended) - set(inputs)),
            "dangling_duplicate_of": dangling[0][0], "article_id_twice": twice[0][0],
            "commits_without_manifest": len(log - manifests)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--corpus", choices=("scrapinghub", "trafilatura"), default="scrapinghub")
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    print(describe(machine_info()))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        inputs = make_inputs(tmp / "in", args.corpus, args.copies)
        config = tmp / "config.yaml"
        config.write_text(yaml.safe_dump({"output": str(tmp / "out"), "sources": [
            {"name": "corpus", "kind": "files", "path": str(tmp / "in" / "*")}]}))
        _, full = run(config, tmp / "probe", None)  # how long an unkilled run takes
        print(f"{len(inputs)} inputs; an unkilled run takes {full:.1f} s")
        output = tmp / "out"
        for number in range(1, args.kills + 1):
            delay = rng.uniform(0, full) if number % 2 else rng.uniform(0.8 * full, 1.1 * full)
            code, took = run(config, output, delay)
            committed = len(list((output / "_log").glob("*.json"))) if output.exists() else 0
            print(f"kill {number:>2}: after {delay:5.1f} s -> exit {code}, "
                  f"{committed} commits in the log so far")
        finishing = 0
        while True:  # unkilled runs until nothing is left to read
            code, _ = run(config, output, None)
            finishing += 1
            newest = max((output / "_runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
            if code != 0 or json.loads(newest.read_text())["counts"]["inputs"] == 0:
                break
        result = check(output, inputs)
        result["finishing_runs"] = finishing
        ok = (result["missing"] == result["extra"] == result["dangling_duplicate_of"]
              == result["article_id_twice"] == result["commits_without_manifest"] == 0
              and result["ended"] == result["distinct_ended"] == result["inputs"])
        print(json.dumps(result, indent=1))
        print("every input exactly once:", "yes" if ok else "NO")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
