"""``secure-scoring verify`` against real parts on loopback: the shared gateways and helpers.

Real nginx gateways (``secure_scoring.dataplane.local.NginxGateway``) in front of the real Azure ML inference
server, a real authoritative DNS server (NSD) serving the test zone, openssl-made certificates.
The secure gateway passes every step; each insecure variant is caught by the right step with the
right message (tests/verify/test_verify_<step module>.py). Insecure nginx configurations the renderer
refuses to produce (TLS 1.0 enabled, a plain-HTTP listener) are derived here from the rendered
configuration by string substitution.

``verify_env`` (session scope): the gateways ``secure``, ``other-host``, ``expired``, ``auth-off``,
``any-credential`` (only checks that an Authorization header is there), ``tls10`` and ``plain``, started once; ``verify_env.point(records)`` sets the test zone's records and
``verify_env.verify(gateway_name, **kwargs)`` runs :func:`secure_scoring.verify.verify` against one.
``secure_dns``: ``verify_env`` with ``scoring.example.test A 127.0.0.1``.

Every DNS record points into 127.0.0.0/8: nothing leaves the machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from secure_scoring.verify import FAIL, STEP_NAMES, VerifyReport, verify
from support.certs import CertFactory
from support.fixtures_dataplane import HOSTNAME, PRIMARY_KEY, SECONDARY_KEY

# the fixtures; the helpers below are imported by name
__all__ = ["secure_dns", "verify_env"]

ZONE = "example.test"
ACI_ZONE = "eastus.azurecontainer.io"
ACI_FQDN = f"scoring-abc123.{ACI_ZONE}"
ALL_PASS_STEPS = [n for n in STEP_NAMES if n != "http-port"]


def derived_gateway_class():
    from secure_scoring.dataplane.local import NginxGateway

    class DerivedConfigGateway(NginxGateway):
        """NginxGateway whose rendered nginx.conf is changed by ``transform`` before ``nginx -t``.

        Test-only: it builds the insecure servers the renderer refuses to render.
        """

        def __init__(self, *args, transform, **kwargs):
            super().__init__(*args, **kwargs)
            self._transform = transform

        def _write_files(self) -> None:
            super()._write_files()
            original = self.config_path.read_text()
            changed = self._transform(original)
            assert changed != original, "the substitution did not match the rendered configuration"
            self.config_path.write_text(changed)

    return DerivedConfigGateway


def enable_tls10(conf: str) -> str:
    conf, n = re.subn(r"ssl_protocols [^;]+;", "ssl_protocols TLSv1 TLSv1.1 TLSv1.2;", conf)
    assert n == 1
    # the Mozilla suites are TLS 1.2-only (AEAD); TLS 1.0/1.1 need CBC suites and security level 0
    conf, n = re.subn(r"ssl_ciphers [^;]+;", "ssl_ciphers ALL:@SECLEVEL=0;", conf)
    assert n == 1
    return conf


def accept_any_credential(conf: str) -> str:
    """The gateway's key map says "authorized" for any Authorization header (only an absent one is 0)."""
    conf, n = re.subn(
        r"(map \$http_authorization \$secure_scoring_authorized \{\s*)default 0;",
        r'\1default 1;\n        "" 0;',
        conf,
    )
    assert n == 1
    return conf


def serve_plain_http(conf: str) -> str:
    conf, n = re.subn(r"(listen \S+) ssl( default_server;)", r"\1\2", conf)
    assert n == 1
    return conf


def by_name(report: VerifyReport) -> dict[str, str]:
    return {s.name: s.status for s in report.steps}


def assert_only_failure(report: VerifyReport, step: str, *needles: str) -> None:
    failed = [s.name for s in report.steps if s.status == FAIL]
    assert failed == [step], f"expected only {step} to fail, got {failed}: {report.to_dict()}"
    detail = report.step(step).detail
    for needle in needles:
        assert needle in detail, f"{needle!r} not in {detail!r}"
    assert report.step(step).fix, "a failure must say how to fix it"
    assert not report.ok


class Env:
    def __init__(self, dns, pki, gateways):
        self.dns = dns
        self.pki = pki
        self.gateways = gateways

    def url(self, name: str, host: str = HOSTNAME, path: str = "/score") -> str:
        return f"https://{host}:{self.gateways[name].port}{path}"

    def verify(self, name: str, **kwargs) -> VerifyReport:
        kwargs.setdefault("dns_server", self.dns.nameserver)
        kwargs.setdefault("ca_bundle", self.pki.ca_bundle_path)
        kwargs.setdefault("key", PRIMARY_KEY)
        kwargs.setdefault("timeout", 3.0)
        return verify(self.url(name, kwargs.pop("host", HOSTNAME)), **kwargs)

    def point(self, *records) -> None:
        self.dns.set_records(ZONE, list(records))


@pytest.fixture(scope="session")
def verify_env(make_gateway, inference_server, dns_server, pki, tmp_path_factory) -> Iterator[Env]:
    from support.requirements import require_binary

    nginx = require_binary("nginx")
    from secure_scoring.dataplane.gateway import GatewaySettings

    certs = CertFactory(tmp_path_factory.mktemp("verify-certs"))
    other_host = certs.leaf(pki.inter, ["other.example.test"])
    expired = certs.leaf(pki.inter, [HOSTNAME, "localhost"], days=-3, not_before_days_ago=40)
    derived = derived_gateway_class()

    def insecure(transform):
        settings = GatewaySettings(
            hostnames=(HOSTNAME, "localhost"), upstream=inference_server.address, private_ca=True
        )
        gw = derived(
            settings,
            cert_pem=pki.leaf.chain_pem(),
            key_pem=pki.leaf.key_pem,
            primary_key=PRIMARY_KEY,
            secondary_key=SECONDARY_KEY,
            nginx=nginx,
            transform=transform,
        )
        return gw.start()

    gateways = {}
    try:
        gateways["secure"] = make_gateway()
        gateways["other-host"] = make_gateway(cert=other_host)
        gateways["expired"] = make_gateway(cert=expired)
        gateways["auth-off"] = make_gateway(auth_mode="none")
        gateways["any-credential"] = insecure(accept_any_credential)
        gateways["tls10"] = insecure(enable_tls10)
        gateways["plain"] = insecure(serve_plain_http)
        yield Env(dns_server, pki, gateways)
    finally:
        for gw in gateways.values():
            gw.stop()


@pytest.fixture()
def secure_dns(verify_env: Env) -> Env:
    verify_env.point(("scoring", "A", 60, "127.0.0.1"))
    return verify_env
