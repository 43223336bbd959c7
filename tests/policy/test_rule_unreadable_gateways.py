"""auth-required and min-tls-1-2 on a raw container group whose TLS proxy's configuration the pack
cannot read (caddy, envoy, haproxy, traefik, or nginx configured inside its image): a could-not-judge
note naming the gateway and pointing at `verify`, never a silent pass; an nginx gateway whose
configuration is in the secret volume is judged as before, without the note."""

from __future__ import annotations

import pytest

from support.policy_rules import R, b64, check, gateway_group, judged, notes


def _proxy_group(image: str) -> dict:
    props = gateway_group(image=image)
    props["volumes"][0]["secret"] = {"tls.crt": b64("CERT"), "tls.key": b64("KEY")}
    return props


@pytest.mark.parametrize("rule", ["auth-required", "min-tls-1-2"])
@pytest.mark.parametrize("image", ["caddy:2", "envoyproxy/envoy:v1.30", "myacr.io/nginx-gw:1"])
def test_a_proxy_whose_configuration_is_not_readable_is_a_note(rule, image) -> None:
    found = check(rule, R.CONTAINER_GROUP, _proxy_group(image))
    assert judged(found) == []
    [only] = notes(found)
    assert "gateway 'gateway'" in only.message and "configuration is not readable" in only.message
    assert "secure-scoring verify" in only.message


@pytest.mark.parametrize("rule", ["auth-required", "min-tls-1-2"])
def test_an_nginx_gateway_with_its_configuration_in_the_volume_gets_no_such_note(rule) -> None:
    found = check(rule, R.CONTAINER_GROUP, gateway_group())  # our rendered nginx.conf: key check, TLS 1.2+
    assert found == []


def test_a_group_without_a_tls_proxy_gets_no_note() -> None:
    props = gateway_group(image="myacr.io/scorer:1")
    props["volumes"] = []
    assert check("auth-required", R.CONTAINER_GROUP, props) == []


def test_a_proxy_image_without_a_certificate_serves_no_tls_and_gets_no_note() -> None:
    """`image="nginx"` on port 80 with no secret volume: tls-required refuses it; no note about a
    gateway configuration that does not exist."""
    props = gateway_group(image="nginx", port=80.0)
    props["volumes"] = []
    for container in props["containers"]:
        container.pop("volumeMounts", None)
    assert check("auth-required", R.CONTAINER_GROUP, props) == []
    assert check("min-tls-1-2", R.CONTAINER_GROUP, props) == []
