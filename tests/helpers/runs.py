"""The bundled samples, run configs written for a test, and datasets read back."""
from __future__ import annotations

import json
import pathlib

import pyarrow.dataset as ds
import yaml

from newsbeam.schemas.manifest import problems

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures"
SAMPLES = sorted(FIXTURES.glob("*.txt"))
# Tests name their runner: the in-process FnApiRunner is fast and never goes online.
RUNNER_ARGS = ["--runner", "FnApiRunner"]


# Runs in tests extract in-process unless a test is about the time limit: the limit's child
# process costs seconds per worker to start (tests/e2e covers it, and configs/fixtures.yaml
# runs with it on).
FAST_LIMITS = {"extract_timeout_seconds": 0}


def write_config(folder: pathlib.Path, sources: list[dict], **extra) -> pathlib.Path:
    path = folder / "config.yaml"
    extra["limits"] = {**FAST_LIMITS, **extra.get("limits", {})}
    path.write_text(yaml.safe_dump({"output": str(folder / "out"), "sources": sources, **extra}))
    return path


def read_dataset(output: pathlib.Path, name: str) -> list[dict]:
    """All rows of one dataset, sorted for stable comparisons."""
    folder = output / name
    if not folder.exists() or not any(folder.rglob("*.parquet")):
        return []
    rows = ds.dataset(str(folder)).to_table().to_pylist()
    return sorted(rows, key=lambda r: (r.get("article_id") or "", r.get("input") or ""))


def checked(manifest: dict) -> dict:
    """``manifest``, once it follows its kind's fields (``schemas/manifest.py``)."""
    assert not problems(manifest), problems(manifest)
    return manifest


def read_manifests(output: pathlib.Path, pattern: str = "*.json") -> list[dict]:
    """The manifests under ``output/_runs`` (each checked against its schema)."""
    return [checked(json.loads(p.read_text())) for p in sorted((output / "_runs").glob(pattern))]


def read_manifest(output: pathlib.Path) -> dict:
    (manifest,) = read_manifests(output)
    return manifest
