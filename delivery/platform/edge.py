"""Where every request's input is checked before a handler sees it (`inputs.py` says what).

`StrictRequest` is the app's request class: a handler that takes a JSON body (a `data`
parameter, or a raw body documented with `apidoc.with_json_body`) gets it only when it is sent
as JSON (or with no Content-Type) and passes `inputs.inspect_json`, whether the framework
decodes it or the handler reads `request.body()` itself. `check_parameters` runs before every
handler: query and path values carry no control characters, and integers and times among them
fit what PostgreSQL stores.
"""

from __future__ import annotations

import re
import weakref
from datetime import date, datetime
from typing import Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.typing import FieldDefinition

from delivery.platform import inputs
from delivery.platform.apidoc import JsonBodyOperation
from delivery.platform.errors import FieldError, InvalidInput

_INTEGER = re.compile(r"^[+-]?\d+$")
_FORMS = frozenset({RequestEncodingType.URL_ENCODED.value, RequestEncodingType.MULTI_PART.value})


class StrictRequest(Request[Any, Any, Any]):
    """A request whose JSON body is read strictly (see the module's docstring)."""

    _checked: bytes | None = None

    async def body(self) -> bytes:
        """The body; for a JSON handler, checked: MalformedRequest, InvalidInput or a 415."""
        if self._checked is None:
            body, faults = await self.inspected_body()
            if faults:
                raise InvalidInput(f"Invalid: {', '.join(f.field for f in faults)}.",
                                   errors=faults)
            self._checked = body
        return self._checked

    async def inspected_body(self) -> tuple[bytes, list[FieldError]]:
        """The body as it may be decoded and, for a JSON handler, the fields at fault in it, for
        a handler that refuses parts of a body alone (a handheld's scans)."""
        raw = await super().body()
        if not raw or not takes_json(self):
            return raw, []
        kind = self.content_type[0]
        # No Content-Type at all is read as JSON; any other type is refused (a form post or
        # text/plain reaching a JSON route is a confused or forged client).
        if kind and kind != "application/json" and not kind.endswith("+json"):
            raise HTTPException(status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                                detail="The body must be sent as application/json.")
        return inputs.inspect_json(raw)


def takes_json(request: Request[Any, Any, Any]) -> bool:
    """Whether the request's handler reads a JSON body."""
    handler = request.route_handler
    if isinstance(handler.operation_class, type) and issubclass(handler.operation_class,
                                                                 JsonBodyOperation):
        return True
    data = handler.parsed_fn_signature.parameters.get("data")
    media = getattr(data.kwarg_definition, "media_type", None) if data else None
    return data is not None and getattr(media, "value", media) not in _FORMS


async def check_parameters(request: Request[Any, Any, Any]) -> None:
    """Refuse control characters in query and path values, and integers or times among them
    that PostgreSQL cannot store (a 422 naming the parameter)."""
    for name, value in request.query_params.multi_items():
        inputs.clean_text(name, "query")
        inputs.clean_text(value, f"query:{name}")
    for name, value in request.path_params.items():
        _check_value(value, f"path:{name}")
    for name, kind in _typed_query(request):
        raw = request.query_params.get(name)
        if raw is not None and (value := _parsed(raw, kind)) is not None:
            _check_value(value, f"query:{name}")


def _check_value(value: object, field: str) -> None:
    if isinstance(value, str):
        inputs.clean_text(value, field)
    elif isinstance(value, int):
        inputs.check_int(value, field)
    elif isinstance(value, date):
        inputs.check_moment(value, field)


# Per route handler, weakly: a handler belongs to one app, and a cache holding handlers would
# keep every app ever built alive (each test builds one).
_TYPED_QUERIES: weakref.WeakKeyDictionary[Any, dict[frozenset[str], tuple[tuple[str, type], ...]]] = (
    weakref.WeakKeyDictionary())


def _typed_query(request: Request[Any, Any, Any]) -> tuple[tuple[str, type], ...]:
    handler, path_names = request.route_handler, frozenset(request.path_params)
    known = _TYPED_QUERIES.setdefault(handler, {})
    if path_names not in known:
        known[path_names] = _typed_query_of(handler, path_names)
    return known[path_names]


def _typed_query_of(handler: Any, path_names: frozenset[str]) -> tuple[tuple[str, type], ...]:
    """(name on the wire, type) of the handler's query parameters that are integers or times,
    read from its signature (once per route: `_typed_query` keeps it)."""
    found = []
    for name, field in handler.parsed_fn_signature.parameters.items():
        alias = getattr(field.kwarg_definition, "query", None) or name
        kind = _scalar(field)
        if kind is not None and name not in path_names and alias not in path_names:
            found.append((alias, kind))
    return tuple(found)


def _scalar(field: FieldDefinition) -> type | None:
    kinds = [t.annotation for t in field.inner_types] if field.is_union else [field.annotation]
    for kind in kinds:
        if kind in (int, datetime, date):
            return kind
    return None


def _parsed(raw: str, kind: type) -> object | None:
    """The value `raw` stands for, or None when it does not parse (the framework says why)."""
    try:
        if kind is int:  # past 25 digits, out of range whatever they are
            return None if not _INTEGER.match(raw) else int(raw) if len(raw) <= 25 else 2**64
        return (datetime if kind is datetime else date).fromisoformat(raw)
    except ValueError:
        return None

