"""Request bodies in the OpenAPI document for handlers that decode their body themselves.

Intake reads raw bytes so that every bad field of every document is reported with its JSON
pointer; Litestar then cannot infer the body's schema, so it is declared here, inline, from the
same msgspec Structs that do the decoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody


def inline_schema(struct: type) -> dict[str, Any]:
    """The JSON Schema of `struct` with every `$ref` replaced by what it names."""
    schema = msgspec.json.schema(struct)
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(schema)


def with_json_body(struct: type, description: str) -> type[Operation]:
    """An Operation class whose request body is `struct` as JSON."""
    schema = inline_schema(struct)

    @dataclass
    class JsonBodyOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                description=description, required=True,
                content={"application/json": OpenAPIMediaType(schema=schema)},  # type: ignore[arg-type]
            )

    return JsonBodyOperation
