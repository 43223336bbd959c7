"""Programs the gate tests share, and the helpers that write a small Pulumi project on disk
(the fixtures are in support/fixtures_gate.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from secure_scoring import gate

CG_PROGRAM = """\
import pulumi
import pulumi_azure_native.containerinstance as ci

config = pulumi.Config()
port = config.get_int("port") or 443


def group(name, port):
    return ci.ContainerGroup(  # line 9
        name,
        resource_group_name="rg",
        os_type="Linux",
        containers=[ci.ContainerArgs(name="app", image="nginx",
            resources=ci.ResourceRequirementsArgs(requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=1)))],
        ip_address=ci.IpAddressArgs(type="Public", ports=[ci.PortArgs(port=port, protocol="TCP")]),
    )


web = group("web", port)
"""


def _write(root: Path, project_yaml: str, main: str, stacks: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(project_yaml)
    (root / "__main__.py").write_text(textwrap.dedent(main))
    for stack, body in stacks.items():
        (root / f"Pulumi.{stack}.yaml").write_text(textwrap.dedent(body))
    return root


def write_program(
    root: Path,
    main: str,
    *,
    project: str = "demo",
    stacks: dict[str, str] | None = None,
    project_yaml: str | None = None,
) -> Path:
    """A project ``project`` with ``main`` as its __main__.py and ``stacks`` (default: ``dev``, empty)."""
    return _write(
        root, project_yaml or f"name: {project}\nruntime: python\n", main, stacks or {"dev": "config: {}\n"}
    )


def write_project(root: Path, main: str, stacks: dict[str, str], name: str = "newuser") -> Path:
    """A project ``name`` with ``main`` and exactly the given ``stacks``."""
    return _write(root, f"name: {name}\nruntime: python\n", main, stacks)


def pack_spy_resources(root):
    project = gate.load_project(root)
    return gate.run_program(project, gate.load_stack_config(project, "dev")).resources


SELF_SIGNED = """\
import pulumi_tls as tls

key = tls.PrivateKey("k", algorithm="ECDSA", ecdsa_curve="P256")
tls.SelfSignedCert("c", private_key_pem=key.private_key_pem, validity_period_hours=8760,
                   allowed_uses=["server_auth"], dns_names=["x.contoso.test"])
"""


DIRECT = """\
import pulumi


class Foreign(pulumi.ComponentResource):
    pass


def group(name):
    return pulumi.CustomResource(  # line 9
        "azure-native:containerinstance:ContainerGroup",
        name,
        {"ipAddress": {"type": "Public", "ports": [{"port": 80, "protocol": "TCP"}]}, "containers": []},
    )


group("web")
pulumi.ComponentResource("secure-scoring:index:SecureAciService", "svc", {  # line 17
    "platform": "aci", "tlsEnabled": False, "authMode": "key", "keyAuthEnabled": True,
    "tokenAuthEnabled": False, "minTlsVersion": "1.2", "environment": "production"})
"""
