"""Zero-downtime key rotation and certificate renewal by blue/green slots (docs/runbooks/zero-downtime.md).

Real parts on loopback: two slots, each a real Azure ML inference server behind a real nginx
gateway; the real authoritative DNS server (NSD) serves ``scoring.example.test`` as a CNAME to the
active slot's FQDN with a 1 s TTL; clients resolve through that server (dnspython with a cache that
keeps answers for their TTL, as stub resolvers do) under continuous load: new connections and
kept-alive ones.

The sequence is the runbook's: the green slot starts with the new primary key and the renewed
certificate next to blue; ``verify --connect-to`` checks it under its real name before any client
goes there; the CNAME moves to green; once the TTL and the gateway's ``keepalive_time`` have passed
and blue's access log has gone quiet, blue is removed. Then: 0 failed requests, the old primary is
refused, the renewed certificate is served.

Everything binds 127.0.0.1 only, so the two slots cannot have two addresses: each slot's FQDN (the
ACI FQDN of its container group) stands for its own address, and the client connects to that
slot's port on 127.0.0.1 once DNS has led it to the FQDN. DNS decides where every new connection goes.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import time

import pytest

from support.fixtures_dataplane import HOSTNAME, SCORING_APP, client_context, https_request

pytestmark = pytest.mark.dataplane

ZONE = "example.test"
ACI_ZONE = "westeurope.azurecontainer.io"
SLOTS = {"blue": f"scoring-blue.{ACI_ZONE}", "green": f"scoring-green.{ACI_ZONE}"}
TTL = 1
KEEPALIVE_TIME_S = 2  # the gateway's keepalive_time (60 s by default; short here to keep the test short)
OLD_PRIMARY, NEW_PRIMARY = "Blue-Primary-0123456789abcdef", "Green-Primary-abcdef0123456789"
SECONDARY = "Steady-Secondary-0123456789xyz"  # what the clients use during the rotation


def _fingerprint(cert) -> str:
    der = ssl.PEM_cert_to_DER_cert(cert.cert_pem)
    return hashlib.sha256(der).hexdigest()


def _quiet(gateway, for_s: float) -> bool:
    """True once ``gateway``'s access log has not grown for ``for_s`` seconds (no client left on it)."""
    size = gateway.access_log_path.stat().st_size
    time.sleep(for_s)
    return gateway.access_log_path.stat().st_size == size


def test_blue_green_rotation_and_renewal_under_load_lose_no_request(
    make_gateway, inference_server, dns_server, pki, cert_factory
) -> None:
    import dns.resolver

    from secure_scoring.dataplane.local import InferenceServer
    from secure_scoring.verify import verify
    from support.load_client import LoadClient, assert_no_request_lost
    from support.requirements import inference_python

    renewed = cert_factory.leaf(pki.inter, [HOSTNAME, "localhost"])
    settings = {"keepalive_time_s": KEEPALIVE_TIME_S}
    blue = make_gateway(primary_key=OLD_PRIMARY, secondary_key=SECONDARY, **settings)
    ports = {SLOTS["blue"]: blue.port}
    dns_server.set_records(ACI_ZONE, [(SLOTS[s], "A", 60, "127.0.0.1") for s in SLOTS])
    dns_server.set_records(ZONE, [("scoring", "CNAME", TTL, SLOTS["blue"] + ".")])

    resolver = dns_server.resolver()
    resolver.cache = dns.resolver.Cache()  # answers kept for their TTL, as a stub resolver does

    def connect(ctx: ssl.SSLContext) -> tuple[ssl.SSLSocket, str]:
        answer = resolver.resolve(HOSTNAME, "A")
        fqdn = answer.canonical_name.to_text(omit_final_dot=True)
        sock = socket.create_connection((str(answer[0]), ports[fqdn]), timeout=10)
        try:
            return ctx.wrap_socket(sock, server_hostname=HOSTNAME), fqdn
        except BaseException:
            sock.close()
            raise

    client = LoadClient(
        hostname=HOSTNAME,
        context=client_context(pki.ca_bundle_path),
        connect=connect,
        headers=lambda: {"Authorization": f"Bearer {SECONDARY}"},
        modes=("new", "reused", "new", "reused"),
    )
    green_scorer = InferenceServer(
        SCORING_APP / "score.py", model_dir=SCORING_APP / "model", python=inference_python()
    )
    green = None
    try:
        with client:
            client.wait_for(20)
            # 1. pulumi up with the inactive slot (green) holding the new primary and the renewed
            #    certificate: a new container group next to the serving one
            green_scorer.start()
            green = make_gateway(
                primary_key=NEW_PRIMARY,
                secondary_key=SECONDARY,
                cert=renewed,
                upstream=green_scorer.address,
                **settings,
            )
            ports[SLOTS["green"]] = green.port
            # 2. verify the new group under its real name before any client goes there
            report = verify(
                f"https://{HOSTNAME}:{green.port}/score",
                connect_to="127.0.0.1",
                ca_bundle=pki.ca_bundle_path,
                key=NEW_PRIMARY,
                timeout=5,
            )
            assert report.ok, [(s.name, s.status, s.detail) for s in report.steps]
            # 3. pulumi up with active_slot green: the CNAME moves
            switched = time.monotonic()
            dns_server.set_records(ZONE, [("scoring", "CNAME", TTL, SLOTS["green"] + ".")])
            # 4. after TTL + keepalive_time no client is left on blue: its log goes quiet
            time.sleep(TTL + KEEPALIVE_TIME_S)
            deadline = time.monotonic() + 10
            while not _quiet(blue, 0.5):
                assert time.monotonic() < deadline, "clients stayed on the old slot"
            drained = time.monotonic()
            # 5. pulumi up without the old slot: blue is removed; the load goes on past the moment
            #    from which every request must be on green (measured below), whatever the drain took
            blue.stop()
            late_from = switched + TTL + KEEPALIVE_TIME_S + 1
            time.sleep(max(0.0, late_from - time.monotonic()))
            client.wait_for(30)
    finally:
        client.stop()
        blue.stop()
        if green is not None:
            green.stop()
        green_scorer.stop()

    outcomes = client.outcomes
    assert_no_request_lost(outcomes)
    on = {slot: [o for o in outcomes if o.peer == fqdn] for slot, fqdn in SLOTS.items()}
    assert on["blue"] and on["green"], {k: len(v) for k, v in on.items()}
    # clients moved within TTL + keepalive_time; nothing reached blue once it was drained
    assert all(o.began < drained for o in on["blue"])
    late = [o for o in outcomes if o.began > late_from]
    assert late and all(o.peer == SLOTS["green"] for o in late)
    # the renewed certificate is what clients got from green, the old one from blue
    assert {o.cert_sha256 for o in on["green"]} == {_fingerprint(renewed)}
    assert {o.cert_sha256 for o in on["blue"]} == {_fingerprint(pki.leaf)}


def test_after_the_switch_the_old_key_is_refused_and_the_new_certificate_served(
    make_gateway, dns_server, pki, cert_factory
) -> None:
    """The end state of the runbook, checked by name through DNS with verify (the TTL is passed)."""
    from secure_scoring.verify import FAIL, PASS, verify

    renewed = cert_factory.leaf(pki.inter, [HOSTNAME, "localhost"])
    green = make_gateway(primary_key=NEW_PRIMARY, secondary_key=SECONDARY, cert=renewed)
    try:
        dns_server.set_records(ACI_ZONE, [(SLOTS["green"], "A", 60, "127.0.0.1")])
        dns_server.set_records(ZONE, [("scoring", "CNAME", TTL, SLOTS["green"] + ".")])
        url = f"https://{HOSTNAME}:{green.port}/score"
        common = {"dns_server": dns_server.nameserver, "ca_bundle": pki.ca_bundle_path, "timeout": 5}
        new = verify(url, key=NEW_PRIMARY, expect_target=SLOTS["green"], **common)
        assert new.ok, [(s.name, s.status, s.detail) for s in new.steps]
        old = verify(url, key=OLD_PRIMARY, **common)
        assert old.step("auth-credential").status == FAIL
        assert "was refused" in old.step("auth-credential").detail
        served = https_request(green.port, "GET", "/", ca_bundle=pki.ca_bundle_path)
        assert served.status == 200
        ctx = client_context(pki.ca_bundle_path)
        raw = socket.create_connection(("127.0.0.1", green.port), timeout=5)
        with ctx.wrap_socket(raw, server_hostname=HOSTNAME) as tls:
            assert hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest() == _fingerprint(renewed)
        assert new.step("certificate-chain").status == PASS
    finally:
        green.stop()
