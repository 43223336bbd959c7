"""cert-expiry on raw container groups as new users write them: the certificate a hand-written TLS
gateway (nginx with its configuration in the secret volume, or caddy/envoy/... ) serves from its
secret volume is judged like any other certificate of the stack."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from support.policy_rules import R, b64, check_stack, ctx, gateway_group, judged, make_certs, notes


@pytest.fixture(scope="module")
def certs(cert_factory):
    return make_certs(cert_factory)


def _group(cert_pem, image="caddy:2"):
    props = gateway_group(image=image)
    props["volumes"][0]["secret"] = {"tls.crt": cert_pem, "tls.key": b64("KEY")}
    return props


@pytest.mark.parametrize("image", ["caddy:2", "haproxy:2.9", "myacr.io/nginx-gw:1"])
def test_expiring_certificate_served_by_a_raw_gateway_is_reported(certs, image):
    [found] = judged(
        check_stack(
            "cert-expiry", [(R.CONTAINER_GROUP, "scorer", _group(b64(certs["soon"].cert_pem), image))]
        )
    )
    assert found.resource_name == "scorer" and "tls.crt in secret volume 'gateway-config'" in found.message
    assert "less than minDays 30" in found.message


def test_expiring_certificate_an_nginx_gateway_names_is_reported(certs):
    props = gateway_group()
    props["volumes"][0]["secret"]["tls.crt"] = b64(certs["expired"].cert_pem)
    [found] = judged(check_stack("cert-expiry", [(R.CONTAINER_GROUP, "scorer", props)]))
    assert "tls.crt served by gateway configuration" in found.message and "expired on" in found.message


def test_valid_gateway_certificate_passes_and_unknown_is_a_note(certs):
    assert check_stack("cert-expiry", [(R.CONTAINER_GROUP, "ok", _group(b64(certs["good"].cert_pem)))]) == []
    found = check_stack("cert-expiry", [(R.CONTAINER_GROUP, "later", _group(UNKNOWN_STRING_VALUE))])
    assert judged(found) == [] and "of 'later'" in notes(found)[0].message


def test_a_components_gateway_is_judged_through_the_component(certs):
    urn = f"urn:pulumi:production::p::{R.ACI_SERVICE}${R.CONTAINER_GROUP}::svc-group"
    child = R.StackResource(
        type=R.CONTAINER_GROUP, name="svc-group", urn=urn, props=_group(b64(certs["soon"].cert_pem))
    )
    rule = R.RULES_BY_NAME["cert-expiry"]
    assert rule.check([child], ctx(rule="cert-expiry")) == []
