"""Fixtures shared by every test folder (helpers live in ``tests/helpers/``)."""
from __future__ import annotations

import pathlib
import shutil

import pytest

from tests.helpers.runs import SAMPLES


@pytest.fixture
def samples_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    """A private copy of the five samples, free to add files to."""
    folder = tmp_path / "in"
    folder.mkdir()
    for sample in SAMPLES:
        shutil.copy2(sample, folder / sample.name)
    return folder


# Servers that take seconds to start run once per test session, and only when a selected
# test asks for them; each test keeps to its own bucket or topic.
@pytest.fixture(scope="session")
def s3_api():
    """moto's S3 API on loopback (tests/helpers/s3.py)."""
    pytest.importorskip("moto.server")
    from tests.helpers.s3 import moto_server

    with moto_server() as server:
        yield server


@pytest.fixture(scope="session")
def pubsub_emulator() -> str:
    """``host:port`` of the Pub/Sub emulator (tests/helpers/pubsub.py)."""
    from tests.helpers.pubsub import missing_reason, running_emulator

    if missing_reason():
        pytest.skip(missing_reason())
    with running_emulator() as host:
        yield host
