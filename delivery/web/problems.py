"""Every error as RFC 9457 problem details: one map from error class to status, type and title."""

from __future__ import annotations

import logging
import re
import socket
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from msgspec import UNSET, UnsetType
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from delivery.custody.model import TransitionRefused
from delivery.platform import db, errors
from delivery.platform.errors import FieldError, pointer_of
from delivery.platform.logs import request_id

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:tasheel:problem:"


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details (`application/problem+json`): how every error is answered.

    `type` names the kind of problem and `title` words it (one title per type); `detail` says
    what happened this time. `errors` names each field at fault — a JSON pointer into the body
    (`/documents/3/citizen/phone`) or `query:name`, `header:name`, `path:name`. Other members
    add facts: `reason` of a state conflict, `tracking_number` of the item already recorded
    under an `external_ref`, `allowed_roles` of a refusal."""

    type: Annotated[str, msgspec.Meta(examples=["urn:tasheel:problem:invalid-input"])]
    title: str
    status: Annotated[int, msgspec.Meta(ge=400, le=599)]
    instance: Annotated[str, msgspec.Meta(description="The path of the request.")]
    # Members that may be absent are never null.
    detail: str | UnsetType = UNSET
    errors: list[FieldError] | UnsetType = UNSET
    request_id: Annotated[str, msgspec.Meta(
        description="Also in the `X-Request-Id` header; quote it when asking about a failure.")
    ] | UnsetType = UNSET
    reason: str | UnsetType = UNSET
    tracking_number: str | UnsetType = UNSET
    allowed_roles: list[str] | UnsetType = UNSET


class ProblemKind(msgspec.Struct, frozen=True):
    status: int
    slug: str
    title: str


MALFORMED = ProblemKind(400, "malformed-request", "The request cannot be read")
INVALID = ProblemKind(422, "invalid-input", "The request breaks a rule")
STATE_CONFLICT = ProblemKind(409, "state-conflict", "Not possible in the item's current state")
INTERNAL = ProblemKind(500, "internal-error", "Internal error")
UNAVAILABLE_KIND = ProblemKind(503, "unavailable", "Service unavailable")

# Most specific classes first: the first `isinstance` match wins.
DOMAIN_PROBLEMS: dict[type[errors.DomainError], ProblemKind] = {
    errors.InvalidInput: INVALID,
    errors.MalformedRequest: MALFORMED,
    errors.NotFound: ProblemKind(404, "not-found", "Not found"),
    errors.Conflict: ProblemKind(409, "conflict", "Conflicts with what is recorded"),
    errors.NotAllowed: ProblemKind(403, "forbidden", "Not allowed"),
    errors.Unauthenticated: ProblemKind(401, "unauthenticated", "Authentication required"),
    errors.RateLimited: ProblemKind(429, "rate-limited", "Too many requests"),
    errors.PayloadTooLarge: ProblemKind(413, "payload-too-large", "Request too large"),
}

# Errors raised by the framework itself (routing, body size, parameter parsing) use the same
# types and titles as the service's own, so a client tells them apart by `type` alone.
HTTP_PROBLEMS: dict[int, ProblemKind] = {
    kind.status: kind for kind in (*DOMAIN_PROBLEMS.values(), INTERNAL,
                                   ProblemKind(405, "method-not-allowed", "Method not allowed"),
                                   ProblemKind(406, "not-acceptable", "Not acceptable"),
                                   ProblemKind(415, "unsupported-media-type",
                                               "Unsupported media type"),
                                   UNAVAILABLE_KIND)
}


def problem_kind(exc: errors.DomainError) -> ProblemKind:
    """The problem that describes a domain error."""
    for cls in type(exc).__mro__:
        if cls in DOMAIN_PROBLEMS:
            return DOMAIN_PROBLEMS[cls]
    return ProblemKind(400, "bad-request", "Bad request")


def problem_response(
    request: Request[Any, Any, Any], *, status: int, slug: str, title: str,
    detail: str | None = None, field_errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None, **extra: Any,
) -> Response[Any]:
    body: dict[str, Any] = {"type": TYPE_BASE + slug, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.url.path
    if field_errors:
        body["errors"] = field_errors
    body.update(extra)
    if rid := request_id.get():
        body["request_id"] = rid
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def on_domain_error(request: Request[Any, Any, Any], exc: errors.DomainError) -> Response[Any]:
    kind = problem_kind(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.RateLimited) else None
    extra = {k: v for k, v in exc.extra.items() if k != "retry_after"}
    return problem_response(
        request, status=kind.status, slug=kind.slug, title=kind.title, detail=exc.detail,
        field_errors=[msgspec.structs.asdict(e) for e in exc.errors], headers=headers, **extra,
    )


def on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    kind = HTTP_PROBLEMS.get(exc.status_code) or ProblemKind(
        exc.status_code, "http-error", _reason(exc.status_code))
    detail = exc.detail if exc.detail and exc.detail != _reason(kind.status) else None
    field_errors = None
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        field_errors = [_litestar_field_error(request, e) for e in exc.extra]
        # A body that is missing altogether cannot be read; anything else the framework refuses
        # while parsing a readable request is a value that breaks a rule.
        if any(e["field"] == "" and e["message"] == _NO_BODY for e in field_errors):
            kind, detail, field_errors = MALFORMED, "The request needs a JSON body.", None
        else:
            kind, detail = INVALID, _invalid_detail(field_errors)
    headers = {k: v for k, v in (exc.headers or {}).items()}
    return problem_response(request, status=kind.status, slug=kind.slug, title=kind.title,
                            detail=detail, field_errors=field_errors, headers=headers or None)


def on_refused_transition(request: Request[Any, Any, Any],
                          exc: TransitionRefused) -> Response[Any]:
    return problem_response(request, status=STATE_CONFLICT.status, slug=STATE_CONFLICT.slug,
                            title=STATE_CONFLICT.title, detail=exc.message, reason=str(exc.code))


def on_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A server the request needs does not answer (or aborted the work): nothing was recorded,
    and the same request later will most likely go through."""
    log.warning("dependency unavailable: %s", type(exc).__name__,
                extra={"path": loggable_path(request.url.path)})
    return problem_response(request, status=UNAVAILABLE_KIND.status, slug=UNAVAILABLE_KIND.slug,
                            title=UNAVAILABLE_KIND.title,
                            detail="A server this request needs is not answering; nothing was "
                                   "recorded. Try again after Retry-After seconds.",
                            headers={"Retry-After": str(RETRY_AFTER_S)})


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", extra={"path": loggable_path(request.url.path)})
    return problem_response(request, status=HTTP_500_INTERNAL_SERVER_ERROR, slug=INTERNAL.slug,
                            title=INTERNAL.title,
                            detail="Something failed on our side; the request id identifies it.")


# A citizen's tracking token opens their page: it is a secret and stays out of the logs.
_TOKEN_IN_PATH = re.compile(r"^(/t/|/v1/track/)[^/]+")


def loggable_path(path: str) -> str:
    """The request path with any citizen tracking token replaced."""
    return _TOKEN_IN_PATH.sub(r"\1[token]", path)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_NO_BODY = "no body"


def _litestar_field_error(request: Request[Any, Any, Any], entry: Any) -> dict[str, str]:
    """A parsing error as `{field, message}`: a JSON pointer into the body, or `query:name`,
    `header:name`, `path:name`, `cookie:name` under the name the client sends."""
    if not isinstance(entry, dict):
        return {"field": "", "message": str(entry)}
    key = str(entry.get("key") or "")
    message = str(entry.get("message", "invalid"))
    source = entry.get("source")
    if source is None and key.split(".")[0] != "data":
        source = "query"  # the framework names no source only for a query parameter not sent
    if source in (None, "body"):
        if key == "data" and message == "'data'":  # the framework's KeyError: no body at all
            return {"field": "", "message": _NO_BODY}
        path = "$" if key == "data" else "$." + key.removeprefix("data.")
        return {"field": pointer_of(path, message), "message": message}
    location = getattr(source, "value", str(source))
    return {"field": f"{location}:{_sent_name(request, key, location)}", "message": message}


def _sent_name(request: Request[Any, Any, Any], key: str, location: str) -> str:
    """The name a handler's parameter has on the wire (`item_state` is sent as `state`)."""
    parameter = request.route_handler.parsed_fn_signature.parameters.get(key)
    alias = getattr(parameter.kwarg_definition, location, None) if parameter else None
    return alias if isinstance(alias, str) else key


def _invalid_detail(field_errors: list[dict[str, str]]) -> str:
    names = ", ".join(e["field"] or "the body" for e in field_errors)
    return f"Invalid: {names}."


# PostgreSQL or Redis unreachable, restarting, out of connections, or a transaction aborted to
# break a deadlock that its retries did not get past: 503 with Retry-After, never a 500.
UNAVAILABLE = (
    db.Unreachable,  # no connection to be had
    ConnectionError, socket.gaierror,  # refused, reset, no such host: either server
    TimeoutError,  # no pooled connection or no answer in time
    asyncpg.PostgresConnectionError,  # class 08
    asyncpg.exceptions.OperatorInterventionError,  # 57P: shutting down, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # 53: too many connections, disk full
    asyncpg.exceptions.TransactionRollbackError,  # 40: deadlock, serialization
    asyncpg.ConnectionDoesNotExistError,  # the connection was lost mid-request
    RedisConnectionError, RedisTimeoutError,
)
RETRY_AFTER_S = 5

EXCEPTION_HANDLERS = {
    errors.DomainError: on_domain_error,
    TransitionRefused: on_refused_transition,
    HTTPException: on_http_exception,
    **dict.fromkeys(UNAVAILABLE, on_unavailable),
    Exception: on_unexpected,
}
