"""The TLS steps (components/secure_scoring/verify/tls.py): certificate chain, hostname and
expiry against real gateways serving other-host, expired and full-chain certificates."""

from __future__ import annotations

from pathlib import Path

import pytest

from secure_scoring.verify import FAIL, PASS, SKIP, WARN, tls, verify
from support.certs import CertFactory
from support.fixtures_dataplane import HOSTNAME, PRIMARY_KEY
from support.fixtures_verify import assert_only_failure

dataplane = pytest.mark.dataplane  # on the tests that start or use real servers


@dataplane
def test_certificate_expiring_within_min_days_warns_but_passes(secure_dns):
    report = secure_dns.verify("secure", min_days=1000)
    step = report.step("certificate-expiry")
    assert step.status == WARN and "under the 1000-day threshold" in step.detail
    assert "certificate-renewal" in step.fix
    assert report.ok and report.exit_code == 0


@dataplane
def test_certificate_for_another_host(secure_dns):
    report = secure_dns.verify("other-host")
    assert_only_failure(report, "certificate-hostname", "other.example.test", f"not {HOSTNAME}")
    assert report.step("certificate-chain").status == PASS
    assert report.step("certificate-expiry").status == PASS
    # the key is never sent to a server whose certificate did not verify
    assert report.step("auth-credential").status == SKIP
    assert "was not sent" in report.step("auth-credential").detail
    assert f"covers {HOSTNAME} (or a *.{HOSTNAME.partition('.')[2]} wildcard)" in (
        report.step("certificate-hostname").fix
    )


@dataplane
def test_hostname_fix_suggests_only_what_can_cover_the_host(verify_env):
    """An IP URL needs an IP entry (a wildcard never covers an address: no '*.0.0.1'), and a
    one-label name such as localhost has no valid wildcard ('*.')."""
    port = verify_env.gateways["other-host"].port
    common = {"ca_bundle": verify_env.pki.ca_bundle_path, "key": PRIMARY_KEY, "timeout": 3}
    report = verify(f"https://127.0.0.1:{port}/score", **common)
    fix = report.step("certificate-hostname").fix
    assert report.step("certificate-hostname").status == FAIL
    assert "subjectAltName holds IP:127.0.0.1" in fix and "--connect-to 127.0.0.1" in fix
    assert "*." not in fix
    report = verify(f"https://localhost:{port}/score", connect_to="127.0.0.1", **common)
    fix = report.step("certificate-hostname").fix
    assert report.step("certificate-hostname").status == FAIL
    assert "covers localhost, or use the name" in fix and "*." not in fix


@dataplane
def test_expired_certificate(secure_dns):
    report = secure_dns.verify("expired")
    # valid for -3 days from 40 days ago: expired 43 days and a few seconds ago, so days left is the
    # floor, -44, the figure cert check's JSON gives (the old "43 days ago" contradicted it)
    assert_only_failure(report, "certificate-expiry", "expired on", "(days left: -44)")
    assert "ago" not in report.step("certificate-expiry").detail
    assert report.step("certificate-chain").status == PASS
    assert report.step("certificate-hostname").status == PASS
    assert report.step("auth-credential").status == SKIP


@dataplane
def test_untrusted_chain_without_the_private_ca(secure_dns):
    # the system trust store does not know the test root
    report = secure_dns.verify("secure", ca_bundle=None)
    assert_only_failure(report, "certificate-chain", "cannot be found in the system's trust store")
    assert "--ca-bundle" in report.step("certificate-chain").fix
    assert report.step("auth-credential").status == SKIP


@pytest.fixture(scope="module")
def other_root_bundle(tmp_path_factory) -> Path:
    """A CA bundle with an unrelated root: the wrong file passed to --ca-bundle."""
    directory = tmp_path_factory.mktemp("other-root")
    bundle = directory / "other-ca.pem"
    bundle.write_text(CertFactory(directory).ca("Unrelated Root CA").cert_pem)
    return bundle


@dataplane
def test_wrong_ca_bundle_names_the_missing_root_not_an_incomplete_chain(secure_dns, other_root_bundle):
    """The server sends leaf + intermediate; the CA bundle holds another root. The fix used to say
    'serve the full chain', which the server already does: it must name the root the bundle lacks."""
    report = secure_dns.verify("secure", ca_bundle=str(other_root_bundle))
    assert_only_failure(
        report,
        "certificate-chain",
        "the chain the server sent ends at CN=Test Intermediate CA, whose issuer CN=Test Root CA "
        f"cannot be found in the CA bundle {other_root_bundle}",
    )
    fix = report.step("certificate-chain").fix
    assert f"--ca-bundle {other_root_bundle} does not hold CN=Test Root CA" in fix
    assert "serve the full chain" not in fix
    assert report.step("auth-credential").status == SKIP


class _FullChain:
    """A leaf whose chain PEM includes the root: the server sends the root too."""

    def __init__(self, leaf) -> None:
        self.leaf = leaf
        self.key_pem = leaf.key_pem

    def chain_pem(self) -> str:
        return self.leaf.full_chain_pem()


@dataplane
def test_root_sent_by_the_server_but_missing_from_the_ca_bundle_is_named(
    verify_env, make_gateway, other_root_bundle
):
    gateway = make_gateway(cert=_FullChain(verify_env.pki.leaf))
    common = {"connect_to": "127.0.0.1", "key": PRIMARY_KEY, "timeout": 3}
    url = f"https://{HOSTNAME}:{gateway.port}/score"
    report = verify(url, ca_bundle=str(other_root_bundle), **common)
    step = report.step("certificate-chain")
    assert step.status == FAIL
    assert f"the chain ends in a root CN=Test Root CA that the CA bundle {other_root_bundle}" in step.detail
    # the file was given: 'pass your private root with --ca-bundle' alone would send the user in circles
    assert f"--ca-bundle {other_root_bundle} does not hold this root" in step.fix
    assert "CN=Test Root CA" in step.fix
    report = verify(url, ca_bundle=str(verify_env.pki.ca_bundle_path), **common)
    assert report.ok, report.to_dict()


def test_expiry_step_uses_the_same_days_as_cert_check():
    from datetime import UTC, datetime, timedelta

    from secure_scoring.certs.facts import days_left

    now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    after = now - timedelta(days=3, hours=1)
    assert days_left(after, now) == -4
    step = tls.expiry_step(after - timedelta(days=90), after, 30, None, now)
    assert step.status == FAIL and step.detail.endswith("(days left: -4)"), step.detail
