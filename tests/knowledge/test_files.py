"""Packaged knowledge files are read through one loader that names a broken file."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from calcispine.knowledge import Vocabulary, load_packaged, load_vocabulary


def test_a_packaged_file_is_validated_by_its_model() -> None:
    assert load_packaged("calcispine.knowledge", "vocabulary.yaml", Vocabulary) == load_vocabulary()


def test_a_file_its_model_refuses_is_an_error_naming_the_file() -> None:
    class Strict(BaseModel):
        no_such_key: int

    with pytest.raises(ValueError, match=r"(?s)calcispine/knowledge/labs\.yaml is invalid: .*no_such_key"):
        load_packaged("calcispine.knowledge", "labs.yaml", Strict)
