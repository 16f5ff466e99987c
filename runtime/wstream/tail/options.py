"""Connection options: flags over the standard ``TEMPORAL_*`` environment and config profile."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client
from temporalio.envconfig import ClientConfigProfile, ClientConfigTLS
from temporalio.service import TLSConfig

from wstream.tail.errors import EXIT_USAGE, TailError

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"

#: A certificate or key as the config profile carries it: a path, PEM text or bytes.
_Source = Path | str | bytes


@dataclass(frozen=True)
class ConnectSettings:
    """Everything needed to connect, after flags, environment and profile are merged.

    Attributes:
        address: ``host:port`` of the Temporal frontend.
        namespace: The namespace the workflow lives in.
        api_key: An API key sent with every call, or None.
        tls: False for plain text, True for TLS with system roots, or a full TLS config.
        rpc_metadata: gRPC headers from the profile.
    """

    address: str
    namespace: str
    api_key: str | None
    tls: bool | TLSConfig
    rpc_metadata: Mapping[str, str]


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--address``, ``--namespace``, ``--api-key``, ``--profile`` and the TLS flags.

    Args:
        parser: The (sub)command's parser.
    """
    group = parser.add_argument_group(
        "connection",
        "Flags win over the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, "
        "TEMPORAL_TLS*, TEMPORAL_PROFILE) and the Temporal CLI config file "
        "(TEMPORAL_CONFIG_FILE).",
    )
    group.add_argument(
        "--address", metavar="HOST:PORT", help=f"Temporal frontend (default: {DEFAULT_ADDRESS})"
    )
    group.add_argument(
        "--namespace", "-n", metavar="NAME", help=f"namespace (default: {DEFAULT_NAMESPACE})"
    )
    group.add_argument("--api-key", metavar="KEY", help="API key (turns TLS on)")
    group.add_argument("--profile", metavar="NAME", help="profile of the config file to use")
    group.add_argument("--tls", action="store_true", help="connect with TLS")
    group.add_argument("--tls-cert-path", metavar="FILE", help="client certificate (PEM)")
    group.add_argument("--tls-key-path", metavar="FILE", help="client private key (PEM)")
    group.add_argument("--tls-ca-path", metavar="FILE", help="server CA certificate (PEM)")
    group.add_argument("--tls-server-name", metavar="NAME", help="server name to verify (SNI)")


def connect_settings(args: argparse.Namespace, environ: Mapping[str, str]) -> ConnectSettings:
    """Merge flags over the environment and the config profile.

    Args:
        args: Parsed arguments holding the connection flags.
        environ: The environment to read ``TEMPORAL_*`` variables from.

    Returns:
        The settings to connect with.

    Raises:
        TailError: The config profile does not load, a TLS file cannot be read, or only one
            of ``--tls-cert-path`` / ``--tls-key-path`` was given.
    """
    try:
        profile = ClientConfigProfile.load(args.profile, override_env_vars=dict(environ))
    except Exception as error:  # the config loader raises several types
        raise TailError(
            f"cannot load the Temporal client configuration: {error}", EXIT_USAGE
        ) from None
    api_key = args.api_key or profile.api_key
    return ConnectSettings(
        address=args.address or profile.address or DEFAULT_ADDRESS,
        namespace=args.namespace or profile.namespace or DEFAULT_NAMESPACE,
        api_key=api_key,
        tls=_tls(args, profile.tls, api_key is not None),
        rpc_metadata=dict(profile.grpc_meta),
    )


def _tls(
    args: argparse.Namespace, profile: ClientConfigTLS | None, has_api_key: bool
) -> bool | TLSConfig:
    flagged = (args.tls_cert_path, args.tls_key_path, args.tls_ca_path, args.tls_server_name)
    if not args.tls and not any(flagged):
        if profile is None:
            return has_api_key  # an API key is only ever sent over TLS
        if profile.disabled:
            return False
    base = profile or ClientConfigTLS()
    cert = _read("--tls-cert-path", args.tls_cert_path, base.client_cert)
    key = _read("--tls-key-path", args.tls_key_path, base.client_private_key)
    if (cert is None) != (key is None):
        raise TailError(
            "a client certificate needs its private key: give both --tls-cert-path and "
            "--tls-key-path (or TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH)",
            EXIT_USAGE,
        )
    return TLSConfig(
        server_root_ca_cert=_read("--tls-ca-path", args.tls_ca_path, base.server_root_ca_cert),
        domain=args.tls_server_name or base.server_name,
        client_cert=cert,
        client_private_key=key,
    )


def _read(option: str, flag: str | None, fallback: _Source | None) -> bytes | None:
    """The bytes of a TLS file: the flag's path if given, else the profile's source."""
    source: _Source | None = Path(flag) if flag else fallback
    if source is None:
        return None
    if isinstance(source, bytes):
        return source
    if isinstance(source, str):
        return source.encode()
    try:
        return source.read_bytes()
    except OSError as error:
        where = option if flag else "the Temporal client configuration"
        raise TailError(
            f"cannot read {source} (from {where}): {error.strerror or error}", EXIT_USAGE
        ) from None


async def connect(settings: ConnectSettings) -> Client:
    """Connect to the server, turning connection failures into one clear message.

    Args:
        settings: Where and how to connect.

    Returns:
        A connected client.

    Raises:
        TailError: The server cannot be reached or refused the connection.
    """
    try:
        return await Client.connect(
            settings.address,
            namespace=settings.namespace,
            api_key=settings.api_key,
            tls=settings.tls,
            rpc_metadata=settings.rpc_metadata,
        )
    except Exception as error:  # connection failures come as RuntimeError or RPCError
        detail = str(error).removeprefix("Failed client connect: ")
        raise TailError(
            f"cannot connect to Temporal at {settings.address} (namespace "
            f"{settings.namespace!r}): {detail}"
        ) from None
