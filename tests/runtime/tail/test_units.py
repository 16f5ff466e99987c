"""`wstream tail` pieces without a server: connection settings, line rendering, entry points."""

from __future__ import annotations

import argparse
import ast
import io
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.common import RawValue
from temporalio.converter import DataConverter
from temporalio.service import TLSConfig

import wstream
from tests.runtime.tail.process import cli_env
from wstream.cli import _parser
from wstream.json_view import payload_json
from wstream.tail import TailError, topic_models
from wstream.tail.options import connect_settings
from wstream.tail.render import Printer, human_line, use_colour
from wstream.tail.topic_models import Checked, TopicModels

ORDERS_SCHEMA = Path(__file__).resolve().parents[3] / "schema" / "examples" / "orders.yaml"


def parse(*args: str) -> argparse.Namespace:
    return _parser().parse_args(["tail", "wf", *args])


def pem(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(f"-----BEGIN {name}-----\n".encode())
    return path


def test_defaults_then_environment_then_flags(tmp_path: Path) -> None:
    no_file = {"TEMPORAL_CONFIG_FILE": str(tmp_path / "none.toml")}
    plain = connect_settings(parse(), no_file)
    assert (plain.address, plain.namespace, plain.api_key, plain.tls) == (
        "localhost:7233",
        "default",
        None,
        False,
    )
    env = {**no_file, "TEMPORAL_ADDRESS": "env:7233", "TEMPORAL_NAMESPACE": "env-ns"}
    from_env = connect_settings(parse(), env)
    assert (from_env.address, from_env.namespace) == ("env:7233", "env-ns")
    flagged = connect_settings(parse("--address", "flag:1", "--namespace", "flag-ns"), env)
    assert (flagged.address, flagged.namespace) == ("flag:1", "flag-ns")


def test_api_key_turns_tls_on(tmp_path: Path) -> None:
    env = {"TEMPORAL_CONFIG_FILE": str(tmp_path / "none.toml"), "TEMPORAL_API_KEY": "k-1"}
    settings = connect_settings(parse(), env)
    assert settings.api_key == "k-1"
    assert settings.tls is True


def test_tls_files_from_environment_and_flags(tmp_path: Path) -> None:
    cert, key, ca = pem(tmp_path, "CERT"), pem(tmp_path, "KEY"), pem(tmp_path, "CA")
    env = {
        "TEMPORAL_CONFIG_FILE": str(tmp_path / "none.toml"),
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(cert),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(key),
        "TEMPORAL_TLS_SERVER_NAME": "env.example",
    }
    from_env = connect_settings(parse(), env).tls
    assert isinstance(from_env, TLSConfig)
    assert from_env.client_cert == b"-----BEGIN CERT-----\n"
    assert from_env.client_private_key == b"-----BEGIN KEY-----\n"
    assert from_env.domain == "env.example"
    assert from_env.server_root_ca_cert is None

    flagged = connect_settings(
        parse("--tls-ca-path", str(ca), "--tls-server-name", "flag.example"), env
    ).tls
    assert isinstance(flagged, TLSConfig)
    assert flagged.server_root_ca_cert == b"-----BEGIN CA-----\n"
    assert flagged.domain == "flag.example"
    assert flagged.client_cert == b"-----BEGIN CERT-----\n"  # kept from the environment

    bare = connect_settings(parse("--tls"), {"TEMPORAL_CONFIG_FILE": env["TEMPORAL_CONFIG_FILE"]})
    assert bare.tls == TLSConfig()


def test_tls_mistakes_name_the_option(tmp_path: Path) -> None:
    no_file = {"TEMPORAL_CONFIG_FILE": str(tmp_path / "none.toml")}
    with pytest.raises(TailError, match="give both --tls-cert-path and --tls-key-path"):
        connect_settings(parse("--tls-cert-path", str(pem(tmp_path, "CERT"))), no_file)
    missing = tmp_path / "missing.pem"
    with pytest.raises(TailError, match=r"cannot read .*missing\.pem \(from --tls-ca-path\)"):
        connect_settings(parse("--tls-ca-path", str(missing)), no_file)


def test_config_file_profiles(tmp_path: Path) -> None:
    ca = pem(tmp_path, "CA")
    config = tmp_path / "temporal.toml"
    config.write_text(
        "[profile.default]\n"
        'address = "default.example:7233"\n'
        "[profile.dev]\n"
        'address = "dev.example:7233"\n'
        'namespace = "dev-ns"\n'
        'api_key = "k-dev"\n'
        "[profile.dev.tls]\n"
        'server_name = "sni.example"\n'
        f"server_ca_cert_path = {str(ca)!r}\n"
        "[profile.dev.grpc_meta]\n"
        'x-team = "streams"\n'
    )
    env = {"TEMPORAL_CONFIG_FILE": str(config)}
    default = connect_settings(parse(), env)
    assert (default.address, default.namespace, default.tls) == (
        "default.example:7233",
        "default",
        False,
    )
    for chosen in (connect_settings(parse("--profile", "dev"), env),
                   connect_settings(parse(), {**env, "TEMPORAL_PROFILE": "dev"})):  # fmt: skip
        assert (chosen.address, chosen.namespace, chosen.api_key) == (
            "dev.example:7233",
            "dev-ns",
            "k-dev",
        )
        assert chosen.tls == TLSConfig(
            server_root_ca_cert=b"-----BEGIN CA-----\n", domain="sni.example"
        )
        assert dict(chosen.rpc_metadata) == {"x-team": "streams"}
    # The environment goes over the profile, and flags over both.
    over = connect_settings(
        parse("--profile", "dev", "-n", "flag-ns"), {**env, "TEMPORAL_ADDRESS": "env:1"}
    )
    assert (over.address, over.namespace) == ("env:1", "flag-ns")
    with pytest.raises(TailError, match=r"cannot load the Temporal client configuration.*'nope'"):
        connect_settings(parse("--profile", "nope"), env)


def test_lines_stay_single_and_free_of_control_characters() -> None:
    line = human_line(7, "a\nb", '"x\x1b[2Jy"', colour=False)
    assert line == '     7  a\\nb  "x\\x1b[2Jy"'
    coloured = human_line(7, "t", "1", colour=True)
    assert coloured == "\x1b[2m     7\x1b[0m  \x1b[36mt\x1b[0m  1"


def test_colour_choice() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_colour("auto", Terminal(), {}) is True
    assert use_colour("auto", Terminal(), {"NO_COLOR": "1"}) is False
    assert use_colour("auto", Terminal(), {"NO_COLOR": ""}) is True  # empty means unset
    assert use_colour("auto", io.StringIO(), {}) is False
    assert use_colour("always", io.StringIO(), {"NO_COLOR": "1"}) is True
    assert use_colour("never", Terminal(), {}) is False


def test_json_printer_ignores_colour_and_notes() -> None:
    out, err = io.StringIO(), io.StringIO()
    printer = Printer(out, err, as_json=True, colour=True, err_colour=False)
    printer.item(3, "t", {"k": "ü"}, shown="ignored in JSON")
    printer.note("not shown with --json")
    assert out.getvalue() == '{"offset":3,"topic":"t","data":{"k":"ü"}}\n'
    assert err.getvalue() == ""


def test_payloads_without_json_form_are_shown_raw() -> None:
    converter = DataConverter.default.payload_converter
    text = converter.to_payloads(["ok"])[0]
    assert payload_json(text, converter) == "ok"
    raw = RawValue(converter.to_payloads([b"\xff"])[0]).payload
    assert payload_json(raw, converter) == {"encoding": "binary/plain", "base64": "/w=="}
    strange = type(raw)(metadata={"encoding": b"binary/encrypted"}, data=b"\x01")
    assert payload_json(strange, converter) == {"encoding": "binary/encrypted", "base64": "AQ=="}
    # JSON cannot carry NaN (JSON.parse and jq reject it): shown raw, as the SSE bridge does.
    nan = converter.to_payloads([float("nan")])[0]
    assert payload_json(nan, converter) == {"encoding": "json/plain", "base64": "TmFO"}


@pytest.mark.parametrize("source", ["schema", "package"])
def test_models_by_wire_topic(source: str) -> None:
    if source == "schema":
        models = TopicModels.from_schema(str(ORDERS_SCHEMA))
    else:
        models = TopicModels.from_package("orders")  # generated/orders, on the test path
    assert models.topics == ["order.status", "progress", "tokens"]
    assert models.check("progress", 5).model is not None
    assert models.check("elsewhere", 5) == Checked(None, None)  # no model, no problem
    bad = models.check("order.status", {"state": "paid"})
    assert bad.model is None
    assert bad.problem == "does not match Status: order_id: Field required"


def test_models_option_needs_a_generated_package() -> None:
    with pytest.raises(TailError, match=r"--models no_such_package_x: cannot import") as missing:
        TopicModels.from_package("no_such_package_x")
    assert missing.value.exit_status == 2
    with pytest.raises(TailError, match=r"'json' is not a package generated by wstream-gen"):
        TopicModels.from_package("json")


def test_schema_option_without_the_generator_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker installs only wstream; the real absence is tested from the wheel
    # (tests/wheels/test_wheels.py).
    monkeypatch.setattr(topic_models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(TailError) as refused:
        TopicModels.from_schema(str(ORDERS_SCHEMA))
    assert refused.value.exit_status == 2
    assert refused.value.message == (
        "--schema needs the code generator, which is not installed: pip install wstream-gen "
        "(or give --models PACKAGE, a package it generated)"
    )


def test_runtime_never_imports_the_generator() -> None:
    runtime = Path(wstream.__file__).parent
    for module in runtime.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            names = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )  # fmt: skip
            assert not any(name.split(".")[0] == "wstream_gen" for name in names), module


@pytest.mark.parametrize("module", ["wstream.cli", "wstream"])
def test_python_dash_m_runs_the_command(module: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "tail", "--help"],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: wstream tail")
    missing = subprocess.run(
        [sys.executable, "-m", module, "tail"],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2
    assert "the following arguments are required: WORKFLOW_ID" in missing.stderr
