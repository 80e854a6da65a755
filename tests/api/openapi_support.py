"""Reading the service's own OpenAPI document, and checking real answers against it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:tasheel:openapi"
METHODS = ("get", "put", "post", "delete", "patch")
PROBLEM_JSON = "application/problem+json"


async def load_document(client) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    return response.json()


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) of every documented operation."""
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A `$ref` to somewhere in the document, followed (once per level)."""
    while "$ref" in node:
        target: Any = doc
        for step in node["$ref"].removeprefix("#/").split("/"):
            target = target[step.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


class Schemas:
    """JSON Schema validation of values against schemas inside the document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        resource = Resource.from_contents(doc, default_specification=DRAFT202012)
        self.registry = Registry().with_resource(DOCUMENT_URI, resource)

    def errors(self, value: Any, schema: dict[str, Any]) -> list[str]:
        """Why `value` does not match `schema` (a schema found in the document), if it does not."""
        validator = jsonschema.Draft202012Validator(
            _absolute(schema), registry=self.registry, format_checker=jsonschema.FormatChecker())
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(value)]

    def component(self, name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}


def _absolute(node: Any) -> Any:
    """Local `#/…` references made absolute, so they resolve inside the document."""
    if isinstance(node, dict):
        return {k: (DOCUMENT_URI + v if k == "$ref" and v.startswith("#") else _absolute(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_absolute(v) for v in node]
    return node


def media_type(response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def check_answer(doc: dict[str, Any], method: str, template: str, response,
                 schemas: Schemas | None = None) -> dict[str, Any]:
    """Assert that `response` is one the document announces for the operation, body included.

    Returns the documented response object."""
    op = doc["paths"][template][method]
    status = str(response.status_code)
    where = f"{method.upper()} {template} answered {status}: {response.text[:300]}"
    documented = op["responses"].get(status) or op["responses"].get("default")
    assert documented is not None, f"{where}; documented: {sorted(op['responses'])}"
    documented = resolve(doc, documented)
    content = documented.get("content") or {}
    if not response.content:
        return documented
    kind = media_type(response)
    assert kind in content, f"{where}; documented media types: {sorted(content)}"
    if kind in ("application/json", PROBLEM_JSON) and "schema" in content[kind]:
        problems = (schemas or Schemas(doc)).errors(response.json(), content[kind]["schema"])
        assert not problems, f"{where}; {problems}"
    if kind == PROBLEM_JSON:
        body = response.json()
        assert body["status"] == response.status_code, where
    return documented
