"""YAML run config -> typed, validated config objects. Validation only: nothing here lists,
opens or checks files or the network (``pipelines/preflight.py`` checks a config against
the world before a run).

Every mistake is one line naming the key and what is wrong; a config's mistakes are
collected and raised together as one ConfigError, so the user fixes them all in one go. Sections and source kinds are dataclasses: their fields
are the allowed keys, their annotations the expected types, their defaults the defaults.
Paths are resolved against the config file's folder, except URIs with a scheme
(``gs://bucket/news``), which are kept as written.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
import types
import typing
from typing import Any, ClassVar, Iterable, Iterator, Union
from urllib.parse import urlsplit

import yaml


class ConfigError(ValueError):
    """A config that cannot be run: ``problems`` holds one line per mistake, for the user."""

    def __init__(self, problems: str | Iterable[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclasses.dataclass(frozen=True)
class Limits:
    max_document_bytes: int = 10 * 1024 * 1024  # larger inputs are rejected, not read
    min_words: int = 10  # shorter bodies are navigation or stubs, not articles
    # A page whose extraction takes longer is cut off and rejected (extract_timeout);
    # extraction runs in a child process per worker so it can be stopped. 0 turns it off.
    extract_timeout_seconds: float = 5.0
    # Extraction children per worker process, fed at once: 0 is as many as the worker's
    # cores (docs/extraction-pool.md). Unused when the time limit is off.
    extract_processes: int = 0
    # A local run over more files than this (or more MB of them) works through them in
    # chunks, each committed as it ends, so memory depends on the chunk, not the run
    # (docs/chunked-runs.md). 0 lifts that bound.
    chunk_inputs: int = 500
    chunk_mb: float = 256.0

    def problems(self, where: str) -> Iterator[str]:
        if self.chunk_inputs < 0 or self.chunk_mb < 0:
            yield f"{where}.chunk_inputs, chunk_mb: must be 0 (no bound) or positive"
        if self.extract_timeout_seconds < 0:
            yield f"{where}.extract_timeout_seconds: must be 0 (off) or positive"
        if self.extract_processes < 0:
            yield f"{where}.extract_processes: must be 0 (as many as cores) or positive"
        if self.max_document_bytes <= 0:
            yield f"{where}.max_document_bytes: must be positive"
        if self.min_words < 1:
            yield f"{where}.min_words: must be at least 1"


@dataclasses.dataclass(frozen=True)
class NearDedupConfig:
    """MinHash-LSH near-duplicate detection (docs/near-duplicates.md)."""

    enabled: bool = True
    threshold: float = 0.8              # estimated Jaccard of shingle sets that folds a copy
    containment_threshold: float = 0.9  # ...or share of the shorter text inside the other
                                        # (truncated copies); 0 turns this check off
    lsh_threshold: float = 0.5          # Jaccard the LSH bands are tuned for; below
                                        # `threshold` so truncated copies become candidates
    num_perm: int = 112                 # MinHash permutations
    shingle_size: int = 5               # words per shingle
    seed: int = 42                      # of the permutations
    min_words: int = 50                 # shorter texts skip near-dup (counted)
    max_bucket_size: int = 50           # bigger LSH buckets are not compared all-pairs...
    bucket_neighbours: int = 5          # ...but each member with its next N in rank order

    def problems(self, where: str) -> Iterator[str]:
        for name in ("threshold", "lsh_threshold"):
            if not 0 < getattr(self, name) <= 1:
                yield f"{where}.{name}: must be in (0, 1]"
        if not 0 <= self.containment_threshold <= 1:
            yield f"{where}.containment_threshold: must be in [0, 1]"
        if self.lsh_threshold > self.threshold:
            yield f"{where}.lsh_threshold: must not exceed threshold"
        minimums = {"num_perm": 8, "shingle_size": 1, "max_bucket_size": 2,
                    "bucket_neighbours": 1, "min_words": self.shingle_size}
        for name, minimum in minimums.items():
            if getattr(self, name) < minimum:
                yield f"{where}.{name}: must be at least {minimum}"


@dataclasses.dataclass(frozen=True)
class DedupConfig:
    near: NearDedupConfig = NearDedupConfig()
    cross_run: bool = True  # check articles against earlier runs' (<output>/_state/dedup_index)


@dataclasses.dataclass(frozen=True)
class SourceConfig:
    """Keys every source has; each kind adds its own."""

    KIND: ClassVar[str] = ""
    name: str
    kind: str

    def problems(self, where: str) -> Iterator[str]:
        """What is wrong with the kind-specific keys, one line each."""
        return iter(())

    def resolved(self, base_dir: str) -> "SourceConfig":
        """The source with its paths resolved against the config's folder."""
        return self


@dataclasses.dataclass(frozen=True)
class FilesSource(SourceConfig):
    """Local files: .txt (headline line + body) or .html/.htm, each optionally gzipped."""

    KIND: ClassVar[str] = "files"
    path: Union[str, list[str]] = ""

    @property
    def patterns(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)

    def problems(self, where: str) -> Iterator[str]:
        if not self.patterns or not all(self.patterns):
            yield f"{where}.path: give a glob or a list of globs"

    def resolved(self, base_dir: str) -> "FilesSource":
        return dataclasses.replace(self, path=[resolve_path(p, base_dir) for p in self.patterns])


@dataclasses.dataclass(frozen=True)
class WarcSource(SourceConfig):
    """WARC archives (.warc, .warc.gz), e.g. Common Crawl's CC-NEWS: each HTML response
    record is an input. Large gzipped archives are read in ranges of ``split_mb``."""

    KIND: ClassVar[str] = "warc"
    path: Union[str, list[str]] = ""
    split_mb: float = 64.0  # a .warc.gz larger than this is read by several workers

    patterns = FilesSource.patterns  # the same globs as files sources
    resolved = FilesSource.resolved

    def problems(self, where: str) -> Iterator[str]:
        yield from FilesSource.problems(self, where)
        if self.split_mb <= 0:
            yield f"{where}.split_mb: must be positive"


def has_scheme(path: str) -> bool:
    """True for a URI such as ``gs://bucket/x`` or ``s3://b/k`` (kept as written)."""
    head, sep, _ = path.partition("://")
    return bool(sep) and head.isalnum()


def resolve_path(path: str, base_dir: str) -> str:
    """A local path made absolute against ``base_dir``; a URI with a scheme unchanged."""
    if has_scheme(path):
        return path
    return os.path.normpath(os.path.join(base_dir, os.path.expanduser(path)))


def http_url_problem(url: Any, where: str) -> str | None:
    """Why ``url`` is not an http(s) URL with a host (one line), or None."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        host = parts and parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[::1"
        parts = host = None
    if not parts or parts.scheme not in ("http", "https") or not host:
        return f"{where}: {url!r} is not an http or https URL"
    return None


@dataclasses.dataclass(frozen=True)
class FeedSource(SourceConfig):
    """An RSS 0.9x/1.0/2.0, Atom or JSON Feed: its entries' links are fetched."""

    KIND: ClassVar[str] = "feed"
    url: str = ""

    def problems(self, where: str) -> Iterator[str]:
        yield from _present(http_url_problem(self.url, f"{where}.url"))


@dataclasses.dataclass(frozen=True)
class UrlsSource(SourceConfig):
    """Article URLs: listed in the config (``urls``) or in a file, one a line (``path``)."""

    KIND: ClassVar[str] = "urls"
    urls: list[str] = dataclasses.field(default_factory=list)
    path: str = ""

    def problems(self, where: str) -> Iterator[str]:
        if bool(self.urls) == bool(self.path):
            yield f"{where}: give either 'urls' (a list) or 'path' (a file of URLs)"
        for index, url in enumerate(self.urls):
            yield from _present(http_url_problem(url, f"{where}.urls[{index}]"))

    def resolved(self, base_dir: str) -> "UrlsSource":
        return dataclasses.replace(self, path=resolve_path(self.path, base_dir)) if self.path \
            else self


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclasses.dataclass(frozen=True)
class SitemapSource(SourceConfig):
    """A sitemap, news sitemap or sitemap index (plain or gzipped)."""

    KIND: ClassVar[str] = "sitemap"
    url: str = ""
    since: str = ""         # e.g. "2d": skip entries last modified or published earlier
    max_depth: int = 2      # how many levels of sitemap indexes are followed
    max_urls: int = 50_000  # entries taken from the sitemap and its children together

    @property
    def since_seconds(self) -> int | None:
        return duration_seconds(self.since)

    def problems(self, where: str) -> Iterator[str]:
        yield from _present(http_url_problem(self.url, f"{where}.url"))
        if self.since and self.since_seconds is None:
            yield f"{where}.since: '{self.since}' is not an age like 30m, 12h, 2d, 1w"
        if self.max_depth < 0 or self.max_urls < 1:
            yield f"{where}: max_depth must be >= 0 and max_urls >= 1"


def duration_seconds(text: str) -> int | None:
    """Seconds of an age or interval like 30s, 10m, 12h, 2d, 1w (None if not one)."""
    match = _DURATION.match(text)
    return int(match[1]) * _SECONDS_PER_UNIT[match[2]] if match else None


LIVE_SOURCES = (FeedSource, UrlsSource, SitemapSource)
SOURCE_KINDS: dict[str, type[SourceConfig]] = {
    cls.KIND: cls for cls in (FilesSource, WarcSource, *LIVE_SOURCES)}


@dataclasses.dataclass(frozen=True)
class FetchSettings:
    """How live sources are fetched: identity, limits, politeness and safety."""

    user_agent: str = "newsbeam/0.1 (+https://github.com/newsbeam/newsbeam)"
    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 15.0     # longest wait for any single read
    total_timeout_seconds: float = 30.0    # one request from connect to last byte
    max_response_bytes: int = 10 * 1024 * 1024     # as sent on the wire
    max_decompressed_bytes: int = 20 * 1024 * 1024  # after gzip/deflate: bombs stop here
    max_redirects: int = 5
    per_host_concurrency: int = 2
    per_host_delay_seconds: float = 0.5    # between request starts on one host
    global_concurrency: int = 32           # requests in flight per fetching worker
    max_retries: int = 3                   # for timeouts, resets, 5xx, 408 and 429
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0  # a longer Retry-After gives up instead
    max_crawl_delay_seconds: float = 10.0  # robots.txt Crawl-delay is honoured up to this
    allow_private_networks: bool = False
    allowed_networks: list[str] = dataclasses.field(default_factory=list)  # CIDR exceptions
    respect_robots: bool = True

    def problems(self, where: str) -> Iterator[str]:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                floor = 0 if field.name in _MAY_BE_ZERO else 1e-9
                if value < floor:
                    yield (f"{where}.{field.name}: must be "
                           f"{'at least 0' if floor == 0 else 'positive'}")
        if not self.user_agent.strip():
            yield f"{where}.user_agent: must not be empty"
        for network in self.allowed_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                yield f"{where}.allowed_networks: '{network}' is not a network like 10.0.0.0/8"


_MAY_BE_ZERO = {"max_redirects", "per_host_delay_seconds", "max_retries",
                "backoff_base_seconds", "backoff_max_seconds", "max_retry_after_seconds",
                "max_crawl_delay_seconds"}


@dataclasses.dataclass(frozen=True)
class StreamConfig:
    """``newsbeam stream``: where work comes from, windows, lateness, dedup state TTL
    (docs/streaming.md)."""

    subscription: str = ""      # Pub/Sub subscription of URLs; empty: poll the sources
    poll_every: str = "5m"      # PeriodicImpulse interval when polling
    window: str = "5m"          # fixed windows; each window's rows are one commit
    allowed_lateness: str = "10m"  # later data is a too_late reject
    dedup_ttl: str = "3d"       # how long a key stays in the streaming dedup state

    def seconds(self, name: str) -> int:
        return duration_seconds(getattr(self, name))

    def problems(self, where: str) -> Iterator[str]:
        bad = [name for name in ("poll_every", "window", "allowed_lateness", "dedup_ttl")
               if duration_seconds(getattr(self, name)) is None]
        for name in bad:
            yield (f"{where}.{name}: '{getattr(self, name)}' is not a duration "
                   "like 30s, 5m, 2h, 3d")
        if not bad and (self.seconds("window") < 1
                        or self.seconds("dedup_ttl") < self.seconds("window")):
            yield f"{where}: window must be positive and dedup_ttl at least a window"


@dataclasses.dataclass(frozen=True)
class Config:
    sources: tuple[SourceConfig, ...]
    output: str
    limits: Limits
    fetch: FetchSettings
    dedup: DedupConfig
    path: str                 # the config file it was read from
    raw: dict[str, Any]       # the YAML as written, recorded in run manifests
    stream: StreamConfig = StreamConfig()


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
    sources = _parse_sources(raw.get("sources"), base_dir, problems)
    stream = _build(StreamConfig, raw.get("stream") or {}, "stream", problems)
    if problems:
        raise ConfigError(problems)
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


def _present(problem: str | None) -> Iterator[str]:
    if problem:
        yield problem


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
