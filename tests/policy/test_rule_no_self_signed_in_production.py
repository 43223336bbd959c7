"""no-self-signed-in-production: pulumi-tls certificates, our components' facts, certificates inline in
AKS v1 compute and the Azure ML extension."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
)

from support.policy_rules import (
    SECRET,
    R,
    aks_compute,
    b64,
    check,
    extension,
    judged,
    make_certs,
    notes,
)


@pytest.fixture(scope="module")
def certs(cert_factory):
    return make_certs(cert_factory)


# --------------------------------------------------------------------------------------------- no-self-signed-in-production
def test_tls_provider_certificates_are_reported(certs):
    found = check("no-self-signed-in-production", R.TLS_SELF_SIGNED, {"validityPeriodHours": 24.0})
    assert "SelfSignedCert is self-signed (stack 'production' is a production stack)" in found[0].message
    found = check(
        "no-self-signed-in-production", R.TLS_LOCALLY_SIGNED, {"caCertPem": "x", "caPrivateKeyPem": SECRET}
    )
    assert "development CA" in found[0].message
    dev = check("no-self-signed-in-production", R.TLS_SELF_SIGNED, {}, stack="dev")
    assert "not a production stack" in dev[0].message  # reported; the pack makes it advisory in dev


@pytest.mark.parametrize(
    ("props", "bad"),
    [
        ({"certificateSource": "pem", "selfSigned": False}, False),
        ({"certificateSource": "microsoft_managed", "selfSigned": False}, False),
        ({"certificateSource": "dev_ca", "selfSigned": False}, True),
        ({"certificateSource": "self_signed", "selfSigned": True}, True),
        ({"certificate_source": "pem", "self_signed": True}, True),
    ],
)
@pytest.mark.parametrize("token", [R.ACI_SERVICE, R.AKS_CLUSTER, R.CERTIFICATE_BUNDLE])
def test_component_certificate_sources(token, props, bad):
    assert bool(judged(check("no-self-signed-in-production", token, props))) is bad


def test_component_environment_production_is_named(certs):
    found = check(
        "no-self-signed-in-production",
        R.CERTIFICATE_BUNDLE,
        {"selfSigned": True, "environment": "production"},
        stack="dev",
    )
    assert "declares environment production" in found[0].message
    assert notes(
        check("no-self-signed-in-production", R.CERTIFICATE_BUNDLE, {"selfSigned": UNKNOWN_BOOLEAN_VALUE})
    )


def test_inline_certificates_self_signed(certs):
    self_signed = aks_compute(
        {"status": "Enabled", "cert": certs["root"].cert_pem, "key": SECRET, "cname": "x"}
    )
    assert judged(check("no-self-signed-in-production", R.ML_COMPUTE, self_signed))
    ca_issued = aks_compute(
        {"status": "Enabled", "cert": certs["good"].chain_pem(), "key": SECRET, "cname": "x"}
    )
    assert check("no-self-signed-in-production", R.ML_COMPUTE, ca_issued) == []
    ext = extension(
        protected={"scoringFe.sslCert": b64(certs["root"].cert_pem), "scoringFe.sslKey": b64(SECRET)}
    )
    assert (
        "scoringFe.sslCert is self-signed"
        in judged(check("no-self-signed-in-production", R.K8S_EXTENSION, ext))[0].message
    )
    ext_ok = extension(
        protected={"scoringFe.sslCert": b64(certs["good"].chain_pem()), "scoringFe.sslKey": b64(SECRET)}
    )
    assert check("no-self-signed-in-production", R.K8S_EXTENSION, ext_ok) == []
