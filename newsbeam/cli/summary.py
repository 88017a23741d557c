"""The run summary printed at the end of a run, from its manifest."""
from __future__ import annotations


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


def warc_summary(metrics: dict[str, int]) -> list[str]:
    """WARC archives and records from the run's Beam counters; nothing without WARC sources."""
    if not any(key.startswith("warc:") for key in metrics):
        return []
    skipped = {key.removeprefix("warc:skipped_"): value for key, value in metrics.items()
               if key.startswith("warc:skipped_")}
    failed = sum(value for key, value in metrics.items() if key.startswith("warc:cut_short_"))
    rows = [
        ("archives read", metrics.get("warc:archives_read", 0)),
        ("skipped, read before", metrics.get("warc:archives_skipped_unchanged", 0)),
        ("records", metrics.get("warc:records", 0)),
        ("records skipped", sum(skipped.values())),
    ]
    lines = ["  warc"] + [f"    {name:<32}{value:>6}" for name, value in rows]
    lines += [f"      {kind:<30}{value:>6}" for kind, value in sorted(skipped.items())]
    return lines + [f"    {'archives cut short':<32}{failed:>6}"]


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
    skipped = sum(manifest.get("metrics", {}).get(f"sources:skipped_{why}", 0)
                  for why in ("unchanged", "same_bytes"))
    if skipped:
        lines.append(f"  {'skipped':<12}{skipped:>8}  (files read by earlier runs; --reprocess "
                     "reads them again)")
    if counts.get("resumed"):
        lines.append(f"  {'resumed':<12}{counts['resumed']:>8}  (extracted by a run stopped "
                     "before it settled them)")
    chunks = manifest.get("chunks")
    if chunks:
        lines.append(f"  {'chunks':<12}{chunks['committed']:>8}  of {chunks['planned']} "
                     f"committed (at most {chunks['max_inputs']} files or "
                     f"{chunks['max_mb']:g} MB each)")
    if counts and not manifest.get("balanced", True):
        lines.append("  WARNING: articles + duplicates + rejects != inputs")
    lines += fetch_summary(manifest.get("metrics", {}))
    lines += warc_summary(manifest.get("metrics", {}))
    lines.append(f"  output      {manifest['output']}")
    lines.append(f"  manifest    {manifest.get('manifest_path', '')}")
    return "\n".join(lines)
