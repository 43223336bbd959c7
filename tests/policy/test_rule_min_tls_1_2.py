"""min-tls-1-2: our components' minTlsVersion fact and the gateway's nginx ssl_protocols; the
minVersion config."""

from __future__ import annotations

import pytest

from support.policy_rules import (
    R,
    b64,
    check,
    gateway_group,
    judged,
)


# --------------------------------------------------------------------------------------------- min-tls-1-2
@pytest.mark.parametrize(
    ("version", "bad"),
    [
        ("1.2", False),
        ("1.3", False),
        ("TLSv1.3", False),
        ("1.1", True),
        ("1.0", True),
        ("TLS1_0", True),
        (None, True),
    ],
)
def test_min_tls_components(version, bad):
    props = {"tlsEnabled": True} if version is None else {"tlsEnabled": True, "minTlsVersion": version}
    assert bool(judged(check("min-tls-1-2", R.ACI_SERVICE, props))) is bad


def test_min_tls_threshold_config():
    assert check(
        "min-tls-1-2",
        R.AKS_CLUSTER,
        {"tlsEnabled": True, "minTlsVersion": "1.2"},
        config={"minVersion": "1.3"},
    )


def test_min_tls_gateway_configuration():
    assert check("min-tls-1-2", R.CONTAINER_GROUP, gateway_group()) == []  # the project's own renderer
    weak = "events {}\nhttp { server { listen 443 ssl;\n  ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n } }\n"
    found = judged(check("min-tls-1-2", R.CONTAINER_GROUP, gateway_group(conf=weak)))
    assert (
        found[0].message
        == "gateway configuration nginx.conf (volume 'gateway-config') enables TLSv1, TLSv1.1 (below TLS 1.2)"
    )


@pytest.mark.parametrize(
    ("conf", "expected"),
    [
        # one line: directives end at `;`, not at the end of a line
        (
            "events {} http { server { listen 443 ssl; ssl_certificate /etc/tls/tls.crt; "
            "ssl_certificate_key /etc/tls/tls.key; ssl_protocols TLSv1 TLSv1.2; location / { "
            "proxy_pass http://127.0.0.1:5001; } } }",
            ["enables TLSv1 (below TLS 1.2)"],
        ),
        # a directive spread over lines, after another one on the same line
        (
            "http { server { listen 443 ssl; server_name a.example.test; ssl_protocols\n  TLSv1.1\n  TLSv1.2; } }",
            ["enables TLSv1.1 (below TLS 1.2)"],
        ),
        # comments are not directives; quoted `;`, `{` and `}` do not split or open blocks
        (
            "http { # ssl_protocols TLSv1;\n server { listen 443 ssl; ssl_protocols TLSv1.2 TLSv1.3;\n"
            '  location / { return 401 \'{"error": "x"; }\'; } } }',
            [],
        ),
        # inherited from http: fine
        ("http { ssl_protocols TLSv1.2 TLSv1.3; server { listen 443 ssl; } }", []),
        # ssl listener without any ssl_protocols: the build/version default decides
        (
            "events {} http { server { listen 443 ssl; ssl_certificate /etc/tls/tls.crt; } }",
            [
                "has ssl listeners but no ssl_protocols directive: nginx's default depends on its version and "
                "build (older ones allow TLSv1 and TLSv1.1); set ssl_protocols TLSv1.2 TLSv1.3"
            ],
        ),
        # the deprecated `ssl on;` makes the server a TLS server too
        ("http { server { listen 443; ssl on; } }", ["has ssl listeners but no ssl_protocols"]),
        # no TLS server at all: min-tls has nothing to judge (tls-required judges plain listeners)
        ("http { server { listen 8080; } }", []),
    ],
)
def test_min_tls_reads_nginx_directives_not_lines(conf, expected):
    found = judged(check("min-tls-1-2", R.CONTAINER_GROUP, gateway_group(conf=conf)))
    assert len(found) == len(expected), [f.message for f in found]
    for f, text in zip(found, expected, strict=True):
        assert f.message.startswith("gateway configuration nginx.conf (volume 'gateway-config') ")
        assert text in f.message


def test_min_tls_follows_includes_of_files_in_the_secret_volumes():
    group = gateway_group(
        conf="events {} http { include /etc/nginx/secure-scoring/tls-*.conf; server { listen 443 ssl; } }"
    )
    files = group["volumes"][0]["secret"]
    files["tls-params.conf"] = b64("ssl_protocols TLSv1.2 TLSv1.3;")
    assert judged(check("min-tls-1-2", R.CONTAINER_GROUP, group)) == []
    files["tls-params.conf"] = b64("ssl_protocols TLSv1 TLSv1.2;")
    [found] = judged(check("min-tls-1-2", R.CONTAINER_GROUP, group))
    assert (
        found.message
        == "gateway configuration tls-params.conf (volume 'gateway-config') enables TLSv1 (below TLS 1.2)"
    )
    # an include the volumes do not hold cannot be seen: the TLS server has no ssl_protocols we can read
    del files["tls-params.conf"]
    [found] = judged(check("min-tls-1-2", R.CONTAINER_GROUP, group))
    assert "no ssl_protocols directive" in found.message


# --------------------------------------------------------------------------------------------- issue 11: TLS floor
@pytest.mark.parametrize("token", [R.ACI_SERVICE, R.AKS_CLUSTER])
@pytest.mark.parametrize(
    ("fact", "floor", "bad"), [("1.3", "1.3", False), ("1.2", "1.3", True), ("1.3", "1.2", False)]
)
def test_min_tls_compares_a_1_3_fact_with_a_1_3_floor(token, fact, floor, bad):
    """A gateway configured with min_tls_version "1.3" registers minTlsVersion "1.3": a pack with
    minVersion 1.3 reports nothing (regression: the fact used to say 1.2, a false violation)."""
    props = {"tlsEnabled": True, "minTlsVersion": fact, "platform": "aci"}
    found = judged(check("min-tls-1-2", token, props, config={"minVersion": floor}))
    if bad:
        assert [f.message for f in found] == [f"minTlsVersion {fact} allows TLS below {floor}"]
    else:
        assert found == []
    outputs = {"tls_enabled": True, "min_tls_version": fact}  # the registered outputs' spelling
    assert judged(check("min-tls-1-2", token, outputs, config={"minVersion": floor})) == found


def test_min_tls_gateway_tls13_only_passes_a_1_3_floor():
    group = gateway_group(conf="http { server { listen 443 ssl; ssl_protocols TLSv1.3; } }")
    assert judged(check("min-tls-1-2", R.CONTAINER_GROUP, group, config={"minVersion": "1.3"})) == []
    group = gateway_group(conf="http { server { listen 443 ssl; ssl_protocols TLSv1.2 TLSv1.3; } }")
    [found] = judged(check("min-tls-1-2", R.CONTAINER_GROUP, group, config={"minVersion": "1.3"}))
    assert found.message.endswith("enables TLSv1.2 (below TLS 1.3)")


def test_min_version_enum_is_the_supported_floors():
    from secure_scoring import tls_versions

    schema = R.RULES_BY_NAME["min-tls-1-2"].config_schema["minVersion"]
    assert schema["enum"] == list(tls_versions.SUPPORTED_FLOORS) == ["1.2", "1.3"]
    assert schema["default"] == tls_versions.DEFAULT_FLOOR
