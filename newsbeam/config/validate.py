"""YAML run config -> typed, validated config objects (``settings``, ``sources``).
Validation only: nothing here lists, opens or checks files or the network
(``pipelines/preflight.py`` checks a config against the world before a run).

Every mistake is one line naming the key and what is wrong; a config's mistakes are
collected and raised together as one ConfigError, so the user fixes them all in one go.
Paths are resolved against the config file's folder, except URIs with a scheme
(``gs://bucket/news``), which are kept as written.
"""
from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from typing import Any, Iterable, Union

import yaml

from newsbeam.config.settings import (Config, DedupConfig, FetchSettings, Limits,
                                      NearDedupConfig, StreamConfig)
from newsbeam.config.sources import SOURCE_KINDS, SourceConfig, resolve_path


class ConfigError(ValueError):
    """A config that cannot be run: ``problems`` holds one line per mistake, for the user."""

    def __init__(self, problems: str | Iterable[str], partial: Config | None = None):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        # What did parse (its output, its good sources; other fields may be None), so a
        # check can also name what is wrong with those paths in the same listing.
        self.partial = partial
        super().__init__("\n".join(self.problems))


_TOP_LEVEL_KEYS = ("sources", "output", "limits", "fetch", "dedup", "stream")


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, noting keys given twice in one mapping (YAML 1.2 forbids them;
    PyYAML silently keeps the last). Keys merged in with ``<<`` may be overridden."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                        key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node)
                if key in seen:
                    self.duplicates.append(f"line {key_node.start_mark.line + 1}: key {key!r} "
                                           "is given twice in one mapping")
                seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(text: str | bytes) -> tuple[Any, list[str]]:
    """YAML text -> (value, duplicate-key problems); raises yaml.YAMLError."""
    loader = _UniqueKeyLoader(text)
    try:
        return loader.get_single_data(), loader.duplicates
    finally:
        loader.dispose()


def load_config(path: str, output: str | None = None) -> Config:
    """Read and validate a YAML config; ``output`` overrides the file's ``output``."""
    try:
        with open(path, "rb") as handle:
            raw, duplicates = read_yaml(handle.read())
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as err:
        raise ConfigError(f"cannot read config {path}: {_one_line(err)}") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} is not valid YAML: {_one_line(err)}") from None
    except RecursionError:  # PyYAML's composer recurses once per level of nesting
        raise ConfigError(f"{path} is nested too deeply to be a config") from None
    return parse_config(raw, os.path.abspath(path), output, duplicates)


NO_SOURCES = ("sources: this config has none (only stream.subscription): 'newsbeam stream' "
              "reads it; run, follow and --dry-run need a list of sources")


def with_extract_processes(config: Config, processes: int | None) -> Config:
    """``config`` with ``processes`` (``--extract-processes``) over its
    ``limits.extract_processes``; None leaves it as it is."""
    if processes is None:
        return config
    if processes < 0:
        raise ConfigError("--extract-processes: must be 0 (as many as cores) or positive")
    return dataclasses.replace(
        config, limits=dataclasses.replace(config.limits, extract_processes=processes))


def with_chunk_bounds(config: Config, chunk_inputs: int | None, chunk_mb: float | None
                      ) -> Config:
    """``config`` with ``--chunk-inputs`` / ``--chunk-mb`` over its ``limits``; None leaves
    a bound as it is."""
    given = {name: value for name, value in (("chunk_inputs", chunk_inputs),
                                             ("chunk_mb", chunk_mb)) if value is not None}
    if not given:
        return config
    limits = dataclasses.replace(config.limits, **given)
    if limits.chunk_inputs < 0 or limits.chunk_mb < 0:
        raise ConfigError("--chunk-inputs, --chunk-mb: must be 0 (no bound) or positive")
    return dataclasses.replace(config, limits=limits)


def parse_config(raw: Any, path: str, output: str | None = None,
                 problems: Iterable[str] = ()) -> Config:
    """Validate the config's YAML value; raises one ConfigError listing every problem
    (plus ``problems`` already found while reading it)."""
    problems = list(problems)
    if not isinstance(raw, dict):
        raise ConfigError([*problems,
                           f"{path}: expected a mapping with 'sources' and 'output' at the top"])
    problems += _key_problems(raw, _TOP_LEVEL_KEYS, "config")
    base_dir = os.path.dirname(path)
    # --output is relative to the working directory, the config's own to the config file.
    if output:
        output = resolve_path(output, os.getcwd())
    elif isinstance(raw.get("output"), str) and raw["output"]:
        output = resolve_path(raw["output"], base_dir)
    else:
        problems.append("output: set an output directory in the config or with --output")
    limits = _build(Limits, raw.get("limits") or {}, "limits", problems)
    fetch = _build(FetchSettings, raw.get("fetch") or {}, "fetch", problems)
    dedup = _parse_dedup(raw.get("dedup") or {}, problems)
    stream = _build(StreamConfig, raw.get("stream") or {}, "stream", problems)
    # A Pub/Sub stream gets its work from the subscription: it needs no sources.
    sources = () if raw.get("sources") is None and stream is not None and stream.subscription \
        else _parse_sources(raw.get("sources"), base_dir, problems)
    if problems:
        raise ConfigError(problems, Config(sources=sources, output=output, limits=limits,
                                           fetch=fetch, dedup=dedup, path=path, raw=raw,
                                           stream=stream))
    return Config(sources=sources, output=output, limits=limits, fetch=fetch,
                  dedup=dedup, path=path, raw=raw, stream=stream)


def _parse_dedup(raw_dedup: Any, problems: list[str]) -> DedupConfig | None:
    if not isinstance(raw_dedup, dict):
        problems.append("dedup: expected a mapping")
        return None
    near = _build(NearDedupConfig, raw_dedup.get("near") or {}, "dedup.near", problems)
    return _build(DedupConfig, {**raw_dedup, "near": near or NearDedupConfig()}, "dedup",
                  problems)


def _parse_sources(raw_sources: Any, base_dir: str,
                   problems: list[str]) -> tuple[SourceConfig, ...]:
    if not isinstance(raw_sources, list) or not raw_sources:
        problems.append("sources: give a non-empty list of sources")
        return ()
    sources, names = [], set()
    for index, item in enumerate(raw_sources):
        where = f"sources[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected a mapping with name, kind and its keys")
            continue
        name = item.get("name")
        if isinstance(name, str) and name in names:
            problems.append(f"{where}.name: '{name}' is used by another source")
        names.add(name if isinstance(name, str) else None)
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in SOURCE_KINDS:
            problems.append(f"{where}.kind: {kind!r} is not one of: {', '.join(SOURCE_KINDS)}")
            continue
        source = _build(SOURCE_KINDS[kind], item, where, problems)
        if source is not None:
            sources.append(source.resolved(base_dir))
    return tuple(sources)


def _build(cls: type, values: Any, where: str, problems: list[str]):
    """Dataclass ``cls`` from a mapping, or None; every wrong key, type or value is added
    to ``problems`` (values are checked by the class's own ``problems``, if any)."""
    if not isinstance(values, dict):
        problems.append(f"{where}: expected a mapping")
        return None
    fields = {f.name: f for f in dataclasses.fields(cls)}
    found = _key_problems(values, tuple(fields), where)
    hints = typing.get_type_hints(cls)
    not_finite = []
    for name, field in fields.items():
        if name not in values:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                found.append(f"{where}: missing required key '{name}'")
        elif not _is_instance(values[name], hints[name]):
            found.append(f"{where}.{name}: expected {_type_name(hints[name])}, "
                         f"got {type(values[name]).__name__} {values[name]!r}")
        elif isinstance(values[name], float) and not math.isfinite(values[name]):
            not_finite.append(f"{where}.{name}: must be a finite number, got {values[name]!r}")
    problems += found + not_finite
    if found:
        return None
    built = cls(**values)
    checks = getattr(built, "problems", None)
    # A key already reported as not finite gets no second line from the class's checks.
    named = tuple(p.split(":")[0] + ":" for p in not_finite)
    later = [p for p in (checks(where) if checks else ()) if not p.startswith(named)]
    problems += later
    return None if not_finite or later else built


def _key_problems(values: dict, allowed: tuple[str, ...], where: str) -> list[str]:
    return [f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})"
            for key in values if key not in allowed]


def _is_instance(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_is_instance(value, arg) for arg in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_is_instance(v, item) for v in value)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if origin is list:
        item = typing.get_args(hint)[0]
        return "a list of " + {str: "strings", int: "integers"}.get(item, _type_name(item))
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        hint, getattr(hint, "__name__", str(hint)))


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())
