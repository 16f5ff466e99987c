"""The client's options are declared once (ClientOptions) and every entry point takes them."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from wstream import ClientOptions, TypedStreamClient, WorkflowStreamClient
from wstream.options import CLIENT_DEFAULTS

ENTRY_POINTS = [
    WorkflowStreamClient.__init__,
    WorkflowStreamClient.create,
    WorkflowStreamClient.from_within_activity,
]


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_every_entry_point_shows_each_option_with_its_default(entry: Any) -> None:
    parameters = inspect.signature(entry).parameters
    for name, default in CLIENT_DEFAULTS.items():
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters[name].default == default, name
    assert list(CLIENT_DEFAULTS) == list(ClientOptions.__annotations__)


def test_generated_clients_forward_the_same_options() -> None:
    for method in (TypedStreamClient.create, TypedStreamClient.from_within_activity):
        hint = inspect.signature(method).parameters["options"].annotation
        assert "ClientOptions" in str(hint)


def test_an_unknown_option_is_refused_like_a_misspelt_keyword() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'batch_intervall'"):
        WorkflowStreamClient(object(), batch_intervall=1)  # type: ignore[arg-type, call-arg]
    with pytest.raises(ValueError, match="max_batch_bytes=10 leaves no room for any item"):
        WorkflowStreamClient(object(), max_batch_bytes=10)  # type: ignore[arg-type]
