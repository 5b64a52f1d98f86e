"""Quarto's own option schemas (its share/schema folder), read and applied to option values.

``document-*.yml`` and ``cell-*.yml`` declare every document and cell option
by name, in Quarto's YAML schema language. `options` reads them; `conforms`
checks a value against the simple forms of that language (string, path,
boolean, number, null, any, enum, anyOf, allOf, arrayOf, maybeArrayOf, and
closed or open objects of those) and answers None for the rest (a ``ref``
or a ``record``: not checked). The build checks every chunk's ``#|`` options
with them (`coursebuild.source.chunks`), as Quarto would refuse them.
"""

from __future__ import annotations

from pathlib import Path

from .problems import load_yaml

SIMPLE = ("string", "path", "boolean", "number", "null", "any")


def options(share: Path, kinds: tuple[str, ...] = ("document", "cell")) -> dict[str, object]:
    """Every option Quarto declares in ``<kind>-*.yml``: {name or alias: its schema}."""
    found: dict[str, object] = {}
    folder = share / "schema"
    for path in sorted(p for kind in kinds for p in folder.glob(f"{kind}-*.yml")):
        entries = load_yaml(path.read_text(encoding="utf-8"))
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and "name" in entry:
                found[entry["name"]] = entry.get("schema")
                if entry.get("alias"):
                    found[entry["alias"]] = entry.get("schema")
    return found


def cell_options(share: Path) -> dict[str, object]:
    """Every cell (chunk) option Quarto declares, with its schema."""
    return options(share, ("cell",))


def conforms(value: object, schema: object) -> bool | None:
    """Whether `value` matches Quarto's `schema`; None when the form is outside the subset."""
    if isinstance(schema, str):
        return _simple(value, schema) if schema in SIMPLE else None
    if not isinstance(schema, dict):
        return None
    for kind in SIMPLE:
        if kind in schema:
            return _simple(value, kind)
    if "schema" in schema:
        return conforms(value, schema["schema"])
    if "enum" in schema:
        values = schema["enum"]
        values = values["values"] if isinstance(values, dict) else values
        return value in values
    for key, combine in (("anyOf", any), ("allOf", all)):
        if key in schema:
            parts = schema[key]["schemas"] if isinstance(schema[key], dict) else schema[key]
            results = [conforms(value, part) for part in parts]
            if None in results and not (key == "anyOf" and True in results):
                return None
            return combine(results)
    if "arrayOf" in schema:
        return _list_of(value, schema["arrayOf"])
    if "maybeArrayOf" in schema:
        one = conforms(value, schema["maybeArrayOf"])
        return True if one else _list_of(value, schema["maybeArrayOf"])
    if "object" in schema:
        return _object(value, schema["object"] or {})
    return None


def describe(schema: object) -> str:
    """Say in words what `schema` accepts (Quarto's own ``errorDescription`` if it has one)."""
    if isinstance(schema, dict) and schema.get("errorDescription"):
        return str(schema["errorDescription"])
    if isinstance(schema, str) or (isinstance(schema, dict) and set(schema) & set(SIMPLE)):
        kind = schema if isinstance(schema, str) else next(k for k in SIMPLE if k in schema)
        return {"boolean": "true or false", "number": "a number", "null": "empty"}.get(
            kind, "a string" if kind in ("string", "path") else "any value"
        )
    if isinstance(schema, dict):
        if "schema" in schema:
            return describe(schema["schema"])
        if "enum" in schema:
            values = schema["enum"]
            values = values["values"] if isinstance(values, dict) else values
            return "one of " + ", ".join(map(str, values))
        if "anyOf" in schema:
            parts = schema["anyOf"]
            parts = parts["schemas"] if isinstance(parts, dict) else parts
            return " or ".join(describe(p) for p in parts)
        if "arrayOf" in schema:
            return f"a list of ({describe(schema['arrayOf'])})"
        if "maybeArrayOf" in schema:
            return f"{describe(schema['maybeArrayOf'])}, or a list of them"
        if "object" in schema:
            return "a mapping of key: value lines"
    return "what Quarto's schema says"


def _simple(value: object, kind: str) -> bool:
    if kind in ("string", "path"):
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "null":
        return value is None
    return True  # any


def _list_of(value: object, item: object) -> bool | None:
    if not isinstance(value, list):
        return False
    results = [conforms(x, item) for x in value]
    return None if None in results else all(results)


def _object(value: object, spec: dict) -> bool | None:
    if not isinstance(value, dict):
        return False
    properties = spec.get("properties") or {}
    if spec.get("closed") and set(value) - set(properties):
        return False
    results = [conforms(value[k], s) for k, s in properties.items() if k in value]
    return None if None in results else all(results)
