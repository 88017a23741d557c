"""Command line: ``newsbeam run --config FILE [--output DIR] [Beam pipeline options]``."""
from __future__ import annotations

import argparse
import logging
import sys

from newsbeam import __version__

DESCRIPTION = """\
newsbeam: ingest news (local files, feeds, article URLs and news sitemaps) into a clean,
deduplicated Parquet dataset with Apache Beam."""

RUN_EPILOG = """\
Any other option is handed to Apache Beam as a pipeline option, for example:
  --runner DirectRunner|FnApiRunner|DataflowRunner|FlinkRunner|SparkRunner
  --direct_running_mode in_memory|multi_threading|multi_processing
  --direct_num_workers N
Without --runner, newsbeam runs locally: on Beam's DirectRunner when its Prism binary is
available, otherwise directly on the in-process FnApiRunner the DirectRunner falls back to
offline (saving its failed download attempt).

Output (under --output or the config's 'output'):
  articles/ingest_date=YYYY-MM-DD/*.parquet    one row per kept article
  duplicates/ingest_date=YYYY-MM-DD/*.parquet  one row per dropped copy, naming the kept one
  rejects/ingest_date=YYYY-MM-DD/*.parquet     one row per bad input: stage, reason, error
  _runs/<run_id>.json                          the run manifest: config, counts, timings

Exit status: 0 when the run finished (even with rejects), 2 for a bad config or
option, 1 when the pipeline failed."""


class _DropBeamImportNoise(logging.Filter):
    """Beam warns on import about optional GCP clients this tool never uses."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("apitools not found")


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_DropBeamImportNoise())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        handlers=[handler], force=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbeam", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"newsbeam {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = commands.add_parser(
        "run", help="run the batch pipeline once over a config's sources",
        description="Run the batch pipeline once: read every source in the config, "
                    "extract, clean, normalize and deduplicate the articles, and write "
                    "Parquet datasets and a run manifest.",
        epilog=RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--config", required=True, metavar="FILE",
                     help="YAML run config (see configs/fixtures.yaml)")
    run.add_argument("--output", metavar="DIR",
                     help="output directory; overrides the config's 'output'")
    run.add_argument("-v", "--verbose", action="store_true",
                     help="log progress, including Beam's own messages")
    return parser


def unknown_beam_options(beam_args: list[str]) -> list[str]:
    """Flags Beam would silently discard (usually typos)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    known = set(PipelineOptions([]).get_all_options(drop_default=False))
    flags = [a.split("=", 1)[0] for a in beam_args if a.startswith("--")]
    return [f for f in flags if f[2:].replace("-", "_") not in known]


FETCH_STAGES = ("discover", "fetch")


def fetch_summary(metrics: dict[str, int]) -> list[str]:
    """Fetch outcomes from the run's Beam counters; nothing for runs without live sources."""
    if not any(key.startswith("fetch:") for key in metrics):
        return []
    failed = {key.removeprefix("rejects:"): value for key, value in metrics.items()
              if key.startswith(tuple(f"rejects:{stage}:" for stage in FETCH_STAGES))}
    rows = [
        ("feeds and sitemaps read", metrics.get("fetch:listings_fetched", 0)),
        ("not modified", metrics.get("fetch:not_modified", 0)),
        ("pages fetched", metrics.get("stages:fetch_ok", 0)),
        ("skipped, ingested before", metrics.get("fetch:skipped_ingested", 0)),
        ("robots disallowed", sum(v for k, v in failed.items() if k.endswith(":robots_disallowed"))),
        ("requests", metrics.get("fetch:requests", 0)),
        ("retries", metrics.get("fetch:retries", 0)),
        ("failed", sum(failed.values())),
    ]
    lines = ["  fetch"] + [f"    {name:<32}{value:>6}" for name, value in rows]
    return lines + [f"      {key:<30}{value:>6}" for key, value in sorted(failed.items())]


def format_summary(manifest: dict) -> str:
    counts = manifest.get("counts", {})
    rate = manifest.get("articles_per_second")
    lines = [f"newsbeam run {manifest['run_id']}: {manifest['status']} in "
             f"{manifest['wall_seconds']:.1f} s on {manifest['runner']}"]
    for name in ("inputs", "articles", "duplicates", "rejects"):
        extra = f"  ({rate:.1f} articles/s)" if name == "articles" and rate is not None else ""
        lines.append(f"  {name:<12}{counts.get(name, 0):>8}{extra}")
        breakdown = {"duplicates": manifest.get("duplicates_by_method", {}),
                     "rejects": manifest.get("rejects_by_reason", {})}.get(name, {})
        lines += [f"    {key:<24}{value:>4}" for key, value in breakdown.items()]
    if counts and not manifest.get("balanced", True):
        lines.append("  WARNING: articles + duplicates + rejects != inputs")
    lines += fetch_summary(manifest.get("metrics", {}))
    lines.append(f"  output      {manifest['output']}")
    lines.append(f"  manifest    {manifest.get('manifest_path', '')}")
    return "\n".join(lines)


def _run(args: argparse.Namespace, beam_args: list[str]) -> int:
    from newsbeam.config import ConfigError, load_config

    try:
        config = load_config(args.config, output=args.output)
    except ConfigError as err:
        print(f"newsbeam: config error: {err}", file=sys.stderr)
        return 2
    unknown = unknown_beam_options(beam_args)
    if unknown:
        print(f"newsbeam: unknown option {unknown[0]} (see 'newsbeam run --help')",
              file=sys.stderr)
        return 2
    from newsbeam.pipelines import batch

    try:
        manifest = batch.run(config, beam_args)
    except KeyboardInterrupt:
        print("newsbeam: interrupted; nothing was committed", file=sys.stderr)
        return 130
    except ConfigError as err:  # found before the pipeline started, e.g. a dedup index mismatch
        print(f"newsbeam: config error: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        logging.getLogger("newsbeam").info("run failed", exc_info=True)
        print(f"newsbeam: run failed: {type(err).__name__}: {' '.join(str(err).split())[:300]}"
              " (rerun with -v for details)", file=sys.stderr)
        return 1
    print(format_summary(manifest))
    return 0


def main(argv: list[str] | None = None) -> int:
    args, beam_args = build_parser().parse_known_args(argv)
    _configure_logging(getattr(args, "verbose", False))
    if args.command == "run":
        return _run(args, beam_args)
    return 2  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())
