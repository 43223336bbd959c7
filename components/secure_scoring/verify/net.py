"""Connections of the verifier: TCP to the one resolved address, TLS with SNI, readable reasons."""

from __future__ import annotations

import socket
import ssl

__all__ = ["connect", "ssl_reason", "tls_connect"]


def connect(address: str, port: int, timeout: float) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


def tls_connect(address: str, port: int, host: str, ctx: ssl.SSLContext, timeout: float) -> ssl.SSLSocket:
    """TLS to ``address`` (the resolved IP) with SNI and hostname check against ``host``."""
    sock = connect(address, port, timeout)
    try:
        return ctx.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise


def ssl_reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return exc.verify_message or str(exc)
    if isinstance(exc, ssl.SSLError):
        return exc.reason or exc.strerror or str(exc)
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer in time"
    return str(exc) or type(exc).__name__
