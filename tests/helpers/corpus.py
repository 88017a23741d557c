"""Where the shared test corpus is: ``$NEWSBEAM_CORPUS``, or ``../shared/corpus`` beside
the repository. Tests that need it are skipped, saying where they looked and how to
point them elsewhere, when it is not there."""
from __future__ import annotations

import os
import pathlib

import pytest

ENV = "NEWSBEAM_CORPUS"
DEFAULT = pathlib.Path(__file__).parents[3] / "shared" / "corpus"
CORPUS = pathlib.Path(os.environ.get(ENV) or DEFAULT)


def corpus_path(*parts: str) -> pathlib.Path:
    return CORPUS.joinpath(*parts)


def missing_reason(*parts: str) -> str:
    return (f"shared corpus not found at {corpus_path(*parts)} "
            f"(set {ENV} to the corpus folder; default ../shared/corpus beside the repository)")


def needs_corpus(*parts: str):
    """A skip mark for tests that read ``CORPUS/<parts>``."""
    return pytest.mark.skipif(not corpus_path(*parts).exists(), reason=missing_reason(*parts))
