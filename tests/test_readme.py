"""The README's authoring example is real code: it runs under mocks and passes the policy pack."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from secure_scoring.gate.mocking import run_with_mocks

ROOT = Path(__file__).resolve().parents[1]


def _author_example() -> str:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    example = next(b for b in blocks if "SecureAciService(" in b)
    return example


def test_readme_example_runs_and_passes_the_pack(cert_factory, tmp_path, monkeypatch):
    root = cert_factory.ca("README Root CA")
    inter = cert_factory.intermediate(root, "README Intermediate CA")
    leaf = cert_factory.leaf(inter, ["scoring.contoso.com"])
    (tmp_path / "certs").mkdir()
    leaf.write_chain(tmp_path / "certs/fullchain.pem")
    shutil.copy(leaf.key_path, tmp_path / "certs/key.pem")
    monkeypatch.chdir(tmp_path)

    code = compile(_author_example(), "README.md", "exec")

    def program() -> None:
        exec(code, {"__name__": "__main__"})  # noqa: S102 - runs our own README example

    rec = run_with_mocks(program, project="readme", stack="production")

    assert sorted(set(rec.types())) == [
        "azure-native:containerinstance:ContainerGroup",
        "azure-native:dns:RecordSet",
        "random:index/randomPassword:RandomPassword",
        "secure-scoring:index:CertificateBundle",
        "secure-scoring:index:DnsRecordBinding",
        "secure-scoring:index:SecureAciService",
    ]
    from secure_scoring.policy.pack import evaluate

    diagnostics = evaluate(rec.resources, stack="production", project="readme")
    assert [d for d in diagnostics if d.enforcement == "mandatory"] == []


def _shell_lines(text: str) -> list[str]:
    """The command lines of the README's ``sh`` blocks, in order, without comments."""
    lines = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M):
        lines += [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    return lines


def test_readme_puts_the_cli_on_path_before_calling_it():
    """A reader who runs the README's commands in order has `secure-scoring` on PATH when it is called
    by name (make installs it into .venv only), and is told that make does not install `pulumi`."""
    text = (ROOT / "README.md").read_text()
    lines = _shell_lines(text)
    first_cli = next(i for i, line in enumerate(lines) if re.match(r"(\w+=\S*\s+)*secure-scoring\b", line))
    activate = [i for i, line in enumerate(lines) if line == "source .venv/bin/activate"]
    assert activate and activate[0] < first_cli, lines[: first_cli + 1]
    make_venv = [i for i, line in enumerate(lines) if line == "make venv"]
    assert make_venv and make_venv[0] < activate[0]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(BIN\)/secure-scoring:", makefile, flags=re.M), "make venv builds .venv/bin"
    if any(line.startswith("pulumi ") for line in lines):
        assert "get.pulumi.com" not in makefile and not re.search(r"install.*\bpulumi\b(?!-)", makefile)
        assert "Pulumi CLI, which `make` does not install" in text


def test_readme_names_the_debian_packages_make_installs():
    text = " ".join((ROOT / "README.md").read_text().split())
    makefile = (ROOT / "Makefile").read_text()
    packages = re.search(r"^DEB_PACKAGES := (.*)$", makefile, flags=re.M).group(1).split()
    checked = re.search(r"for b in ([\w ]+); do", makefile).group(1).split()
    said = re.search(r"the Debian packages `([^`]+)` when one of ((?:`[\w-]+`,? (?:or )?)+)is missing", text)
    assert said, "README: 'the Debian packages `...` when one of `...` is missing'"
    assert said.group(1).split() == packages
    assert re.findall(r"`([\w-]+)`", said.group(2)) == checked


def _construction_mistakes() -> list[str]:
    text = " ".join((ROOT / "README.md").read_text().split())
    listed = re.search(r"Mistakes fail at construction, before anything reaches Azure: (.*?)\. ", text)
    assert listed, "README: 'Mistakes fail at construction, before anything reaches Azure: ...'"
    return [m.strip() for m in listed.group(1).split(", ")]


def test_readme_construction_mistakes_each_fail_at_construction(cert_factory, tmp_path):
    """Each mistake the README lists raises a ConfigurationError when the component is constructed."""
    import pulumi

    from secure_scoring import (
        AksEndpointArgs,
        CertificateBundle,
        CertificateBundleArgs,
        SecureAciService,
        SecureAksCluster,
        SecureAksClusterArgs,
    )
    from secure_scoring.components.aci import SecureAciServiceArgs
    from secure_scoring.errors import ConfigurationError

    root = cert_factory.ca("Mistakes Root CA")
    inter = cert_factory.intermediate(root, "Mistakes Intermediate CA")
    good = cert_factory.leaf(inter, ["scoring.contoso.com"])
    expired = cert_factory.leaf(inter, ["expired.contoso.com"], days=1, not_before_days_ago=10)
    other = cert_factory.leaf(inter, ["other.contoso.com"])
    encrypted = cert_factory.encrypted_key(good)
    cluster_id = (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-aks/providers/"
        "Microsoft.ContainerService/managedClusters/aks-prod"
    )

    def pem(name, cert, key_path, hostnames):
        return CertificateBundle(
            name,
            CertificateBundleArgs(
                source="pem",
                cert_pem=cert.chain_pem(),
                key_pem=Path(key_path).read_text(),
                hostnames=hostnames,
            ),
        )

    def aci(name, auth="key", hostname="scoring.contoso.com"):
        cert = pem(f"{name}-cert", good, good.key_path, ["scoring.contoso.com"])
        SecureAciService(
            name,
            SecureAciServiceArgs(
                resource_group_name="rg",
                certificate=cert,
                hostname=hostname,
                dns_name_label=f"contoso-{name}",
                auth=auth,
            ),
        )

    def aks(name, certificate, endpoints=(), **kwargs):
        SecureAksCluster(
            name,
            SecureAksClusterArgs(
                cluster_id=cluster_id,
                workspace_name="mlw",
                workspace_resource_group_name="rg-ml",
                location="westeurope",
                certificate=certificate,
                endpoints=list(endpoints),
                **kwargs,
            ),
        )

    def microsoft():
        return CertificateBundle(
            "ms",
            CertificateBundleArgs(
                source="microsoft_managed", leaf_domain_label="contoso", location="westeurope"
            ),
        )

    cases = {
        "a certificate that does not cover the hostname": lambda: aci("cover", hostname="api.contoso.com"),
        "an expired certificate": lambda: pem("exp", expired, expired.key_path, ["expired.contoso.com"]),
        "a key that does not match the certificate": lambda: pem(
            "mismatch", good, other.key_path, ["scoring.contoso.com"]
        ),
        "a passphrase-protected key": lambda: pem("enc", good, encrypted, ["scoring.contoso.com"]),
        "token auth on ACI": lambda: aci("token", auth="token"),
        "key and token auth together on AKS": lambda: aks(
            "both",
            pem("both-cert", good, good.key_path, ["scoring.contoso.com"]),
            [AksEndpointArgs(name="fraud", key_auth_enabled=True, token_auth_enabled=True)],
        ),
        "a Microsoft-managed certificate behind an internal load balancer": lambda: aks(
            "internal", microsoft(), mode="v1-attach", load_balancer="internal"
        ),
    }
    mistakes = _construction_mistakes()
    assert set(mistakes) == set(cases), f"README lists {mistakes}; add a case for each new one"
    outcomes = {}

    def program() -> None:
        for mistake, construct in cases.items():
            try:
                construct()
            except ConfigurationError as exc:
                outcomes[mistake] = str(exc)
            else:
                outcomes[mistake] = None
        pulumi.export("done", True)

    run_with_mocks(program, project="readme", stack="dev")
    assert [m for m, message in outcomes.items() if message is None] == []
    # each for its own reason (not, say, an incomplete chain in the test's certificates)
    reasons = {
        "a certificate that does not cover the hostname": "hostname: the certificate does not cover",
        "an expired certificate": "error (cert-expired)",
        "a key that does not match the certificate": "error (key-mismatch)",
        "a passphrase-protected key": "error (key-encrypted)",
        "token auth on ACI": "auth: token authentication",
        "key and token auth together on AKS": "key and token authentication are both enabled",
        "a Microsoft-managed certificate behind an internal load balancer": "load_balancer='internal'",
    }
    wrong = {m: message for m, message in outcomes.items() if reasons[m] not in message}
    assert wrong == {}
