"""newsbeam: a news-ingestion pipeline on Apache Beam.

The Python API (docs/api.md), for Airflow's PythonOperator, notebooks and schedulers of
your own; ``import newsbeam`` stays cheap (Beam, DuckDB and the pipeline are imported by
the first call that needs them):

- ``load_config(path, output=None)``: a run config, checked (raises ``ConfigError`` with
  every problem);
- ``run(config, output=None, reprocess=False, **beam_options)``: one batch run, as
  ``newsbeam run`` does it; returns the run's manifest (a dict: ``status``, ``counts``,
  ``manifest_path``...);
- ``connect(output)``: a DuckDB connection with the views ``newsbeam query`` has
  (``articles``, ``duplicates``, ``rejects``: committed data only; ``runs``,
  ``source_health``).
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "beam_args", "connect", "load_config", "run"]


def load_config(path: str, output: str | None = None):
    """The run config at ``path`` (``output`` over its own), checked key by key; raises
    ``newsbeam.config.ConfigError`` whose ``problems`` lists every mistake."""
    from newsbeam.config import load_config as load

    return load(str(path), output=None if output is None else str(output))


def beam_args(**beam_options: Any) -> list[str]:
    """Keyword options as Beam's command-line flags: ``runner="FnApiRunner"`` ->
    ``--runner FnApiRunner``; True -> a bare flag; False or None -> left out; a list ->
    the flag once per value."""
    args: list[str] = []
    for name, value in beam_options.items():
        flag = f"--{name}"
        values = value if isinstance(value, (list, tuple)) else [value]
        for one in values:
            if one is True:
                args.append(flag)
            elif one is not None and one is not False:
                args += [flag, str(one)]
    return args


def run(config, output: str | None = None, reprocess: bool = False,
        **beam_options: Any) -> dict:
    """Run the batch pipeline once over ``config`` (a path or ``load_config``'s result)
    and return its manifest (``status`` is ``succeeded`` or ``sources_failed``).

    Raises ``newsbeam.config.ConfigError`` before anything runs (every problem in
    ``problems``), ``newsbeam.store.lock.Locked`` when another run holds the output (the
    CLI's exit 75), and the run's own error when it failed (nothing committed; its
    manifest, status ``failed``, is in ``<output>/_runs/``)."""
    import dataclasses

    from newsbeam.config import Config, resolve_path
    from newsbeam.modes.run import run_once

    if not isinstance(config, Config):
        config = load_config(config, output)
    elif output is not None:
        config = dataclasses.replace(config, output=resolve_path(str(output), "."))
    # (The CLI's start-up measures that hide optional libraries from Beam's import stay
    # off here: a notebook or an Airflow worker may use them.)
    return run_once(config, beam_args(**beam_options), reprocess=reprocess)


def connect(output: str):
    """A DuckDB connection over ``output`` with the views ``newsbeam query`` has; raises
    ``FileNotFoundError`` when ``output`` is not a newsbeam output, ``ValueError`` when it
    is not local. Damaged files are left out, as by ``newsbeam query``."""
    from newsbeam.store.read import connect as open_views, output_problem

    problem = "://" not in str(output) and output_problem(str(output))
    if problem:
        raise FileNotFoundError(f"{output} is not a newsbeam output ({problem})")
    return open_views(str(output))
