"""Raw nginx gateways judged by what they serve (issue 13): the certificate read from the secret
volume (no-self-signed-in-production), the gateway's own authentication (auth-required), and
OnlineEndpoint's mode contradicted by a flag (single-auth-mode)."""

from __future__ import annotations

import pytest

from secure_scoring.policy import nginx_conf
from secure_scoring.policy.props import UNKNOWN
from support.policy_rules import R, b64, check, gateway_group, judged, make_certs, notes

OPEN_CONF = """\
events {}
http {
    server {
        listen 443 ssl;
        ssl_certificate /etc/nginx/secure-scoring/tls.crt;
        ssl_certificate_key /etc/nginx/secure-scoring/tls.key;
        location / { proxy_pass http://127.0.0.1:5001; }
    }
}
"""


def _with_cert(group, pem):
    group["volumes"][0]["secret"]["tls.crt"] = b64(pem) if isinstance(pem, str) else pem
    return group


def test_a_self_signed_certificate_served_from_the_volume_is_refused_in_production(cert_factory):
    certs = make_certs(cert_factory)
    group = _with_cert(gateway_group(), certs["root"].cert_pem)
    [f] = judged(check("no-self-signed-in-production", R.CONTAINER_GROUP, group))
    assert "tls.crt served by gateway configuration nginx.conf" in f.message and "self-signed" in f.message


def test_a_ca_issued_certificate_served_from_the_volume_passes(cert_factory):
    certs = make_certs(cert_factory)
    group = _with_cert(gateway_group(), certs["good"].chain_pem())
    assert check("no-self-signed-in-production", R.CONTAINER_GROUP, group) == []


def test_a_served_certificate_not_known_yet_is_a_note():
    group = _with_cert(gateway_group(), UNKNOWN)
    assert notes(check("no-self-signed-in-production", R.CONTAINER_GROUP, group))


def test_a_gateway_without_authentication_fails_auth_required_in_production():
    group = gateway_group(conf=OPEN_CONF)
    [f] = judged(check("auth-required", R.CONTAINER_GROUP, group))
    assert "checks no credential" in f.message


@pytest.mark.parametrize(
    "check_line",
    [
        'if ($http_authorization != "Bearer k") { return 401; }',
        "auth_request /auth;",
        'auth_basic "scoring";',
    ],
)
def test_a_gateway_that_checks_a_credential_passes(check_line):
    conf = OPEN_CONF.replace("location / {", "location / { " + check_line)
    assert check("auth-required", R.CONTAINER_GROUP, gateway_group(conf=conf)) == []


def test_our_rendered_gateway_authenticates():
    assert check("auth-required", R.CONTAINER_GROUP, gateway_group()) == []


def test_a_gateway_without_authentication_is_advisory_outside_production():
    from secure_scoring.policy import pack

    levels = pack.enforcement_levels("dev", {})
    assert levels["auth-required"] == "advisory"


def test_served_certificates_reads_the_volume(cert_factory):
    certs = make_certs(cert_factory)
    group = _with_cert(gateway_group(conf=OPEN_CONF), certs["good"].cert_pem)
    [g], unknown = nginx_conf.gateways(group)
    assert unknown == []
    [(label, cert, key)] = nginx_conf.served_certificates(g, group)
    assert cert == certs["good"].cert_pem and key is not None and "tls.crt" in label


@pytest.mark.parametrize(
    "props",
    [
        {"properties": {"authMode": "Key", "tokenAuthEnabled": True}},
        {"properties": {"authMode": "AMLToken", "keyAuthEnabled": True}},
        {"properties": {"authMode": "AADToken", "authEnabled": True}},
    ],
)
def test_online_endpoint_mode_plus_the_other_flag_is_not_single_auth_mode(props):
    [f] = judged(check("single-auth-mode", R.ONLINE_ENDPOINT, props))
    assert "properties.authMode is" in f.message


@pytest.mark.parametrize(
    "props",
    [
        {"properties": {"authMode": "Key", "keyAuthEnabled": True, "tokenAuthEnabled": False}},
        {"properties": {"authMode": "AMLToken", "tokenAuthEnabled": True}},
    ],
)
def test_online_endpoint_mode_with_its_own_flag_passes(props):
    assert check("single-auth-mode", R.ONLINE_ENDPOINT, props) == []


def test_a_served_certificate_without_its_key_in_the_volume_fails_tls_required():
    # the configuration names a key file the volume does not hold: nginx cannot start TLS
    conf = OPEN_CONF.replace("secure-scoring/tls.key", "secure-scoring/other.key")
    found = judged(check("tls-required", R.CONTAINER_GROUP, gateway_group(conf=conf)))
    assert [f.message for f in found if "no private key" in f.message]
    # no key at all in the volume: not a TLS gateway (the existing finding)
    group = gateway_group(conf=OPEN_CONF)
    del group["volumes"][0]["secret"]["tls.key"]
    assert judged(check("tls-required", R.CONTAINER_GROUP, group))


def test_a_key_outside_the_volume_directory_is_not_judged():
    group = gateway_group(
        conf=OPEN_CONF.replace("/etc/nginx/secure-scoring/tls.key", "/etc/ssl/private/k.pem")
    )
    assert not [f for f in check("tls-required", R.CONTAINER_GROUP, group) if "no private key" in f.message]
    assert check("tls-required", R.CONTAINER_GROUP, gateway_group()) == []
