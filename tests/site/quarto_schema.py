"""Quarto's own schemas (its share/schema folder) as JSON Schema, for the config tests.

Not a test module. Two sources, both from Quarto's share folder:

* ``json-schemas.json``: Quarto's JSON export of its project-level
  definitions (``ProjectConfig``, ``BaseWebsite``, ``PandocFormatFilters``,
  ...). It writes an object as ``{"object": {"properties": ...}}`` and a map
  as ``values``; `project_schema` rewrites those into standard
  ``type: object`` / ``additionalProperties`` (its objects are open: unknown
  keys are not caught there);
* ``document-*.yml`` and ``cell-*.yml``: every document and cell option, by
  name, in Quarto's YAML schema language (read by `coursebuild.quarto_schema`,
  which the build checks chunk options with). `option_schema` turns the simple
  forms (string, boolean, number, path, null, any, enum, anyOf, allOf,
  arrayOf, maybeArrayOf, and closed or open objects of those) into JSON
  Schema; a ``ref`` or ``record`` is outside that subset and returns None
  (the option's value is then not checked, and the test says which).
"""

from __future__ import annotations

import json
from pathlib import Path

from coursebuild.quarto_schema import options  # noqa: F401 (the tests read it from here)


def project_schema(share: Path, name: str) -> dict:
    """One definition of json-schemas.json as standard JSON Schema (with its $defs)."""
    data = json.loads((share / "schema" / "json-schemas.json").read_text(encoding="utf-8"))
    defs = {k: _standard(v) for k, v in data["$defs"].items()}
    return {"$schema": data["$schema"], "$defs": defs, "$ref": f"#/$defs/{name}"}


def _standard(node):
    if isinstance(node, list):
        return [_standard(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "object":
            out["type"] = "object"
            inner = _standard(value)
            if "values" in inner:
                inner["additionalProperties"] = inner.pop("values")
            out.update(inner)
        elif key == "properties":
            out[key] = {k: _standard(v) for k, v in value.items()}
        elif key != "hidden":
            out[key] = _standard(value)
    return out


SIMPLE = {
    "string": {"type": "string"},
    "path": {"type": "string"},
    "boolean": {"type": "boolean"},
    "number": {"type": "number"},
    "null": {"type": "null"},
    "any": {},
}


def option_schema(node) -> dict | None:
    """Quarto's YAML schema for one option as JSON Schema, or None outside the subset."""
    if isinstance(node, str):
        return SIMPLE.get(node)
    if not isinstance(node, dict):
        return None
    for kind in ("string", "path", "boolean", "number", "null", "any"):
        if kind in node:
            return SIMPLE[kind]
    if "schema" in node:
        return option_schema(node["schema"])
    if "enum" in node:
        values = node["enum"]
        return {"enum": values["values"] if isinstance(values, dict) else values}
    for key in ("anyOf", "allOf"):
        if key in node:
            parts = node[key]["schemas"] if isinstance(node[key], dict) else node[key]
            converted = [option_schema(p) for p in parts]
            return None if None in converted else {key: converted}
    if "arrayOf" in node:
        inner = option_schema(node["arrayOf"])
        return None if inner is None else {"type": "array", "items": inner}
    if "maybeArrayOf" in node:
        inner = option_schema(node["maybeArrayOf"])
        return None if inner is None else {"anyOf": [inner, {"type": "array", "items": inner}]}
    if "object" in node:
        spec = node["object"] or {}
        props = {}
        for key, value in (spec.get("properties") or {}).items():
            converted = option_schema(value)
            if converted is None:
                return None
            props[key] = converted
        out = {"type": "object", "properties": props}
        if spec.get("closed"):
            out["additionalProperties"] = False
        if spec.get("required") and spec["required"] != "all":
            out["required"] = spec["required"]
        return out
    return None
