"""Reading the forms of server-rendered pages (the citizen's page, the staff console): their
fields, cleaned as every input is (`inputs`), and whether a browser posted them from our own
origin."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from litestar import Request

from delivery.platform import inputs
from delivery.platform.errors import MalformedRequest

MAX_FORM_BYTES = 8 * 1024


async def form_fields(request: Request[Any, Any, Any], *, max_fields: int = 20,
                      max_bytes: int = MAX_FORM_BYTES) -> dict[str, str]:
    """The form's fields (first value of each), free of bidi controls; empty when the form is
    too large or has too many fields; a 400 when it is not UTF-8, a 422 naming a field that
    holds a control character (the edge's rules, `platform.inputs`)."""
    body = await request.body()
    if len(body) > max_bytes:
        return {}
    try:
        parsed = parse_qs(body.decode("utf-8"), max_num_fields=max_fields, errors="strict")
    except UnicodeDecodeError:
        raise MalformedRequest("The form is not UTF-8.") from None
    except ValueError:  # more fields than any of these forms has
        return {}
    return {k: inputs.clean_text(v[0], k) for k, v in parsed.items()}


def same_origin(request: Request[Any, Any, Any]) -> bool:
    """A browser's Origin, when it names one, must be our own host.

    Some privacy settings send `Origin: null`; the CSRF field still protects those.
    """
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host")
