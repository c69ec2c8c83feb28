#!/usr/bin/env python3
"""Writes crates/ctfy-cli/src/mcp/schemas.json: the OpenAPI component schemas the MCP tools'
output schemas use (the models named in crates/ctfy-cli/src/mcp/table.rs and every component
they refer to), taken from spec/openapi.json, so that the published ctfy-cli carries them.

Run after updating the spec or the table; a ctfy-cli unit test says when it is stale.
"""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "crates/ctfy-cli/src/mcp/table.rs"
OUT = ROOT / "crates/ctfy-cli/src/mcp/schemas.json"
PREFIX = "#/components/schemas/"

components = json.loads((ROOT / "spec/openapi.json").read_text())["components"]["schemas"]
wanted = re.findall(r'Output::(?:Model|List)\("(\w+)"\)', TABLE.read_text())
out = {}


def walk(value):
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(PREFIX):
            add(ref[len(PREFIX):])
        for v in value.values():
            walk(v)
    elif isinstance(value, list):
        for v in value:
            walk(v)


def add(name):
    if name in out:
        return
    out[name] = components[name]
    walk(out[name])


for name in wanted:
    add(name)
OUT.write_text(json.dumps(dict(sorted(out.items())), indent=1, ensure_ascii=False) + "\n")
print(f"{OUT.relative_to(ROOT)}: {len(out)} schemas")
