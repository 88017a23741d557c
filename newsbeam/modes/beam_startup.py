"""Beam start-up measures, in the one place every mode (run, follow, stream, compact) goes
through: ``start`` before the process imports Beam, and ``cache_dofn_specs`` (again, a no-op
then) whenever a run's lifecycle begins, so library callers get it too.

Five measures, each a change to how Beam (or pyarrow) behaves in this process:

- **Lean import** (``sys.modules`` edits): ``import apache_beam`` imports every optional
  library it finds installed, used or not: pandas (~0.5 s), the Pub/Sub client (~0.25 s),
  pymongo (~0.15 s), boto3 for the S3 filesystem (~0.25 s), about half of Beam's import.
  Hidden while Beam is imported, each looks missing to Beam (as on a plain install) and is
  left out; afterwards they import normally again. Hidden only where the mode cannot need
  them: no mode writes MongoDB or DataFrames, only a stream reads Pub/Sub, and boto3 stays
  as soon as any path (or an ``--s3_...`` option) is a URI.
- **No IPython probe**: Beam asks on every transform applied whether it runs inside IPython,
  by importing IPython (0.4 s when installed). A process where IPython is not imported yet
  is not an IPython session: that import is made to fail fast, as where IPython is missing.
- **DoFn specs per class** (replaces ``userstate.get_dofn_specs``): Beam asks which state and
  timers a DoFn declares about six times per ParDo, each call wrapping every method of
  ``dir(dofn)`` and taking its ``inspect.signature``: 18,000 signatures for the 97 ParDos of
  a batch run, a third of graph construction (cProfile). The answer depends only on the
  methods the DoFn has, which are its class's unless the instance holds bound methods of
  its own; so it is kept per class, and a DoFn holding bound methods is asked every time.
- **One view per options class** (wraps ``PipelineOptions.view_as``): every view Beam asks
  for builds an argparse parser of that class's options and parses the flags again; graph
  construction asks ~800 times for a batch run (~9,000 ``add_argument`` calls, half of its
  time under cProfile). A view holds no values of its own (they live in the options'
  ``_all_options``, which every view shares), so each options object keeps one view per
  class, made again only if its flags or values dict were replaced.
- **pyarrow without pandas**: pyarrow asks whether pandas is there at the first list it
  converts (the first Parquet write), by importing it: ~0.5 CPU s in the pipeline's thread,
  for no pandas object ever reaches pyarrow here. That one probe is answered "no" (pyarrow
  keeps the answer); ``Table.to_pandas`` and the like still import pandas when called.

Each is fitted to one Beam version (``FITTED_BEAM``; the last also to one pyarrow release,
``FITTED_PYARROW``) and stays off on any other; the canary tests in
tests/modes/test_beam_startup.py fail when Beam stops calling what they replace.
"""
from __future__ import annotations

import importlib
import logging
import sys
import threading
import types
import weakref
from typing import Iterable

from newsbeam.config import Config, FilesSource, UrlsSource, WarcSource, has_scheme

LOG = logging.getLogger(__name__)
FITTED_BEAM = "2.77.0"  # the Beam version every measure below was checked against
FITTED_PYARROW = "25."  # the pyarrow release line whose pandas probe was checked
NEVER_USED = ("pandas", "pymongo")
PUBSUB_CLIENT = ("google.cloud.pubsub",)
S3_CLIENT = ("boto3",)


def beam_version() -> str | None:
    """The installed Beam's version, without importing it."""
    import importlib.metadata  # here: 0.1 s, which commands that never start Beam skip

    try:
        return importlib.metadata.version("apache-beam")
    except importlib.metadata.PackageNotFoundError:
        return None


def fits() -> bool:
    """Whether the installed Beam is the one the measures were fitted to."""
    fitted = beam_version() == FITTED_BEAM
    if not fitted:
        LOG.debug("Beam %s, not %s: start-up measures off", beam_version(), FITTED_BEAM)
    return fitted


def start(paths: Iterable[str], beam_args: list[str], streams: bool = False) -> None:
    """Every measure, for a mode whose paths (output, sources) are ``paths``; call it
    before anything imports Beam. ``streams``: the mode may read Pub/Sub."""
    skip_ipython_probe()
    import_beam_without(unused_modules(paths, beam_args, streams))
    pyarrow_without_pandas()
    cache_dofn_specs()


def filesystem_options(beam_args: list[str]) -> None:
    """Beam's filesystems take their settings from ``beam_args`` (e.g. --s3_endpoint_url for
    an output on an object store), for a mode that builds no pipeline (compact, verify)."""
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.options.pipeline_options import PipelineOptions

    FileSystems.set_options(PipelineOptions(beam_args))


def config_paths(config: Config) -> list[str]:
    """The output and every source path of ``config``."""
    paths = [config.output]
    for source in config.sources:
        if isinstance(source, (FilesSource, WarcSource)):
            paths.extend(source.patterns)
        elif isinstance(source, UrlsSource) and source.path:
            paths.append(source.path)
    return paths


def unused_modules(paths: Iterable[str], beam_args: list[str],
                   streams: bool = False) -> tuple[str, ...]:
    """The optional modules a mode over ``paths`` with ``beam_args`` cannot need."""
    local = not any(map(has_scheme, paths)) \
        and not any(arg.startswith("--s3") for arg in beam_args)
    return NEVER_USED + (() if streams else PUBSUB_CLIENT) + (S3_CLIENT if local else ())


def import_beam_without(hidden: tuple[str, ...]) -> None:
    """Import ``apache_beam`` with the modules ``hidden`` looking uninstalled to it (only in
    a process that has not imported Beam yet, and only on the fitted Beam)."""
    if "apache_beam" in sys.modules or not fits():
        return
    blocked = [name for name in hidden if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # ``import name`` raises ImportError
    try:
        importlib.import_module("apache_beam")
    finally:
        for name in blocked:
            if sys.modules.get(name, True) is None:
                del sys.modules[name]


class _NoPandas:
    """An import finder that has pandas look uninstalled (pyarrow's compiled import looks a
    ``None`` in ``sys.modules`` up as a module, so that way does not hide it)."""

    @staticmethod
    def find_spec(name: str, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def pyarrow_without_pandas() -> None:
    """pyarrow's one probe for pandas answered "not installed", unless pandas is imported
    already (then it is used as always); only on the fitted Beam and pyarrow."""
    if "pandas" in sys.modules or not fits():
        return
    import pyarrow  # imported by Beam already

    if not pyarrow.__version__.startswith(FITTED_PYARROW):
        return
    sys.meta_path.insert(0, _NoPandas)
    try:
        pyarrow.array([])  # a list: pyarrow asks whether it is a pandas object
    finally:
        sys.meta_path.remove(_NoPandas)


def skip_ipython_probe() -> None:
    """Beam's IPython probe fails fast in a process that has not imported IPython."""
    if fits():
        sys.modules.setdefault("IPython", None)


def cache_dofn_specs() -> None:
    """``userstate.get_dofn_specs`` answered once per DoFn class in this process, and
    ``PipelineOptions.view_as`` once per options object and class (once; a no-op when
    installed already or on another Beam)."""
    if not fits():
        return
    from apache_beam.options.pipeline_options import PipelineOptions

    if not getattr(PipelineOptions.view_as, "newsbeam_cached", False):
        PipelineOptions.view_as = one_view_per_class(PipelineOptions.view_as)
    from apache_beam.transforms import userstate

    if getattr(userstate.get_dofn_specs, "newsbeam_cached", False):
        return
    userstate.get_dofn_specs = cached_per_class(userstate.get_dofn_specs)


def cached_per_class(get_dofn_specs):
    by_class: dict[type, tuple[frozenset, frozenset]] = {}

    def cached_get_dofn_specs(dofn):
        if any(isinstance(value, types.MethodType)
               for value in getattr(dofn, "__dict__", {}).values()):
            return get_dofn_specs(dofn)
        cls = type(dofn)
        if cls not in by_class:
            states, timers = get_dofn_specs(dofn)
            by_class[cls] = frozenset(states), frozenset(timers)
        states, timers = by_class[cls]
        return set(states), set(timers)  # callers get their own sets, as before

    cached_get_dofn_specs.newsbeam_cached = True
    return cached_get_dofn_specs


def one_view_per_class(view_as):
    views: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # options -> {cls: view}
    lock = threading.RLock()  # a view's making may ask for another view

    def cached_view_as(self, cls):
        with lock:
            by_class = views.setdefault(self, {})
            view = by_class.get(cls)
            if view is None or view._flags is not self._flags \
                    or view._all_options is not self._all_options:
                view = by_class[cls] = view_as(self, cls)
            return view

    cached_view_as.newsbeam_cached = True
    cached_view_as.__doc__ = view_as.__doc__
    return cached_view_as
