"""Which Beam runner a run uses, and a new run's identity."""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

from apache_beam.options.pipeline_options import (
    DirectOptions, PipelineOptions, PrismRunnerOptions, StandardOptions, TypeOptions)

from newsbeam.records.run import RunContext

PRISM_CACHE = os.path.expanduser("~/.apache_beam/cache/prism/bin")


def default_runner(options: PipelineOptions) -> str:
    """The DirectRunner, or its own offline fallback when it could only fail to get Prism.

    Beam's DirectRunner first tries to download the Prism binary; offline that costs a
    failed download on every run before it falls back to the in-process FnApiRunner.
    When no Prism binary is cached or configured we go to that fallback directly.
    """
    prism = options.view_as(PrismRunnerOptions)
    has_prism = prism.prism_location or (os.path.isdir(PRISM_CACHE) and os.listdir(PRISM_CACHE))
    return "DirectRunner" if has_prism else "FnApiRunner"


# Beam only has --no_pipeline_type_check; where newsbeam turns the check off by default,
# this (newsbeam's own) option turns it back on.
TYPE_CHECK = "--pipeline_type_check"


class _ViewedOnce(PipelineOptions):
    """Pipeline options that make each view (``view_as``) once.

    Beam asks the pipeline's options for a view on every transform it applies (twice more
    with the type check on), and each view builds and runs an argparse parser: about half
    of a batch graph's construction CPU. Every view of one options object reads and writes
    the same values, so one view per class is as good as a new one each time."""

    def view_as(self, cls):
        views = self.__dict__.setdefault("_views", {})
        if cls not in views:
            views[cls] = super().view_as(cls)
        return views[cls]

    def __getstate__(self):  # copies and pickles (Beam deep-copies options) make their own
        state = dict(super().__getstate__())
        state.pop("_views", None)
        return state


def pipeline_options(beam_args: list[str], type_check: bool = True) -> PipelineOptions:
    """Beam's options from ``beam_args``. ``type_check=False``: no construction-time type
    check unless ``beam_args`` asks for it with ``--pipeline_type_check``.

    The check infers and compares the type hints of every transform applied (a third of a
    batch graph's construction time); the transforms are tested, so a run need not pay it.
    """
    wanted = TYPE_CHECK in beam_args
    options = _ViewedOnce([arg for arg in beam_args if arg != TYPE_CHECK])
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = default_runner(options)
    if not (type_check or wanted):
        options.view_as(TypeOptions).pipeline_type_check = False
    return options


def runs_in_process(options: PipelineOptions) -> bool:
    """Whether the runner runs the DoFns in this process (the FnApiRunner in memory or on
    threads), so that what they set up can be started here, early."""
    runner = options.view_as(StandardOptions).runner
    mode = options.view_as(DirectOptions).direct_running_mode
    return isinstance(runner, str) and runner.endswith("FnApiRunner") \
        and mode != "multi_processing"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def new_run(started_at: datetime | None = None) -> RunContext:
    started_at = started_at or utc_now()
    # Run ids order by start time; the suffix only keeps concurrent runs apart.
    return RunContext(f"{started_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}", started_at)


class UnknownRunner(ValueError):
    """``--runner`` names no runner Beam has, or one that cannot be loaded here."""


def load_runner(beam_args: list[str]) -> None:
    """Import the module of the runner ``beam_args`` name, which also declares the runner's
    own options (e.g. DaskRunner's ``--dask_client_address``) to Beam's option parser.

    Raises UnknownRunner with one line saying what is wrong."""
    from apache_beam.runners.runner import create_runner

    name = PipelineOptions(beam_args).view_as(StandardOptions).runner
    if not isinstance(name, str):  # none, or a runner object (tests)
        return
    try:
        create_runner(name)
    except ValueError:
        raise UnknownRunner(
            f"unknown runner {name} (Beam's runners: "
            f"{', '.join(StandardOptions.KNOWN_RUNNER_NAMES)}, or a module.Class path)"
        ) from None
    except (ImportError, AttributeError) as err:
        raise UnknownRunner(f"runner {name} cannot be loaded here: {err}") from None
