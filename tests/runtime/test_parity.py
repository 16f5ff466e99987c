"""wstream is a drop-in for the installed ``temporalio.contrib.workflow_streams``.

Every expectation is read from the official module as installed, never copied from it: its
``__all__``, its classes' signatures and dataclass fields, its error-type constants and the
``type=`` strings of the ``ApplicationError``s its source raises, and the exception classes
its misuses raise (run side by side with wstream's, workflow-side ones in a real worker). A
temporalio release that adds a name, a parameter or an error type fails a test naming it.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import typing
import uuid
from collections.abc import Callable
from datetime import datetime
from types import ModuleType
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib import workflow_streams as official
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

import wstream
from tests.runtime.parity_workflows import MisuseInput, OfficialMisuse, WstreamMisuse
from wstream import errors

#: Where wstream differs from the official on purpose, and why. Keys name a dataclass field
#: or a member whose signature is not compared (``Class.name``), or one parameter
#: (``Class.member(param)``); the checks skip them, and a test makes sure each still names
#: something the official has.
_FASTER_TAIL = (
    "defaults to 20 ms, not 100 ms: the official's every poll is an update written to "
    "history, wstream's tail polls are queries that write nothing, and empty answers "
    "stretch its pause toward 100 ms by themselves"
)

DELIBERATE: dict[str, str] = {
    "WorkflowStreamClient.__aexit__": (
        "takes (exc_type, exc, tb) by name where the official takes *_exc: the async with "
        "protocol passes those three either way, and wstream reads them (a cancelled body "
        "is not flushed)"
    ),
    "WorkflowStreamClient.subscribe(poll_cooldown)": _FASTER_TAIL,
    "TopicHandle.subscribe(poll_cooldown)": _FASTER_TAIL,
    "PublisherState.last_seen": (
        "kept as its ISO-8601 text, not a datetime: the same JSON on the wire, and a "
        "datetime field does not convert when wstream is imported inside the workflow sandbox"
    ),
}

#: Gaps in files another change owns, each a strict xfail until fixed there.
PENDING: dict[str, str] = {}

#: Phrases of the official's misuse messages that wstream's messages carry too.
PHRASES: dict[str, str] = {
    "topic type=Payload": "type=Payload",
    "subscribe result_type=Payload": "result_type=Payload",
    "topic rebound": "already bound to type",
    "from_within_activity in a standalone activity": "no parent workflow",
    "second WorkflowStream": "already registered",
    "WorkflowStream outside init": "must be constructed directly from the workflow's",
    "workflow topic type=Payload": "type=Payload",
    "workflow topic rebound": "already bound to type",
}

_SCALARS = (int, str, bool, float, bytes, datetime)


def _official_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{official.__name__}.{info.name}")
        for info in pkgutil.iter_modules(official.__path__)
    ]


def _kind(value: Any) -> str:
    if inspect.isclass(value):
        generic = " generic" if getattr(value, "__parameters__", ()) else ""
        return ("dataclass" if dataclasses.is_dataclass(value) else "class") + generic
    return type(value).__name__


def _exported_classes(*, data: bool) -> list[str]:
    return [
        name
        for name in official.__all__
        if inspect.isclass(getattr(official, name))
        and dataclasses.is_dataclass(getattr(official, name)) == data
    ]


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", official.__all__)
def test_every_official_name_is_exported_with_the_same_kind(name: str) -> None:
    assert name in wstream.__all__, f"wstream does not export {name!r}"
    assert _kind(getattr(wstream, name)) == _kind(getattr(official, name))


# -- dataclasses -----------------------------------------------------------------------------


def _has_default(field: dataclasses.Field[Any]) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


@pytest.mark.parametrize("name", _exported_classes(data=True))
def test_dataclass_fields_take_the_officials_values(name: str) -> None:
    theirs, ours = getattr(official, name), getattr(wstream, name)
    their_fields = dataclasses.fields(theirs)
    our_fields = {field.name: field for field in dataclasses.fields(ours)}
    # Positional construction works the same: the official's fields come first, in order.
    assert [field.name for field in dataclasses.fields(ours)][: len(their_fields)] == [
        field.name for field in their_fields
    ]
    their_hints, our_hints = typing.get_type_hints(theirs), typing.get_type_hints(ours)
    for field in their_fields:
        key = f"{name}.{field.name}"
        if key in DELIBERATE:
            continue
        mine = our_fields[field.name]
        if _has_default(field):
            assert _has_default(mine), f"{key} has no default (official: {_default(field)!r})"
            assert _default(mine) == _default(field), key
        hint = their_hints[field.name]
        if hint in _SCALARS:
            assert our_hints[field.name] is hint, f"{key} is not a {hint.__name__}"
    extra = [f for f in dataclasses.fields(ours) if f.name not in {x.name for x in their_fields}]
    assert all(_has_default(field) for field in extra), f"{name}: extra fields need defaults"


# -- signatures ------------------------------------------------------------------------------


def _members(cls: type) -> list[str]:
    names = [
        name
        for name, _ in inspect.getmembers(cls)
        if not name.startswith("_") or name in ("__init__", "__aenter__", "__aexit__")
    ]
    # Only what the official class defines itself (not object's or Generic's plumbing).
    return [name for name in names if any(name in vars(base) for base in cls.__mro__[:-1])]


def _signature_cases() -> list[Any]:
    cases = []
    for name in _exported_classes(data=False):
        for member in _members(getattr(official, name)):
            key = f"{name}.{member}"
            marks = [pytest.mark.xfail(strict=True, reason=PENDING[key])] if key in PENDING else []
            cases.append(pytest.param(name, member, id=key, marks=marks))
    return cases


def _static_kind(cls: type, member: str) -> str:
    return type(inspect.getattr_static(cls, member)).__name__


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _differences(where: str, theirs: inspect.Signature, ours: inspect.Signature) -> list[str]:
    problems = []
    their_positional = [p.name for p in theirs.parameters.values() if p.kind in _POSITIONAL]
    our_positional = [p.name for p in ours.parameters.values() if p.kind in _POSITIONAL]
    if our_positional[: len(their_positional)] != their_positional:
        problems.append(f"{where}: positional parameters {our_positional} != {their_positional}")
    for param in theirs.parameters.values():
        key = f"{where}({param.name})"
        mine = ours.parameters.get(param.name)
        if key in DELIBERATE:
            continue
        if mine is None:
            problems.append(f"{key} is missing")
            continue
        accepted = {param.kind} | (
            {inspect.Parameter.POSITIONAL_OR_KEYWORD}
            if param.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_ONLY)
            else set()
        )
        if mine.kind not in accepted:
            problems.append(f"{key} is {mine.kind.description}, official {param.kind.description}")
        if param.default is not inspect.Parameter.empty and mine.default != param.default:
            problems.append(f"{key} defaults to {mine.default!r}, official {param.default!r}")
    for mine in ours.parameters.values():
        required = mine.default is inspect.Parameter.empty and mine.kind not in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        )
        if required and mine.name not in theirs.parameters:
            problems.append(f"{where}({mine.name}) is required but the official has no such")
    return problems


@pytest.mark.parametrize(("name", "member"), _signature_cases())
def test_public_members_accept_the_officials_arguments(name: str, member: str) -> None:
    theirs, ours = getattr(official, name), getattr(wstream, name)
    assert hasattr(ours, member), f"{name}.{member} is missing"
    assert _static_kind(ours, member) == _static_kind(theirs, member), f"{name}.{member}"
    their_value = getattr(theirs, member)
    if callable(their_value) and f"{name}.{member}" not in DELIBERATE:
        problems = _differences(
            f"{name}.{member}",
            inspect.signature(their_value),
            inspect.signature(getattr(ours, member)),
        )
        assert not problems, "\n".join(problems)


def test_every_deliberate_difference_names_something_the_official_has() -> None:
    for key in [*DELIBERATE, *PENDING]:
        owner, _, rest = key.partition(".")
        attribute = rest.split("(")[0]
        cls = getattr(official, owner)
        names = (
            {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
        )
        assert attribute in names or hasattr(cls, attribute), f"stale entry {key!r}"


# -- wire error types ------------------------------------------------------------------------


def _error_type_constants() -> dict[str, str]:
    found = {}
    for module in _official_modules():
        for name, value in vars(module).items():
            if name.endswith("_ERROR_TYPE") and isinstance(value, str):
                found[name] = value
    return found


def _application_error_types() -> set[str]:
    """Every ``type=`` string literal of an ``ApplicationError(...)`` in the official source."""
    constants = _error_type_constants()
    found = set()
    for module in _official_modules():
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            called = getattr(node, "func", None)
            name = getattr(called, "id", None) or getattr(called, "attr", None)
            if not (isinstance(node, ast.Call) and name == "ApplicationError"):
                continue
            for keyword in node.keywords:
                if keyword.arg != "type":
                    continue
                if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                    found.add(keyword.value.value)
                elif isinstance(keyword.value, ast.Name) and keyword.value.id in constants:
                    found.add(constants[keyword.value.id])
    return found


def test_the_official_source_is_read() -> None:
    # Guards the two readers above against finding nothing after a refactor of the official.
    assert _error_type_constants() and _application_error_types()


@pytest.mark.parametrize(("name", "value"), sorted(_error_type_constants().items()))
def test_error_type_constants_equal_wstreams(name: str, value: str) -> None:
    ours = name.removesuffix("_ERROR_TYPE")
    assert getattr(errors, ours, None) == value, f"wstream.errors.{ours} != {value!r}"


@pytest.mark.parametrize("value", sorted(_application_error_types()))
def test_every_wire_error_type_of_the_official_is_wstreams(value: str) -> None:
    ours = {v for k, v in vars(errors).items() if k.isupper() and isinstance(v, str)}
    assert value in ours, f"no wstream.errors constant is {value!r}"


# -- misuse: same exception class (or a subclass), the official's phrase ---------------------


def _raised(action: Callable[[], Any]) -> BaseException:
    try:
        action()
    except Exception as error:
        return error
    pytest.fail("the misuse raised nothing")


async def _raised_async(action: Callable[[], Any]) -> BaseException:
    try:
        await action()
    except Exception as error:
        return error
    pytest.fail("the misuse raised nothing")


def _client_misuses(impl: ModuleType, client: Client) -> dict[str, Callable[[], Any]]:
    def stream() -> Any:
        return impl.WorkflowStreamClient.create(client, "parity-no-such-workflow")

    def rebind() -> None:
        handle = stream()
        handle.topic("t", type=int)
        handle.topic("t", type=str)

    async def subscribe_payload() -> None:
        # The official checks on the first step of its generator, wstream at the call.
        async for _ in stream().subscribe(result_type=Payload):
            break

    return {
        "topic type=Payload": lambda: stream().topic("raw", type=Payload),
        "topic rebound": rebind,
        "from_within_activity outside an activity": impl.WorkflowStreamClient.from_within_activity,
        "subscribe result_type=Payload": subscribe_payload,
    }


def _compare(case: str, theirs: BaseException, ours: BaseException) -> None:
    assert isinstance(ours, type(theirs)), (
        f"{case}: wstream raised {type(ours).__mro__}, the official {type(theirs).__name__}"
    )
    phrase = PHRASES.get(case)
    if phrase is not None:
        assert phrase in str(theirs), f"{case}: the official no longer says {phrase!r}"
        assert phrase in str(ours), f"{case}: wstream's message lacks {phrase!r}: {ours}"


async def test_client_misuse_raises_the_officials_class(client: Client) -> None:
    theirs, ours = _client_misuses(official, client), _client_misuses(wstream, client)
    assert theirs.keys() == ours.keys()
    for case in theirs:
        if inspect.iscoroutinefunction(theirs[case]):
            _compare(case, await _raised_async(theirs[case]), await _raised_async(ours[case]))
        else:
            _compare(case, _raised(theirs[case]), _raised(ours[case]))
    # Still a TypeError, as wstream raised before: code catching that keeps working.
    assert isinstance(_raised(ours["topic type=Payload"]), TypeError)


async def test_standalone_activity_misuse_raises_the_officials_class(client: Client) -> None:
    env = ActivityEnvironment(client=client)
    env.info = dataclasses.replace(env.info, workflow_id=None)
    errors_by_impl: dict[str, BaseException] = {}
    for impl in (official, wstream):

        @activity.defn(name=f"standalone_{impl.__name__}")
        async def standalone() -> None:
            impl.WorkflowStreamClient.from_within_activity()  # noqa: B023 (run at once)

        errors_by_impl[impl.__name__] = await _raised_async(lambda: env.run(standalone))
    _compare(
        "from_within_activity in a standalone activity",
        errors_by_impl[official.__name__],
        errors_by_impl[wstream.__name__],
    )


async def test_workflow_misuse_raises_the_officials_class(client: Client) -> None:
    queue = f"parity-{uuid.uuid4().hex[:10]}"
    results: dict[str, dict[str, Any]] = {}
    async with Worker(client, task_queue=queue, workflows=[OfficialMisuse, WstreamMisuse]):
        for workflow in (OfficialMisuse, WstreamMisuse):
            outcomes: dict[str, Any] = {}
            for in_init in (True, False):
                outcomes.update(
                    await client.execute_workflow(
                        workflow.run,
                        MisuseInput(construct_in_init=in_init),
                        id=f"parity-{uuid.uuid4().hex[:10]}",
                        task_queue=queue,
                    )
                )
            results[workflow.__name__] = outcomes
    theirs, ours = results["OfficialMisuse"], results["WstreamMisuse"]
    assert theirs.keys() == ours.keys()
    for case, their in theirs.items():
        assert their is not None, f"{case}: the official raised nothing"
        our = ours[case]
        assert our is not None, f"{case}: wstream raised nothing"
        assert their["classes"][0] in our["classes"], f"{case}: {our['classes']}"
        assert our["type"] == their["type"], f"{case}: wire error type"
        phrase = PHRASES.get(case)
        if phrase is not None:
            assert phrase in their["message"], f"{case}: the official no longer says {phrase!r}"
            assert phrase in our["message"], f"{case}: wstream lacks {phrase!r}: {our['message']}"
