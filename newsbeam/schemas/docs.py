"""SCHEMA.md: the columns of every dataset and the fields of every run manifest, as
Markdown, generated from the schema modules (``python -m newsbeam.schemas > SCHEMA.md``;
tests/schemas/test_generated_docs.py fails when the file and the schemas drift)."""
from __future__ import annotations

from newsbeam.schemas.manifest import KINDS, MANIFEST_VERSION, NONE, Field
from newsbeam.schemas.tables import schema_markdown

COMMAND = "python -m newsbeam.schemas > SCHEMA.md"
JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array",
              dict: "object", NONE: "null"}


def _json_type(field: Field) -> str:
    types = [t for t in field.types if not (t is int and float in field.types)]  # a number
    return " or ".join(JSON_TYPES[t] for t in types)


def manifest_markdown() -> str:
    lines = [f"# Run manifests (version {MANIFEST_VERSION})", "",
             "`<output>/_runs/<run_id>.json`, one per run (and one per committed pane of a "
             "stream's window); `kind` tells them apart (none: a batch run). Fields in the "
             "order written; an optional field is left out where it does not apply.", ""]
    for kind in KINDS.values():
        lines += [f"## {kind.name}", "", kind.doc, "",
                  "| field | JSON type | required | meaning |", "|---|---|---|---|"]
        lines += [f"| `{f.name}` | {_json_type(f)} | {'yes' if f.required else 'no'} "
                  f"| {f.doc} |" for f in kind.fields]
        lines.append("")
    return "\n".join(lines)


def markdown() -> str:
    """The whole of SCHEMA.md."""
    return schema_markdown() + "\n" + manifest_markdown()
