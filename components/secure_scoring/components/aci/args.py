"""The arguments of :class:`~secure_scoring.components.aci.SecureAciService` and its defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from ..keys import KEY

if TYPE_CHECKING:
    from ..certificate_bundle import CertificateBundle

__all__ = [
    "AZURE_PLATFORM_DNS",
    "CONFIG_VOLUME",
    "DEFAULT_ENTRY_SCRIPT",
    "DEFAULT_GATEWAY_IMAGE",
    "DEFAULT_MODEL_DIR",
    "DEFAULT_SCORER_IMAGE",
    "DNS_LABEL_SCOPES",
    "HTTPS_PORT",
    "INFERENCE_LOCALHOST",
    "INFERENCE_LOCALHOST_GUARD",
    "REPLACE_ON_CHANGES",
    "SCORER_ALIVE",
    "SCORER_PORT",
    "AciSlotArgs",
    "RegistryCredential",
    "SecureAciServiceArgs",
    "is_inference_image",
]

DEFAULT_SCORER_IMAGE = "mcr.microsoft.com/azureml/curated/minimal-py311-inference:59"
"""Azure ML's minimal CPU inference image (Ubuntu 22.04, Python 3.11, azureml-inference-server-http),
pinned by tag; see docs/secure-aci-service.md for pinning by digest and for a copy in your own ACR."""
DEFAULT_GATEWAY_IMAGE = "public.ecr.aws/docker/library/nginx:1.30-alpine"
"""The official nginx image (1.30 stable line, Alpine) from a mirror of Docker Hub's official images
without Docker Hub's anonymous pull limits; point ``gateway_image`` at your own registry to choose."""
DEFAULT_ENTRY_SCRIPT = "/var/azureml-app/score.py"
DEFAULT_MODEL_DIR = "/var/azureml-app/azureml-models"
SCORER_PORT = 5001
HTTPS_PORT = 443
CONFIG_VOLUME = "gateway-config"

# dns label reuse scopes accepted by ACI (enum DnsNameLabelReusePolicy; note the spelling 'Noreuse')
DNS_LABEL_SCOPES = {
    "tenantreuse": "TenantReuse",
    "subscriptionreuse": "SubscriptionReuse",
    "resourcegroupreuse": "ResourceGroupReuse",
    "noreuse": "Noreuse",
}

# Azure's platform DNS (the wire server's virtual IP), reachable from every container group: the
# gateway's nginx resolves the CA's OCSP responder through it (without a resolver nginx cannot staple).
AZURE_PLATFORM_DNS = "168.63.129.16"

# Properties of a container group ACI cannot change in place: azure-native's PUT is refused ("you must
# delete it first"), so Pulumi replaces the group, deleting the old one first (the new group cannot
# take the DNS label while the old one holds it). Property paths as azure-native names its inputs.
REPLACE_ON_CHANGES = ("containers[*].resources", "osType", "restartPolicy")

# Runs the inference server's own CLI (``azmlinfsrv``, whatever module provides it in the image's
# version) bound to 127.0.0.1 instead of its hard-coded 0.0.0.0. azmlinfsrv has no host option, so
# the bind is forced where every version ends up: gunicorn's configuration, after its arguments are
# parsed (each address keeps its port, the host becomes 127.0.0.1). The server's own DEFAULT_HOST
# is set too, where a version has it, so that what it prints agrees.
INFERENCE_LOCALHOST_GUARD = (
    "import gunicorn.app.base as g\n"
    "load = g.Application.load_config\n"
    "def local(app):\n"
    "    load(app)\n"
    "    app.cfg.set('bind', ['127.0.0.1:' + a.rsplit(':', 1)[-1] for a in app.cfg.bind])\n"
    "g.Application.load_config = local\n"
)
INFERENCE_LOCALHOST = INFERENCE_LOCALHOST_GUARD + (
    "import sys, importlib.metadata as m\n"
    "try:\n"
    "    import azureml_inference_server_http.constants as c\n"
    "    c.DEFAULT_HOST = '127.0.0.1'\n"
    "except ImportError:\n"
    "    pass\n"
    "sys.argv[0] = 'azmlinfsrv'\n"
    "(server,) = m.entry_points(group='console_scripts', name='azmlinfsrv')\n"
    "sys.exit(server.load()())\n"
)

# The repository name of Azure ML's minimal inference images (minimal-py311-inference,
# minimal-ubuntu22.04-py39-cpu-inference ...), in MCR or copied into your own registry.
_INFERENCE_REPOSITORY = re.compile(r"^minimal-[a-z0-9.-]*inference$")


def is_inference_image(image: str) -> bool:
    """True for one of Azure ML's minimal inference images, from any registry, by tag or digest."""
    repository = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return bool(_INFERENCE_REPOSITORY.match(repository.split(":", 1)[0]))


# The scorer's liveness check, run inside the scorer container: Azure ML's health route GET /.
SCORER_ALIVE = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{SCORER_PORT}/', timeout=4)"


@dataclass
class RegistryCredential:
    """Credentials for a private image registry (``ImageRegistryCredentialArgs``)."""

    server: str
    """Registry host, without scheme."""
    username: pulumi.Input[str] | None = None
    password: pulumi.Input[str] | None = None
    """Wrapped with ``pulumi.Output.secret`` by the component."""
    identity: pulumi.Input[str] | None = None
    """Resource id of a user-assigned identity (listed in ``identity_ids``) that pulls instead of a password."""


@dataclass
class AciSlotArgs:
    """One slot of a blue/green :class:`SecureAciService`: a container group of its own (own DNS label,
    own child), serving the same hostname. Every field left None takes the service's value.

    See docs/runbooks/zero-downtime.md: a change (keys, certificate, size, image, gateway options) goes
    to the slot that serves nobody, is verified there, then ``active_slot`` moves the DNS record to it.
    """

    name: str
    """The slot's name: ``"blue"``, ``"green"`` or another 1-16 lower-case letters, digits and hyphens
    (starting with a letter). Its group is the child ``f"{service}-{name}-group"``."""
    certificate: CertificateBundle | None = None
    """The slot's certificate (e.g. the renewed one); must cover the service's hostname."""
    primary_key_version: int | str | None = None
    """Version of the primary key this slot accepts. A key is one per (role, version) and shared by
    every slot that names that version, so clients' keys work on both slots during a switch."""
    secondary_key_version: int | str | None = None
    """Version of the secondary key this slot accepts (shared as above)."""
    image: str | None = None
    """Scorer image of this slot."""
    gateway_image: str | None = None
    """Gateway (nginx) image of this slot."""
    cpu: float | None = None
    memory_gb: float | None = None
    gateway_cpu: float | None = None
    gateway_memory_gb: float | None = None
    gateway_options: Mapping[str, Any] | None = None
    """Replaces the service's ``gateway_options`` for this slot (not merged)."""
    dns_name_label: str | None = None
    """Azure DNS label of this slot's group; default ``f"{service dns_name_label}-{name}"``
    (or the service's label itself with ``existing_group``). Labels of the slots must differ."""
    container_group_name: pulumi.Input[str] | None = None
    """Azure name of this slot's group; default ``f"{service container_group_name}-{name}"`` when the
    service gives one (the service's own name with ``existing_group``), else Pulumi's auto-name."""
    existing_group: bool = False
    """This slot IS the group the service had before it had slots (child ``f"{service}-group"``, the
    service's DNS label, Azure name and keys): aliases keep that group and those keys, with no
    replacement. At most one slot; leave it on for as long as that slot exists."""


@dataclass
class SecureAciServiceArgs:
    """Arguments of :class:`SecureAciService` (plain values decide structure; ``Input`` for the rest).

    TLS is always on: there is no argument to turn it off.
    """

    resource_group_name: pulumi.Input[str]
    """Resource group of the container group. Required."""
    certificate: CertificateBundle
    """The server certificate (full chain) and key; must cover ``hostname``. Required."""
    hostname: str
    """The custom FQDN clients use (``scoring.example.com``); ``scoring_uri`` is ``https://<hostname>/score``. Required."""
    dns_name_label: str
    """Azure DNS label of the group: ``<label>.<region>.azurecontainer.io``, the CNAME target. Required."""
    location: pulumi.Input[str] | None = None
    """Azure region; default: the resource group's region."""
    dns_name_label_scope: str = "TenantReuse"
    """Who may reuse the label's hash-suffixed name: TenantReuse (default), SubscriptionReuse,
    ResourceGroupReuse or Noreuse. 'Unsecure' is refused (subdomain takeover)."""
    auth: str = KEY
    """'key' (default: primary/secondary keys, ``Authorization: Bearer <key>``) or 'none'. 'token' is refused (AKS only)."""
    primary_key_version: int | str = 1
    """Rotation keeper of the primary key: change it to regenerate the primary key only. Default 1."""
    secondary_key_version: int | str = 1
    """Rotation keeper of the secondary key. Default 1."""
    image: str = DEFAULT_SCORER_IMAGE
    """Scorer image. Default: Azure ML's minimal CPU inference image (Python 3.11), pinned by tag; build
    FROM it to add your code, or copy it into your ACR (``image_registry_credentials``)."""
    inference_server: bool | None = None
    """Start the image's Azure ML inference server bound to 127.0.0.1:5001, with a liveness probe.
    Default: True for one of Azure ML's minimal inference images (repository ``minimal-...-inference``,
    from any registry), else False (the image's entrypoint, which must listen on 127.0.0.1:5001)."""
    entry_script: str = DEFAULT_ENTRY_SCRIPT
    """Absolute path of the scoring script (``init()``/``run()``) inside the scorer image."""
    model_dir: str = DEFAULT_MODEL_DIR
    """``AZUREML_MODEL_DIR`` inside the scorer image."""
    scorer_command: Sequence[str] | None = None
    """Scorer start command. Default: with an Azure ML inference image (``inference_server``), the
    inference server bound to 127.0.0.1:5001; otherwise the image's entrypoint (it must listen on
    127.0.0.1:5001)."""
    environment_variables: Mapping[str, pulumi.Input[str]] | None = None
    """Extra environment variables of the scorer (plain)."""
    secure_environment_variables: Mapping[str, pulumi.Input[str]] | None = None
    """Secret environment variables of the scorer (``secure_value``, Pulumi secrets)."""
    worker_count: int | None = None
    """``WORKER_COUNT`` of the inference server; default: the server's default (1)."""
    cpu: float = 1.0
    """vCPUs reserved for the scorer (default 1.0)."""
    memory_gb: float = 1.5
    """Memory (GB) reserved for the scorer (default 1.5)."""
    gateway_image: str = DEFAULT_GATEWAY_IMAGE
    """nginx image of the gateway (default: the official nginx 1.30 Alpine image from the
    ``public.ecr.aws/docker/library`` mirror); any nginx >= 1.25 with ``nginx`` on its PATH."""
    gateway_cpu: float = 0.25
    """vCPUs reserved for the gateway (default 0.25)."""
    gateway_memory_gb: float = 0.5
    """Memory (GB) reserved for the gateway (default 0.5)."""
    gateway_options: Mapping[str, Any] | None = None
    """Extra ``GatewaySettings`` fields (size and timeout limits...); hostnames, auth and ports are set here."""
    environment: str | None = None
    """dev | staging | production; default: the certificate's environment."""
    identity_ids: Sequence[pulumi.Input[str]] | None = None
    """User-assigned managed identities (ARM ids) for the group. Default none."""
    system_assigned_identity: bool = False
    """Also give the group a system-assigned identity. Default False."""
    image_registry_credentials: Sequence[RegistryCredential] | None = None
    """Private registry credentials. Default none (public images)."""
    container_group_name: pulumi.Input[str] | None = None
    """Azure name of the group; default: Pulumi's auto-name."""
    tags: Mapping[str, pulumi.Input[str]] | None = None
    """Tags on the container group."""
    slots: Sequence[AciSlotArgs] | None = None
    """Blue/green: one container group per slot, all serving ``hostname`` (see docs/runbooks/zero-downtime.md).
    Default None: one group, ``f"{name}-group"``, exactly as without slots."""
    active_slot: str | None = None
    """With ``slots``: the name of the slot that serves. ``fqdn`` (the ``DnsRecordBinding`` CNAME target),
    ``ip_address``, ``container_group_id`` and the keys follow it. Required with ``slots``, refused without."""
