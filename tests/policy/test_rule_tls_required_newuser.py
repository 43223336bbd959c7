"""tls-required on raw resources as new users write them (hand-written azure-native programs)."""

from __future__ import annotations

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from support.policy_rules import R, check, extension, judged, notes


def test_extension_certificate_in_an_ssl_secret_is_tls():
    # Azure ML's extension takes the certificate and key from a Kubernetes secret named by `sslSecret`
    # (cert.pem/key.pem in the azureml namespace) as an alternative to scoringFe.sslCert/sslKey
    props = extension({"sslSecret": "scoring-tls"}, protected={})
    assert judged(check("tls-required", R.K8S_EXTENSION, props)) == []


def test_extension_without_certificate_names_the_ssl_secret_alternative():
    found = judged(check("tls-required", R.K8S_EXTENSION, extension({"sslSecret": ""}, protected={})))
    assert len(found) == 1 and "sslSecret" in found[0].message


def test_extension_ssl_secret_not_known_is_a_note():
    found = check(
        "tls-required", R.K8S_EXTENSION, extension({"sslSecret": UNKNOWN_STRING_VALUE}, protected={})
    )
    assert judged(found) == [] and notes(found)
