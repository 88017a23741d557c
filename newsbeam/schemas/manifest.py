"""The run manifests ``_runs/<id>.json``: every field, its JSON types and meaning, per kind.

Six kinds of manifest are written: a batch run's (``run``), the one recovery writes for a
run that committed but died first (``recovered_run``), or for a chunked run stopped before
it settled its chunks (``stopped_run``), a stream's (``stream``), one per committed window
pane of a stream (``stream_window``) and the one recovery writes for a stream that died
(``killed_stream``). Each is built here, by ``build``,
which refuses a missing, unknown or mistyped field, so a manifest has the same shape
wherever it is written. Bump MANIFEST_VERSION when a field is removed or changes meaning.
"""
from __future__ import annotations

import dataclasses
from typing import Any

MANIFEST_VERSION = 1

NUMBER = (int, float)
NONE = type(None)


class ManifestError(ValueError):
    """A manifest that does not follow its kind's fields (a bug in the code building it)."""


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    types: tuple[type, ...]
    doc: str
    required: bool = True


def _optional(field: Field) -> Field:
    return dataclasses.replace(field, required=False)


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    doc: str
    fields: tuple[Field, ...]

    def problems(self, manifest: dict[str, Any]) -> list[str]:
        """What makes ``manifest`` not one of this kind (nothing: it is one)."""
        known = {f.name: f for f in self.fields}
        found = [f"{self.name}: unknown field {name}" for name in manifest
                 if name not in known and name != "manifest_path"]
        for field in self.fields:
            if field.name not in manifest:
                if field.required:
                    found.append(f"{self.name}: missing field {field.name}")
            elif not isinstance(manifest[field.name], field.types):
                found.append(f"{self.name}: {field.name} is a "
                             f"{type(manifest[field.name]).__name__}, not "
                             f"{' or '.join(t.__name__ for t in field.types)}")
        return found

    def build(self, **values: Any) -> dict[str, Any]:
        """The manifest of ``values`` (with its version, and its kind where it names one),
        fields in this kind's order; an optional field given None is left out (unless None
        is one of its types). Raises ManifestError when they do not follow the fields."""
        names = {f.name for f in self.fields}
        values = {"manifest_version": MANIFEST_VERSION,
                  **({"kind": self.name} if "kind" in names else {}), **values}
        dropped = {f.name for f in self.fields if not f.required and NONE not in f.types
                   and values.get(f.name, ...) is None}
        problems = self.problems({k: v for k, v in values.items() if k not in dropped})
        if problems:
            raise ManifestError("; ".join(problems))
        return {f.name: values[f.name] for f in self.fields
                if f.name in values and f.name not in dropped}


# Fields several kinds share, declared once.
RUN_ID = Field("run_id", (str,), "The run's id (a stream window's: the commit's id); the "
                                 "file's name.")
VERSION = Field("manifest_version", (int,), "Version of these manifest fields.")
NEWSBEAM_VERSION = Field("newsbeam_version", (str,), "The newsbeam that wrote it.")
SCHEMA_VERSION = Field("schema_version", (int,), "Version of the dataset schemas it wrote.")
STARTED_AT = Field("started_at", (str,), "When the run started (ISO-8601 UTC).")
FINISHED_AT = Field("finished_at", (str,), "When it finished (ISO-8601 UTC).")
RUNNER = Field("runner", (str,), "The Beam runner it ran on.")
BEAM_ARGS = Field("beam_args", (list,), "The Beam options it was given.")
CONFIG = (Field("config_path", (str, NONE), "The run config's file."),
          Field("config", (dict,), "The run config as read (YAML -> JSON)."))
OUTPUT = Field("output", (str,), "The output directory.")
COUNTS = Field("counts", (dict,), "inputs, articles, duplicates, rejects: every input ends "
                                  "as exactly one row; resumed: rows a stopped chunked run "
                                  "left pending that this run settled (when there were).")
BALANCED = Field("balanced", (bool,), "inputs (+ resumed) = articles + duplicates + rejects.")
BREAKDOWN = (Field("rejects_by_reason", (dict,), "Rejects per stage:reason."),
             Field("duplicates_by_method", (dict,), "Duplicates per method."))
FILES = Field("files", (dict,), "Per dataset: the files it committed (relative paths).")
ERROR = Field("error", (str,), "Why it failed, in one line.", required=False)

RUN_STATUS = Field("status", (str,), "succeeded (it committed), sources_failed (it "
                                     "committed, but some source delivered nothing) or "
                                     "failed (it committed nothing).")
SOURCES = (Field("sources", (dict,), "Rows per dataset per source."),
           Field("failed_sources", (list,), "Sources every input of which was rejected at "
                                            "discover or fetch."))

RUN = Kind("run", "One batch run (newsbeam run, each poll of newsbeam follow).", (
    RUN_ID, VERSION, RUN_STATUS,
    NEWSBEAM_VERSION, SCHEMA_VERSION, STARTED_AT, FINISHED_AT,
    Field("wall_seconds", NUMBER, "Seconds from start to finish."),
    RUNNER, BEAM_ARGS, *CONFIG, OUTPUT,
    # Counted from the committed files; absent when the run failed before its commit.
    *map(_optional, (
        COUNTS, BALANCED,
        Field("articles_per_second", (*NUMBER, NONE), "Articles over wall seconds."),
        *BREAKDOWN, *SOURCES, FILES)),
    Field("stage_seconds", (dict,), "Seconds spent per stage (Beam metrics)."),
    Field("metrics", (dict,), "Every Beam counter of the run."),
    ERROR,
    Field("reason", (str,), "Why it failed: interrupted (a signal) or error.", required=False),
    Field("warning", (str,), "It failed after its commit point; recovery finished it.",
          required=False),
    Field("reprocess", (bool,), "Files read before were read again (--reprocess)."),
    Field("chunks", (dict,), "A chunked run's chunks: planned, committed, max_inputs, "
                             "max_mb (docs/chunked-runs.md).", required=False),
))

STOPPED_RUN = Kind("stopped_run", "Written by recovery for a chunked run stopped after "
                                  "committing some chunks, before it settled them: its "
                                  "rejects are written, its articles pending; the next run "
                                  "settles them and reads the files its chunks did not.", (
    RUN_ID, VERSION,
    Field("kind", (str,), "stopped_run"),
    Field("status", (str,), "failed: the run did not finish."),
    Field("reason", (str,), "stopped"),
    Field("recovered", (bool,), "True: written by recovery."),
    NEWSBEAM_VERSION, SCHEMA_VERSION,
    Field("started_at", (NONE,), "Unknown (null)."),
    Field("finished_at", (str,), "When its last chunk's commit record was written."),
    Field("wall_seconds", (NONE,), "Unknown (null)."),
    OUTPUT,
    Field("chunks", (dict,), "committed: how many chunks it committed."),
    BREAKDOWN[0], FILES,
    Field("note", (str,), "What happened."),
))

RECOVERED_RUN = Kind("recovered_run", "Written by recovery for a run that committed but "
                                      "was stopped before its own manifest.", (
    RUN_ID, VERSION,
    dataclasses.replace(RUN_STATUS, doc="succeeded or sources_failed: the run committed."),
    Field("recovered", (bool,), "True: written by recovery."),
    NEWSBEAM_VERSION, SCHEMA_VERSION,
    Field("started_at", (NONE,), "Unknown (null)."),
    Field("finished_at", (str,), "When its first commit record was written."),
    Field("wall_seconds", (NONE,), "Unknown (null)."),
    OUTPUT, COUNTS, BALANCED, *BREAKDOWN, FILES, *SOURCES,
    Field("note", (str,), "What was lost."),
))

STREAM = Kind("stream", "One newsbeam stream, from start to stop.", (
    RUN_ID, VERSION,
    Field("kind", (str,), "stream"),
    Field("status", (str,), "stopped (on request, or its source ended) or failed."),
    STARTED_AT, FINISHED_AT, RUNNER, BEAM_ARGS, *CONFIG, OUTPUT,
    Field("commits", (list,), "Its window commits' ids (each has a stream_window manifest)."),
    COUNTS, BALANCED, *BREAKDOWN, ERROR,
    Field("relay", (dict,), "On the local runner, what its Pub/Sub relay did: forwarded, "
                            "acknowledged (once committed), dropped_as_committed (delivered "
                            "again after a crash), returned_uncommitted (handed back at the "
                            "stop).", required=False),
))

STREAM_WINDOW = Kind("stream_window", "One committed pane of one window of a stream.", (
    RUN_ID, VERSION,
    Field("stream_run_id", (str,), "The stream's run id."),
    Field("kind", (str,), "stream_window"),
    Field("status", (str,), "succeeded (the pane committed) or sources_failed (it "
                            "committed, but some source's every input in it was unreached)."),
    Field("window_start", (str,), "The window's start (RFC 3339)."),
    Field("window_end", (str,), "The window's end (RFC 3339)."),
    Field("pane_index", (int,), "0 for the window's first pane, then 1, 2... (late panes)."),
    Field("pane_timing", (str,), "early, on_time or late."),
    Field("committed_at", (str,), "When the pane committed (ISO-8601 UTC)."),
    OUTPUT,
    dataclasses.replace(COUNTS, doc="This pane's inputs and rows per dataset."),
    dataclasses.replace(BALANCED, doc="This pane's counts add up."),
    Field("window_counts", (dict,), "The counts of the window's panes so far."),
    Field("window_balanced", (bool,), "The window's counts add up (once its last pane is in)."),
    *SOURCES, FILES,
))

KILLED_STREAM = Kind("killed_stream", "Written by recovery for a stream that ended without "
                                      "its own manifest (SIGKILL, power loss).", (
    RUN_ID, VERSION,
    Field("kind", (str,), "killed_stream"),
    Field("status", (str,), "killed: it committed the windows listed, nothing after them."),
    Field("recovered", (bool,), "True: written by recovery."),
    NEWSBEAM_VERSION, SCHEMA_VERSION,
    Field("started_at", (NONE,), "Unknown (null)."),
    Field("finished_at", (NONE,), "Unknown (null)."),
    Field("last_commit_at", (str,), "When its last commit record was written."),
    OUTPUT,
    Field("commits", (list,), "Its window commits' ids."),
    Field("windows", (list,), "Per commit: commit, committed_at, window_start, pane_index "
                              "and counts (of its stream_window manifest; null where the "
                              "stream died between the commit and that manifest), rows (per "
                              "dataset, from the commit record)."),
    dataclasses.replace(COUNTS, doc="inputs (null when a window's manifest is missing), "
                                    "articles, duplicates, rejects of its commits."),
    dataclasses.replace(BALANCED, doc="inputs = articles + duplicates + rejects (false when "
                                      "inputs are not known)."),
    *BREAKDOWN, FILES,
    Field("note", (str,), "What was lost."),
))

KINDS = {kind.name: kind
         for kind in (RUN, RECOVERED_RUN, STOPPED_RUN, STREAM, STREAM_WINDOW,
                      KILLED_STREAM)}


def kind_of(manifest: dict[str, Any]) -> Kind:
    if "kind" not in manifest and manifest.get("recovered"):
        return RECOVERED_RUN
    return KINDS[manifest.get("kind", "run")]


def problems(manifest: dict[str, Any]) -> list[str]:
    """What makes ``manifest`` (as read back) not follow its kind's fields."""
    kind = manifest.get("kind", "run")
    if kind not in KINDS:
        return [f"unknown kind {kind}"]
    return kind_of(manifest).problems(manifest)
