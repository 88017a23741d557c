"""Checking the Beam options a command hands on, before anything runs."""
from __future__ import annotations


def unknown_beam_options(beam_args: list[str]) -> list[str]:
    """Flags Beam would silently discard (usually typos)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    from newsbeam.pipelines.runner import TYPE_CHECK

    known = set(PipelineOptions([]).get_all_options(drop_default=False))
    flags = [a.split("=", 1)[0] for a in beam_args if a.startswith("--") and a != TYPE_CHECK]
    return [f for f in flags if f[2:].replace("-", "_") not in known]


def beam_options_problem(beam_args: list[str]) -> str | None:
    """One line on what is wrong with ``beam_args`` (an unknown runner or option), or None.

    The named runner is loaded first: its module declares the runner's own options."""
    from newsbeam.pipelines.runner import UnknownRunner, load_runner

    try:
        load_runner(beam_args)
    except UnknownRunner as err:
        return str(err)
    unknown = unknown_beam_options(beam_args)
    return f"unknown option {unknown[0]}" if unknown else None
