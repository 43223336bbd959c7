"""no-self-signed-in-production on raw container groups as new users write them: a TLS proxy other
than nginx (caddy, envoy, haproxy, traefik), or nginx configured inside its image, serves the
certificate of the secret volume it mounts."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from support.policy_rules import R, b64, check, gateway_group, judged, make_certs, notes


@pytest.fixture(scope="module")
def certs(cert_factory):
    return make_certs(cert_factory)


def _proxy_group(image, cert_pem, extra=None):
    props = gateway_group(image=image)
    props["volumes"][0]["secret"] = {"tls.crt": cert_pem, "tls.key": b64("KEY"), **(extra or {})}
    return props


@pytest.mark.parametrize(
    "image", ["caddy:2", "envoyproxy/envoy:v1.30", "haproxy:2.9", "traefik:v3", "myacr.io/nginx-gw:1"]
)
def test_self_signed_certificate_of_a_proxy_without_readable_config_is_refused(certs, image):
    found = judged(
        check(
            "no-self-signed-in-production",
            R.CONTAINER_GROUP,
            _proxy_group(image, b64(certs["root"].cert_pem)),
        )
    )
    assert len(found) == 1
    assert "tls.crt in secret volume 'gateway-config' of gateway 'gateway' is self-signed" in found[0].message


def test_trusted_leaf_of_a_proxy_passes_and_a_client_ca_next_to_it_is_not_judged(certs):
    props = _proxy_group(
        "caddy:2",
        b64(certs["good"].cert_pem + certs["good"].issuer.cert_pem),
        {"client-ca.crt": b64(certs["root"].cert_pem)},
    )
    assert judged(check("no-self-signed-in-production", R.CONTAINER_GROUP, props)) == []


def test_proxy_certificate_not_known_yet_is_a_note():
    found = check(
        "no-self-signed-in-production", R.CONTAINER_GROUP, _proxy_group("caddy:2", UNKNOWN_STRING_VALUE)
    )
    assert judged(found) == [] and "tls.crt" in notes(found)[0].message
