"""DnsRecordBinding's plan (no Pulumi run): plan_dns_record -> DnsPlan, relative_name."""

from __future__ import annotations

import pytest

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
