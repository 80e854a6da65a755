"""What handlers and schemas declare for the OpenAPI document, without depending on it: a text
field documented as a vocabulary (`documented_as`), a handler that reads its own JSON body
(`with_json_body`). `web.openapi` gathers these when it finishes the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import msgspec
from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, RequestBody

REF = "#/components/schemas/{name}"
BODY_TYPES: list[type] = []  # request bodies read by the handlers themselves
VOCABULARIES: dict[str, type[StrEnum]] = {}  # by schema name


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(name=name)}


def documented_as(vocabulary: type[StrEnum]) -> msgspec.Meta:
    """Document a text field as one of `vocabulary`'s values while decoding still takes any text.

    For fields the service judges itself, in words a person reads: a handheld that sends an
    action this server does not know gets that one scan refused, not the whole upload."""
    VOCABULARIES[vocabulary.__name__] = vocabulary
    return msgspec.Meta(extra_json_schema=ref(vocabulary.__name__))


def with_json_body(struct: type, description: str) -> type[Operation]:
    """An Operation class whose request body is `struct` as JSON, for handlers that read the raw
    body themselves (so that every bad field of every document is reported with its pointer)."""
    BODY_TYPES.append(struct)
    schema = Reference(ref=REF.format(name=struct.__name__))

    @dataclass
    class Documented(JsonBodyOperation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                description=description, required=True,
                content={"application/json": OpenAPIMediaType(schema=schema)},
            )

    return Documented


@dataclass
class JsonBodyOperation(Operation):
    """An operation whose handler reads a JSON body itself (`platform.edge` reads it strictly)."""
