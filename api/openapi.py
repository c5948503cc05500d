"""Two refinements of the generated OpenAPI document, so that it says exactly what the API accepts:

- it names this installation's locales: every ``locale`` parameter and article locale lists them as an
  enum, and a category's names and descriptions take them as keys, so clients (and schema-driven tests)
  know which values are served instead of finding out from a 404 or 422. They are settings, so this is
  done per app, not in the models;
- an optional header is absent or a string, never JSON ``null`` (FastAPI documents ``str | None`` as
  either), so its documented pattern is the whole rule.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

# Parameters and request bodies whose locale must be a configured one (a new conversation's falls back; a
# message's, optional, does not).
LOCALE_PARAMETERS = ("locale", "missing_translation")
LOCALE_BODIES = ("ArticleCreate", "MessageIn")
# Request bodies whose texts per locale (a JSON object keyed by locale) take configured locales only.
LOCALE_KEYED = {"CategoryIn": ("names", "descriptions"), "CategoryUpdate": ("names", "descriptions")}


def refine(app: FastAPI, locales: list[str]) -> None:
    """Make ``app.openapi()`` list ``locales`` wherever a request names a locale, and drop ``null`` from
    optional headers."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "header":
                        _not_null(parameter)
                    if parameter["name"] in LOCALE_PARAMETERS:
                        _enumerate(parameter["schema"], locales, optional=not parameter.get("required", False))
        components = schema.get("components", {}).get("schemas", {})
        for name in LOCALE_BODIES:
            locale = components.get(name, {}).get("properties", {}).get("locale")
            if locale is not None:
                _enumerate(locale, locales, optional=False)
        for name, fields in LOCALE_KEYED.items():
            properties = components.get(name, {}).get("properties", {})
            for field in fields:
                if field in properties:
                    _keyed_by_locale(properties[field], locales)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _enumerate(schema: dict[str, Any], locales: list[str], *, optional: bool) -> None:
    # An optional filter left empty means "every locale", so "" stays a valid value there.
    schema["enum"] = [*locales, ""] if optional else list(locales)


def _keyed_by_locale(schema: dict[str, Any], locales: list[str]) -> None:
    for branch in schema.get("anyOf", [schema]):  # an optional field: its object branch, not the null
        if branch.get("type") == "object":
            branch["propertyNames"] = {"enum": list(locales)}


def _not_null(parameter: dict[str, Any]) -> None:
    branches = parameter["schema"].get("anyOf")
    if branches:
        kept = [b for b in branches if b.get("type") != "null"]
        if len(kept) == 1:
            rest = {k: v for k, v in parameter["schema"].items() if k != "anyOf"}
            parameter["schema"] = {**kept[0], **rest}
