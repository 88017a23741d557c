"""``newsbeam compact``, ``query``, ``stats`` and ``verify``: commands over an output
directory."""
from __future__ import annotations

import argparse
import json
import re
import sys

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


def parse_size(text: str) -> int:
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size like 128MB, 1GB or 500KB")
    return int(float(match[1]) * _UNITS[match[2].upper()])


OUTPUT_HELP = "the output directory of earlier runs (exit 2 when there is none)"


def add_store_commands(commands) -> None:
    compact = commands.add_parser(
        "compact", help="rewrite small files into few large sorted ones, fold state",
        description="Rewrite each day's small files of every dataset into few large files "
                    "sorted by published_at (articles), fold each state table into one file "
                    "and drop seen URLs and index entries past --retention-days. One atomic "
                    "commit: readers see the old files or the new ones, never a mix; replaced "
                    "files stay readable for --grace-seconds. Exit 75 when a run holds the "
                    "output. Beam filesystem options (e.g. --s3_endpoint_url) are accepted "
                    "for outputs on object stores.")
    compact.add_argument("--output", required=True, metavar="DIR", help=OUTPUT_HELP)
    compact.add_argument("--target-size", type=parse_size, default="128MB", metavar="SIZE",
                         help="largest file to write (default 128MB)")
    compact.add_argument("--retention-days", type=float, metavar="DAYS",
                         help="forget seen URLs and dedup-index entries older than this")
    compact.add_argument("--grace-seconds", type=float, default=60.0, metavar="S",
                         help="keep replaced files this long for readers that listed them "
                              "(default 60)")
    query = commands.add_parser(
        "query", help="run SQL (DuckDB) over an output's committed data",
        description="Run one SQL statement with DuckDB over views articles, duplicates, "
                    "rejects (committed data only) and runs (the run manifests).")
    query.add_argument("--output", required=True, metavar="DIR", help=OUTPUT_HELP)
    query.add_argument("sql", help='one SQL statement, e.g. "select source, count(*) from '
                                   'articles group by 1"')
    query.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table",
                       help="table: aligned text (default); csv; json: one object a line; "
                            "parquet: a Parquet file (needs --to)")
    query.add_argument("--to", metavar="FILE", help="write the result here (parquet needs it)")
    stats = commands.add_parser(
        "stats", help="articles per source and day, duplicate rate, rejects, source health, "
                      "last runs",
        description="Summaries of an output's committed data: articles per source and day, "
                    "the duplicate rate, rejects by reason, each source's health (last "
                    "success, last failure, failing now) and the last runs. Exit 2 when "
                    "the output does not exist.")
    stats.add_argument("--output", required=True, metavar="DIR", help=OUTPUT_HELP)
    stats.add_argument("--format", choices=("table", "json", "csv"), default="table",
                       help="table: aligned text (default); json: one object with a list of "
                            "rows per summary; csv: one block per summary, headed by "
                            "'# <summary>'")
    verify = commands.add_parser(
        "verify", help="check every file of an output; --repair makes it whole again",
        description="Check every file the commit log names (present, size, checksum, "
                    "Parquet footer, rows) and every state table; one line per problem. "
                    "Exit 0: nothing wrong; 1: problems (listed); 2: no such output; 75: "
                    "--repair found the output locked. --repair moves damaged files to "
                    "_quarantine/ and makes the state agree with the rows left: inputs "
                    "whose rows were lost are forgotten, so the next run reads them again. "
                    "See docs/store.md.")
    verify.add_argument("--output", required=True, metavar="DIR", help=OUTPUT_HELP)
    verify.add_argument("--repair", action="store_true",
                        help="quarantine damaged files and make the store whole (takes the lock)")


def _compact(args) -> int:
    from newsbeam.modes.compact import compact
    from newsbeam.store.compact import CompactionError
    from newsbeam.store.integrity import Damaged
    from newsbeam.store.lock import LOCKED_EXIT_CODE, Locked

    if no_output("compact", args.output):
        return 2
    try:
        done = compact(args.output, args.target_size, args.grace_seconds, args.retention_days,
                       waiting=_say_waiting)
    except Locked as err:
        print(f"newsbeam: skipped: {err}", file=sys.stderr)
        return LOCKED_EXIT_CODE
    except (CompactionError, Damaged) as err:
        print(f"newsbeam: compaction refused: {err}", file=sys.stderr)
        return 1
    if not done.files_before:
        print(f"newsbeam compact: nothing to do in {args.output}")
        return 0
    print(f"newsbeam compact {done.commit_id}")
    for name in done.files_before:
        expired = f", {done.expired[name]} folded or expired" if done.expired.get(name) else ""
        print(f"  {name:<12} {done.files_before[name]:>6} files -> "
              f"{done.files_after.get(name, 0):>4}  ({done.rows.get(name, 0)} rows{expired})")
    return 0


def no_output(command: str, output: str) -> bool:
    """A folder that is not an output (a typo): refused in one line (exit 2), instead of
    empty tables."""
    from newsbeam.store.read import output_problem

    why = output_problem(output)
    if why is None:
        return False
    print(f"newsbeam: {command}: {output} is not a newsbeam output ({why}); "
          "check --output", file=sys.stderr)
    return True


def _say_waiting(done, grace_seconds: float) -> None:
    print(f"newsbeam compact {done.commit_id}: committed; waiting {grace_seconds:g} s "
          "(--grace-seconds) before deleting the replaced files, for readers that listed "
          "them before the commit", flush=True)


def _not_local(command: str, output: str) -> bool:
    """query and stats read with DuckDB on this machine: refuse other outputs in one line."""
    if "://" not in output:
        return False
    print(f"newsbeam: {command} reads local outputs only (DuckDB on this machine); "
          f"{output} is not local: copy it to a local folder first", file=sys.stderr)
    return True


def _connect(output: str):
    """DuckDB over the output; each damaged file it leaves out is named on stderr."""
    from newsbeam.store.integrity import verify_hint
    from newsbeam.store.read import connect

    problems = []
    con = connect(output, problems)
    for problem in problems:
        print(f"newsbeam: damaged, left out: {problem.line()}", file=sys.stderr)
    if problems:
        print(f"newsbeam: {verify_hint(output)}; --repair to fix it", file=sys.stderr)
    return con


def _query(args) -> int:
    import duckdb

    if _not_local("query", args.output) or no_output("query", args.output):
        return 2
    if args.format == "parquet" and not args.to:
        print("newsbeam: --format parquet needs --to FILE", file=sys.stderr)
        return 2
    try:
        relation = _connect(args.output).sql(args.sql)
    except (duckdb.Error, ValueError) as err:
        print(f"newsbeam: query failed: {' '.join(str(err).split())[:500]}", file=sys.stderr)
        return 2
    if relation is None:
        return 0
    if args.format == "table" and not args.to:
        relation.show(max_width=200, max_rows=1000)
        return 0
    table = _arrow(relation)
    if args.format == "parquet":
        import pyarrow.parquet as pq
        pq.write_table(table, args.to)
        return 0
    text = _as_text(table, args.format)
    if args.to:
        with open(args.to, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _json_value(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _arrow(relation):
    table = relation.arrow()
    return table.read_all() if hasattr(table, "read_all") else table  # DuckDB 1.4+: a reader


def _as_text(table, fmt: str) -> str:
    if fmt == "json":
        return "".join(json.dumps(row, default=str) + "\n" for row in table.to_pylist())
    import io

    import pyarrow.csv as pacsv
    buffer = io.BytesIO()
    pacsv.write_csv(_flat(table), buffer)
    return buffer.getvalue().decode()


def _flat(table):
    """``table`` with every list, struct or map column as JSON text (CSV has no nested
    values; Arrow's CSV writer refuses them): ``["Ann", "Bo"]`` in one cell."""
    import pyarrow as pa

    for index, field in enumerate(table.schema):
        if pa.types.is_nested(field.type):
            cells = [None if value is None else json.dumps(value, ensure_ascii=False, default=str)
                     for value in table.column(index).to_pylist()]
            table = table.set_column(index, field.name, pa.array(cells, pa.string()))
    return table


def _stats(args) -> int:
    from newsbeam.store.read import STATS_QUERIES

    if _not_local("stats", args.output) or no_output("stats", args.output):
        return 2
    con = _connect(args.output)
    if args.format == "table":
        print(f"newsbeam stats {args.output}")
        for title, sql in STATS_QUERIES.items():
            print(f"\n{title}")
            con.sql(sql).show(max_width=200)
        return 0
    tables = {title: _arrow(con.sql(sql)) for title, sql in STATS_QUERIES.items()}
    if args.format == "json":
        print(json.dumps({"output": args.output,
                          **{title.replace(" ", "_"): table.to_pylist()
                             for title, table in tables.items()}}, default=_json_value))
    else:
        sys.stdout.write("".join(f"# {title}\n{_as_text(table, 'csv')}\n"
                                 for title, table in tables.items()))
    return 0


def _verify(args) -> int:
    from newsbeam.store.lock import LOCKED_EXIT_CODE, Locked

    if no_output("verify", args.output):
        return 2
    if not args.repair:
        from newsbeam.store.verify import find_problems
        problems = find_problems(args.output)
        for problem in problems:
            print(f"newsbeam verify: {problem.line()}")
        print(f"newsbeam verify: {len(problems) or 'no'} problem{'s' * (len(problems) != 1)} "
              f"in {args.output}" + ("; --repair to fix" if problems else ""))
        return 1 if problems else 0
    from newsbeam.modes.repair import repair
    try:
        done = repair(args.output)
    except Locked as err:
        print(f"newsbeam: skipped: {err}", file=sys.stderr)
        return LOCKED_EXIT_CODE
    for problem in done.problems:
        print(f"newsbeam verify: {problem.line()}")
    for path in done.quarantined:
        print(f"newsbeam verify: moved to quarantine: {path}")
    for table, rows in done.forgotten.items():
        if rows:
            print(f"newsbeam verify: {table}: forgot {rows} entries whose rows were lost "
                  "(the next run reads those inputs again)")
    for table, rows in done.restored.items():
        if rows:
            print(f"newsbeam verify: {table}: restored {rows} entries from the datasets")
    pending = [p for p in done.remaining if p.path == "duplicates"]
    left = [p for p in done.remaining if p.path != "duplicates"]
    for problem in pending:
        print(f"newsbeam verify: {problem.line()}: they return when the next run reads "
              "the lost articles' inputs again")
    for problem in left:
        print(f"newsbeam verify: not repaired: {problem.line()}")
    if not done.problems:
        print(f"newsbeam verify: no problems in {args.output}")
    elif not left:
        print(f"newsbeam verify: repaired {args.output} ({done.commit_id})")
    return 1 if left else 0


STORE_COMMANDS = {"compact": _compact, "query": _query, "stats": _stats, "verify": _verify}
