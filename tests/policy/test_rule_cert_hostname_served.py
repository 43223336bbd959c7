"""cert-hostname-match binds each DNS record to its target (issue 13): a CNAME or A record is judged
against the certificate served at the address it points at (a container group's gateway
certificate, our components' facts), not against any certificate of the stack."""

from __future__ import annotations

from support.policy_rules import R, b64, check_stack, gateway_group, judged, make_certs, notes, record


def _group(name, fqdn, pem, ip="20.50.0.4"):
    props = gateway_group()
    props["volumes"][0]["secret"]["tls.crt"] = b64(pem)
    props["ipAddress"] = {**props["ipAddress"], "fqdn": fqdn, "ip": ip}
    return (R.CONTAINER_GROUP, name, props)


def test_a_cname_to_the_wrong_container_group_fails_even_if_its_name_is_covered_elsewhere(cert_factory):
    certs = make_certs(cert_factory)
    root = certs["root"]
    fraud = cert_factory.leaf(root, ["fraud.example.test"], days=300)
    scoring_group = _group("scoring", "scoring.westeurope.azurecontainer.io", certs["good"].chain_pem())
    fraud_group = _group("fraud", "fraud.westeurope.azurecontainer.io", fraud.chain_pem(), ip="20.50.0.5")
    slip = record("fraud", cname="scoring.westeurope.azurecontainer.io")  # the copy-paste slip
    found = judged(check_stack("cert-hostname-match", [scoring_group, fraud_group, slip]))
    assert [f.message for f in found] == [
        "DNS name fraud.example.test is not covered by the certificate served at its target "
        "scoring.westeurope.azurecontainer.io (it covers: *.apps.example.test, scoring.example.test)"
    ]
    right = record("fraud", cname="fraud.westeurope.azurecontainer.io")
    assert judged(check_stack("cert-hostname-match", [scoring_group, fraud_group, right])) == []


def test_an_a_record_is_judged_against_the_certificate_at_its_ip(cert_factory):
    certs = make_certs(cert_factory)
    group = _group("scoring", "scoring.westeurope.azurecontainer.io", certs["good"].chain_pem())
    assert judged(check_stack("cert-hostname-match", [group, record("scoring", a="20.50.0.4")])) == []
    assert judged(check_stack("cert-hostname-match", [group, record("fraud", a="20.50.0.4")]))


def test_an_a_record_to_the_aks_router_ip_is_judged():
    cluster = (
        R.AKS_CLUSTER,
        "aks",
        {"routerIp": "20.60.1.2", "certificateHostnames": ["scoring.example.test"], "tlsEnabled": True},
    )
    assert judged(check_stack("cert-hostname-match", [cluster, record("scoring", a="20.60.1.2")])) == []
    [f] = judged(check_stack("cert-hostname-match", [cluster, record("fraud", a="20.60.1.2")]))
    assert "fraud.example.test" in f.message and "20.60.1.2" in f.message


def test_a_binding_claim_must_agree_with_the_target_certificate(cert_factory):
    certs = make_certs(cert_factory)
    group = _group("scoring", "scoring.westeurope.azurecontainer.io", certs["good"].chain_pem())
    binding = (
        R.DNS_RECORD_BINDING,
        "fraud-dns",
        {
            "fqdn": "fraud.example.test",
            "target": "scoring.westeurope.azurecontainer.io",
            "certificateHostnames": ["fraud.example.test"],  # claimed, but not what the target serves
        },
    )
    [f] = judged(check_stack("cert-hostname-match", [group, binding]))
    assert "served at its target scoring.westeurope.azurecontainer.io" in f.message


def test_a_record_to_an_endpoint_outside_the_stack_is_a_note_when_covered(cert_factory):
    certs = make_certs(cert_factory)
    bundle = (R.TLS_LOCALLY_SIGNED, "leaf", {"certPem": certs["good"].cert_pem})
    found = check_stack(
        "cert-hostname-match", [bundle, record("scoring", cname="other.westeurope.azurecontainer.io")]
    )
    assert judged(found) == [] and "not in this stack" in notes(found)[0].message
