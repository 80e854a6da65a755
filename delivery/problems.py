"""Every error as RFC 9457 problem details: one map from error class to status, type and title."""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from delivery import errors
from delivery.custody.model import TransitionRefused
from delivery.logs import request_id

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:tasheel:problem:"


class ProblemKind(msgspec.Struct, frozen=True):
    status: int
    slug: str
    title: str


# Most specific classes first: the first `isinstance` match wins.
DOMAIN_PROBLEMS: dict[type[errors.DomainError], ProblemKind] = {
    errors.InvalidInput: ProblemKind(422, "invalid-input", "The request breaks a rule"),
    errors.MalformedRequest: ProblemKind(400, "malformed-request", "The request cannot be read"),
    errors.NotFound: ProblemKind(404, "not-found", "Not found"),
    errors.Conflict: ProblemKind(409, "conflict", "Conflicts with what is recorded"),
    errors.NotAllowed: ProblemKind(403, "forbidden", "Not allowed"),
    errors.Unauthenticated: ProblemKind(401, "unauthenticated", "Authentication required"),
    errors.RateLimited: ProblemKind(429, "rate-limited", "Too many requests"),
    errors.PayloadTooLarge: ProblemKind(413, "payload-too-large", "Request too large"),
}

HTTP_SLUGS = {
    400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 406: "not-acceptable", 409: "conflict",
    413: "payload-too-large", 415: "unsupported-media-type", 422: "invalid-input",
    429: "rate-limited", 500: "internal-error", 503: "unavailable",
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
    status = exc.status_code
    title = _reason(status)
    detail = exc.detail if exc.detail and exc.detail != title else None
    field_errors = None
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        field_errors = [_litestar_field_error(e) for e in exc.extra]
    headers = {k: v for k, v in (exc.headers or {}).items()}
    return problem_response(request, status=status, slug=HTTP_SLUGS.get(status, "http-error"),
                            title=title, detail=detail, field_errors=field_errors,
                            headers=headers or None)


def on_refused_transition(request: Request[Any, Any, Any],
                          exc: TransitionRefused) -> Response[Any]:
    return problem_response(request, status=409, slug="state-conflict",
                            title="Not possible in the item's current state", detail=exc.message,
                            reason=str(exc.code))


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", extra={"path": loggable_path(request.url.path)})
    return problem_response(request, status=HTTP_500_INTERNAL_SERVER_ERROR, slug="internal-error",
                            title="Internal error",
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


def _litestar_field_error(entry: Any) -> dict[str, str]:
    if not isinstance(entry, dict):
        return {"field": "", "message": str(entry)}
    key = entry.get("key") or ""
    source = entry.get("source")
    field = f"/{key}" if source in (None, "body") else f"{source}:{key}"
    return {"field": field, "message": str(entry.get("message", "invalid"))}


EXCEPTION_HANDLERS = {
    errors.DomainError: on_domain_error,
    TransitionRefused: on_refused_transition,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}
