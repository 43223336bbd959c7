"""cert-hostname-match (stack rule): DNS records, bindings, components, AKS v1 cnames and extension
sslCnames against the certificates of the stack; ACI DNS label scopes."""

from __future__ import annotations

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_STRING_VALUE,
)

from support.policy_rules import (
    BUNDLE,
    SECRET,
    R,
    aks_compute,
    b64,
    check_stack,
    extension,
    gateway_group,
    judged,
    make_certs,
    notes,
    record,
)

# a container group of this stack at scoring-prod.westeurope.azurecontainer.io whose served certificate
# is not readable here: a record pointing at it is judged against the stack's certificates
IN_STACK_GROUP = (
    R.CONTAINER_GROUP,
    "other-cg",
    {"ipAddress": {"fqdn": "scoring-prod.westeurope.azurecontainer.io", "type": "Public", "ports": []}},
)


@pytest.fixture(scope="module")
def certs(cert_factory):
    return make_certs(cert_factory)


# --------------------------------------------------------------------------------------------- cert-hostname-match (stack)


@pytest.mark.parametrize("token", R.DNS_RECORD_SETS)
def test_dns_record_covered_by_certificate(token):
    cname = record("scoring", cname="scoring-prod.westeurope.azurecontainer.io", token=token)
    # the target is not in the stack: covered by the stack's certificate, but what that endpoint
    # serves is not known: a note, never a pass (issue 13)
    found = check_stack("cert-hostname-match", [BUNDLE, cname])
    assert judged(found) == [] and "not in this stack" in notes(found)[0].message
    # not covered by any certificate of the stack: still only a note, the endpoint is elsewhere
    wrong = record("api", cname="scoring-prod.westeurope.azurecontainer.io", token=token)
    found = check_stack("cert-hostname-match", [BUNDLE, wrong])
    assert (
        judged(found) == []
        and "api.example.test points at it; it is not in this stack" in notes(found)[0].message
    )
    # the same name pointing at an endpoint of this stack is judged against the stack's certificates
    found = check_stack("cert-hostname-match", [BUNDLE, IN_STACK_GROUP, wrong])
    assert [f.message for f in found] == [
        "DNS name api.example.test is not covered by the certificate (it covers: scoring.example.test)"
    ]
    assert found[0].urn.endswith("::api-record")


def test_private_record_pointing_at_container_group_ip():
    group = (
        R.CONTAINER_GROUP,
        "cg",
        {**gateway_group(ip_type="Private"), "ipAddress": {"ip": "10.0.0.4", "type": "Private", "ports": []}},
    )
    for token in R.PRIVATE_DNS_RECORD_SETS:
        rec = record("internal", zone="corp.test", a="10.0.0.4", token=token)
        assert (
            "internal.corp.test is not covered"
            in check_stack("cert-hostname-match", [BUNDLE, group, rec])[0].message
        )


def test_unrelated_records_are_not_judged():
    txt = record("_acme", rtype="TXT")
    other = record("www", cname="example.org")
    assert check_stack("cert-hostname-match", [BUNDLE, txt, other]) == []


def test_record_without_any_certificate():
    outside = record("scoring", cname="x.westeurope.cloudapp.azure.com")
    assert judged(check_stack("cert-hostname-match", [outside])) == []  # not in the stack: a note
    inside = record("scoring", cname="scoring-prod.westeurope.azurecontainer.io")
    found = check_stack("cert-hostname-match", [IN_STACK_GROUP, inside])
    assert found[0].message == "DNS name scoring.example.test has no certificate in this stack that covers it"


def test_wildcards_cover_one_label(certs):
    cert = (R.TLS_LOCALLY_SIGNED, "leaf", {"certPem": certs["good"].cert_pem})
    ok = record("a", zone="apps.example.test", cname="scoring-prod.westeurope.azurecontainer.io")
    deep = record("a.b", zone="apps.example.test", cname="scoring-prod.westeurope.azurecontainer.io")
    assert judged(check_stack("cert-hostname-match", [cert, IN_STACK_GROUP, ok])) == []
    assert judged(check_stack("cert-hostname-match", [cert, IN_STACK_GROUP, deep]))


def test_extension_and_compute_cnames(certs):
    good = b64(certs["good"].chain_pem())
    ext_ok = (
        R.K8S_EXTENSION,
        "ext",
        extension(protected={"scoringFe.sslCert": good, "scoringFe.sslKey": b64(SECRET)}),
    )
    ext_bad = (
        R.K8S_EXTENSION,
        "ext2",
        extension(
            {"sslCname": "other.example.test"}, protected={"scoringFe.sslCert": good, "scoringFe.sslKey": "k"}
        ),
    )
    ext_none = (
        R.K8S_EXTENSION,
        "ext3",
        extension({"sslCname": None}, protected={"scoringFe.sslCert": good, "scoringFe.sslKey": "k"}),
    )
    found = check_stack("cert-hostname-match", [ext_ok, ext_bad, ext_none])
    assert [(f.resource_name, f.message.split(" (")[0]) for f in found] == [
        ("ext2", "configurationSettings.sslCname other.example.test is not covered by the certificate"),
        ("ext3", "configurationSettings.sslCname is not set: clients cannot verify the router's name"),
    ]
    comp = aks_compute(
        {"status": "Enabled", "cert": certs["good"].chain_pem(), "key": SECRET, "cname": "nope.example.test"}
    )
    assert (
        "sslConfiguration.cname nope.example.test is not covered"
        in check_stack("cert-hostname-match", [(R.ML_COMPUTE, "c", comp)])[0].message
    )
    comp["properties"]["properties"]["sslConfiguration"]["cname"] = "scoring.example.test"
    assert check_stack("cert-hostname-match", [(R.ML_COMPUTE, "c", comp)]) == []


def test_components_hostname_against_their_certificate():
    ok = (
        R.ACI_SERVICE,
        "svc",
        {
            "tls_enabled": True,
            "hostname": "scoring.example.test",
            "certificate_hostnames": ["scoring.example.test"],
        },
    )
    bad = (
        R.ACI_SERVICE,
        "svc2",
        {
            "tls_enabled": True,
            "hostname": "api.example.test",
            "certificate_hostnames": ["scoring.example.test"],
        },
    )
    binding = (
        R.DNS_RECORD_BINDING,
        "dns",
        {"fqdn": "api.example.test.", "certificate_hostnames": ["*.example.test"]},
    )
    found = check_stack("cert-hostname-match", [ok, bad, binding])
    assert [f.resource_name for f in found] == ["svc2"]


def test_container_group_unsecure_dns_label():
    found = check_stack("cert-hostname-match", [(R.CONTAINER_GROUP, "cg", gateway_group(scope="Unsecure"))])
    assert (
        "autoGeneratedDomainNameLabelScope Unsecure" in found[0].message
        and "scoring-prod" in found[0].message
    )
    assert (
        check_stack("cert-hostname-match", [(R.CONTAINER_GROUP, "cg", gateway_group(scope="Noreuse"))]) == []
    )
    assert (
        check_stack(
            "cert-hostname-match",
            [(R.CONTAINER_GROUP, "cg", gateway_group(scope="Unsecure"))],
            config={"rejectUnsecureDnsLabel": False},
        )
        == []
    )


def test_unknown_record_names_are_one_stack_note():
    rec = record("scoring", zone=UNKNOWN_STRING_VALUE, cname="x.westeurope.azurecontainer.io")
    found = check_stack("cert-hostname-match", [BUNDLE, rec])
    assert (
        judged(found) == []
        and found[0].urn == ""
        and "the name of DNS record 'scoring-record'" in found[0].message
    )
