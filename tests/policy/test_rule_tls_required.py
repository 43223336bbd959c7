"""tls-required: container groups (ports, gateway, nginx listeners), AKS v1 compute, the Azure ML
extension and our components; unknowns and config overrides."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_STRING_VALUE,
)

from support.policy_rules import (
    SECRET,
    R,
    aks_compute,
    b64,
    check,
    extension,
    gateway_group,
    judged,
    notes,
)


# --------------------------------------------------------------------------------------------- tls-required
def test_container_group_with_gateway_on_443_is_compliant():
    assert check("tls-required", R.CONTAINER_GROUP, gateway_group()) == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"port": 80.0}, "public port 80 is exposed"),
        ({"port": 443.0, "proto": "UDP"}, "port 443/UDP cannot carry TLS"),
        ({"port": 8080.0, "ip_type": "Private"}, "private port 8080 is exposed"),
    ],
)
def test_container_group_plain_ports_are_violations(kwargs, expected):
    found = check("tls-required", R.CONTAINER_GROUP, gateway_group(**kwargs))
    assert any(expected in f.message for f in judged(found)), found
    assert all(".0" not in f.message for f in found)  # floats are printed as port numbers


def test_container_group_without_tls_gateway():
    props = gateway_group(image="myregistry.azurecr.io/scorer:1")
    found = judged(check("tls-required", R.CONTAINER_GROUP, props))
    assert [f.message for f in found] == [
        "no TLS gateway on port 443: no container serves it over TCP with a TLS proxy (nginx, envoy, ...) and a secret volume holding a certificate and a key"
    ]
    no_volume = gateway_group()
    no_volume["volumes"] = []
    assert judged(check("tls-required", R.CONTAINER_GROUP, no_volume))


def test_container_group_without_ip_is_not_reachable():
    props = gateway_group()
    del props["ipAddress"]
    assert check("tls-required", R.CONTAINER_GROUP, props) == []


def test_container_group_allowed_ports_config():
    props = gateway_group(port=8443.0)
    assert [f.message for f in judged(check("tls-required", R.CONTAINER_GROUP, props))] == [
        "public port 8443 is exposed; only HTTPS on 443 is allowed"
    ]
    # allowed now, but the gateway serves 443 only: 8443 would be plain
    found = judged(check("tls-required", R.CONTAINER_GROUP, props, config={"allowedPorts": [443, 8443]}))
    assert [f.message.split(":")[0] for f in found] == ["no TLS gateway on port 8443"]
    props["containers"][1]["ports"].append({"port": 8443.0, "protocol": "TCP"})
    assert check("tls-required", R.CONTAINER_GROUP, props, config={"allowedPorts": [443, 8443]}) == []


def test_container_group_unknowns_are_notes_not_violations():
    props = gateway_group()
    props["ipAddress"]["ports"] = UNKNOWN_ARRAY_VALUE
    found = check("tls-required", R.CONTAINER_GROUP, props)
    assert (
        judged(found) == [] and notes(found)[0].message == "could not judge: ipAddress.ports is not known yet"
    )
    props = gateway_group()
    props["volumes"][0]["secret"] = UNKNOWN_STRING_VALUE  # secret volume computed from outputs
    found = check("tls-required", R.CONTAINER_GROUP, props)
    assert judged(found) == [] and "TLS gateway" in notes(found)[0].message


@pytest.mark.parametrize(
    ("ssl", "violation"),
    [
        (None, "no properties.properties.sslConfiguration"),
        ({"status": "Disabled"}, "status is Disabled"),
        ({"status": "Enabled"}, "without cert and key and without leafDomainLabel"),
        ({"status": "Auto"}, "leafDomainLabel is not set"),
        ({"status": "Enabled", "cert": "PEM", "key": SECRET, "cname": "scoring.example.test"}, None),
        ({"status": "Enabled", "leafDomainLabel": "scoring", "overwriteExistingDomain": False}, None),
        ({"status": "Auto", "leafDomainLabel": "scoring"}, None),
    ],
)
def test_aks_compute_ssl_configuration(ssl, violation):
    found = judged(check("tls-required", R.ML_COMPUTE, aks_compute(ssl)))
    if violation is None:
        assert found == []
    else:
        assert len(found) == 1 and violation in found[0].message


def test_kubernetes_compute_is_judged_through_the_extension():
    props = {"properties": {"computeType": "Kubernetes", "properties": {"namespace": "azureml"}}}
    assert check("tls-required", R.ML_COMPUTE, props) == []
    assert notes(check("tls-required", R.ML_COMPUTE, aks_compute({"status": UNKNOWN_STRING_VALUE})))


@pytest.mark.parametrize(
    ("props", "violation"),
    [
        (extension(), None),
        (extension({"allowInsecureConnections": "True"}), "allowInsecureConnections is True"),
        (extension({"allowInsecureConnections": "true"}), "allowInsecureConnections is True"),
        (extension(protected={}), "lacks scoringFe.sslCert and scoringFe.sslKey"),
        (extension({"enableInference": "False", "allowInsecureConnections": "True"}), None),
        (extension({"allowInsecureConnections": "True"}, etype="microsoft.flux"), None),
    ],
)
def test_azureml_extension_tls(props, violation):
    found = judged(check("tls-required", R.K8S_EXTENSION, props))
    if violation is None:
        assert found == []
    else:
        assert len(found) == 1 and violation in found[0].message


def test_extension_unknown_settings_are_notes():
    props = extension()
    props["configurationSettings"]["allowInsecureConnections"] = UNKNOWN_STRING_VALUE
    found = check("tls-required", R.K8S_EXTENSION, props)
    assert judged(found) == [] and "allowInsecureConnections" in notes(found)[0].message


@pytest.mark.parametrize("token", [R.ACI_SERVICE, R.AKS_CLUSTER])
def test_component_tls_flag_in_both_spellings(token):
    assert check("tls-required", token, {"tlsEnabled": True}) == []
    assert "TLS off" in judged(check("tls-required", token, {"tlsEnabled": False}))[0].message
    assert "TLS off" in judged(check("tls-required", token, {"tls_enabled": False}))[0].message
    assert judged(check("tls-required", token, {}))  # a scoring component must declare it
    assert notes(check("tls-required", token, {"tlsEnabled": UNKNOWN_BOOLEAN_VALUE}))


def test_other_types_are_not_judged():
    assert (
        check(
            "tls-required", "azure-native:storage:StorageAccount", {"ipAddress": {"ports": [{"port": 80.0}]}}
        )
        == []
    )


@pytest.mark.parametrize(
    ("listens", "bad"),
    [
        ("listen 443;", True),
        ("listen 0.0.0.0:443 default_server;", True),
        ("listen [::]:443 ssl; listen 443;", True),
        ("listen 443 ssl;", False),
        ("listen *:443 ssl http2; listen [::]:443 ssl;", False),
        ("listen 443; ssl on;", False),
        ("listen 443 quic reuseport; listen 443 ssl;", False),
        # other ports are not exposed (ACI exposes only ipAddress.ports): not this check's business
        ("listen 443 ssl; listen 127.0.0.1:8080;", False),
    ],
)
def test_tls_required_needs_ssl_on_every_listen_of_the_exposed_port(listens, bad):
    conf = f"events {{}} http {{ ssl_protocols TLSv1.2 TLSv1.3; server {{ {listens} location / {{ proxy_pass http://127.0.0.1:5001; }} }} }}"
    found = judged(check("tls-required", R.CONTAINER_GROUP, gateway_group(conf=conf)))
    if bad:
        [f] = found
        assert f.message == (
            "gateway configuration nginx.conf (volume 'gateway-config') of gateway 'gateway' listens on port 443 "
            "without ssl: the HTTPS port serves plain HTTP (write `listen 443 ssl;`)"
        )
    else:
        assert found == []


def test_tls_required_reads_only_the_gateways_own_nginx_configuration():
    conf = "http { server { listen 443; } }"
    # an nginx.conf in a volume the gateway does not mount is not its configuration
    group = gateway_group()
    group["volumes"].append({"name": "other", "secret": {"nginx.conf": b64(conf)}})
    assert judged(check("tls-required", R.CONTAINER_GROUP, group)) == []
    # a gateway that is not nginx: its .conf files are not nginx syntax, so they are not judged
    assert (
        judged(
            check("tls-required", R.CONTAINER_GROUP, gateway_group(image="envoyproxy/envoy:v1.31", conf=conf))
        )
        == []
    )
