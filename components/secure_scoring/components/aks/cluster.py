"""The :class:`SecureAksCluster` component: registers the children its plan decided."""

from __future__ import annotations

from typing import Any

import pulumi

from ...errors import ConfigurationError
from ...facts import type_token
from .args import SecureAksClusterArgs
from .extension import build_extension_mode
from .plan import AksPlan, plan_aks, security_facts
from .v1 import build_v1_mode, system_service_ip


class SecureAksCluster(pulumi.ComponentResource):
    """Azure ML inference on an existing AKS cluster with TLS and exactly one auth mode per endpoint.

    Attributes (Outputs unless noted):

    - ``extension`` (extension mode) and ``compute``: the resources; ``extension_id``, ``compute_id``.
    - ``online_endpoints`` / ``online_deployments``: plain dicts endpoint name -> resource (extension mode).
    - ``scoring_uris``: endpoint name -> scoring URI; ``scoring_uri``: the first endpoint's.
      Extension mode: the URI Azure reports for the endpoint (its host is the ``sslCname``).
      v1-attach: ``https://<host>/api/v1/service/<name>/score`` (the SDK v1 pattern); ``None`` with a
      Microsoft certificate, whose final host name only Azure knows after the attach
      (``Webservice.scoring_uri`` in SDK v1).
    - ``fqdn``: the TLS hostname, or the Microsoft certificate's pattern ``<label>######.<region>.cloudapp.azure.com``
      (the six characters are known only after the attach).
    - ``router_ip``: the router IP given in ``dns``; in v1-attach mode otherwise the public IP Azure reports
      for the compute's system service; ``None`` when not known.
    - ``endpoint_keys`` (secret): name -> ``{"primary_key", "secondary_key"}`` for key endpoints (extension mode).
    - ``endpoint_tokens`` (secret): name -> ``{"access_token", "token_type", "expiry_time_utc",
      "refresh_after_time_utc"}`` for token endpoints: a token fetched at deployment time. Tokens are
      short-lived; clients must fetch a fresh one after ``refresh_after_time_utc`` (see the docs page).
    - ``v1_webservice_settings`` (plain dict, v1-attach): name -> ``{"auth_enabled", "token_auth_enabled"}``
      for ``AksWebservice.deploy_configuration``.
    - ``dns_record``: the :class:`~secure_scoring.components.dns_binding.DnsRecordBinding` child, or ``None``.
    - ``facts``: the :class:`~secure_scoring.facts.SecurityFacts` passed to the policy pack.
    - ``plan`` (plain): the :class:`~secure_scoring.components.aks.plan.AksPlan` decided at construction.
    """

    def __init__(
        self, name: str, args: SecureAksClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        plan = plan_aks(name, args)  # every refusal happens here, before any registration
        cert = args.certificate
        self.facts = security_facts(plan, cert)
        props = {
            **self.facts.props(),
            "mode": plan.mode,
            "loadBalancer": plan.router.load_balancer,
            "routerServiceType": plan.router.service_type,
            "clusterId": args.cluster_id,
        }
        super().__init__(type_token("SecureAksCluster"), name, props, opts)
        self.plan = plan

        build = build_extension_mode if plan.mode == "extension" else build_v1_mode
        children = build(self, name, args, plan)
        self.extension = children.extension
        self.compute = children.compute
        self.online_endpoints: dict[str, Any] = children.online_endpoints
        self.online_deployments: dict[str, Any] = children.online_deployments
        self.v1_webservice_settings: dict[str, dict[str, bool]] = children.v1_webservice_settings
        self.scoring_uris = children.scoring_uris
        self.endpoint_keys = children.endpoint_keys
        self.endpoint_tokens = children.endpoint_tokens

        self.compute_id = self.compute.id
        self.extension_id = (
            self.extension.id if self.extension is not None else pulumi.Output.from_input(None)
        )
        self.dns_record = self._dns_record(name, args, plan)
        self.fqdn = self._fqdn(plan)
        self.router_ip = self._router_ip(args, plan)
        first = plan.endpoints[0].name if plan.endpoints else None
        self.scoring_uri = self.scoring_uris[first] if first else pulumi.Output.from_input(None)

        self.register_outputs(
            {
                **self.facts.outputs(),
                "mode": plan.mode,
                "load_balancer": plan.router.load_balancer,
                "router_service_type": plan.router.service_type,
                "compute_id": self.compute_id,
                "extension_id": self.extension_id,
                "scoring_uri": self.scoring_uri,
                "scoring_uris": self.scoring_uris,
                "fqdn": self.fqdn,
                "router_ip": self.router_ip,
                "endpoint_keys": self.endpoint_keys,
                "endpoint_tokens": self.endpoint_tokens,
            }
        )

    def _dns_record(self, name: str, args: SecureAksClusterArgs, plan: AksPlan) -> Any:
        """The DnsRecordBinding child (custom certificates only; checked by the plan), or None."""
        if plan.dns is None or args.dns is None:
            return None
        from ..dns_binding import DnsRecordBinding, DnsRecordBindingArgs

        dns = args.dns
        return DnsRecordBinding(
            f"{name}-dns",
            DnsRecordBindingArgs(
                zone_name=dns.zone_name,
                resource_group_name=dns.resource_group_name,
                relative_name=plan.dns.relative_name,
                target_ip=dns.router_ip,
                target_resource_id=dns.static_ip_resource_id,
                ttl=int(dns.ttl),
                private=plan.dns.private,
                certificate=args.certificate,
            ),
            pulumi.ResourceOptions(parent=self),
        )

    def _fqdn(self, plan: AksPlan) -> pulumi.Output[Any]:
        if plan.tls.microsoft_cert:
            return pulumi.Output.from_input(plan.tls.microsoft_fqdn)
        if self.dns_record is not None:
            return self.dns_record.fqdn
        return pulumi.Output.from_input(plan.tls.hostname)

    def _router_ip(self, args: SecureAksClusterArgs, plan: AksPlan) -> pulumi.Output[Any]:
        if args.dns is not None and args.dns.router_ip is not None:
            return pulumi.Output.from_input(args.dns.router_ip)
        if plan.mode == "v1-attach":
            return self.compute.properties.apply(system_service_ip)
        return pulumi.Output.from_input(None)

    def dns_target(self) -> tuple[str, pulumi.Output[Any]]:
        """``("A", router_ip)`` for ``DnsRecordBinding(target=cluster)``; refused where no IP is known.

        Without it a binding would fall back to a CNAME to ``fqdn``, which is the TLS hostname
        itself: a record pointing at its own name.
        """
        plan = self.plan
        if plan.tls.microsoft_cert:
            raise ConfigurationError(
                "target",
                "the cluster uses a Microsoft-managed certificate, whose DNS name Azure creates and maintains",
                "drop the DnsRecordBinding (the name is the cluster's fqdn)",
            )
        if self.dns_record is not None:
            raise ConfigurationError(
                "target",
                f"the cluster already creates the record for {plan.tls.hostname} (its dns argument)",
                "drop this DnsRecordBinding, or drop the cluster's dns argument",
            )
        if not plan.tls.enabled:
            raise ConfigurationError(
                "target", "the cluster has TLS turned off, so no hostname to publish", "turn TLS on"
            )
        if plan.mode == "extension":
            raise ConfigurationError(
                "target",
                "the router IP of an extension-mode cluster (the azureml-fe service) is assigned by "
                "Kubernetes and is not an ARM property, so the binding cannot point at it",
                "give the cluster dns=AksDnsArgs(zone_name=..., router_ip=...), or bind with target_ip= "
                "the IP from `kubectl get svc azureml-fe -n azureml`",
            )
        return "A", self.router_ip
