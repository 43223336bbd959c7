"""``SecureAciService``: an Azure ML scoring container on Azure Container Instances, HTTPS only.

ACI has no TLS switch in Azure's resource model (Azure ML SDK v1's ``ssl_enabled`` did it inside the
service). This component builds ONE ``containerinstance.ContainerGroup`` with two containers:

- ``scorer``: the Azure ML inference server (or your image) listening on 127.0.0.1:5001 inside the
  group. Its port is declared on the container only, never on the group's IP.
- ``gateway``: nginx, started with ``-c /etc/nginx/secure-scoring/nginx.conf``, terminating TLS 1.2+
  on 443 with your certificate, enforcing key authentication (or none) and proxying to the scorer.

The gateway's configuration, certificate chain, private key and key map travel in one ``secret``
volume (base64 values, the whole dict a Pulumi secret) mounted read-only into the gateway only. The
group's public IP exposes 443/TCP and nothing else, with a DNS label whose reuse scope is never
``Unsecure``. Point your DNS name at the group's FQDN with ``DnsRecordBinding`` (CNAME).

Layout: :mod:`.args` (the arguments and defaults), :mod:`.plan` (``plan_aci_service`` → ``AciPlan``,
named steps, no registration), :mod:`.slots` (blue/green: ``slots``/``active_slot``, one group per
slot, ``plan_slots``), :mod:`.service` (the component, registering what the plans decided).
"""

from .args import (
    DEFAULT_GATEWAY_IMAGE,
    DEFAULT_SCORER_IMAGE,
    INFERENCE_LOCALHOST,
    REPLACE_ON_CHANGES,
    SCORER_ALIVE,
    AciSlotArgs,
    RegistryCredential,
    SecureAciServiceArgs,
)
from .plan import AciPlan, plan_aci_service
from .service import AciSlot, SecureAciService

__all__ = [
    "DEFAULT_GATEWAY_IMAGE",
    "DEFAULT_SCORER_IMAGE",
    "INFERENCE_LOCALHOST",
    "REPLACE_ON_CHANGES",
    "SCORER_ALIVE",
    "AciPlan",
    "AciSlot",
    "AciSlotArgs",
    "RegistryCredential",
    "SecureAciService",
    "SecureAciServiceArgs",
    "plan_aci_service",
]
