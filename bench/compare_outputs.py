"""Check that two versions of newsbeam write the same rows (e.g. before and after a refactor).

For each corpus it runs ``python -m newsbeam run --config CFG --output DIR --runner FnApiRunner``
once from each source tree (``PYTHONPATH=<tree>``, so the editable install is bypassed), reads
back the Parquet datasets and compares them row by row, keyed by ``input``:

  articles    article_id, canonical_url, title, published_at, text
  duplicates  article_id, duplicate_of, method, similarity
  rejects     stage, reason

run_id, fetched_at/rejected_at, ingest_date and the other columns are not compared. Inputs
under a source tree (the fixtures) are compared relative to that tree.

Corpora: ``fixtures`` (each tree's own configs/fixtures.yaml), ``scrapinghub`` (181 pages)
and ``trafilatura`` (990 pages, about a minute per side), both from ``<repo>/../shared/corpus``.

    python bench/compare_outputs.py --old main
    python bench/compare_outputs.py --old 4221abb --new ../other-worktree \\
        --corpora fixtures,scrapinghub --keep /tmp/compare

``--new-options "OPTIONS"`` runs the new side on another runner, e.g. a Flink cluster
(``--old`` and ``--new`` the same tree: the runners are then what is compared):

    python bench/compare_outputs.py --old . --new . --corpora fixtures,scrapinghub \\
        --new-options "$(scripts/local-flink status | tail -1)"

``--old`` is a git ref, checked out in a temporary detached worktree; ``--new`` is a ref or a
directory and defaults to the working tree this script is in. ``--keep DIR`` keeps the
configs and outputs in DIR. Prints a table per corpus and ``identical: yes|no``; exit status
0 when identical, 1 when not, 2 when a run fails. Imports only stdlib, pyarrow and yaml.
"""
from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import pyarrow.parquet as pq
import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
CORPORA = {  # corpus -> globs of a `files` source; None: the tree's configs/fixtures.yaml
    "fixtures": None,
    "scrapinghub": [CORPUS / "scrapinghub_aeb" / "html" / "*.html.gz"],
    "trafilatura": [CORPUS / "trafilatura" / "cache" / "*.html.gz",
                    CORPUS / "trafilatura" / "eval" / "*.html.gz"],
}
COMPARED = {  # dataset -> columns compared besides the key, `input`
    "articles": ["article_id", "canonical_url", "title", "published_at", "text"],
    "duplicates": ["article_id", "duplicate_of", "method", "similarity"],
    "rejects": ["stage", "reason"],
}
SHOW = 5  # differences printed per dataset


def fail(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(2)


def git(*args: str) -> None:
    proc = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    if proc.returncode:
        fail(f"git {' '.join(args)}: {proc.stderr.strip()}")


@contextlib.contextmanager
def source_tree(ref: str | None, scratch: pathlib.Path, name: str):
    """A directory holding newsbeam: an existing one, or a temporary worktree of a git ref."""
    if ref is None or os.path.isdir(ref):
        yield pathlib.Path(ref or REPO).resolve()
        return
    path = scratch / name
    git("worktree", "add", "--detach", str(path), ref)
    try:
        yield path
    finally:
        git("worktree", "remove", "--force", str(path))


def run_newsbeam(tree: pathlib.Path, config: pathlib.Path, out: pathlib.Path,
                 runner: list[str]) -> float:
    """Run the CLI from `tree` into a fresh `out` with the Beam options `runner`; return the
    wall time in seconds."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    where = subprocess.run([sys.executable, "-c", "import newsbeam; print(newsbeam.__file__)"],
                           env=env, cwd=out.parent, capture_output=True, text=True).stdout
    if not where.startswith(f"{tree}{os.sep}"):
        fail(f"PYTHONPATH={tree} imports newsbeam from {where.strip() or 'nowhere'}")
    shutil.rmtree(out, ignore_errors=True)  # an earlier run there would count as cross-run dups
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "newsbeam", "run", "--config", str(config),
                           "--output", str(out), *runner],
                          env=env, cwd=out.parent, capture_output=True, text=True)
    if proc.returncode:
        fail(f"{proc.stdout}{proc.stderr[-3000:]}\n"
             f"newsbeam from {tree} failed (exit {proc.returncode}) on {config}")
    return time.monotonic() - start


def read_rows(out: pathlib.Path, dataset: str, tree: pathlib.Path) -> dict[str, dict]:
    """Rows of one dataset keyed by input (inputs under `tree` made relative to it)."""
    rows = [row for path in sorted(glob.glob(f"{out}/{dataset}/[!_]*/*.parquet"))
            for row in pq.read_table(path, columns=["input", *COMPARED[dataset]]).to_pylist()]
    keyed: dict[str, dict] = {}
    for row in sorted(rows, key=repr):
        key = row.pop("input").replace(f"{tree}{os.sep}", "<tree>/", 1)
        while key in keyed:  # not expected: every input ends in one row
            key += "+"
        keyed[key] = row
    return keyed


def show(old, new, width: int = 70) -> str:
    """`old -> new`, strings cut to a window around their first difference."""
    if isinstance(old, str) and isinstance(new, str):
        first = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b),
                     min(len(old), len(new)))
        start = max(0, first - 20)
        at = f"at char {first}: " if start else ""
        return f"{at}{old[start:start + width]!r} -> {new[start:start + width]!r}"
    return f"{old!r} -> {new!r}"


def compare(dataset: str, old: dict[str, dict], new: dict[str, dict]):
    """Added, removed and changed keys, and lines describing the first few of each."""
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    changed = sorted(k for k in old.keys() & new.keys() if old[k] != new[k])
    notes = ([f"  {dataset} added   {k}" for k in added[:SHOW]]
             + [f"  {dataset} removed {k}" for k in removed[:SHOW]])
    for key in changed[:SHOW]:
        notes.append(f"  {dataset} changed {key}")
        notes += [f"      {field}: {show(value, new[key][field])}"
                  for field, value in old[key].items() if value != new[key][field]]
    return added, removed, changed, notes


def compare_corpus(corpus: str, trees: dict[str, pathlib.Path], base: pathlib.Path,
                   runners: dict[str, list[str]]) -> bool:
    (base / corpus).mkdir(exist_ok=True)
    globs, config = CORPORA[corpus], base / corpus / "config.yaml"
    if globs:
        source = {"name": corpus, "kind": "files", "path": [str(p) for p in globs]}
        config.write_text(yaml.safe_dump({"sources": [source]}), "utf-8")
    outs = {side: base / corpus / side for side in trees}
    times = {side: run_newsbeam(tree, config if globs else tree / "configs" / "fixtures.yaml",
                                outs[side], runners[side])
             for side, tree in trees.items()}

    print(f"\n{corpus}: old {times['old']:.1f} s, new {times['new']:.1f} s (wall time)")
    print(f"  {'dataset':<12}{'old':>7}{'new':>7}{'added':>8}{'removed':>9}{'changed':>9}")
    identical, notes = True, []
    for dataset in COMPARED:
        old, new = (read_rows(outs[side], dataset, trees[side]) for side in ("old", "new"))
        added, removed, changed, found = compare(dataset, old, new)
        print(f"  {dataset:<12}{len(old):>7}{len(new):>7}"
              f"{len(added):>8}{len(removed):>9}{len(changed):>9}")
        identical &= not (added or removed or changed)
        notes += found
    print("\n".join(notes) if notes else "  no differences")
    return identical


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, metavar="REF", help="git ref of the old version")
    parser.add_argument("--new", metavar="REF_OR_WORKTREE",
                        help=f"git ref or directory of the new version (default: {REPO})")
    parser.add_argument("--corpora", default=",".join(CORPORA),
                        help="comma-separated, from: %(default)s")
    parser.add_argument("--new-options", default="--runner FnApiRunner", metavar="OPTIONS",
                        help="Beam options of the new side's runs, e.g. the line "
                             "scripts/local-flink start prints (default: %(default)s)")
    parser.add_argument("--keep", metavar="DIR",
                        help="write configs and outputs here and keep them")
    args = parser.parse_args()
    corpora = [c.strip() for c in args.corpora.split(",") if c.strip()]
    if unknown := set(corpora) - CORPORA.keys():
        parser.error(f"unknown corpora: {', '.join(sorted(unknown))}")

    with contextlib.ExitStack() as stack:
        scratch = pathlib.Path(stack.enter_context(tempfile.TemporaryDirectory())).resolve()
        base = pathlib.Path(args.keep).resolve() if args.keep else scratch / "runs"
        base.mkdir(parents=True, exist_ok=True)
        trees = {"old": stack.enter_context(source_tree(args.old, scratch, "old")),
                 "new": stack.enter_context(source_tree(args.new, scratch, "new"))}
        print(f"old: {args.old} ({trees['old']})")
        print(f"new: {args.new or 'working tree'} ({trees['new']})")
        runners = {"old": ["--runner", "FnApiRunner"], "new": shlex.split(args.new_options)}
        print(f"runners: old {' '.join(runners['old'])}; new {' '.join(runners['new'])}")
        results = [compare_corpus(corpus, trees, base, runners) for corpus in corpora]
    print(f"\nidentical: {'yes' if all(results) else 'no'}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
