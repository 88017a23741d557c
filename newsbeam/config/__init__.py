"""Run configs: the settings (``settings.py``: limits, dedup, fetch, stream, the whole
``Config``; ``sources.py``: the source kinds) and the YAML validator that builds them
(``validate.py``). Callers import from here."""
from newsbeam.config.settings import (Config, DedupConfig, FetchSettings, Limits,
                                      NearDedupConfig, StreamConfig)
from newsbeam.config.sources import (LIVE_SOURCES, SOURCE_KINDS, FeedSource, FilesSource,
                                     SitemapSource, SourceConfig, UrlsSource, WarcSource,
                                     duration_seconds, has_scheme, http_url_problem,
                                     resolve_path)
from newsbeam.config.validate import (NO_SOURCES, ConfigError, load_config, parse_config,
                                      read_yaml,
                                      with_chunk_bounds, with_extract_processes)

__all__ = ["Config", "ConfigError", "DedupConfig", "FeedSource", "FetchSettings",
           "FilesSource", "LIVE_SOURCES", "NO_SOURCES", "Limits", "NearDedupConfig", "SOURCE_KINDS",
           "SitemapSource", "SourceConfig", "StreamConfig", "UrlsSource", "WarcSource",
           "duration_seconds", "has_scheme", "http_url_problem", "load_config",
           "parse_config", "read_yaml", "resolve_path", "with_chunk_bounds",
           "with_extract_processes"]
