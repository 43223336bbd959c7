"""The nginx configuration reader the rules use for raw gateways (a container group whose gateway
container mounts its ``*.conf`` files from a secret volume).

:func:`parse_nginx` tokenises and parses a configuration as nginx does (tolerantly); large texts are
parsed once (a stack's gateways usually share one nginx.conf). :func:`conf_files` reads the
configurations of a container group's secret volumes, :func:`root_confs` splices the included
files into the files that include them, :func:`servers` lists the ``server { }`` blocks with their
listeners and the ``ssl_protocols`` that applies to each. Pure: no Pulumi.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .props import UNKNOWN, as_list, get, is_unknown, maybe_base64


@dataclass(frozen=True)
class NginxDirective:
    """One nginx directive: its name, its arguments (quotes removed) and its block (``None`` for a
    simple directive ending in ``;``)."""

    name: str
    args: tuple[str, ...]
    block: tuple[NginxDirective, ...] | None = None


# One regular expression finds every token (the parser runs on every gateway configuration of a
# stack, often hundreds of distinct texts): whitespace, a comment (``#`` at the start of a token, to
# the end of the line), a separator, a quoted string (to its closing quote or the end of the text),
# or a bare word (``${var}`` whole, whatever it holds; a backslash escapes the next character).
_TOKEN_RE = re.compile(
    r"""(?P<space>\s+)
      | (?P<comment>\#[^\n]*\n?)
      | (?P<sep>[;{}])
      | "(?P<dq>(?:[^"\\]|\\.|\\\Z)*)(?:"|\Z)
      | '(?P<sq>(?:[^'\\]|\\.|\\\Z)*)(?:'|\Z)
      | (?P<word>(?:\$\{[^}]*\}?|\\.|\\\Z|\$|[^\s;{}"'\\$])+)""",
    re.VERBOSE | re.DOTALL,
)
_QUOTED_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)
_WORD_ESCAPE_RE = re.compile(r"(\$\{[^}]*\}?)|\\(.)", re.DOTALL)


def _unescape_word(m: re.Match[str]) -> str:
    return m.group(1) or m.group(2)


def _nginx_tokens(text: str) -> list[tuple[str, str]]:
    """nginx's tokens: ``("word", text)`` and ``("sep", ";" | "{" | "}")``. Directives end at ``;``,
    ``{`` or ``}`` (never at a line end); ``#`` starts a comment only at the start of a token;
    quoted strings ("..." or '...', backslash escapes) are single words whatever they contain."""
    out: list[tuple[str, str]] = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup
        if kind == "sep":
            out.append(("sep", m.group("sep")))
        elif kind == "word":
            word = m.group("word")
            out.append(("word", _WORD_ESCAPE_RE.sub(_unescape_word, word) if "\\" in word else word))
        elif kind in ("dq", "sq"):
            quoted = m.group(kind)
            out.append(("word", _QUOTED_ESCAPE_RE.sub(r"\1", quoted) if "\\" in quoted else quoted))
    return out


# Parsing is pure and its result immutable, and a stack's gateways usually share one nginx.conf:
# remember the large ones across groups. A group's own files (a keys.conf holds its auth keys, which
# are in the props anyway) are remembered per file by _conf_file, for the rules that read them in turn.
_PARSE_CACHE_MIN_CHARS = 1024


def parse_nginx(text: str) -> tuple[NginxDirective, ...]:
    """The directives of an nginx configuration (tolerant: an unclosed block ends at the end of the
    text, a stray ``}`` is ignored)."""
    if len(text) >= _PARSE_CACHE_MIN_CHARS:
        return _parse_nginx_cached(text)
    return _parse_nginx(text)


@functools.lru_cache(maxsize=64)
def _parse_nginx_cached(text: str) -> tuple[NginxDirective, ...]:
    return _parse_nginx(text)


def _parse_nginx(text: str) -> tuple[NginxDirective, ...]:
    stack: list[tuple[str, tuple[str, ...], list[NginxDirective]]] = [("", (), [])]
    words: list[str] = []
    for kind, value in _nginx_tokens(text):
        if kind == "word":
            words.append(value)
        elif value == ";":
            if words:
                stack[-1][2].append(NginxDirective(words[0], tuple(words[1:])))
            words = []
        elif value == "{":
            stack.append((words[0] if words else "", tuple(words[1:]), []))
            words = []
        else:  # "}"
            if words:  # `a b }`: nginx refuses it; keep the words as a directive
                stack[-1][2].append(NginxDirective(words[0], tuple(words[1:])))
                words = []
            if len(stack) > 1:
                name, args, body = stack.pop()
                stack[-1][2].append(NginxDirective(name, args, tuple(body)))
    while len(stack) > 1:
        name, args, body = stack.pop()
        stack[-1][2].append(NginxDirective(name, args, tuple(body)))
    if words:
        stack[0][2].append(NginxDirective(words[0], tuple(words[1:])))
    return tuple(stack[0][2])


def walk(directives: Iterable[NginxDirective]) -> Iterable[NginxDirective]:
    for d in directives:
        yield d
        if d.block is not None:
            yield from walk(d.block)


def listen_port(address: str) -> int | None:
    """The port of an nginx ``listen`` address (``443``, ``*:443``, ``[::]:443``, ``10.0.0.1``
    = 80); None for a UNIX socket or an unreadable address."""
    if address.startswith("unix:"):
        return None
    if address.startswith("["):
        rest = address.partition("]")[2]
        port_text = rest[1:] if rest.startswith(":") else "80"
    elif address.isdigit():
        port_text = address
    elif ":" in address:
        port_text = address.rsplit(":", 1)[1]
    else:
        port_text = "80"
    return int(port_text) if port_text.isdigit() else None


@dataclass(frozen=True)
class NginxServer:
    listens: tuple[tuple[int | None, bool], ...]  # (port, ssl)
    protocols: tuple[str, ...] | None  # effective ssl_protocols (own or inherited); None: not set


def servers(directives: Sequence[NginxDirective]) -> list[NginxServer]:
    """Every ``server { }`` block (http and stream) with its listeners and the ssl_protocols that
    applies to it (its own, else the nearest enclosing block's)."""
    out: list[NginxServer] = []

    def protocols_of(block: Sequence[NginxDirective], inherited: tuple[str, ...] | None):
        own = [d.args for d in block if d.name == "ssl_protocols" and d.block is None]
        return tuple(own[-1]) if own else inherited

    def visit(block: Sequence[NginxDirective], inherited: tuple[str, ...] | None) -> None:
        inherited = protocols_of(block, inherited)
        for d in block:
            if d.block is None:
                continue
            if d.name == "server":
                ssl_on = any(x.name == "ssl" and x.block is None and x.args[:1] == ("on",) for x in d.block)
                listens = []
                for x in d.block:
                    if x.name == "listen" and x.block is None and x.args:
                        params = {a.lower() for a in x.args[1:]}
                        if "quic" in params:
                            continue  # HTTP/3 is UDP and always TLS 1.3
                        listens.append((listen_port(x.args[0]), ssl_on or "ssl" in params))
                if not listens and not any(x.name == "listen" for x in d.block):
                    listens.append((80, ssl_on))  # nginx's default listener
                out.append(NginxServer(tuple(listens), protocols_of(d.block, inherited)))
            elif d.name in ("http", "stream", "mail"):
                visit(d.block, inherited)

    # a file that holds only `server { }` blocks (conf.d/*.conf) is visited the same way
    visit(directives, None)
    return out


@dataclass(frozen=True)
class ConfFile:
    volume: str
    name: str
    directives: tuple[NginxDirective, ...]

    @property
    def label(self) -> str:
        return f"gateway configuration {self.name} (volume '{self.volume}')"


def conf_files(
    props: Mapping[str, Any], volumes_wanted: set[str] | None = None
) -> tuple[list[ConfFile], list[str]]:
    """The ``*.conf`` files of the container group's secret volumes (only ``volumes_wanted`` when
    given), parsed; and the names of those not known yet."""
    files_out: list[ConfFile] = []
    unknown: list[str] = []
    volumes = get(props, "volumes", [])
    if is_unknown(volumes):
        return [], ["volumes"]
    for vol in as_list(volumes):
        if not isinstance(vol, Mapping):
            continue
        vname = str(get(vol, "name"))
        if volumes_wanted is not None and vname not in volumes_wanted:
            continue
        files = get(vol, "secret")
        if is_unknown(files):
            unknown.append(f"secret volume '{vname}'")
            continue
        if not isinstance(files, Mapping):
            continue
        for fname, content in files.items():
            if not str(fname).endswith(".conf"):
                continue
            if is_unknown(content):
                unknown.append(f"gateway configuration {fname}")
                continue
            conf = _conf_file(vname, str(fname), content) if isinstance(content, str) else None
            if conf is None and not isinstance(content, str):
                text = maybe_base64(content)
                conf = None if text is None else ConfFile(vname, str(fname), parse_nginx(text))
            if conf is not None:
                files_out.append(conf)
    return files_out, unknown


@functools.lru_cache(maxsize=256)
def _conf_file(volume: str, name: str, content: str) -> ConfFile | None:
    """A configuration file of a secret volume, parsed (None: not text). Rules that read a group's
    configuration (tls-required, auth-required, min-tls-1-2, ...) ask for the same files in turn; the
    answer is kept for the last files seen, for the life of the (short) pack or gate process."""
    text = maybe_base64(content)
    return None if text is None else ConfFile(volume, name, parse_nginx(text))


def included_files(d: NginxDirective, files: Sequence[ConfFile]) -> list[ConfFile]:
    if d.name != "include" or d.block is not None or not d.args:
        return []
    pattern = d.args[0].rsplit("/", 1)[-1]
    return [f for f in files if fnmatch.fnmatchcase(f.name.rsplit("/", 1)[-1], pattern)]


def _splice(
    directives: tuple[NginxDirective, ...], files: Sequence[ConfFile], depth: int
) -> tuple[NginxDirective, ...]:
    out: list[NginxDirective] = []
    for d in directives:
        matched = included_files(d, files) if depth < 8 else []
        if matched:
            for f in matched:
                out.extend(_splice(f.directives, files, depth + 1))
        elif d.block is not None:
            out.append(replace(d, block=_splice(d.block, files, depth)))
        else:
            out.append(d)
    return tuple(out)


def root_confs(files: Sequence[ConfFile]) -> list[tuple[ConfFile, tuple[NginxDirective, ...]]]:
    """The files no other file includes, each with its includes spliced in."""
    included = {
        id(f) for c in files for d in walk(c.directives) for f in included_files(d, files) if f is not c
    }
    return [(c, _splice(c.directives, files, 0)) for c in files if id(c) not in included]


# ------------------------------------------------------------------------------------------ gateways
NGINX_IMAGE_RE = re.compile(r"(nginx|openresty)", re.IGNORECASE)
"""An nginx gateway container: its image or command names nginx (or openresty)."""

_AUTH_DIRECTIVES = frozenset({"auth_request", "auth_basic", "auth_jwt", "auth_basic_user_file"})


@dataclass(frozen=True)
class Gateway:
    """An nginx container of a container group whose configuration is readable from the secret
    volumes it mounts: its root configurations (includes spliced in)."""

    container: str
    confs: tuple[tuple[ConfFile, tuple[NginxDirective, ...]], ...]
    volumes: tuple[str, ...]

    def tls_servers(self) -> list[tuple[ConfFile, NginxServer]]:
        return [
            (conf, s) for conf, ds in self.confs for s in servers(ds) if any(ssl for _p, ssl in s.listens)
        ]

    def authenticates(self) -> bool:
        """The configuration checks the caller: an ``auth_*`` directive, a ``map``/``if`` on the
        ``Authorization`` header, or a 401/403 ``return``."""
        for _conf, ds in self.confs:
            for d in walk(ds):
                if d.name in _AUTH_DIRECTIVES and d.args and d.args[0] != "off":
                    return True
                if d.name in ("map", "if") and any("http_authorization" in a.lower() for a in d.args):
                    return True
                if d.name == "return" and d.args and d.args[0] in ("401", "403"):
                    return True
        return False


def runs_image(container: Mapping[str, Any], pattern: re.Pattern[str]) -> bool | None:
    """Whether a container's image or command matches ``pattern`` (None: not known yet)."""
    image, command = get(container, "image"), get(container, "command", [])
    if is_unknown(image) or is_unknown(command):
        return None
    text = " ".join([str(image or "")] + [str(x) for x in as_list(command) if isinstance(x, str)])
    return pattern.search(text) is not None


_GATEWAYS_CACHE: dict[Any, tuple[tuple[Gateway, ...], tuple[str, ...]]] = {}
_GATEWAYS_CACHE_SIZE = 64


def _gateways_key(props: Mapping[str, Any]) -> Any:
    """What :func:`gateways` reads of a group (containers' names, images, commands and mounts; the
    secret volumes' files), as a hashable key; None when a value cannot be one."""

    def hashable(value: Any) -> Any:
        return value if isinstance(value, str | int | float | bool | type(None)) else repr(value)

    containers = get(props, "containers", [])
    volumes = get(props, "volumes", [])
    if not isinstance(containers, list | tuple) or not isinstance(volumes, list | tuple):
        return None
    key_containers = tuple(
        (
            hashable(get(c, "name")),
            hashable(get(c, "image")),
            repr(get(c, "command")),
            repr(get(c, "volumeMounts")),
        )
        if isinstance(c, Mapping)
        else repr(c)
        for c in containers
    )
    key_volumes = []
    for v in volumes:
        if not isinstance(v, Mapping):
            key_volumes.append(repr(v))
            continue
        secret = get(v, "secret")
        files = (
            tuple((str(k), hashable(x)) for k, x in secret.items())
            if isinstance(secret, Mapping)
            else repr(secret)
        )
        key_volumes.append((hashable(get(v, "name")), files))
    return key_containers, tuple(key_volumes)


def gateways(props: Mapping[str, Any]) -> tuple[list[Gateway], list[str]]:
    """The nginx gateways of a container group with a readable configuration, and what is not known.

    Several rules ask it of the same group: the answer is kept for the last groups seen (by what it
    reads, not by object: every rule gets its own copy of the props)."""
    try:
        key = _gateways_key(props)
        hash(key)
    except TypeError:
        key = None
    if key is not None and key in _GATEWAYS_CACHE:
        found, unknown = _GATEWAYS_CACHE[key]
        return list(found), list(unknown)
    found_list, unknown_list = _gateways(props)
    if key is not None:
        if len(_GATEWAYS_CACHE) >= _GATEWAYS_CACHE_SIZE:
            _GATEWAYS_CACHE.clear()
        _GATEWAYS_CACHE[key] = (tuple(found_list), tuple(unknown_list))
    return found_list, unknown_list


def _gateways(props: Mapping[str, Any]) -> tuple[list[Gateway], list[str]]:
    out: list[Gateway] = []
    unknown: list[str] = []
    containers = get(props, "containers", [])
    if is_unknown(containers):
        return [], ["containers"]
    for c in as_list(containers):
        if not isinstance(c, Mapping):
            continue
        nginx = runs_image(c, NGINX_IMAGE_RE)
        if nginx is None:
            unknown.append(f"container '{get(c, 'name')}' image")
            continue
        if not nginx:
            continue
        mounts = get(c, "volumeMounts", [])
        if is_unknown(mounts):
            unknown.append(f"container '{get(c, 'name')}' volumeMounts")
            continue
        mounted = {str(get(m, "name")) for m in as_list(mounts) if isinstance(m, Mapping)}
        files, missing = conf_files(props, mounted)
        unknown.extend(missing)
        if files:
            out.append(Gateway(str(get(c, "name")), tuple(root_confs(files)), tuple(sorted(mounted))))
    return out, unknown


def volume_file(props: Mapping[str, Any], volumes: Sequence[str], path: str) -> Any:
    """The text of the file ``path`` names (its base name) in one of ``volumes`` (secret volumes);
    the unknown sentinel when it is not known yet; None when absent."""
    wanted = path.rsplit("/", 1)[-1]
    for vol in as_list(get(props, "volumes", [])):
        if not isinstance(vol, Mapping) or str(get(vol, "name")) not in volumes:
            continue
        files = get(vol, "secret")
        if is_unknown(files):
            return UNKNOWN
        if isinstance(files, Mapping) and wanted in files:
            content = files[wanted]
            return UNKNOWN if is_unknown(content) else maybe_base64(content)
    return None


def served_certificates(gateway: Gateway, props: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(label, certificate text, key text)`` for each ``ssl_certificate`` a TLS server of the
    gateway serves (text: None when the file is not in its volumes, unknown when not known yet; the
    key is looked up only when it sits in the certificate's directory, else it is unknown)."""
    out: list[tuple[str, Any, Any]] = []
    seen: set[str] = set()
    for conf, ds in gateway.confs:
        cert_paths = [d.args[0] for d in walk(ds) if d.name == "ssl_certificate" and d.args]
        key_paths = [d.args[0] for d in walk(ds) if d.name == "ssl_certificate_key" and d.args]
        for i, cert_path in enumerate(cert_paths):
            if cert_path in seen:
                continue
            seen.add(cert_path)
            key_path = key_paths[min(i, len(key_paths) - 1)] if key_paths else None
            label = f"{cert_path.rsplit('/', 1)[-1]} served by {conf.label} of gateway '{gateway.container}'"
            if key_path and key_path.rsplit("/", 1)[0] == cert_path.rsplit("/", 1)[0]:
                key = volume_file(props, gateway.volumes, key_path)
            else:  # no key directive, or a key elsewhere (baked into the image): not judged here
                key = UNKNOWN
            out.append((label, volume_file(props, gateway.volumes, cert_path), key))
    return out


# ------------------------------------------------------------------------------------------ other TLS proxies
TLS_PROXY_IMAGE_RE = re.compile(r"(nginx|envoy|haproxy|caddy|traefik|stunnel|openresty|hitch)", re.IGNORECASE)
"""A TLS gateway container: its image or command names a TLS-terminating proxy."""
CERT_FILE_RE = re.compile(r"(\.crt$|\.pem$|\.cer$|cert|chain)", re.IGNORECASE)
"""A file name that looks like a certificate's."""
KEY_FILE_RE = re.compile(r"(\.key$|key\.pem$|privkey|private)", re.IGNORECASE)
"""A file name that looks like a private key's."""


def certificate_volumes(props: Mapping[str, Any]) -> tuple[set[str], dict[str, str]]:
    """The secret volumes of a group holding a certificate file and a key file (by their names), and
    those whose files are not known yet (name -> ``volumes[i].secret``). A TLS gateway mounts one."""
    certified: set[str] = set()
    undecided: dict[str, str] = {}
    for i, vol in enumerate(as_list(get(props, "volumes", []))):
        if not isinstance(vol, Mapping):
            continue
        name = str(get(vol, "name"))
        files = get(vol, "secret")
        if files is None:
            files = get(vol, "secretReference")
        if is_unknown(files):
            undecided[name] = f"volumes[{i}].secret"
        elif isinstance(files, Mapping):
            names = [str(k) for k in files]
            if any(CERT_FILE_RE.search(k) for k in names) and any(KEY_FILE_RE.search(k) for k in names):
                certified.add(name)
    return certified, undecided


def unreadable_gateways(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The containers of a group that run a TLS proxy whose configuration the pack cannot read (caddy,
    envoy, haproxy, traefik, ..., or nginx with its configuration baked into the image) and mount a
    :func:`certificate_volumes` volume (or one not known yet): the TLS gateways ``tls-required`` takes
    them for. A proxy image without a certificate serves no TLS (``tls-required`` says so)."""
    readable, _unknown = gateways(props)
    skip = {g.container for g in readable}
    certified, undecided = certificate_volumes(props)

    def has_certificate(c: Mapping[str, Any]) -> bool:
        mounted = {str(get(m, "name")) for m in as_list(get(c, "volumeMounts", [])) if isinstance(m, Mapping)}
        return bool(mounted & (certified | set(undecided)))

    return [
        c
        for c in as_list(get(props, "containers", []))
        if isinstance(c, Mapping)
        and str(get(c, "name")) not in skip
        and runs_image(c, TLS_PROXY_IMAGE_RE) is True
        and has_certificate(c)
    ]


def other_gateway_certificates(props: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``(label, certificate text or UNKNOWN)`` for each certificate a TLS gateway whose nginx
    configuration is not readable serves: caddy, envoy, haproxy, traefik, ..., or nginx with its
    configuration baked into the image. What such a gateway serves is the certificate file of the
    secret volumes it mounts (what ``tls-required`` takes it for): every file there holding a
    certificate that is not a CA certificate (a client-CA or root file next to it is not what it
    serves), or, when all are CA certificates (``openssl req -x509`` marks its self-signed
    certificates CA:TRUE), all of them. A file whose content is not known yet is UNKNOWN when its
    name looks like a certificate's."""
    from .certificates import certificate_facts  # lazy: cryptography only when a certificate is judged

    out: list[tuple[str, Any]] = []
    volumes = {
        str(get(v, "name")): get(v, "secret")
        for v in as_list(get(props, "volumes", []))
        if isinstance(v, Mapping)
    }
    for c in unreadable_gateways(props):
        leaves: list[tuple[str, Any]] = []
        cas: list[tuple[str, Any]] = []
        mounts = get(c, "volumeMounts", [])
        for vname in dict.fromkeys(str(get(m, "name")) for m in as_list(mounts) if isinstance(m, Mapping)):
            files = volumes.get(vname)
            if not isinstance(files, Mapping):
                continue
            for fname, content in files.items():
                label = f"{fname} in secret volume '{vname}' of gateway '{get(c, 'name')}'"
                if is_unknown(content):
                    if CERT_FILE_RE.search(str(fname)):
                        leaves.append((label, UNKNOWN))
                    continue
                text = maybe_base64(content)
                facts = certificate_facts(text)
                if facts is not None:
                    (cas if facts.is_ca else leaves).append((label, text))
        out.extend(leaves or cas)
    return out
