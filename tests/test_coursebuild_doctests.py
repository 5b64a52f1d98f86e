"""The Examples sections of coursebuild's docstrings run as doctests (so they stay true)."""

import doctest
import importlib
import pkgutil

import pytest

import coursebuild

MODULES = sorted(m.name for m in pkgutil.iter_modules(coursebuild.__path__, "coursebuild."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_examples_exist() -> None:
    attempted = sum(doctest.testmod(importlib.import_module(name)).attempted for name in MODULES)
    assert attempted > 0
