"""The lowest versions setup.py allows of the two libraries newsbeam leans on hardest are
the versions this test run uses: CI tests the floor, so nothing allowed is untested.

(trafilatura 2.0-2.2 were once allowed and never tested: newsbeam's 2.3 readability wrapper
then emptied every extraction. A newer release installed here fails this test: raise the
floor in setup.py to it, or run the suite against the floor.)"""
from __future__ import annotations

import ast
import pathlib
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

SETUP = pathlib.Path(__file__).parents[1] / "setup.py"


def install_requires() -> dict[str, Requirement]:
    call = next(node for node in ast.walk(ast.parse(SETUP.read_text()))
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "setup")
    (listed,) = [k.value for k in call.keywords if k.arg == "install_requires"]
    requirements = [Requirement(item) for item in ast.literal_eval(listed)]
    return {r.name: r for r in requirements}


@pytest.mark.parametrize("name", ["apache-beam", "trafilatura"])
def test_the_lowest_allowed_version_is_the_one_tested(name):
    requirement = install_requires()[name]
    floors = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert len(floors) == 1, f"{requirement}: one lower bound expected"
    installed = Version(version(name))
    assert installed in requirement.specifier, f"{name} {installed} is outside {requirement}"
    assert installed == floors[0], (
        f"{name} {installed} is installed but setup.py allows {floors[0]}, which is then "
        "untested: raise the floor to what CI tests")
