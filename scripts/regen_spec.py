"""Dump the ctfy platform and worker-node OpenAPI documents, structure only.

Run through scripts/regen-spec.sh (which provides the venv). Builds both FastAPI apps
in-process (no server, no network), strips free-text `description`/`examples`/`example`
entries and writes deterministic JSON (sorted keys, indent=1) to spec/openapi.json and
spec/openapi-node.json.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

STRIP_KEYS = {"description", "examples", "example"}


def strip(node, parent_key=""):
    """Remove free-text documentation keys, keeping structure, summary and operationId.

    `properties`, `paths`, `schemas` etc. map names to sub-documents; a property literally
    named `description` must survive, so removal only happens outside such name maps.
    """
    name_maps = {"properties", "schemas", "paths", "responses", "parameters_map", "securitySchemes",
                 "content", "patternProperties", "$defs", "definitions", "mapping", "callbacks",
                 "headers", "links", "encoding"}
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if parent_key not in name_maps and k in STRIP_KEYS:
                continue
            out[k] = strip(v, k)
        return out
    if isinstance(node, list):
        return [strip(v, "") for v in node]
    return node


def dump(doc, path: Path) -> None:
    text = json.dumps(strip(doc), sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8")
    n = len(doc.get("components", {}).get("schemas", {}))
    print(f"wrote {path} ({len(doc.get('paths', {}))} paths, {n} schemas)")


def main() -> int:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "spec")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ctfy-spec-"))
    try:
        (tmp / "challenges").mkdir()
        (tmp / "data").mkdir()
        env = {
            "CTFY_PROJECT_ROOT": str(tmp),
            "CTFY_CHALLENGES_DIR": str(tmp / "challenges"),
            "CTFY_DB_PATH": str(tmp / "data" / "ctfy.sqlite3"),
            "CTFY_INSTANCES_DIR": str(tmp / "instances"),
            "CTFY_INSTANCE_ARCHIVE_DIR": str(tmp / "archive"),
        }
        # Only these variables matter; drop any CTFY_* from the caller's environment so
        # the spec is always the default configuration.
        for k in list(os.environ):
            if k.startswith("CTFY_"):
                del os.environ[k]
        os.environ.update(env)
        os.chdir(tmp)

        from ctfy.core.config import CtfyConfig
        from ctfy.server.app import create_app
        from ctfy.server.node_app import create_node_app

        app = create_app(CtfyConfig.from_env())
        platform = app.openapi()
        node_app = create_node_app(CtfyConfig.from_env(), auto_register=False,
                                   public_url="http://127.0.0.1:18201", db_path=str(tmp / "data" / "node.sqlite3"))
        node = node_app.openapi()
    finally:
        os.chdir("/")
        shutil.rmtree(tmp, ignore_errors=True)
    dump(platform, out_dir / "openapi.json")
    dump(node, out_dir / "openapi-node.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
