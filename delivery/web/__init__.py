"""HTTP wiring: the Litestar application (`app`), the list of every handler (`handlers`), how an
error is answered (`problems`), the OpenAPI document (`openapi`, `openapi_examples`) and the
schema viewer (`schema_viewer`).

It may import every area; no area imports it. An area's own handlers live in the area
(`<area>/api.py`) and say what the document needs through `platform.apidoc`.
"""
