"""The auth steps (components/secure_scoring/verify/auth.py): auth turned off, wrong and missing
keys, tokens, no answer; the key rotation runbook end to end under continuous traffic."""

from __future__ import annotations

import ssl
import threading
import time
from pathlib import Path

import pytest

from secure_scoring.verify import FAIL, PASS, SKIP, auth, parse_url, tls, verify
from secure_scoring.verify import http as vhttp
from support.fixtures_dataplane import HOSTNAME, PRIMARY_KEY
from support.fixtures_verify import assert_only_failure

dataplane = pytest.mark.dataplane  # on the tests that start or use real servers


@dataplane
def test_token_is_sent_like_a_key(secure_dns):
    report = secure_dns.verify("secure", key=None, token=PRIMARY_KEY)
    assert report.step("auth-credential").status == PASS
    assert "token" in report.step("auth-credential").detail


@dataplane
def test_auth_turned_off(secure_dns):
    report = secure_dns.verify("auth-off")
    assert_only_failure(report, "auth-no-credential", "auth turned off", "→ 200")
    # a 200 with the key proves nothing when the request without it got a 200 too
    step = report.step("auth-credential")
    assert step.status == SKIP, step
    assert step.detail.startswith(
        "the endpoint accepts requests without a credential, so the key proves nothing"
    )


@dataplane
def test_a_gateway_that_takes_any_credential_fails(secure_dns):
    """nginx that only checks that an Authorization header is there: the made-up key gets through."""
    report = secure_dns.verify("any-credential")
    assert_only_failure(report, "auth-wrong-credential", "any credential is accepted", "made-up key")
    assert report.step("auth-no-credential").status == PASS  # no header: 401, as it should
    assert report.step("auth-credential").status == PASS
    # the real gateway refuses it
    assert secure_dns.verify("secure").step("auth-wrong-credential").status == PASS


@dataplane
def test_wrong_key_is_refused(secure_dns):
    report = secure_dns.verify("secure", key="not-the-key-0123456789")
    assert_only_failure(report, "auth-credential", "key was refused", "401")
    assert "key-rotation" in report.step("auth-credential").fix


@dataplane
def test_no_key_skips_the_credential_step(secure_dns):
    report = secure_dns.verify("secure", key=None)
    assert report.step("auth-credential").status == SKIP
    assert report.ok


@pytest.mark.parametrize(
    ("error", "needle"),
    [
        (
            TimeoutError("timed out"),
            "nothing came back within 0.5 s: if the scorer's run() is that slow, raise --timeout",
        ),
        (
            ConnectionResetError(104, "Connection reset by peer"),
            "check the gateway and the scorer behind it are running",
        ),
    ],
)
def test_auth_probe_without_an_answer_says_whether_it_timed_out(monkeypatch, error, needle):
    """A scorer slower than --timeout is no 'is it running?' problem: say that it timed out and that
    --timeout can be raised."""

    def no_answer(*args, **kwargs):
        raise error

    monkeypatch.setattr(vhttp, "https_request", no_answer)
    target_ = parse_url("https://scoring.example.test/score")
    outcome = tls.TlsOutcome([], ssl.create_default_context(), True)
    steps, _ = auth.auth_steps(target_, "127.0.0.1", outcome, "k" * 20, "key", 0.5)
    assert [(s.name, s.status) for s in steps] == [
        ("auth-no-credential", FAIL),
        ("auth-wrong-credential", SKIP),  # nothing was refused: a made-up key proves nothing
        ("auth-credential", FAIL),
    ]
    for step in (steps[0], steps[2]):
        assert needle in step.fix, step.fix


RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"


def _deploy_keys(primary_version, secondary_version, previous=None):
    """What ``pulumi up`` of a SecureAciService with these rotation versions leaves as keys.

    The program runs under mocks; a key whose RandomPassword inputs (the ``rotation`` keeper) did not
    change keeps its previous value, as the engine keeps an unchanged resource, and a changed one
    gets the new value. → ({"primary", "secondary"}: key, {role: keepers}).
    """
    from secure_scoring.components.aci import SecureAciService, SecureAciServiceArgs
    from secure_scoring.components.certificate_bundle import CertificateBundle, CertificateBundleArgs
    from secure_scoring.gate.mocking import run_with_mocks

    def program():
        cert = CertificateBundle(
            "cert", CertificateBundleArgs(source="self_signed", hostnames=[HOSTNAME], environment="dev")
        )
        SecureAciService(
            "svc",
            SecureAciServiceArgs(
                resource_group_name="rg",
                certificate=cert,
                hostname=HOSTNAME,
                dns_name_label="contoso-scoring",
                primary_key_version=primary_version,
                secondary_key_version=secondary_version,
            ),
        )

    rec = run_with_mocks(program)
    passwords = {r.name: r for r in rec.by_type(RANDOM_PASSWORD)}
    assert set(passwords) == {"svc-primary-key", "svc-secondary-key"}
    keys, keepers = {}, {}
    for role in ("primary", "secondary"):
        resource = passwords[f"svc-{role}-key"]
        keepers[role] = resource.wire_inputs["keepers"]
        if previous is not None and previous[1][role] == keepers[role]:
            keys[role] = previous[0][role]
        else:
            keys[role] = resource.state["result"]
    return keys, keepers


class _Clients:
    """Two client threads sending POST /score continuously with the key they are told to use."""

    def __init__(self, port: int, ca_bundle: Path, key: str) -> None:
        from support.fixtures_dataplane import https_request

        self._request = https_request
        self.port, self.ca_bundle, self.key = port, ca_bundle, key
        self.results: list[tuple[str, int | str]] = []  # (phase, status or error)
        self.phase = "start"
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(2)]

    def _run(self) -> None:
        while not self._stop.is_set():
            phase, key = self.phase, self.key
            try:
                response = self._request(
                    self.port,
                    "POST",
                    "/score",
                    ca_bundle=self.ca_bundle,
                    headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
                    body=b'{"rotation": true}',
                    timeout=5,
                )
                self.results.append((phase, response.status))
            except Exception as exc:  # a failed request is a result too
                self.results.append((phase, f"{type(exc).__name__}: {exc}"))

    def enter(self, phase: str, key: str | None = None, min_requests: int = 10) -> None:
        """Switch to ``phase`` (and ``key``), then wait until it has carried ``min_requests``."""
        if key is not None:
            self.key = key
        self.phase = phase
        deadline = time.monotonic() + 15
        while sum(1 for p, _ in self.results if p == phase) < min_requests:
            assert time.monotonic() < deadline, f"no traffic in phase {phase}"
            time.sleep(0.01)

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(10)


@dataplane
def test_key_rotation_runbook_never_leaves_clients_without_a_working_key(verify_env, make_gateway):
    """docs/runbooks/key-rotation.md end to end: rotate the secondary, move clients to it, rotate
    the primary; continuous client traffic never fails and ``verify --key`` confirms every step."""
    verify_env.point(("scoring", "A", 60, "127.0.0.1"))
    keys_v1, state = _deploy_keys(1, 1)
    gateway = make_gateway(primary_key=keys_v1["primary"], secondary_key=keys_v1["secondary"])

    def works(key: str) -> bool:
        report = verify(
            f"https://{HOSTNAME}:{gateway.port}/score",
            dns_server=verify_env.dns.nameserver,
            ca_bundle=verify_env.pki.ca_bundle_path,
            key=key,
            timeout=3,
        )
        assert report.step("auth-no-credential").status == PASS
        return report.step("auth-credential").status == PASS and report.ok

    def revoked(key: str) -> bool:
        # nginx's old workers finish what they were doing after a reload: give them a moment
        deadline = time.monotonic() + 3
        while works(key):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    try:
        with _Clients(gateway.port, verify_env.pki.ca_bundle_path, keys_v1["primary"]) as clients:
            clients.enter("0: clients on the primary")
            assert works(keys_v1["primary"]) and works(keys_v1["secondary"])

            # 1. rotate the secondary (secondary_key_version 1 -> 2): only that key changes
            keys_v2, state_v2 = _deploy_keys(1, 2, (keys_v1, state))
            assert keys_v2["primary"] == keys_v1["primary"]
            assert keys_v2["secondary"] != keys_v1["secondary"]
            gateway.rotate_keys(keys_v2["primary"], keys_v2["secondary"])
            clients.enter("1: secondary rotated")
            assert works(keys_v2["secondary"]), "the new secondary key must work"
            assert works(keys_v2["primary"]), "clients' key still works"
            assert revoked(keys_v1["secondary"]), "the old secondary key is revoked"

            # 2. move the clients to the new secondary key
            clients.enter("2: clients on the new secondary", key=keys_v2["secondary"])

            # 3. rotate the primary (primary_key_version 1 -> 2)
            keys_v3, _ = _deploy_keys(2, 2, (keys_v2, state_v2))
            assert keys_v3["secondary"] == keys_v2["secondary"]
            assert keys_v3["primary"] != keys_v2["primary"]
            gateway.rotate_keys(keys_v3["primary"], keys_v3["secondary"])
            clients.enter("3: primary rotated")
            assert works(keys_v3["secondary"]), "clients' key still works"
            assert works(keys_v3["primary"]), "the new primary key works"
            assert revoked(keys_v1["primary"]), "the old primary key is revoked"
    finally:
        gateway.stop()

    failures = [(phase, status) for phase, status in clients.results if status != 200]
    assert failures == [], f"{len(failures)} of {len(clients.results)} requests failed: {failures[:5]}"
    phases = {phase for phase, _ in clients.results}
    assert {"0: clients on the primary", "1: secondary rotated", "3: primary rotated"} <= phases
