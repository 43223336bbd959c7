"""cert-hostname-match with a hand-written container group whose TLS proxy is not nginx-readable
(caddy, envoy, ..., nginx configured in its image): a record pointing at it is judged against the
certificate of the secret volume the proxy mounts (it was "no certificate in this stack")."""

from __future__ import annotations

import pytest

from support.policy_rules import R, b64, check_stack, gateway_group, judged, make_certs, record


def _caddy_group(pem, image="caddy:2"):
    props = gateway_group(image=image)
    props["volumes"][0]["secret"] = {"tls.crt": b64(pem), "tls.key": b64("KEY")}
    props["ipAddress"] = {
        **props["ipAddress"],
        "fqdn": "scoring.westeurope.azurecontainer.io",
        "ip": "20.50.0.4",
    }
    return (R.CONTAINER_GROUP, "scoring", props)


@pytest.mark.parametrize("image", ["caddy:2", "envoyproxy/envoy:v1.30", "myacr.io/nginx-gw:1"])
def test_records_to_a_proxy_are_judged_against_its_volume_certificate(cert_factory, image):
    group = _caddy_group(make_certs(cert_factory)["good"].chain_pem(), image)
    assert judged(check_stack("cert-hostname-match", [group, record("scoring", a="20.50.0.4")])) == []
    cname = record("scoring", cname="scoring.westeurope.azurecontainer.io")
    assert judged(check_stack("cert-hostname-match", [group, cname])) == []
    [f] = judged(check_stack("cert-hostname-match", [group, record("other", a="20.50.0.4")]))
    assert "other.example.test is not covered by the certificate served at its target 20.50.0.4" in f.message
