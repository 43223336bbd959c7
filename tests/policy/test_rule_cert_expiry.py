"""cert-expiry (stack rule): CertificateBundle, components, pulumi-tls certificates, inline PEM;
minDays; unknowns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
)

from support.policy_rules import (
    NOW,
    SECRET,
    R,
    aks_compute,
    b64,
    check_stack,
    extension,
    iso,
    judged,
    make_certs,
    notes,
)


@pytest.fixture(scope="module")
def certs(cert_factory):
    return make_certs(cert_factory)


# --------------------------------------------------------------------------------------------- cert-expiry (stack)


def test_cert_expiry_bundle_and_components():
    res = [
        (R.CERTIFICATE_BUNDLE, "soon", {"not_after": iso(10)}),
        (R.CERTIFICATE_BUNDLE, "fine", {"notAfter": iso(90)}),
        (R.ACI_SERVICE, "svc", {"certificate_not_after": iso(-1)}),
    ]
    found = check_stack("cert-expiry", res)
    assert [(f.resource_name, f.message) for f in found] == [
        (
            "soon",
            f"the certificate (not_after) expires on {(NOW + timedelta(days=10)).strftime('%Y-%m-%d %H:%M UTC')}, in 10 days (less than minDays 30)",
        ),
        (
            "svc",
            f"the certificate (certificate_not_after) expired on {(NOW - timedelta(days=1)).strftime('%Y-%m-%d %H:%M UTC')}, 1 day ago",
        ),
    ]
    assert [f.resource_name for f in check_stack("cert-expiry", res, config={"minDays": 5})] == ["svc"]
    # days in words: "N days ago" / "in N days", never a negative count
    res2 = [
        (R.CERTIFICATE_BUNDLE, "old", {"not_after": iso(-2153)}),
        (R.CERTIFICATE_BUNDLE, "now", {"not_after": iso(0.5)}),
    ]
    old, now = check_stack("cert-expiry", res2)
    assert old.message.endswith(", 2153 days ago") and "-" not in old.message.split("UTC")[1]
    assert now.message.endswith(", in less than a day (less than minDays 30)")
    assert [f.resource_name for f in check_stack("cert-expiry", res, config={"minDays": 120})] == [
        "soon",
        "fine",
        "svc",
    ]


def test_cert_expiry_reads_real_pem(certs):
    res = [
        (R.TLS_LOCALLY_SIGNED, "soon", {"certPem": certs["soon"].cert_pem, "validityPeriodHours": 99999.0}),
        (R.TLS_LOCALLY_SIGNED, "good", {"certPem": certs["good"].cert_pem}),
        (
            R.ML_COMPUTE,
            "old",
            aks_compute(
                {"status": "Enabled", "cert": certs["expired"].chain_pem(), "key": SECRET, "cname": "x"}
            ),
        ),
        (
            R.K8S_EXTENSION,
            "ext",
            extension(
                protected={"scoringFe.sslCert": b64(certs["soon"].chain_pem()), "scoringFe.sslKey": "k"}
            ),
        ),
    ]
    found = check_stack("cert-expiry", res)
    # the extension serves the same certificate as 'soon': one finding, at the certificate (issue 13)
    assert [(f.resource_name, f.message.split(" expire")[0]) for f in found] == [
        ("soon", "the certificate (certPem)"),
        ("old", "the certificate (sslConfiguration.cert)"),
    ]
    assert found[0].message.endswith("; it is also used by Extension 'ext'")


def test_one_expiring_certificate_shared_by_many_resources_is_one_finding(certs):
    shared = certs["soon"].cert_pem
    res = [(R.TLS_LOCALLY_SIGNED, "tls", {"certPem": shared})] + [
        (
            R.ML_COMPUTE,
            f"svc{i}",
            aks_compute({"status": "Enabled", "cert": shared, "key": SECRET, "cname": "x"}),
        )
        for i in range(5)
    ]
    [f] = check_stack("cert-expiry", res)
    assert f.resource_name == "tls"
    assert all(f"Compute 'svc{i}'" in f.message for i in range(5))


def test_cert_expiry_validity_period_and_unknowns():
    res = [
        (R.TLS_SELF_SIGNED, "day", {"validityPeriodHours": 24.0, "certPem": UNKNOWN_STRING_VALUE}),
        (R.TLS_SELF_SIGNED, "year", {"validityPeriodHours": 8760.0, "certPem": UNKNOWN_STRING_VALUE}),
        (
            R.TLS_SELF_SIGNED,
            "new",
            {"validityPeriodHours": UNKNOWN_NUMBER_VALUE, "certPem": UNKNOWN_STRING_VALUE},
        ),
    ]
    found = check_stack("cert-expiry", res)
    assert [f.resource_name for f in judged(found)] == ["day"]
    assert notes(found)[0].message == "could not judge: certPem of 'new' not known yet"
