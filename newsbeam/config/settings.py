"""The settings of a run config besides its sources: limits, dedup, fetch, stream, and the
whole ``Config``. Dataclasses: their fields are the allowed keys, their annotations the
expected types, their defaults the defaults; each checks its own values (``problems``)."""
from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any, Iterator

from newsbeam.config.sources import SourceConfig, duration_seconds


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
