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
