"""The policy rules, as plain Python: no Pulumi, no pulumi_policy.

Each rule is a :class:`Rule` with a stable ``name`` (the policy name, the SARIF ``ruleId``), a
one-line ``description``, a ``remediation`` text, a ``severity``, a JSON-schema ``config_schema``
(thresholds, with defaults) and one check function:

- resource rules: ``check(resource_type, props, ctx) -> list[RuleViolation]`` judge one resource
  from its *inputs* (camelCase wire names; our components' ``props``);
- stack rules: ``check(resources, ctx) -> list[RuleViolation]`` judge every resource of the stack
  from its *outputs* (components: what they passed to ``register_outputs``, snake_case).

Rules read both spellings of our components' facts (``tlsEnabled`` / ``tls_enabled``), compare
numbers as numbers (every number arrives as a float), accept plain dicts, lists, secret envelopes
and pulumi_policy's ``_DictProxy``/``_ListProxy`` alike, and never put property *values* into a
message (secrets arrive in plaintext): only field names, hostnames, port numbers, resource names.

Unknown values (the preview sentinels, or a proxy raising ``UnknownValueError``) are never
violations. They give a :class:`RuleViolation` with ``judged=False`` whose message starts with
``could not judge:``; :mod:`secure_scoring.policy.pack` reports those as advisory.

Production: a stack is production when its name is ``production`` or ``prod`` (always), or is
listed in the stack config ``secure-scoring:productionStacks`` (a list, JSON or comma-separated; it
*adds* names), or its config sets ``secure-scoring:environment: production``. A stack whose name is unknown (``None``, empty or
Pulumi's placeholder ``"stack"``) is treated as production (fail closed). A component whose
``environment`` is ``production`` is judged as production whatever the stack.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..facts import type_token

# --------------------------------------------------------------------------------------------- tokens
ACI_SERVICE = type_token("SecureAciService")
AKS_CLUSTER = type_token("SecureAksCluster")
CERTIFICATE_BUNDLE = type_token("CertificateBundle")
DNS_RECORD_BINDING = type_token("DnsRecordBinding")
SCORING_COMPONENTS = (ACI_SERVICE, AKS_CLUSTER)

CONTAINER_GROUP = "azure-native:containerinstance:ContainerGroup"
ML_COMPUTE = "azure-native:machinelearningservices:Compute"
K8S_EXTENSION = "azure-native:kubernetesconfiguration:Extension"
ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
TLS_SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert"
TLS_LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert"
# current tokens first; the `network` ones are aliases that older programs (provider v1) still use
DNS_RECORD_SETS = ("azure-native:dns:RecordSet", "azure-native:network:RecordSet")
PRIVATE_DNS_RECORD_SETS = (
    "azure-native:privatedns:PrivateRecordSet",
    "azure-native:network:PrivateRecordSet",
)
PUBLIC_IP = "azure-native:network:PublicIPAddress"

# `azure-native:<module>/v20230501:<Type>`: a resource of an explicit API version (the SDK v2
# version modules, the provider's aliases, local SDKs of one version). Same resource, same inputs:
# the rules judge it under its default-version token (`azure-native:<module>:<Type>`).
_VERSIONED_TOKEN = re.compile(r"^(azure-native:[A-Za-z0-9]+)/v\d{8}[A-Za-z]*(:[A-Za-z0-9]+)$")


# A container group profile (the template NGroups create container groups from) has a container
# group's shape (containers, ipAddress, volumes): an insecure profile makes insecure groups, so the
# rules judge it as a container group. `CGProfile` is the same ARM resource under a newer token.
_CONTAINER_GROUP_PROFILES = frozenset(
    {"azure-native:containerinstance:ContainerGroupProfile", "azure-native:containerinstance:CGProfile"}
)


@functools.lru_cache(maxsize=1024)
def canonical_type(token: str) -> str:
    """The type token the rules match: explicit-API-version azure-native tokens
    (``azure-native:containerinstance/v20230501:ContainerGroup``) become the default-version token
    (``azure-native:containerinstance:ContainerGroup``), and container group profiles become
    ``azure-native:containerinstance:ContainerGroup``; every other token is returned as is."""
    m = _VERSIONED_TOKEN.match(token) if isinstance(token, str) else None
    token = m.group(1) + m.group(2) if m else token
    return CONTAINER_GROUP if token in _CONTAINER_GROUP_PROFILES else token


AZUREML_EXTENSION_TYPE = "microsoft.azureml.kubernetes"

# pulumi_policy.proxy's unknown sentinels (the engine's wire encoding of "not known during preview")
UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string (also pulumi.runtime.rpc.UNKNOWN)
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

DEFAULT_PRODUCTION_STACKS = ("production", "prod")
UNKNOWN_STACK_NAMES = ("", "stack")
CONFIG_NAMESPACE = "secure-scoring"

SEVERITIES = ("low", "medium", "high", "critical")


# --------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class RuleViolation:
    """One finding of a rule.

    ``judged=False`` marks a *could-not-judge* note (an unknown value during preview): never a
    violation; the pack reports it as advisory. ``urn`` is set by stack rules (the resource at fault;
    ``""`` for the whole stack) and left ``None`` by resource rules (the judged resource).
    """

    rule: str
    message: str
    urn: str | None = None
    judged: bool = True
    resource_name: str | None = None


@dataclass(frozen=True)
class StackResource:
    """A resource as stack rules see it: its outputs (components: the registered outputs)."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    parent: str | None = None


@dataclass(frozen=True)
class RuleContext:
    """Where the rules run: the stack, its config and the rule's own (merged) config.

    ``stack``: the stack name (``None``/``""``/``"stack"`` = unknown: production rules fail closed).
    ``stack_config``: the stack's config with full keys (``"secure-scoring:environment"``).
    ``config``: this rule's policy config (thresholds); missing keys take the schema defaults.
    ``now``: the time certificate expiry is measured from (default: now, UTC).
    """

    stack: str | None = None
    stack_config: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    now: datetime | None = None

    def for_rule(self, rule: Rule, config: Mapping[str, Any] | None) -> RuleContext:
        merged = dict(rule.defaults())
        for k, v in dict(config or {}).items():
            if k != "enforcementLevel":
                merged[k] = v
        return replace(self, config=merged)

    def when(self) -> datetime:
        if self.now is None:
            return datetime.now(UTC)
        return self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)

    def production_stacks(self) -> tuple[str, ...]:
        """``production`` and ``prod``, plus the names listed in ``secure-scoring:productionStacks``
        (the list adds names: it never makes ``production`` a non-production stack)."""
        names = _string_list(self.stack_config.get(f"{CONFIG_NAMESPACE}:productionStacks")) or []
        extra = [n.strip().lower() for n in names if n.strip()]
        return tuple(dict.fromkeys([*DEFAULT_PRODUCTION_STACKS, *extra]))

    def _environment_production(self) -> bool:
        env = self.stack_config.get(f"{CONFIG_NAMESPACE}:environment")
        return isinstance(env, str) and env.strip().lower() in ("production", "prod")

    def _unknown_production_keys(self) -> list[str]:
        """The production keys whose value is not known (a ``secure:`` value the offline gate
        cannot decrypt arrives as the unknown sentinel): either could make the stack production."""
        keys = (f"{CONFIG_NAMESPACE}:environment", f"{CONFIG_NAMESPACE}:productionStacks")
        return [k for k in keys if is_unknown(self.stack_config.get(k))]

    def _name_production(self) -> bool | None:
        name = (self.stack or "").strip()
        if name.lower() in UNKNOWN_STACK_NAMES:
            return None
        # "org/project/production" style names: judge the last segment
        short = name.rsplit("/", 1)[-1].lower()
        return short in self.production_stacks() or name.lower() in self.production_stacks()

    def stack_production(self) -> bool | None:
        """True/False when the stack is known to be production or not; None when it is unknown
        (unknown name, or a production key whose value is not known: fail closed)."""
        if self._environment_production():
            return True
        by_name = self._name_production()
        if by_name is False and self._unknown_production_keys():
            return None
        return by_name

    def is_production(self, environment: Any = None) -> bool:
        """Production for judging: the stack is (or may be: unknown name) production, or the
        resource itself declares ``environment: production``."""
        if isinstance(environment, str) and environment.strip().lower() in ("production", "prod"):
            return True
        return self.stack_production() is not False

    def stack_label(self) -> str:
        """Why the stack counts as production or not, for messages."""
        if self._environment_production():
            return f"stack '{self.stack}' is a production stack via secure-scoring:environment"
        status = self._name_production()
        if status is None:
            return "the stack name is unknown, so it is treated as production"
        unknown_keys = self._unknown_production_keys()
        if not status and unknown_keys:
            return (
                f"stack '{self.stack}' is treated as production: the value of {' and '.join(unknown_keys)} "
                "is not known (a secure value?)"
            )
        if not status:
            return f"stack '{self.stack}' is not a production stack"
        short = (self.stack or "").strip().rsplit("/", 1)[-1].lower()
        if short in DEFAULT_PRODUCTION_STACKS:
            return f"stack '{self.stack}' is a production stack"
        return f"stack '{self.stack}' is a production stack, listed in secure-scoring:productionStacks"


Check = Callable[..., list[RuleViolation]]


@dataclass(frozen=True)
class Rule:
    """A rule's metadata and its check function (see the module docstring)."""

    name: str
    description: str
    remediation: str
    severity: str
    kind: str  # "resource" | "stack"
    check: Check
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    production_only: bool = False
    default_enforcement: str = "mandatory"
    url: str | None = None
    resource_types: tuple[str, ...] = ()

    def defaults(self) -> dict[str, Any]:
        return {k: v["default"] for k, v in self.config_schema.items() if "default" in v}

    def __call__(self, *args: Any) -> list[RuleViolation]:
        return self.check(*args)


# --------------------------------------------------------------------------------------------- reading props
class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in UNKNOWN_SENTINELS)


def plain(value: Any) -> Any:
    """A plain copy of ``value``: dicts and lists (proxies included), secrets unwrapped, unknown
    values (sentinels or a proxy raising ``UnknownValueError``) replaced by :data:`UNKNOWN`."""
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, (bool, int, float)) or value is None or value is UNKNOWN:
        return value
    if isinstance(value, Mapping):
        keys = list(iter(value))
        if _SECRET_SIG_KEY in keys and _read(value, _SECRET_SIG_KEY) == _SECRET_SIG:
            return plain(_read(value, "value"))
        return {str(k): plain(_read(value, k)) for k in keys}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [plain(_read(value, i)) for i in range(len(value))]
    return value


def _read(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except Exception as exc:  # pulumi_policy's UnknownValueError (not imported: rules stay pure)
        if hasattr(exc, "unknown_type_sentinel") or type(exc).__name__ == "UnknownValueError":
            return UNKNOWN
        raise


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def get(props: Any, path: str, default: Any = None) -> Any:
    """``props[a][b]...`` for ``path`` ``"a.b"``; each key is tried camelCase then snake_case.

    Returns :data:`UNKNOWN` when the value or one of its parents is unknown, ``default`` when
    missing. Integer path parts index lists.
    """
    cur = props
    for part in path.split("."):
        if is_unknown(cur):
            return UNKNOWN
        if isinstance(cur, Mapping):
            if part in cur:
                cur = cur[part]
            elif (snake := _camel_to_snake(part)) in cur:
                cur = cur[snake]
            else:
                return default
        elif isinstance(cur, list) and part.isdigit():
            idx = int(part)
            if idx >= len(cur):
                return default
            cur = cur[idx]
        else:
            return default
    return UNKNOWN if is_unknown(cur) else cur


def _string_list(value: Any) -> list[str] | None:
    if value is None or is_unknown(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                loaded = None
            if isinstance(loaded, list):
                return [str(x) for x in loaded]
        return [p for p in (x.strip() for x in text.split(",")) if p]
    if isinstance(value, (list, tuple)):
        return [str(x) for x in value if isinstance(x, str)]
    return None


def truthy(value: Any) -> bool | None:
    """Booleans as Azure settings spell them: True/"True"/"true"/"1"/"yes" → True; None when not a
    recognisable boolean (or unknown)."""
    if is_unknown(value) or value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "1", "yes", "on", "enabled"):
            return True
        if v in ("false", "0", "no", "off", "disabled"):
            return False
    return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None or is_unknown(value):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _fmt_port(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --------------------------------------------------------------------------------------------- certificates
@dataclass(frozen=True)
class _CertFacts:
    hostnames: tuple[str, ...]
    not_after: datetime | None
    self_signed: bool


def _decode_pem_setting(value: Any) -> str | None:
    """A certificate from a setting that holds PEM text or base64 of PEM (Azure's scoringFe.sslCert)."""
    if not isinstance(value, str) or not value.strip():
        return None
    if "-----BEGIN" in value:
        return value
    try:
        decoded = base64.b64decode(value.strip(), validate=False).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None
    return decoded if "-----BEGIN" in decoded else None


def cert_facts(pem_text: Any, now: datetime | None = None) -> _CertFacts | None:
    """Hostnames, expiry and self-signedness of the leaf of a PEM chain; None when unreadable."""
    if not isinstance(pem_text, str) or "-----BEGIN" not in pem_text:
        return None
    return _cert_facts_cached(pem_text)


@functools.lru_cache(maxsize=512)
def _cert_facts_cached(pem_text: str) -> _CertFacts | None:
    # the leaf's names, expiry and issuer do not depend on the time of the check: cache by text
    from ..certs import pem  # lazy: cryptography is imported only when a certificate is judged

    report = pem.inspect_bundle(pem_text, None)
    leaf = report.leaf
    if leaf is None:
        return None
    return _CertFacts(tuple(leaf.hostnames), leaf.not_after, bool(leaf.self_signed))


def covers(hostnames: Iterable[str], hostname: str) -> bool:
    from ..certs.pem import covers as _covers

    return _covers(list(hostnames), hostname)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 / RFC 3339 timestamp (``Z`` allowed) as an aware UTC datetime, else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------- helpers
def _note(rule: str, what: str, urn: str | None = None, name: str | None = None) -> RuleViolation:
    return RuleViolation(rule, f"could not judge: {what}", urn=urn, judged=False, resource_name=name)


def _fact(props: Mapping[str, Any], camel: str) -> Any:
    """A component fact: camelCase (resource props) or snake_case (registered outputs)."""
    return get(props, camel)


def _endpoints(props: Mapping[str, Any]) -> list[Any] | _Unknown:
    eps = _fact(props, "endpoints")
    if is_unknown(eps):
        return UNKNOWN
    return [e for e in _list(eps) if isinstance(e, Mapping) or is_unknown(e)]


def _is_none_mode(mode: Any) -> bool:
    return mode is None or (
        isinstance(mode, str) and mode.strip().lower() in ("", "none", "off", "anonymous", "disabled")
    )


_TLS_VERSION_RE = re.compile(r"(\d+)(?:[._](\d+))?")


def _tls_version(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, str):
        n = _num(value)
        if n is None:
            return None
        value = str(n)
    text = value.strip().lower().replace("tlsv", "").replace("tls", "").strip(" _v")
    m = _TLS_VERSION_RE.fullmatch(text)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0)


# --------------------------------------------------------------------------------------------- nginx configuration
@dataclass(frozen=True)
class NginxDirective:
    """One nginx directive: its name, its arguments (quotes removed) and its block (``None`` for a
    simple directive ending in ``;``)."""

    name: str
    args: tuple[str, ...]
    block: tuple[NginxDirective, ...] | None = None


def _nginx_tokens(text: str) -> list[tuple[str, str]]:
    """nginx's tokens: ``("word", text)`` and ``("sep", ";" | "{" | "}")``. Directives end at ``;``,
    ``{`` or ``}`` (never at a line end); ``#`` starts a comment only at the start of a token;
    quoted strings ("..." or '...', backslash escapes) are single words whatever they contain."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif ch in ";{}":
            out.append(("sep", ch))
            i += 1
        elif ch in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            out.append(("word", "".join(buf)))
            i = j + 1
        else:
            j, buf = i, []
            while j < n and not text[j].isspace() and text[j] not in ";{}\"'":
                if text[j] == "$" and j + 1 < n and text[j + 1] == "{":  # ${var}
                    k = text.find("}", j)
                    k = n - 1 if k < 0 else k
                    buf.append(text[j : k + 1])
                    j = k + 1
                    continue
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            out.append(("word", "".join(buf)))
            i = j
    return out


# Parsing is pure and its result immutable, and a stack's gateways usually share one nginx.conf
# (every rule that reads a group's configuration parses it again): remember the large ones. Small
# files (a keys.conf holds the auth keys) are cheap to parse and are never kept.
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


def _walk_nginx(directives: Iterable[NginxDirective]) -> Iterable[NginxDirective]:
    for d in directives:
        yield d
        if d.block is not None:
            yield from _walk_nginx(d.block)


def _listen_port(address: str) -> int | None:
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
class _NginxServer:
    listens: tuple[tuple[int | None, bool], ...]  # (port, ssl)
    protocols: tuple[str, ...] | None  # effective ssl_protocols (own or inherited); None: not set


def _nginx_servers(directives: Sequence[NginxDirective]) -> list[_NginxServer]:
    """Every ``server { }`` block (http and stream) with its listeners and the ssl_protocols that
    applies to it (its own, else the nearest enclosing block's)."""
    out: list[_NginxServer] = []

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
                        listens.append((_listen_port(x.args[0]), ssl_on or "ssl" in params))
                if not listens and not any(x.name == "listen" for x in d.block):
                    listens.append((80, ssl_on))  # nginx's default listener
                out.append(_NginxServer(tuple(listens), protocols_of(d.block, inherited)))
            elif d.name in ("http", "stream", "mail"):
                visit(d.block, inherited)

    # a file that holds only `server { }` blocks (conf.d/*.conf) is visited the same way
    visit(directives, None)
    return out


@dataclass(frozen=True)
class _ConfFile:
    volume: str
    name: str
    directives: tuple[NginxDirective, ...]

    @property
    def label(self) -> str:
        return f"gateway configuration {self.name} (volume '{self.volume}')"


def _conf_files(
    props: Mapping[str, Any], volumes_wanted: set[str] | None = None
) -> tuple[list[_ConfFile], list[str]]:
    """The ``*.conf`` files of the container group's secret volumes (only ``volumes_wanted`` when
    given), parsed; and the names of those not known yet."""
    files_out: list[_ConfFile] = []
    unknown: list[str] = []
    volumes = get(props, "volumes", [])
    if is_unknown(volumes):
        return [], ["volumes"]
    for vol in _list(volumes):
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
            text = _maybe_base64(content)
            if text is not None:
                files_out.append(_ConfFile(vname, str(fname), parse_nginx(text)))
    return files_out, unknown


def _included(d: NginxDirective, files: Sequence[_ConfFile]) -> list[_ConfFile]:
    if d.name != "include" or d.block is not None or not d.args:
        return []
    pattern = d.args[0].rsplit("/", 1)[-1]
    return [f for f in files if fnmatch.fnmatchcase(f.name.rsplit("/", 1)[-1], pattern)]


def _splice(
    directives: tuple[NginxDirective, ...], files: Sequence[_ConfFile], depth: int
) -> tuple[NginxDirective, ...]:
    out: list[NginxDirective] = []
    for d in directives:
        matched = _included(d, files) if depth < 8 else []
        if matched:
            for f in matched:
                out.extend(_splice(f.directives, files, depth + 1))
        elif d.block is not None:
            out.append(replace(d, block=_splice(d.block, files, depth)))
        else:
            out.append(d)
    return tuple(out)


def _root_confs(files: Sequence[_ConfFile]) -> list[tuple[_ConfFile, tuple[NginxDirective, ...]]]:
    """The files no other file includes, each with its includes spliced in."""
    included = {
        id(f) for c in files for d in _walk_nginx(c.directives) for f in _included(d, files) if f is not c
    }
    return [(c, _splice(c.directives, files, 0)) for c in files if id(c) not in included]


# --------------------------------------------------------------------------------------------- tls-required
TLS_REQUIRED = "tls-required"
_PROXY_IMAGE_RE = re.compile(r"(nginx|envoy|haproxy|caddy|traefik|stunnel|openresty|hitch)", re.IGNORECASE)
_CERT_FILE_RE = re.compile(r"(\.crt$|\.pem$|\.cer$|cert|chain)", re.IGNORECASE)
_KEY_FILE_RE = re.compile(r"(\.key$|key\.pem$|privkey|private)", re.IGNORECASE)


def _gateway_containers(props: Mapping[str, Any], port: float = 443.0) -> tuple[list[str], list[str]]:
    """Names of TLS gateway containers for ``port`` (it serves ``port``/TCP, runs a TLS proxy image
    or command, mounts a secret volume holding a certificate and a key), and the unknown parts that
    prevented judging."""
    unknown: list[str] = []
    volumes = get(props, "volumes", [])
    if is_unknown(volumes):
        return [], ["volumes"]
    cert_volumes: set[str] = set()
    for i, vol in enumerate(_list(volumes)):
        if not isinstance(vol, Mapping):
            continue
        name = get(vol, "name")
        files = get(vol, "secret")
        if files is None:
            files = get(vol, "secretReference")
        if is_unknown(files):
            unknown.append(f"volumes[{i}].secret")
            continue
        if isinstance(files, Mapping):
            keys = [str(k) for k in files]
            if any(_CERT_FILE_RE.search(k) for k in keys) and any(_KEY_FILE_RE.search(k) for k in keys):
                cert_volumes.add(str(name))
    gateways: list[str] = []
    containers = get(props, "containers", [])
    if is_unknown(containers):
        return [], ["containers"]
    for i, c in enumerate(_list(containers)):
        if not isinstance(c, Mapping):
            continue
        cports = get(c, "ports", [])
        if is_unknown(cports):
            unknown.append(f"containers[{i}].ports")
            continue
        serves = False
        for p in _list(cports):
            cport = _num(get(p, "port")) if isinstance(p, Mapping) else None
            proto = get(p, "protocol") if isinstance(p, Mapping) else None
            if cport == port and (proto is None or str(proto).upper() == "TCP"):
                serves = True
        if not serves:
            continue
        image = get(c, "image")
        command = get(c, "command", [])
        if is_unknown(image) or is_unknown(command):
            unknown.append(f"containers[{i}].image")
            continue
        text = " ".join([str(image or "")] + [str(x) for x in _list(command) if isinstance(x, str)])
        if not _PROXY_IMAGE_RE.search(text):
            continue
        mounts = get(c, "volumeMounts", [])
        if is_unknown(mounts):
            unknown.append(f"containers[{i}].volumeMounts")
            continue
        if any(isinstance(m, Mapping) and str(get(m, "name")) in cert_volumes for m in _list(mounts)):
            gateways.append(str(get(c, "name") or f"containers[{i}]"))
    return gateways, unknown


_NGINX_IMAGE_RE = re.compile(r"(nginx|openresty)", re.IGNORECASE)


def _plain_listeners(props: Mapping[str, Any], gateways: Sequence[str], port: float) -> list[RuleViolation]:
    """Plain-HTTP ``listen`` directives on ``port`` in the nginx configuration that the gateway
    containers mount from secret volumes (judged only when that configuration is readable: a
    configuration baked into the image cannot be seen, and a secret not known yet is left alone)."""
    out: list[RuleViolation] = []
    for c in _list(get(props, "containers", [])):
        if not isinstance(c, Mapping) or str(get(c, "name")) not in gateways:
            continue
        text = " ".join([str(get(c, "image") or "")] + [str(x) for x in _list(get(c, "command", []))])
        if not _NGINX_IMAGE_RE.search(text):
            continue
        mounted = {str(get(m, "name")) for m in _list(get(c, "volumeMounts", [])) if isinstance(m, Mapping)}
        files, _unknown = _conf_files(props, mounted)
        for conf, directives in _root_confs(files):
            plain_servers = [
                s for s in _nginx_servers(directives) for p, ssl in s.listens if p == port and not ssl
            ]
            if plain_servers:
                out.append(
                    RuleViolation(
                        TLS_REQUIRED,
                        f"{conf.label} of gateway '{get(c, 'name')}' listens on port {_fmt_port(port)} "
                        "without ssl: the HTTPS port serves plain HTTP (write `listen "
                        f"{_fmt_port(port)} ssl;`)",
                    )
                )
    return out


def _check_container_group_tls(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    rule = TLS_REQUIRED
    out: list[RuleViolation] = []
    ip = get(props, "ipAddress")
    if ip is None:
        return out  # no IP address: nothing is reachable from outside the group
    if is_unknown(ip):
        return [_note(rule, "ipAddress is not known yet")]
    allowed = {
        float(p) for p in (_num(x) for x in _list(ctx.config.get("allowedPorts") or [443])) if p is not None
    }
    ports = get(ip, "ports", [])
    if is_unknown(ports):
        return [_note(rule, "ipAddress.ports is not known yet")]
    ip_type = get(ip, "type")
    where = "public" if not isinstance(ip_type, str) or ip_type.lower() != "private" else "private"
    tls_ports: list[float] = []
    for i, p in enumerate(_list(ports)):
        if not isinstance(p, Mapping):
            continue
        port = get(p, "port")
        proto = get(p, "protocol")
        if is_unknown(port) or is_unknown(proto):
            out.append(_note(rule, f"ipAddress.ports[{i}] is not known yet"))
            continue
        value = _num(port)
        if value is None:
            continue
        if isinstance(proto, str) and proto.upper() == "UDP":
            out.append(
                RuleViolation(rule, f"{where} port {_fmt_port(value)}/UDP cannot carry TLS (HTTPS is TCP)")
            )
        elif value not in allowed:
            allowed_text = ", ".join(_fmt_port(a) for a in sorted(allowed))
            out.append(
                RuleViolation(
                    rule,
                    f"{where} port {_fmt_port(value)} is exposed; only HTTPS on {allowed_text} is allowed",
                )
            )
        else:
            tls_ports.append(value)
    for value in sorted(set(tls_ports)):
        gateways, unknown = _gateway_containers(props, value)
        if gateways:
            out.extend(_plain_listeners(props, gateways, value))
            continue
        if unknown:
            out.append(
                _note(
                    rule,
                    f"whether a TLS gateway serves port {_fmt_port(value)} ({', '.join(unknown)} not known yet)",
                )
            )
        else:
            out.append(
                RuleViolation(
                    rule,
                    f"no TLS gateway on port {_fmt_port(value)}: no container serves it over TCP with a TLS "
                    "proxy (nginx, envoy, ...) and a secret volume holding a certificate and a key",
                )
            )
    return out


def _check_compute_tls(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    rule = TLS_REQUIRED
    ctype = get(props, "properties.computeType")
    if is_unknown(ctype):
        return [_note(rule, "properties.computeType is not known yet")]
    if not isinstance(ctype, str) or ctype.lower() != "aks":
        return []  # Kubernetes compute has no TLS field: TLS is judged on its azureml extension
    ssl = get(props, "properties.properties.sslConfiguration")
    if is_unknown(ssl):
        return [_note(rule, "properties.properties.sslConfiguration is not known yet")]
    if not isinstance(ssl, Mapping):
        return [
            RuleViolation(
                rule, "AKS compute has no properties.properties.sslConfiguration: scoring is plain HTTP"
            )
        ]
    status = get(ssl, "status")
    if is_unknown(status):
        return [_note(rule, "sslConfiguration.status is not known yet")]
    st = str(status or "").lower()
    if st in ("", "disabled"):
        return [
            RuleViolation(
                rule, f"AKS compute sslConfiguration.status is {status or 'missing'}: scoring is plain HTTP"
            )
        ]
    if st not in ("enabled", "auto"):
        # Azure knows Enabled, Auto and Disabled; anything else cannot be confirmed to enable TLS
        # (the value is not quoted: messages never carry property values)
        return [
            RuleViolation(
                rule, "AKS compute sslConfiguration.status is not Enabled or Auto: TLS cannot be confirmed"
            )
        ]
    cert, key, leaf = get(ssl, "cert"), get(ssl, "key"), get(ssl, "leafDomainLabel")
    if any(is_unknown(v) for v in (cert, key, leaf)):
        return [_note(rule, "sslConfiguration certificate settings are not known yet")]
    if leaf:
        return []
    if st == "auto":
        return [RuleViolation(rule, "sslConfiguration.status is Auto but leafDomainLabel is not set")]
    missing = [n for n, v in (("cert", cert), ("key", key)) if not v]
    if missing:
        return [
            RuleViolation(
                rule,
                f"sslConfiguration.status is Enabled without {' and '.join(missing)} and without leafDomainLabel",
            )
        ]
    return []


def _is_azureml_extension(props: Mapping[str, Any]) -> bool | None:
    etype = get(props, "extensionType")
    if is_unknown(etype):
        return None
    return isinstance(etype, str) and etype.strip().lower() == AZUREML_EXTENSION_TYPE


def _extension_cert(props: Mapping[str, Any]) -> tuple[Any, bool]:
    """(certificate setting value, whether the certificate is given as a file path in the settings)."""
    cert = get(props, "configurationProtectedSettings")
    value = None
    if isinstance(cert, Mapping):
        value = cert.get("scoringFe.sslCert")
    elif is_unknown(cert):
        value = UNKNOWN
    settings = get(props, "configurationSettings")
    by_path = isinstance(settings, Mapping) and bool(settings.get("sslCertPemFile"))
    return value, by_path


def _check_extension_tls(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    rule = TLS_REQUIRED
    is_ml = _is_azureml_extension(props)
    if is_ml is None:
        return [_note(rule, "extensionType is not known yet")]
    if not is_ml:
        return []
    settings = get(props, "configurationSettings")
    if is_unknown(settings):
        return [_note(rule, "configurationSettings is not known yet")]
    settings = settings if isinstance(settings, Mapping) else {}
    inference = settings.get("enableInference")
    if is_unknown(inference):
        return [_note(rule, "configurationSettings.enableInference is not known yet")]
    if truthy(inference) is not True:
        return []  # training-only extension: no scoring endpoint
    insecure = settings.get("allowInsecureConnections")
    if is_unknown(insecure):
        return [_note(rule, "configurationSettings.allowInsecureConnections is not known yet")]
    if truthy(insecure) is True:
        return [
            RuleViolation(
                rule,
                "configurationSettings.allowInsecureConnections is True: the inference router serves plain HTTP",
            )
        ]
    out: list[RuleViolation] = []
    if insecure is not None and truthy(insecure) is None:
        out.append(
            RuleViolation(rule, "configurationSettings.allowInsecureConnections is not 'True' or 'False'")
        )
    cert, by_path = _extension_cert(props)
    protected = get(props, "configurationProtectedSettings")
    key = protected.get("scoringFe.sslKey") if isinstance(protected, Mapping) else None
    key_by_path = bool(settings.get("sslKeyPemFile"))
    if is_unknown(cert) or is_unknown(key):
        return out + [_note(rule, "configurationProtectedSettings is not known yet")]
    missing = []
    if not cert and not by_path:
        missing.append("scoringFe.sslCert")
    if not key and not key_by_path:
        missing.append("scoringFe.sslKey")
    if missing:
        out.append(
            RuleViolation(
                rule,
                "inference is enabled without a TLS certificate: configurationProtectedSettings lacks "
                + " and ".join(missing),
            )
        )
    return out


def _check_component_tls(props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    rule = TLS_REQUIRED
    tls = _fact(props, "tlsEnabled")
    if is_unknown(tls):
        return [_note(rule, "tlsEnabled is not known yet")]
    if tls is None:
        return [RuleViolation(rule, "the component does not declare tlsEnabled: TLS cannot be confirmed")]
    if truthy(tls) is not True:
        return [RuleViolation(rule, "the component is created with TLS off (tlsEnabled false)")]
    return []


def check_tls_required(resource_type: str, props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    props = plain(props)
    if resource_type == CONTAINER_GROUP:
        return _check_container_group_tls(props, ctx)
    if resource_type == ML_COMPUTE:
        return _check_compute_tls(props, ctx)
    if resource_type == K8S_EXTENSION:
        return _check_extension_tls(props, ctx)
    if resource_type in SCORING_COMPONENTS:
        return _check_component_tls(props, ctx)
    return []


# --------------------------------------------------------------------------------------------- no-self-signed-in-production
NO_SELF_SIGNED = "no-self-signed-in-production"
_DEV_SOURCES = ("self_signed", "dev_ca", "self-signed", "dev-ca", "selfsigned", "devca")


def _prod_suffix(ctx: RuleContext, environment: Any = None) -> str:
    if isinstance(environment, str) and environment.strip().lower() in ("production", "prod"):
        return "the resource declares environment production"
    return ctx.stack_label()


def check_no_self_signed(
    resource_type: str, props: Mapping[str, Any], ctx: RuleContext
) -> list[RuleViolation]:
    rule = NO_SELF_SIGNED
    props = plain(props)
    if resource_type == TLS_SELF_SIGNED:
        return [RuleViolation(rule, f"pulumi-tls SelfSignedCert is self-signed ({_prod_suffix(ctx)})")]
    if resource_type == TLS_LOCALLY_SIGNED:
        return [
            RuleViolation(
                rule,
                "pulumi-tls LocallySignedCert is issued by a CA whose key lives in this program "
                f"(caPrivateKeyPem): a development CA ({_prod_suffix(ctx)})",
            )
        ]
    if resource_type in (*SCORING_COMPONENTS, CERTIFICATE_BUNDLE):
        env = _fact(props, "environment")
        self_signed = _fact(props, "selfSigned")
        source = _fact(props, "certificateSource")
        if resource_type == CERTIFICATE_BUNDLE and source is None:
            source = _fact(props, "source")
        if is_unknown(self_signed) or is_unknown(source):
            return [_note(rule, "selfSigned / certificateSource is not known yet")]
        dev_source = isinstance(source, str) and source.strip().lower() in _DEV_SOURCES
        if dev_source:
            kind = "a development CA" if "ca" in source.lower() else "self-signed"
            return [
                RuleViolation(
                    rule, f"certificateSource is {source}: {kind} certificate ({_prod_suffix(ctx, env)})"
                )
            ]
        if truthy(self_signed) is True:
            return [RuleViolation(rule, f"the certificate is self-signed ({_prod_suffix(ctx, env)})")]
        return []
    if resource_type == ML_COMPUTE:
        cert = get(props, "properties.properties.sslConfiguration.cert")
        return _inline_cert_self_signed(rule, "sslConfiguration.cert", cert, ctx)
    if resource_type == K8S_EXTENSION:
        if _is_azureml_extension(props) is False:
            return []
        cert, _ = _extension_cert(props)
        if isinstance(cert, str):
            cert = _decode_pem_setting(cert)
        return _inline_cert_self_signed(rule, "configurationProtectedSettings scoringFe.sslCert", cert, ctx)
    return []


def _inline_cert_self_signed(rule: str, where: str, cert: Any, ctx: RuleContext) -> list[RuleViolation]:
    if is_unknown(cert):
        return [_note(rule, f"{where} is not known yet")]
    facts = cert_facts(cert, ctx.when())
    if facts is not None and facts.self_signed:
        return [RuleViolation(rule, f"the certificate in {where} is self-signed ({ctx.stack_label()})")]
    return []


# --------------------------------------------------------------------------------------------- single-auth-mode
SINGLE_AUTH_MODE = "single-auth-mode"


def _both(key: Any, token: Any) -> bool | None:
    if is_unknown(key) or is_unknown(token):
        return None
    return truthy(key) is True and truthy(token) is True


def check_single_auth_mode(
    resource_type: str, props: Mapping[str, Any], ctx: RuleContext
) -> list[RuleViolation]:
    rule = SINGLE_AUTH_MODE
    props = plain(props)
    out: list[RuleViolation] = []
    if resource_type in SCORING_COMPONENTS:
        both = _both(_fact(props, "keyAuthEnabled"), _fact(props, "tokenAuthEnabled"))
        if both is None:
            out.append(_note(rule, "keyAuthEnabled / tokenAuthEnabled is not known yet"))
        elif both:
            out.append(RuleViolation(rule, "keyAuthEnabled and tokenAuthEnabled are both true"))
        eps = _endpoints(props)
        if is_unknown(eps):
            out.append(_note(rule, "endpoints is not known yet"))
        else:
            for i, ep in enumerate(eps):
                if is_unknown(ep):
                    out.append(_note(rule, f"endpoints[{i}] is not known yet"))
                    continue
                name = get(ep, "name")
                label = f"endpoint '{name}'" if isinstance(name, str) else f"endpoints[{i}]"
                b = _both(get(ep, "keyAuthEnabled"), get(ep, "tokenAuthEnabled"))
                if b is None:
                    out.append(_note(rule, f"{label} auth flags are not known yet"))
                elif b:
                    out.append(RuleViolation(rule, f"{label} enables key and token auth together"))
        return out
    if resource_type == ONLINE_ENDPOINT:
        mode = get(props, "properties.authMode")
        if is_unknown(mode):
            return [_note(rule, "properties.authMode is not known yet")]
        if isinstance(mode, str) and "and" in mode.lower():
            # the value is not quoted: messages never carry property values (it may be a secret)
            out.append(RuleViolation(rule, "properties.authMode combines two authentication modes"))
        for base in ("properties", ""):
            prefix = f"{base}." if base else ""
            token = get(props, prefix + "tokenAuthEnabled")
            for flag in ("authEnabled", "keyAuthEnabled"):
                if _both(get(props, prefix + flag), token):
                    out.append(
                        RuleViolation(rule, f"{prefix}{flag} and {prefix}tokenAuthEnabled are both true")
                    )
                    break
        return out
    return []


# --------------------------------------------------------------------------------------------- auth-required
AUTH_REQUIRED = "auth-required"


def check_auth_required(
    resource_type: str, props: Mapping[str, Any], ctx: RuleContext
) -> list[RuleViolation]:
    rule = AUTH_REQUIRED
    props = plain(props)
    out: list[RuleViolation] = []
    if resource_type in SCORING_COMPONENTS:
        env = _fact(props, "environment")
        where = _prod_suffix(ctx, env)
        mode = _fact(props, "authMode")
        key, token = _fact(props, "keyAuthEnabled"), _fact(props, "tokenAuthEnabled")
        eps = _endpoints(props)
        if is_unknown(mode) or is_unknown(key) or is_unknown(token):
            out.append(_note(rule, "authMode / keyAuthEnabled / tokenAuthEnabled is not known yet"))
        elif (
            (resource_type == ACI_SERVICE or not eps)
            and _is_none_mode(mode)
            and truthy(key) is not True
            and truthy(token) is not True
        ):
            out.append(
                RuleViolation(rule, f"the scoring endpoint has no authentication (authMode none; {where})")
            )
        if is_unknown(eps):
            out.append(_note(rule, "endpoints is not known yet"))
        else:
            for i, ep in enumerate(eps):
                if is_unknown(ep):
                    out.append(_note(rule, f"endpoints[{i}] is not known yet"))
                    continue
                name = get(ep, "name")
                label = f"endpoint '{name}'" if isinstance(name, str) else f"endpoints[{i}]"
                m, k, t = get(ep, "authMode"), get(ep, "keyAuthEnabled"), get(ep, "tokenAuthEnabled")
                if any(is_unknown(v) for v in (m, k, t)):
                    out.append(_note(rule, f"{label} auth settings are not known yet"))
                elif _is_none_mode(m) and truthy(k) is not True and truthy(t) is not True:
                    out.append(RuleViolation(rule, f"{label} has no authentication (authMode none; {where})"))
        return out
    if resource_type == ONLINE_ENDPOINT:
        mode = get(props, "properties.authMode")
        if is_unknown(mode):
            return [_note(rule, "properties.authMode is not known yet")]
        if _is_none_mode(mode):
            shown = "missing" if mode is None else "empty" if not str(mode).strip() else str(mode)
            return [
                RuleViolation(
                    rule,
                    f"properties.authMode is {shown}: the endpoint has no authentication ({ctx.stack_label()})",
                )
            ]
    return []


# --------------------------------------------------------------------------------------------- token-auth-aks-only
TOKEN_AKS_ONLY = "token-auth-aks-only"


def check_token_auth_aks_only(
    resource_type: str, props: Mapping[str, Any], ctx: RuleContext
) -> list[RuleViolation]:
    rule = TOKEN_AKS_ONLY
    props = plain(props)
    if resource_type not in SCORING_COMPONENTS:
        return []
    platform = _fact(props, "platform")
    if is_unknown(platform):
        return [_note(rule, "platform is not known yet")]
    on_aci = resource_type == ACI_SERVICE or (isinstance(platform, str) and platform.lower() == "aci")
    if not on_aci:
        return []
    out: list[RuleViolation] = []
    mode, token = _fact(props, "authMode"), _fact(props, "tokenAuthEnabled")
    if is_unknown(mode) or is_unknown(token):
        return [_note(rule, "authMode / tokenAuthEnabled is not known yet")]
    if truthy(token) is True or (
        isinstance(mode, str) and mode.lower() in ("token", "amltoken", "aml_token")
    ):
        out.append(RuleViolation(rule, "token authentication is requested on Azure Container Instances"))
    eps = _endpoints(props)
    if not is_unknown(eps):
        for i, ep in enumerate(eps):
            if isinstance(ep, Mapping):
                m, t = get(ep, "authMode"), get(ep, "tokenAuthEnabled")
                if truthy(t) is True or (isinstance(m, str) and m.lower() in ("token", "amltoken")):
                    name = get(ep, "name")
                    label = f"endpoint '{name}'" if isinstance(name, str) else f"endpoints[{i}]"
                    out.append(RuleViolation(rule, f"{label} requests token authentication on ACI"))
    return out


# --------------------------------------------------------------------------------------------- min-tls-1-2
MIN_TLS = "min-tls-1-2"
_OLD_PROTOCOLS = {
    "sslv2": (0, 2),
    "sslv3": (0, 3),
    "tlsv1": (1, 0),
    "tlsv1.1": (1, 1),
    "tlsv1.2": (1, 2),
    "tlsv1.3": (1, 3),
}


def _min_version(ctx: RuleContext) -> tuple[int, int]:
    return _tls_version(str(ctx.config.get("minVersion") or "1.2")) or (1, 2)


def check_min_tls(resource_type: str, props: Mapping[str, Any], ctx: RuleContext) -> list[RuleViolation]:
    rule = MIN_TLS
    props = plain(props)
    floor = _min_version(ctx)
    floor_text = f"{floor[0]}.{floor[1]}"
    if resource_type in SCORING_COMPONENTS:
        tls = _fact(props, "tlsEnabled")
        version = _fact(props, "minTlsVersion")
        if is_unknown(version):
            return [_note(rule, "minTlsVersion is not known yet")]
        if truthy(tls) is False:
            return []  # no TLS at all is tls-required's finding
        parsed = _tls_version(version) if version is not None else None
        if version is None:
            return [
                RuleViolation(
                    rule, f"the component does not declare minTlsVersion (must be {floor_text} or later)"
                )
            ]
        if parsed is None:
            return [
                RuleViolation(rule, f"minTlsVersion is not a TLS version (must be {floor_text} or later)")
            ]
        if parsed < floor:
            return [
                RuleViolation(rule, f"minTlsVersion {parsed[0]}.{parsed[1]} allows TLS below {floor_text}")
            ]
        return []
    if resource_type == CONTAINER_GROUP:
        files, unknown = _conf_files(props)
        out: list[RuleViolation] = [_note(rule, f"{u} is not known yet") for u in unknown]
        for conf in files:
            for d in _walk_nginx(conf.directives):
                if d.name != "ssl_protocols" or d.block is not None:
                    continue
                weak = sorted({tok for tok in d.args if _OLD_PROTOCOLS.get(tok.lower(), (9, 9)) < floor})
                if weak:
                    out.append(
                        RuleViolation(
                            rule, f"{conf.label} enables {', '.join(weak)} (below TLS {floor_text})"
                        )
                    )
        for conf, directives in _root_confs(files):
            if any(
                s.protocols is None and any(ssl for _p, ssl in s.listens) for s in _nginx_servers(directives)
            ):
                out.append(
                    RuleViolation(
                        rule,
                        f"{conf.label} has ssl listeners but no ssl_protocols directive: nginx's default "
                        "depends on its version and build (older ones allow TLSv1 and TLSv1.1); set "
                        "ssl_protocols TLSv1.2 TLSv1.3",
                    )
                )
        return out
    return []


def _maybe_base64(content: Any) -> str | None:
    if not isinstance(content, str):
        return None
    try:
        return base64.b64decode(content, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return content


# --------------------------------------------------------------------------------------------- cert-hostname-match (stack)
CERT_HOSTNAME_MATCH = "cert-hostname-match"
_AZURE_ENDPOINT_SUFFIXES = (".azurecontainer.io", ".cloudapp.azure.com", ".inference.ml.azure.com")
_DNS_JUDGED_TYPES = ("A", "AAAA", "CNAME")


@dataclass
class _CertEntry:
    label: str
    hostnames: tuple[str, ...]


def _record_fqdn(r: StackResource) -> str | None | _Unknown:
    fqdn = get(r.props, "fqdn")
    if is_unknown(fqdn):
        fqdn = None
    if isinstance(fqdn, str) and fqdn.strip():
        return fqdn.strip().rstrip(".").lower()
    zone = get(r.props, "zoneName") if r.type in DNS_RECORD_SETS else get(r.props, "privateZoneName")
    rel = get(r.props, "relativeRecordSetName")
    if is_unknown(zone) or is_unknown(rel):
        return UNKNOWN
    if not isinstance(zone, str):
        return None
    rel = rel if isinstance(rel, str) else r.name
    return zone.rstrip(".").lower() if rel == "@" else f"{rel}.{zone}".rstrip(".").lower()


def _collect_certificates(
    resources: Sequence[StackResource], ctx: RuleContext
) -> tuple[list[_CertEntry], list[str]]:
    certs: list[_CertEntry] = []
    unknown: list[str] = []
    for r in resources:
        p = r.props
        names: Any = None
        if r.type == CERTIFICATE_BUNDLE:
            names = get(p, "hostnames")
            if names is None:
                facts = cert_facts(get(p, "certPem"), ctx.when())
                names = list(facts.hostnames) if facts else None
        elif r.type in (TLS_SELF_SIGNED, TLS_LOCALLY_SIGNED):
            facts = cert_facts(get(p, "certPem"), ctx.when())
            names = list(facts.hostnames) if facts is not None else get(p, "dnsNames")
        elif r.type in SCORING_COMPONENTS or r.type == DNS_RECORD_BINDING:
            names = get(p, "certificateHostnames")
        elif r.type == ML_COMPUTE:
            facts = cert_facts(get(p, "properties.properties.sslConfiguration.cert"), ctx.when())
            names = list(facts.hostnames) if facts else None
        elif r.type == K8S_EXTENSION:
            cert, _ = _extension_cert(p)
            facts = cert_facts(_decode_pem_setting(cert) if isinstance(cert, str) else None, ctx.when())
            names = list(facts.hostnames) if facts else None
        if is_unknown(names):
            unknown.append(f"certificate names of {r.type.rsplit(':', 1)[-1]} '{r.name}'")
            continue
        if isinstance(names, list) and names:
            certs.append(_CertEntry(f"{r.name}", tuple(str(n) for n in names if isinstance(n, str))))
    return certs, unknown


def _endpoint_addresses(resources: Sequence[StackResource]) -> tuple[set[str], set[str]]:
    """FQDNs and IPs of scoring endpoints in the stack (container groups, public IPs)."""
    fqdns: set[str] = set()
    ips: set[str] = set()
    for r in resources:
        if r.type == CONTAINER_GROUP:
            f, i = get(r.props, "ipAddress.fqdn"), get(r.props, "ipAddress.ip")
        elif r.type == PUBLIC_IP:
            f, i = get(r.props, "dnsSettings.fqdn"), get(r.props, "ipAddress")
        elif r.type in SCORING_COMPONENTS:
            f, i = get(r.props, "fqdn"), get(r.props, "ipAddress")
        else:
            continue
        if isinstance(f, str) and f:
            fqdns.add(f.rstrip(".").lower())
        if isinstance(i, str) and i:
            ips.add(i)
    return fqdns, ips


def _points_at_endpoint(r: StackResource, fqdns: set[str], ips: set[str]) -> bool | None:
    rtype = get(r.props, "recordType")
    if isinstance(rtype, str) and rtype.upper() not in _DNS_JUDGED_TYPES:
        return False
    if get(r.props, "targetResource.id"):
        return True
    cname = get(r.props, "cnameRecord.cname")
    if is_unknown(cname):
        return None
    if isinstance(cname, str) and cname:
        c = cname.rstrip(".").lower()
        return c in fqdns or c.endswith(_AZURE_ENDPOINT_SUFFIXES)
    records = get(r.props, "aRecords")
    if is_unknown(records):
        return None
    for rec in _list(records):
        ip = get(rec, "ipv4Address") if isinstance(rec, Mapping) else None
        if is_unknown(ip):
            return None
        if isinstance(ip, str) and ip in ips:
            return True
    return False


def check_cert_hostname_match(resources: Sequence[StackResource], ctx: RuleContext) -> list[RuleViolation]:
    rule = CERT_HOSTNAME_MATCH
    wanted = set(RULE_TYPES[CERT_HOSTNAME_MATCH])
    resources = [replace(r, props=plain(r.props)) for r in resources if r.type in wanted]
    out: list[RuleViolation] = []
    notes: list[str] = []
    unreadable: list[str] = []
    certs, unknown_certs = _collect_certificates(resources, ctx)
    notes.extend(unknown_certs)
    fqdns, ips = _endpoint_addresses(resources)
    check_label_scope = ctx.config.get("rejectUnsecureDnsLabel", True) is not False

    stack_names = sorted({n for c in certs for n in c.hostnames})

    def judge(host: str, what: str, r: StackResource, own: Sequence[str] | None = None) -> None:
        pool = list(own) if own is not None else stack_names
        if own is None and not certs:
            if unknown_certs:
                return
            out.append(
                RuleViolation(
                    rule,
                    f"{what} {host} has no certificate in this stack that covers it",
                    urn=r.urn,
                    resource_name=r.name,
                )
            )
            return
        if not covers(pool, host):
            shown = ", ".join(sorted(set(pool))[:6]) or "no names"
            out.append(
                RuleViolation(
                    rule,
                    f"{what} {host} is not covered by the certificate (it covers: {shown})",
                    urn=r.urn,
                    resource_name=r.name,
                )
            )

    for r in resources:
        p = r.props
        if r.type in DNS_RECORD_SETS or r.type in PRIVATE_DNS_RECORD_SETS:
            target = _points_at_endpoint(r, fqdns, ips)
            if target is None:
                notes.append(f"the target of DNS record '{r.name}'")
                continue
            if not target:
                continue
            fqdn = _record_fqdn(r)
            if is_unknown(fqdn):
                notes.append(f"the name of DNS record '{r.name}'")
            elif fqdn:
                judge(fqdn, "DNS name", r)
        elif r.type == DNS_RECORD_BINDING:
            fqdn = get(p, "fqdn")
            own = get(p, "certificateHostnames")
            if is_unknown(fqdn) or is_unknown(own):
                notes.append(f"the name of DnsRecordBinding '{r.name}'")
            elif isinstance(fqdn, str) and fqdn:
                host = fqdn.rstrip(".").lower()
                judge(host, "DNS name", r, own if isinstance(own, list) and own else None)
        elif r.type in SCORING_COMPONENTS:
            host = get(p, "hostname")
            own = get(p, "certificateHostnames")
            source = get(p, "certificateSource")
            if is_unknown(host) or is_unknown(own):
                notes.append(f"the hostname of '{r.name}'")
            elif isinstance(host, str) and host and truthy(get(p, "tlsEnabled")) is not False:
                if isinstance(source, str) and source == "microsoft_managed" and not own:
                    continue
                if isinstance(own, list) and own:
                    judge(host.lower(), "hostname", r, own)
                else:
                    judge(host.lower(), "hostname", r)
        elif r.type == ML_COMPUTE:
            ssl = get(p, "properties.properties.sslConfiguration")
            if not isinstance(ssl, Mapping):
                continue
            cert, cname, leaf = get(ssl, "cert"), get(ssl, "cname"), get(ssl, "leafDomainLabel")
            if any(is_unknown(v) for v in (cert, cname, leaf)):
                notes.append(f"sslConfiguration of '{r.name}'")
                continue
            if leaf or not cert:
                continue
            if not cname:
                out.append(
                    RuleViolation(
                        rule,
                        "sslConfiguration has a certificate but no cname",
                        urn=r.urn,
                        resource_name=r.name,
                    )
                )
                continue
            facts = cert_facts(cert, ctx.when())
            if facts is None:
                unreadable.append(f"sslConfiguration.cert of '{r.name}' is not readable PEM")
                continue
            judge(str(cname).lower(), "sslConfiguration.cname", r, facts.hostnames)
        elif r.type == K8S_EXTENSION:
            if _is_azureml_extension(p) is not True:
                continue
            settings = get(p, "configurationSettings")
            if not isinstance(settings, Mapping):
                continue
            if (
                truthy(settings.get("enableInference")) is not True
                or truthy(settings.get("allowInsecureConnections")) is True
            ):
                continue
            cname = settings.get("sslCname")
            cert, _ = _extension_cert(p)
            if is_unknown(cname) or is_unknown(cert):
                notes.append(f"sslCname / scoringFe.sslCert of '{r.name}'")
                continue
            if not cname:
                out.append(
                    RuleViolation(
                        rule,
                        "configurationSettings.sslCname is not set: clients cannot verify the router's name",
                        urn=r.urn,
                        resource_name=r.name,
                    )
                )
                continue
            pem_text = _decode_pem_setting(cert) if isinstance(cert, str) else None
            facts = cert_facts(pem_text, ctx.when()) if pem_text else None
            if facts is None:
                if cert:
                    unreadable.append(f"scoringFe.sslCert of '{r.name}' is not readable PEM")
                continue
            judge(str(cname).lower(), "configurationSettings.sslCname", r, facts.hostnames)
        elif r.type == CONTAINER_GROUP and check_label_scope:
            label = get(p, "ipAddress.dnsNameLabel")
            scope = get(p, "ipAddress.autoGeneratedDomainNameLabelScope")
            if is_unknown(label) or is_unknown(scope):
                notes.append(f"ipAddress.dnsNameLabel of '{r.name}'")
                continue
            if isinstance(label, str) and label and (scope is None or str(scope).lower() == "unsecure"):
                out.append(
                    RuleViolation(
                        rule,
                        f"ipAddress.dnsNameLabel '{label}' uses autoGeneratedDomainNameLabelScope "
                        f"{scope or 'Unsecure (default)'}: after deletion anyone can claim the same name, "
                        "so records pointing at it can be taken over",
                        urn=r.urn,
                        resource_name=r.name,
                    )
                )
    parts = ["; ".join(sorted(set(notes))) + " not known yet"] if notes else []
    parts += sorted(set(unreadable))
    if parts:
        out.append(_note(rule, "; ".join(parts), urn=""))
    return out


# --------------------------------------------------------------------------------------------- cert-expiry (stack)
CERT_EXPIRY = "cert-expiry"


def _not_after_of(r: StackResource, ctx: RuleContext) -> tuple[datetime | None | _Unknown, str]:
    """(expiry, what was read) for a certificate-bearing resource; (None, "") when it has none."""
    p = r.props
    if r.type in (TLS_SELF_SIGNED, TLS_LOCALLY_SIGNED):
        pem_text = get(p, "certPem")
        facts = cert_facts(pem_text, ctx.when())
        if facts is not None and facts.not_after is not None:
            return facts.not_after, "certPem"
        end = parse_time(get(p, "validityEndTime"))
        if end is not None:
            return end, "validityEndTime"
        hours = _num(get(p, "validityPeriodHours"))
        if hours is not None:
            try:
                return ctx.when() + timedelta(hours=hours), "validityPeriodHours"
            except (OverflowError, ValueError):
                return None, ""  # beyond any date: not expiring
        if is_unknown(pem_text) or is_unknown(get(p, "validityPeriodHours")):
            return UNKNOWN, "certPem"
        return None, ""
    if r.type == CERTIFICATE_BUNDLE:
        value = get(p, "notAfter")
        if is_unknown(value):
            return UNKNOWN, "not_after"
        when = parse_time(value)
        if when is not None:
            return when, "not_after"
        facts = cert_facts(get(p, "certPem"), ctx.when())
        return (facts.not_after, "cert_pem") if facts else (None, "")
    if r.type in SCORING_COMPONENTS:
        value = get(p, "certificateNotAfter")
        if is_unknown(value):
            return UNKNOWN, "certificate_not_after"
        return parse_time(value), "certificate_not_after"
    if r.type == ML_COMPUTE:
        cert = get(p, "properties.properties.sslConfiguration.cert")
        if is_unknown(cert):
            return UNKNOWN, "sslConfiguration.cert"
        facts = cert_facts(cert, ctx.when())
        return (facts.not_after, "sslConfiguration.cert") if facts else (None, "")
    if r.type == K8S_EXTENSION:
        cert, _ = _extension_cert(p)
        if is_unknown(cert):
            return UNKNOWN, "scoringFe.sslCert"
        facts = cert_facts(_decode_pem_setting(cert) if isinstance(cert, str) else None, ctx.when())
        return (facts.not_after, "scoringFe.sslCert") if facts else (None, "")
    return None, ""


def _days_text(days: float) -> str:
    """Whole days (rounded down) in words: "1 day", "12 days", "less than a day"."""
    whole = int(days)
    if whole == 0:
        return "less than a day"
    return f"{whole} day{'s' if whole != 1 else ''}"


def check_cert_expiry(resources: Sequence[StackResource], ctx: RuleContext) -> list[RuleViolation]:
    rule = CERT_EXPIRY
    try:
        min_days = float(ctx.config.get("minDays", 30))
    except (TypeError, ValueError):
        min_days = 30.0
    now = ctx.when()
    out: list[RuleViolation] = []
    notes: list[str] = []
    wanted = set(RULE_TYPES[CERT_EXPIRY])
    for r in resources:
        if r.type not in wanted:
            continue
        r = replace(r, props=plain(r.props))
        when, what = _not_after_of(r, ctx)
        if when is None:
            continue
        if is_unknown(when):
            notes.append(f"{what} of '{r.name}'")
            continue
        assert isinstance(when, datetime)
        left = when - now
        days = left.total_seconds() / 86400
        stamp = when.strftime("%Y-%m-%d %H:%M UTC")
        if days < 0:
            out.append(
                RuleViolation(
                    rule,
                    f"the certificate ({what}) expired on {stamp}, {_days_text(-days)} ago",
                    urn=r.urn,
                    resource_name=r.name,
                )
            )
        elif days < min_days:
            out.append(
                RuleViolation(
                    rule,
                    f"the certificate ({what}) expires on {stamp}, in {_days_text(days)} "
                    f"(less than minDays {int(min_days)})",
                    urn=r.urn,
                    resource_name=r.name,
                )
            )
    if notes:
        out.append(_note(rule, "; ".join(sorted(set(notes))) + " not known yet", urn=""))
    return out


# --------------------------------------------------------------------------------------------- the catalogue
RULES: tuple[Rule, ...] = (
    Rule(
        name=TLS_REQUIRED,
        description="Scoring endpoints must serve HTTPS only (TLS on, no plain HTTP port).",
        remediation=(
            "Use SecureAciService/SecureAksCluster with a certificate; on raw resources expose only 443/TCP "
            "through a TLS gateway sidecar (ACI), set sslConfiguration.status Enabled with cert/key/cname or "
            "leafDomainLabel (AKS v1), or allowInsecureConnections 'False' with scoringFe.sslCert/sslKey (extension)."
        ),
        severity="critical",
        kind="resource",
        check=check_tls_required,
        config_schema={
            "allowedPorts": {
                "type": "array",
                "items": {"type": "number"},
                "default": [443],
                "description": "Ports a container group may expose (each must be served by the TLS gateway).",
            }
        },
        resource_types=(CONTAINER_GROUP, ML_COMPUTE, K8S_EXTENSION, *SCORING_COMPONENTS),
        url="https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service",
    ),
    Rule(
        name=NO_SELF_SIGNED,
        description="Production must not use self-signed or development-CA certificates.",
        remediation=(
            "Use a certificate from a public or enterprise CA (CertificateBundle source 'pem') or a "
            "Microsoft-managed certificate (AKS leaf_domain_label); keep self_signed/dev_ca and pulumi-tls "
            "SelfSignedCert/LocallySignedCert for dev stacks."
        ),
        severity="high",
        kind="resource",
        check=check_no_self_signed,
        production_only=True,
        resource_types=(
            TLS_SELF_SIGNED,
            TLS_LOCALLY_SIGNED,
            CERTIFICATE_BUNDLE,
            ML_COMPUTE,
            K8S_EXTENSION,
            *SCORING_COMPONENTS,
        ),
        url="https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service",
    ),
    Rule(
        name=SINGLE_AUTH_MODE,
        description="An endpoint must not enable key auth and token auth together.",
        remediation="Choose exactly one of auth='key' or auth='token' per endpoint (Azure rejects both).",
        severity="high",
        kind="resource",
        check=check_single_auth_mode,
        resource_types=(ONLINE_ENDPOINT, *SCORING_COMPONENTS),
        url="https://learn.microsoft.com/azure/machine-learning/how-to-authenticate-web-service",
    ),
    Rule(
        name=AUTH_REQUIRED,
        description="Production scoring endpoints must require authentication.",
        remediation="Set auth='key' (ACI, AKS) or auth='token' (AKS) on the component, or authMode Key/AMLToken/AADToken on the OnlineEndpoint.",
        severity="high",
        kind="resource",
        check=check_auth_required,
        production_only=True,
        resource_types=(ONLINE_ENDPOINT, *SCORING_COMPONENTS),
        url="https://learn.microsoft.com/azure/machine-learning/how-to-authenticate-web-service",
    ),
    Rule(
        name=TOKEN_AKS_ONLY,
        description="Token authentication exists only on AKS/Kubernetes endpoints, not on ACI.",
        remediation="Use auth='key' on SecureAciService, or move the endpoint to SecureAksCluster for token auth.",
        severity="medium",
        kind="resource",
        check=check_token_auth_aks_only,
        resource_types=SCORING_COMPONENTS,
        url="https://learn.microsoft.com/azure/machine-learning/how-to-authenticate-web-service",
    ),
    Rule(
        name=MIN_TLS,
        description="TLS below 1.2 must not be allowed.",
        remediation=(
            "Set the gateway's min_tls_version to the pack's minVersion ('1.2' by default, the component's "
            "default too; '1.3' when minVersion is 1.3) and ssl_protocols to match (TLSv1.2 TLSv1.3, or "
            "TLSv1.3 alone)."
        ),
        severity="high",
        kind="resource",
        check=check_min_tls,
        config_schema={
            "minVersion": {
                "type": "string",
                "enum": ["1.2", "1.3"],
                "default": "1.2",
                "description": "Lowest TLS version allowed.",
            }
        },
        resource_types=(CONTAINER_GROUP, *SCORING_COMPONENTS),
        url="https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service",
    ),
    Rule(
        name=CERT_HOSTNAME_MATCH,
        description="Every DNS name and CNAME that clients use must be covered by the certificate.",
        remediation=(
            "Issue the certificate for the DNS name (SAN), or point the record/sslCname/cname at a covered name; "
            "give ACI DNS labels a scope other than Unsecure."
        ),
        severity="high",
        kind="stack",
        check=check_cert_hostname_match,
        config_schema={
            "rejectUnsecureDnsLabel": {
                "type": "boolean",
                "default": True,
                "description": "Report container group DNS labels with autoGeneratedDomainNameLabelScope Unsecure.",
            }
        },
        resource_types=(
            *DNS_RECORD_SETS,
            *PRIVATE_DNS_RECORD_SETS,
            DNS_RECORD_BINDING,
            ML_COMPUTE,
            K8S_EXTENSION,
            CONTAINER_GROUP,
            *SCORING_COMPONENTS,
            # read for the certificates and endpoint addresses of the stack
            CERTIFICATE_BUNDLE,
            TLS_SELF_SIGNED,
            TLS_LOCALLY_SIGNED,
            PUBLIC_IP,
        ),
        url="https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service",
    ),
    Rule(
        name=CERT_EXPIRY,
        description="Certificates must not expire within the configured number of days.",
        remediation="Renew the certificate (secure-scoring cert check --min-days N shows the date) and update the stack.",
        severity="medium",
        kind="stack",
        check=check_cert_expiry,
        config_schema={
            "minDays": {
                "type": "integer",
                "minimum": 0,
                "default": 30,
                "description": "Days of validity a certificate must still have.",
            }
        },
        resource_types=(
            TLS_SELF_SIGNED,
            TLS_LOCALLY_SIGNED,
            CERTIFICATE_BUNDLE,
            ML_COMPUTE,
            K8S_EXTENSION,
            *SCORING_COMPONENTS,
        ),
        url="https://learn.microsoft.com/azure/machine-learning/how-to-secure-web-service",
    ),
)

RULES_BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
RULE_TYPES: dict[str, tuple[str, ...]] = {r.name: r.resource_types for r in RULES}
"""The resource types each rule reads (others are never judged by it)."""
RULE_NAMES: tuple[str, ...] = tuple(RULES_BY_NAME)


def enforcement_for(rule: Rule, ctx: RuleContext) -> str:
    """The default enforcement of ``rule`` in ``ctx``: production-only rules are advisory in a stack
    known not to be production, mandatory in production and when the stack is unknown."""
    if rule.production_only and ctx.stack_production() is False:
        return "advisory"
    return rule.default_enforcement
