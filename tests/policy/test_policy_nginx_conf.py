"""The nginx configuration reader: tokens, blocks, servers and their listeners, includes spliced from
the secret volumes."""

from __future__ import annotations

import base64

from secure_scoring.policy import nginx_conf as nc


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_tokens_quotes_escapes_and_comments():
    assert nc.parse_nginx("a \"b c\" 'd;e' f\\ g ${x y};  # c ; {\nh;") == (
        nc.NginxDirective("a", ("b c", "d;e", "f g", "${x y}")),
        nc.NginxDirective("h", ()),
    )
    assert nc.parse_nginx("a#b c;") == (nc.NginxDirective("a#b", ("c",)),)


def test_blocks_are_tolerant():
    assert nc.parse_nginx("http { server { listen 443 ssl; }") == (
        nc.NginxDirective(
            "http", (), (nc.NginxDirective("server", (), (nc.NginxDirective("listen", ("443", "ssl")),)),)
        ),
    )
    assert nc.parse_nginx("} a;") == (nc.NginxDirective("a", ()),)


def test_servers_listeners_and_inherited_protocols():
    text = (
        "http { ssl_protocols TLSv1.2; server { listen [::]:443 ssl; listen 8443 quic; } server { ssl on; } }"
    )
    a, b = nc.servers(nc.parse_nginx(text))
    assert a.listens == ((443, True),) and a.protocols == ("TLSv1.2",)
    assert b.listens == ((80, True),) and b.protocols == ("TLSv1.2",)  # nginx's default listener
    assert [nc.listen_port(x) for x in ("443", "*:443", "[::]:8443", "10.0.0.1", "unix:/s")] == [
        443,
        443,
        8443,
        80,
        None,
    ]


def test_conf_files_and_includes_from_the_secret_volumes():
    props = {
        "volumes": [
            {
                "name": "cfg",
                "secret": {
                    "nginx.conf": _b64("http { include /etc/nginx/conf.d/site*.conf; }"),
                    "site.conf": _b64("server { listen 443 ssl; }"),
                    "tls.key": _b64("not a conf"),
                },
            },
            {"name": "later", "secret": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"},
        ]
    }
    files, unknown = nc.conf_files(props)
    assert [f.name for f in files] == ["nginx.conf", "site.conf"] and unknown == ["secret volume 'later'"]
    [(root, directives)] = nc.root_confs(files)
    assert root.name == "nginx.conf" and root.label == "gateway configuration nginx.conf (volume 'cfg')"
    [server] = nc.servers(directives)
    assert server.listens == ((443, True),) and server.protocols is None


def test_large_configurations_are_parsed_once():
    text = "events {}\n" + "# padding\n" * 200 + "http { server { listen 443 ssl; } }"
    assert nc.parse_nginx(text) is nc.parse_nginx(text)
