"""Props as rules read them: pulumi_policy proxies, secret envelopes (never echoed)."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_STRING_VALUE,
    unknown_checking_proxy,
)

from support.policy_rules import (
    SECRET,
    SECRET_ENVELOPE,
    R,
    aks_compute,
    b64,
    check,
    check_stack,
    extension,
    gateway_group,
    judged,
    make_certs,
)


@pytest.fixture(scope="module")
def certs(cert_factory):
    return make_certs(cert_factory)


# --------------------------------------------------------------------------------------------- proxies, secrets
def test_props_behind_pulumi_policy_proxies_give_the_same_findings():
    props = gateway_group(port=80.0)
    plain_found = check("tls-required", R.CONTAINER_GROUP, props)
    proxied = check("tls-required", R.CONTAINER_GROUP, unknown_checking_proxy(props))
    assert proxied == plain_found and plain_found
    unknown = gateway_group()
    unknown["ipAddress"] = UNKNOWN_STRING_VALUE
    found = check("tls-required", R.CONTAINER_GROUP, unknown_checking_proxy(unknown))
    assert found == [
        R.RuleViolation("tls-required", "could not judge: ipAddress is not known yet", judged=False)
    ]


def test_secret_envelopes_are_unwrapped():
    props = {"tlsEnabled": {**SECRET_ENVELOPE, "value": False}}
    assert judged(check("tls-required", R.ACI_SERVICE, props))


def test_secrets_are_never_echoed(certs):
    """Every rule on insecure resources whose settings hold secrets: no message contains one."""
    group = gateway_group(port=80.0, conf="ssl_protocols TLSv1;" + SECRET)
    group["volumes"][0]["secret"]["tls.key"] = SECRET_ENVELOPE
    resources = [
        (R.CONTAINER_GROUP, "cg", group),
        (
            R.ML_COMPUTE,
            "c",
            aks_compute(
                {
                    "status": "Disabled",
                    "cert": certs["soon"].chain_pem(),
                    "key": SECRET,
                    "cname": "x.example.test",
                }
            ),
        ),
        (
            R.K8S_EXTENSION,
            "e",
            extension(
                {"allowInsecureConnections": "True", "sslCname": "x.example.test"},
                protected={"scoringFe.sslCert": b64(certs["root"].cert_pem), "scoringFe.sslKey": b64(SECRET)},
            ),
        ),
        (R.ONLINE_ENDPOINT, "ep", {"properties": {"authMode": "None", "keys": {"primaryKey": SECRET}}}),
        (R.TLS_SELF_SIGNED, "ss", {"privateKeyPem": SECRET_ENVELOPE, "validityPeriodHours": 1.0}),
        (
            R.ACI_SERVICE,
            "svc",
            {
                "tlsEnabled": False,
                "authMode": "token",
                "tokenAuthEnabled": True,
                "keyAuthEnabled": True,
                "apiKey": SECRET,
                "minTlsVersion": "1.0",
            },
        ),
    ]
    messages = []
    for rule in R.RULES:
        if rule.kind == "resource":
            for t, _, p in resources:
                messages += [f.message for f in check(rule.name, t, p)]
        else:
            messages += [f.message for f in check_stack(rule.name, resources)]
    assert len(messages) >= 10
    for m in messages:
        assert SECRET not in m and b64(SECRET) not in m and "BEGIN" not in m
