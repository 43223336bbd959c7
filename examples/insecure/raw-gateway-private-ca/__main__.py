"""Insecure on purpose (breaks `no-self-signed-in-production`): a hand-written container group whose
nginx TLS gateway serves a chain issued by a private CA (the example CA of stacks/certs) that is
neither in the system trust store nor declared, in production. Clients that do not trust that CA
refuse the endpoint. The gateway checks the Authorization header, the chain is complete and covers
the name: only the trust is wrong.

The fix: declare the CA the endpoint's clients trust in the stack config
`secure-scoring:trustedCaCertificates` (a PEM string, or a path relative to this project, e.g.
`- ../../../stacks/certs/example-root-ca.pem`), or serve a certificate from a public CA (or use
SecureAciService with a CertificateBundle that declares the CA with ca_bundle_file)."""

import base64
from pathlib import Path

import pulumi
import pulumi_azure_native.containerinstance as ci

CERTS = Path(__file__).resolve().parents[3] / "stacks" / "certs"  # example material
NGINX_CONF = """\
events {}
http {
    map $http_authorization $authorized { default 0; "Bearer example-key" 1; }
    server {
        listen 443 ssl;
        ssl_certificate /etc/nginx/tls/tls.crt;
        ssl_certificate_key /etc/nginx/tls/tls.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        location / {
            if ($authorized = 0) { return 401; }
            proxy_pass http://127.0.0.1:5001;
        }
    }
}
"""


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


group = ci.ContainerGroup(
    "scoring",
    resource_group_name="rg-scoring-prod",
    os_type="Linux",
    containers=[
        ci.ContainerArgs(
            name="scorer",
            image="mcr.microsoft.com/azureml/minimal-py311-inference:59",
            resources=ci.ResourceRequirementsArgs(requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=1.5)),
        ),
        ci.ContainerArgs(
            name="gateway",
            image="public.ecr.aws/docker/library/nginx:1.30-alpine",
            ports=[ci.ContainerPortArgs(port=443, protocol="TCP")],
            volume_mounts=[ci.VolumeMountArgs(name="tls", mount_path="/etc/nginx/tls", read_only=True)],
            command=["nginx", "-c", "/etc/nginx/tls/nginx.conf", "-g", "daemon off;"],
            resources=ci.ResourceRequirementsArgs(
                requests=ci.ResourceRequestsArgs(cpu=0.5, memory_in_gb=0.5)
            ),
        ),
    ],
    volumes=[
        ci.VolumeArgs(
            name="tls",
            secret={
                "nginx.conf": b64(NGINX_CONF),
                "tls.crt": b64((CERTS / "production-fullchain.pem").read_text()),
                "tls.key": pulumi.Output.secret(b64("the key stays out of the example")),
            },
        )
    ],
    ip_address=ci.IpAddressArgs(
        type="Public",
        ports=[ci.PortArgs(port=443, protocol="TCP")],
        dns_name_label="contoso-scoring",
        auto_generated_domain_name_label_scope="TenantReuse",
    ),
)
