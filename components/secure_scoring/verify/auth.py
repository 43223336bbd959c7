"""The auth steps: ``auth-no-credential`` (refused with 401), ``auth-wrong-credential`` (a made-up key is
refused too: the key itself is checked, not only that an ``Authorization`` header is there) and
``auth-credential`` (the key or token is accepted, sent only over a connection whose certificate
verified)."""

from __future__ import annotations

import contextlib
import http.client
import secrets
import socket
import ssl

from . import http as https
from . import net
from .http import Response
from .report import FAIL, PASS, SKIP, WARN, Step
from .target import Target
from .tls import TlsOutcome

__all__ = ["auth_steps", "credential_problem", "from_scorer"]


def credential_problem(value: str) -> str | None:
    """Why ``value`` cannot go in an ``Authorization: Bearer`` header, or ``None``.

    HTTP sends header values as bytes: a non-ASCII character (a key pasted with a typographic dash or
    a Cyrillic letter) or a control character cannot be sent as typed. Keys and tokens are ASCII. The
    reason never quotes the value.
    """
    if any(ord(c) < 0x20 and c != "\t" or ord(c) == 0x7F for c in value):
        return "contains a control character, which cannot be sent in an HTTP header"
    if not value.isascii():
        return (
            "contains a non-ASCII character, which cannot be sent in an HTTP header "
            "(keys and tokens are ASCII; was it retyped or pasted with a typographic dash or quote?)"
        )
    return None


def from_scorer(response: Response) -> bool:
    """True if the Azure ML inference server itself answered (its ``x-ms-server-version`` header),
    not the gateway or a front end in front of it."""
    return response.headers.get("x-ms-server-version", "").startswith("azmlinfsrv")


def _no_answer_fix(exc: BaseException, timeout: float) -> str:
    left = net.remaining_run_time()
    if isinstance(exc, TimeoutError | socket.timeout) and left is not None and left <= 0:
        # cut short by the run's deadline, not by --timeout: raising --timeout changes nothing
        return (
            "nothing came back before the run's deadline (--deadline) was reached: check the gateway's and "
            "the scorer's logs (a hung or overloaded scorer); raise --deadline only if the scorer is known "
            "to be that slow"
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        # the gateway held the connection open: most often a scorer slower than --timeout
        return (
            f"nothing came back within {timeout:g} s: if the scorer's run() is that slow, raise --timeout; "
            "otherwise check the gateway's and the scorer's logs (a hung or overloaded scorer)"
        )
    return "check the gateway and the scorer behind it are running"


def _post(
    address: str,
    target: Target,
    tls: TlsOutcome,
    headers: dict[str, str],
    body: bytes,
    timeout: float,
    *,
    bearer: str | None = None,
) -> Response:
    """The probe: ``POST PATH`` with ``body``, with ``Authorization: Bearer <bearer>`` when given."""
    sent = headers if bearer is None else {**headers, "Authorization": f"Bearer {bearer}"}
    return https.https_request(address, target, tls.http_context, "POST", target.path, sent, body, timeout)


def made_up_credential() -> str:
    """A key no endpoint has: random, of the shape of an Azure ML key (never a real secret)."""
    return "secure-scoring-made-up-" + secrets.token_urlsafe(24)


def _wrong_credential(
    address: str,
    target: Target,
    tls: TlsOutcome,
    headers: dict[str, str],
    body: bytes,
    timeout: float,
    refused: bool,
    over: str,
) -> Step:
    """``auth-wrong-credential``: the request with a made-up key must be refused like the one without,
    or the gateway only checks that an ``Authorization`` header is there (anyone can type one)."""
    name = "auth-wrong-credential"
    if not refused:
        return Step(
            name, SKIP, "the request without a credential was not refused, so a made-up key proves nothing"
        )
    try:
        answer = _post(address, target, tls, headers, body, timeout, bearer=made_up_credential())
    except net.DeadlineReached as exc:
        return Step(name, SKIP, f"the made-up key was not sent: {net.ssl_reason(exc)}")
    except (ssl.SSLError, OSError, http.client.HTTPException) as exc:
        return Step(
            name,
            WARN,
            f"POST {target.path} with a made-up key got no HTTP answer: {net.ssl_reason(exc)}",
            _no_answer_fix(exc, timeout),
        )
    status = answer.status
    if status in (401, 403):
        return Step(name, PASS, f"POST {target.path} with a made-up key → {status}{over}")
    if 200 <= status < 300 or from_scorer(answer):
        return Step(
            name,
            FAIL,
            f"any credential is accepted: POST {target.path} with a made-up key → {status} {answer.reason}"
            + (" (it reached the scorer)" if not 200 <= status < 300 else "")
            + f"; the endpoint checks only that an Authorization header is there, so anyone can use the model{over}",
            "compare the key itself (SecureAciService's gateway accepts only `Bearer <primary|secondary key>`; "
            "Azure ML endpoints check keys and tokens), then 'pulumi up'",
        )
    return Step(
        name,
        WARN,
        f"POST {target.path} with a made-up key → {status} {answer.reason}, expected 401 like the request "
        f"without a credential{over}",
        "check that the endpoint refuses a wrong key with 401 (a front end in front of the gateway?)",
    )


def auth_steps(
    target: Target,
    address: str,
    tls: TlsOutcome,
    credential: str | None,
    credential_kind: str,
    timeout: float,
    *,
    body: bytes = b"{}",
) -> tuple[list[Step], Response | None]:
    # how the probe body is named in messages: '{}' itself, or "the --data body"
    probe = f"'{body.decode()}'" if body == b"{}" else "the --data body"
    headers = {"Content-Type": "application/json"}
    steps: list[Step] = []
    response: Response | None = None
    auth_off = False  # the request without a credential was served
    assert tls.http_context is not None
    over = "" if tls.verified else " (sent over a connection whose certificate did not verify)"
    try:
        response = _post(address, target, tls, headers, body, timeout)
    except net.DeadlineReached:
        raise  # not sent: the run skips this step and the rest
    except (ssl.SSLError, OSError, http.client.HTTPException) as exc:
        steps.append(
            Step(
                "auth-no-credential",
                FAIL,
                f"POST {target.path} without a credential got no HTTP answer: {net.ssl_reason(exc)}",
                _no_answer_fix(exc, timeout),
            )
        )
    else:
        status = response.status
        if status == 401:
            steps.append(
                Step("auth-no-credential", PASS, f"POST {target.path} without a credential → 401{over}")
            )
        elif status == 403:
            steps.append(
                Step(
                    "auth-no-credential",
                    WARN,
                    f"POST {target.path} without a credential → 403 (refused, but Azure ML answers 401){over}",
                    "answer 401 with WWW-Authenticate so clients know to send a key",
                )
            )
        elif 200 <= status < 300:
            auth_off = True
            steps.append(
                Step(
                    "auth-no-credential",
                    FAIL,
                    f"auth turned off: POST {target.path} without a credential → {status} {response.reason}; "
                    f"anyone who finds the URL can use the model{over}",
                    "turn authentication on (component auth='key'; AKS endpoint auth_mode Key or AMLToken), "
                    "then 'pulumi up'",
                )
            )
        elif from_scorer(response):
            # the gateway let the request through to the scorer, which did not like the body
            auth_off = True
            steps.append(
                Step(
                    "auth-no-credential",
                    FAIL,
                    f"auth turned off: POST {target.path} without a credential reached the scorer, which "
                    f"answered {status} {response.reason} ("
                    + ("it has no such path" if status == 404 else f"it rejected the probe body {probe}")
                    + f"); anyone who finds the URL can use the model{over}",
                    "turn authentication on (component auth='key'; AKS endpoint auth_mode Key or AMLToken), "
                    "then 'pulumi up'; to see a 2xx from the scorer, pass a body it takes with --data",
                )
            )
        else:
            steps.append(
                Step(
                    "auth-no-credential",
                    FAIL,
                    f"POST {target.path} without a credential → {status} {response.reason}, expected 401{over}",
                    "check the scoring path (the URL's path, default /score) and that the endpoint requires a key "
                    "or token",
                )
            )

    refused = response is not None and response.status in (401, 403)
    steps.append(_wrong_credential(address, target, tls, headers, body, timeout, refused, over))

    if credential is None:
        steps.append(
            Step(
                "auth-credential",
                SKIP,
                "no key or token given (--key / SECURE_SCORING_KEY, --token / SECURE_SCORING_TOKEN)",
            )
        )
    elif auth_off:
        steps.append(
            Step(
                "auth-credential",
                SKIP,
                f"the endpoint accepts requests without a credential, so the {credential_kind} proves "
                f"nothing (the {credential_kind} was not sent)",
                "turn authentication on first (see auth-no-credential), then verify again with the "
                f"{credential_kind}",
            )
        )
    elif not tls.verified:
        steps.append(
            Step(
                "auth-credential",
                SKIP,
                f"the {credential_kind} was not sent: the certificate did not verify, so the server may not be "
                "the endpoint",
                "fix the certificate steps first",
            )
        )
    else:
        try:
            with_key = _post(address, target, tls, headers, body, timeout, bearer=credential)
        except net.DeadlineReached as exc:
            # not sent; the result of auth-no-credential above is kept
            steps.append(
                Step("auth-credential", SKIP, f"the {credential_kind} was not sent: {net.ssl_reason(exc)}")
            )
        except (ssl.SSLError, OSError, http.client.HTTPException) as exc:
            steps.append(
                Step(
                    "auth-credential",
                    FAIL,
                    f"POST {target.path} with the {credential_kind} got no HTTP answer: {net.ssl_reason(exc)}",
                    _no_answer_fix(exc, timeout),
                )
            )
        else:
            status = with_key.status
            if status in (401, 403):
                steps.append(
                    Step(
                        "auth-credential",
                        FAIL,
                        f"the {credential_kind} was refused: POST {target.path} → {status} {with_key.reason}",
                        "use the endpoint's current primary or secondary key (after a rotation the old one "
                        "stops working; see docs/runbooks/key-rotation.md), or a fresh token",
                    )
                )
            elif 200 <= status < 300:
                steps.append(
                    Step("auth-credential", PASS, f"POST {target.path} with the {credential_kind} → {status}")
                )
            else:
                steps.append(
                    Step(
                        "auth-credential",
                        WARN,
                        f"the {credential_kind} was accepted (not 401) but POST {target.path} → {status} "
                        f"{with_key.reason}: "
                        + (
                            f"the scorer rejected the probe body {probe}"
                            if from_scorer(with_key)
                            else f"the scorer rejected the probe body {probe}, or there is no such path"
                        ),
                        "pass a body the scorer takes with --data JSON or --data @file (e.g. a sample request); "
                        + ("" if from_scorer(with_key) else "check the scoring path; ")
                        + "check the scorer's log if it should have taken it",
                    )
                )
    if response is None:
        with contextlib.suppress(ssl.SSLError, OSError, http.client.HTTPException):
            response = https.https_request(address, target, tls.http_context, "GET", "/", {}, None, timeout)
    return steps, response
