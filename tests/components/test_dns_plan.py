"""DnsRecordBinding's plan (no Pulumi run): plan_dns_record -> DnsPlan, and each of its steps alone."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from secure_scoring.components import dns_binding as d
from secure_scoring.components.dns_binding import (
    DnsPlan,
    DnsRecordBindingArgs,
    plan_dns_record,
    relative_name,
)
from secure_scoring.errors import ConfigurationError


def test_plan_is_a_frozen_dns_plan():
    plan = plan_dns_record(
        "rec",
        DnsRecordBindingArgs(
            zone_name="Example.test.",
            resource_group_name="rg",
            fqdn="Bücher.example.test",
            target_ip="20.50.1.2",
        ),
    )
    assert plan == DnsPlan(
        zone="example.test",
        relative="xn--bcher-kva",
        fqdn="xn--bcher-kva.example.test",
        target_kind="ip",
        record_type="A",
        target="20.50.1.2",
        ttl=300,
        private=False,
        cert_hostnames=None,
    )
    with pytest.raises(AttributeError):
        plan.ttl = 1  # type: ignore[misc]


def test_relative_name():
    assert relative_name("Scoring.Dev", "example.test", "r") == "scoring.dev"
    assert relative_name(" @ ", "example.test", "r") == "@"
    for bad, fragment in (
        ("scoring.", "ends with a dot"),
        ("scoring.example.test", "already ends"),
        ("a..b", "empty"),
    ):
        with pytest.raises(ConfigurationError, match=fragment):
            relative_name(bad, "example.test", "r")


# -- each step alone ------------------------------------------------------------------------------------
ZONE = "example.test"
PIP_ID = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/ip"


def dns_args(**overrides: Any) -> DnsRecordBindingArgs:
    base: dict[str, Any] = {"zone_name": ZONE, "resource_group_name": "rg", "relative_name": "scoring"}
    return DnsRecordBindingArgs(**{**base, **overrides})


def refused(fn, *a: Any, **kw: Any) -> str:
    with pytest.raises(ConfigurationError) as info:
        fn(*a, **kw)
    return str(info.value)


def fake_cert(*hostnames: str, source: str = "pem") -> Any:
    return SimpleNamespace(source=source, hostname_list=list(hostnames), covers=lambda h: h in hostnames)


def test_the_guard_clause_refuses_other_args():
    assert refused(plan_dns_record, "rec", object()).startswith("args: expected DnsRecordBindingArgs")


def test_resolve_zone():
    assert d.resolve_zone("Example.TEST.") == ZONE
    assert "has 1 label;" in refused(d.resolve_zone, "test")
    assert "2 to 34" in refused(d.resolve_zone, ".".join(["a"] * 35))
    assert refused(d.resolve_zone, "bad!.test").startswith("zone_name:")


def test_check_args():
    d.check_args(dns_args())
    assert refused(d.check_args, dns_args(resource_group_name=None)).startswith(
        "resource_group_name: is required"
    )
    assert refused(d.check_args, dns_args(resource_group_name="")).startswith("resource_group_name:")
    assert refused(d.check_args, dns_args(private="yes")).startswith("private: 'yes' is not True or False")
    assert refused(d.check_args, dns_args(metadata={"a": 1})).startswith("metadata")


def test_resolve_record_name():
    assert d.resolve_record_name(dns_args(relative_name="API.dev"), ZONE) == (
        "api.dev",
        "api.dev.example.test",
    )
    assert d.resolve_record_name(dns_args(relative_name=None, fqdn="Example.Test."), ZONE) == ("@", ZONE)
    assert "exactly one of relative_name" in refused(
        d.resolve_record_name, dns_args(fqdn="x.example.test"), ZONE
    )
    assert "exactly one of relative_name" in refused(
        d.resolve_record_name, dns_args(relative_name=None), ZONE
    )
    text = refused(d.resolve_record_name, dns_args(relative_name=None, fqdn="scoring.other.test"), ZONE)
    assert text.startswith("zone_name: the zone 'example.test' cannot contain 'scoring.other.test'")
    assert "longer than 253" in refused(
        d.resolve_record_name, dns_args(relative_name=".".join(["a" * 60] * 4)), ZONE
    )


def test_name_in_zone():
    assert d.name_in_zone(ZONE, ZONE) == "@"
    assert d.name_in_zone("a.b.example.test", ZONE) == "a.b"
    assert d.name_in_zone("badexample.test", ZONE) is None
    assert d.name_in_zone("example.test.other", ZONE) is None


def test_resolve_target_kinds():
    def target(**kw: Any) -> d.DnsTarget:
        return d.resolve_target(dns_args(**kw), ZONE, "scoring", "scoring.example.test")

    assert target(target_fqdn="Svc.WestEurope.azurecontainer.io.") == d.DnsTarget(
        "cname", "CNAME", "svc.westeurope.azurecontainer.io"
    )
    assert target(target_ip=" 20.50.1.2 ") == d.DnsTarget("ip", "A", "20.50.1.2")
    assert target(target_ip="2001:4860:4860::8888") == d.DnsTarget("ip", "AAAA", "2001:4860:4860::8888")
    assert target(target_ip="10.0.0.4", private=True).value == "10.0.0.4"
    assert target(target_resource_id=PIP_ID) == d.DnsTarget("alias", "A", PIP_ID)
    assert "got 0" in refused(target)
    assert "got 2 (target_fqdn, target_ip)" in refused(target, target_fqdn="a.test", target_ip="20.50.1.2")


def test_resolve_target_refusals_per_record_type():
    def text(relative: str = "scoring", **kw: Any) -> str:
        fqdn = ZONE if relative == "@" else f"{relative}.{ZONE}"
        return refused(d.resolve_target, dns_args(**kw), ZONE, relative, fqdn)

    assert text(target_fqdn="20.50.1.2").startswith("target_fqdn: '20.50.1.2' is an IP address")
    # names.is_ip decides what is an IP, as everywhere: a trailing dot or brackets do not make a name
    assert "a CNAME must point at a host name" in text(target_fqdn="20.50.1.2.")
    assert "use target_ip='20.50.1.2' for an A record" in text(target_fqdn="20.50.1.2.")
    assert "use target_ip='2001:db8::1' for an A record" in text(target_fqdn="[2001:DB8::1]")
    assert text(target_fqdn=5).startswith("target_fqdn: must be a host name")
    assert text(target_ip=["20.50.1.2"]).startswith("target_ip: must be one IP address")
    assert text(target_ip="not-an-ip").startswith("target_ip: 'not-an-ip' is not an IP address")
    assert "is not a public address" in text(target_ip="10.0.0.4")
    assert "only in public Azure DNS zones" in text(target_resource_id=PIP_ID, private=True)
    assert "not the id of a public IP address" in text(target_resource_id="/subscriptions/0/x")
    assert text(target_resource_id="").startswith("target_resource_id:")
    assert "cannot live at the zone apex" in text("@", target_fqdn="svc.test")
    assert "points at itself" in text(target_fqdn="scoring.example.test")


def test_service_target():
    cert = fake_cert("scoring.example.test")
    aci_like = SimpleNamespace(fqdn="group-fqdn-output", hostname="Scoring.Example.Test", certificate=cert)
    assert d.service_target(aci_like) == d.DnsTarget(
        "cname", "CNAME", "group-fqdn-output", cert, "scoring.example.test"
    )
    router = SimpleNamespace(dns_target=lambda: ("A", "20.50.1.2"), hostname=None)
    assert d.service_target(router) == d.DnsTarget("ip", "A", "20.50.1.2", None, None)
    assert "unsupported record type 'MX'" in refused(
        d.service_target, SimpleNamespace(dns_target=lambda: ("MX", "x"))
    )
    assert "not a service with an fqdn output" in refused(d.service_target, "scoring.example.test")
    # a service's A target is checked like target_ip
    args = dns_args(target=router)
    assert d.resolve_target(args, ZONE, "scoring", "scoring.example.test").record_type == "A"


def test_check_certificate_coverage():
    fqdn = "scoring.example.test"
    assert d.check_certificate_coverage(dns_args(), None, fqdn) is None
    listed = dns_args(certificate_hostnames=["*.Example.Test", "127.0.0.1"])
    assert d.check_certificate_coverage(listed, None, fqdn) == ("*.example.test", "127.0.0.1")
    assert d.check_certificate_coverage(dns_args(certificate=fake_cert(fqdn)), None, fqdn) == (fqdn,)
    # the service's certificate is used when none is given
    assert d.check_certificate_coverage(dns_args(), fake_cert(fqdn), fqdn) == (fqdn,)
    text = refused(d.check_certificate_coverage, dns_args(), fake_cert("other.example.test"), fqdn)
    assert text.startswith("relative_name: the certificate does not cover scoring.example.test")
    by_fqdn = dns_args(relative_name=None, fqdn=fqdn, certificate_hostnames=["other.example.test"])
    assert refused(d.check_certificate_coverage, by_fqdn, None, fqdn).startswith(
        "fqdn: the certificate does not"
    )
    both = dns_args(certificate=fake_cert(fqdn), certificate_hostnames=[fqdn])
    assert "both certificate and certificate_hostnames" in refused(
        d.check_certificate_coverage, both, None, fqdn
    )
    managed = dns_args(certificate=fake_cert(fqdn, source="microsoft_managed"))
    assert refused(d.check_certificate_coverage, managed, None, fqdn).startswith(
        "certificate: a Microsoft-managed"
    )
    for bad, fragment in (
        (fqdn, "got one string"),
        ({fqdn}, "got set"),
        ([fqdn, 7], "certificate_hostnames[1]: must be a plain string"),
        (["bad!.example.test"], "certificate_hostnames[0]"),
    ):
        assert fragment in refused(
            d.check_certificate_coverage, dns_args(certificate_hostnames=bad), None, fqdn
        )


def test_check_service_hostname():
    d.check_service_hostname(dns_args(), None, "scoring.example.test")
    d.check_service_hostname(dns_args(), "scoring.example.test", "scoring.example.test")
    text = refused(d.check_service_hostname, dns_args(), "api.example.test", "scoring.example.test")
    assert text.startswith(
        "relative_name: the record scoring.example.test differs from the service's hostname"
    )


@pytest.mark.parametrize(("value", "expected"), [(300, 300), (60.0, 60), (1, 1), (86400, 86400)])
def test_resolve_ttl(value, expected):
    assert d.resolve_ttl(value) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [(True, "not a number"), ("300", "not a number"), (1.5, "not a whole number"), (0, "outside 1..86400")],
)
def test_resolve_ttl_refuses(value, fragment):
    assert fragment in refused(d.resolve_ttl, value)


def test_is_public_address():
    import ipaddress

    assert d.is_public_address(ipaddress.ip_address("20.50.1.2"))
    assert d.is_public_address(ipaddress.ip_address("2001:4860:4860::8888"))
    for address in ("10.0.0.4", "127.0.0.1", "169.254.1.1", "0.0.0.0", "::1", "fe80::1", "fd00::1"):
        assert not d.is_public_address(ipaddress.ip_address(address)), address
