"""Insecure on purpose (breaks `min-tls-1-2`): a hand-written container group with a proper TLS
gateway (nginx on 443 only, certificate and key in a secret volume) whose nginx configuration still
allows TLS 1.0 and 1.1. Everything else is right: CA-issued example certificate (stacks/certs), only
443 exposed, the scorer on localhost.

The fix: `ssl_protocols TLSv1.2 TLSv1.3;` (what SecureAciService's gateway renders)."""

import base64
from pathlib import Path

import pulumi
import pulumi_azure_native.containerinstance as ci

CERTS = Path(__file__).resolve().parents[3] / "stacks" / "certs"  # example material


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


NGINX_CONF = """\
events {}
http {
  server {
    listen 443 ssl;
    server_name scoring.example.com;
    ssl_certificate /etc/nginx/tls/tls.crt;
    ssl_certificate_key /etc/nginx/tls/tls.key;
    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;
    location / {
        if ($http_authorization = "") { return 401; }
        proxy_pass http://127.0.0.1:5001;
    }
  }
}
"""

files = pulumi.Output.secret(
    {
        "nginx.conf": b64(NGINX_CONF),
        "tls.crt": b64((CERTS / "production-fullchain.pem").read_text()),
        "tls.key": b64((CERTS / "production.key").read_text()),
    }
)

group = ci.ContainerGroup(
    "scoring",
    resource_group_name="rg-scoring-prod",
    os_type="Linux",
    containers=[
        ci.ContainerArgs(
            name="scorer",
            image="mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest",
            resources=ci.ResourceRequirementsArgs(requests=ci.ResourceRequestsArgs(cpu=1, memory_in_gb=1.5)),
        ),
        ci.ContainerArgs(
            name="gateway",
            image="nginx:1.27-alpine",
            command=["nginx", "-c", "/etc/nginx/tls/nginx.conf", "-g", "daemon off;"],
            ports=[ci.ContainerPortArgs(port=443, protocol="TCP")],
            volume_mounts=[ci.VolumeMountArgs(name="gateway", mount_path="/etc/nginx/tls", read_only=True)],
            resources=ci.ResourceRequirementsArgs(
                requests=ci.ResourceRequestsArgs(cpu=0.25, memory_in_gb=0.5)
            ),
        ),
    ],
    volumes=[ci.VolumeArgs(name="gateway", secret=files)],
    ip_address=ci.IpAddressArgs(type="Public", ports=[ci.PortArgs(port=443, protocol="TCP")]),
)
