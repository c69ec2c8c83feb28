#!/usr/bin/env python3
"""Writes docs/COVERAGE.md: which OpenAPI operations and Python SDK methods ctfy-rs reaches.

Inputs (all in the repository):
- spec/openapi.json, spec/openapi-node.json   every (method, path) operation
- spec/python-sdk-methods.tsv                 every Python SDK member (copy of methods.tsv)
- docs/methods.tsv                            Python id -> Rust call (scripts/gen_client.py)
- spec/not-covered.tsv                        what is deliberately not covered, with a reason
- spec/conformance-allowlist.tsv              wire-shape exceptions (shown in the report)
- crates/ctfy-{transport,client,admin,node}/src/**/*.rs and src/**/*.rs   the SDK sources

"Reached": a request template found in the SDK sources by the same simple parser as
tests/coverage.rs: `Request::get|post|put|patch|delete(` or `Request::new(Method::VERB,`
followed (whitespace allowed) by a string literal; lines whose first non-blank characters
are `//` are ignored. Templates are relative to /api/v1 and use the spec's placeholder names,
so `"/api/v1" + template` must equal a spec path exactly (a Python SDK call is matched with
placeholders blanked, as the Python SDK names a few of them differently). Templates in ctfy-node reach the
node spec; the other crates reach the platform spec.

A Python method is covered when every HTTP call it makes is reached (and it is not listed in
not-covered.tsv); an operation is covered when it is reached. tests/coverage.rs recomputes the
numbers and fails when something is neither covered nor listed, or when this file is stale.

python3 scripts/coverage_report.py [--check]
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SDK_DIRS = {
    "crates/ctfy-transport/src": "platform",
    "crates/ctfy-client/src": "platform",
    "crates/ctfy-admin/src": "platform",
    "src": "platform",
    "crates/ctfy-node/src": "node",
}
SPECS = {"platform": "spec/openapi.json", "node": "spec/openapi-node.json"}
CLIENTS = ("player", "events", "competition", "team", "admin", "node")
TEMPLATE = re.compile(
    r'Request::(?:(get|post|put|patch|delete)|new)\(\s*(?:Method::([A-Z]+)\s*,\s*)?"([^"]*)"'
)


def read_tsv(rel: str) -> list[dict[str, str]]:
    """Rows of a tab-separated file with a header line; blank lines and `#` lines skipped."""
    lines = [l for l in (ROOT / rel).read_text().splitlines() if l.strip() and not l.startswith("#")]
    head = lines[0].split("\t")
    return [dict(zip(head, l.split("\t"))) for l in lines[1:]]


def scan() -> dict[str, set[tuple[str, str]]]:
    """spec -> {(VERB, /api/v1 path)} reached by the SDK sources."""
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for rel, spec in SDK_DIRS.items():
        for f in sorted((ROOT / rel).rglob("*.rs")):
            text = "\n".join(l for l in f.read_text().splitlines() if not l.lstrip().startswith("//"))
            for m in TEMPLATE.finditer(text):
                verb = (m.group(1) or m.group(2) or "").upper()
                if verb in VERBS:
                    out[spec].add((verb, "/api/v1" + m.group(3)))
    return out


def operations() -> list[dict[str, str]]:
    ops = []
    for spec, rel in SPECS.items():
        doc = json.loads((ROOT / rel).read_text())
        for path, item in doc["paths"].items():
            for verb in item:
                if verb.upper() in VERBS:
                    ops.append({"spec": spec, "http": verb.upper(), "path": path, "group": group(spec, path)})
    return ops


def group(spec: str, path: str) -> str:
    """`platform admin/users`, `platform competitions`, `node instances`."""
    parts = [p for p in path.removeprefix("/api/v1").split("/") if p and not p.startswith("{")]
    if not parts:
        return f"{spec} /"
    if parts[0] == "admin" and len(parts) > 1:
        return f"{spec} admin/{parts[1]}"
    return f"{spec} {parts[0]}"


def shape(path: str) -> str:
    """A path with its placeholders blanked (`/a/{x}` -> `/a/{}`): the Python SDK names some
    placeholders differently from the spec (`{user_id}` for `{target_user_id}`)."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def op_client(op: dict[str, str]) -> str:
    if op["spec"] == "node":
        return "node"
    return "admin" if op["path"].startswith("/api/v1/admin/") else "player"


def compute() -> dict:
    reached = scan()
    listed = read_tsv("spec/not-covered.tsv")
    listed_ops = {(r["where"], r["http"], r["target"]): r for r in listed if r["kind"] == "operation"}
    listed_py = {r["target"]: r for r in listed if r["kind"] == "python"}
    rust = {r["python_id"]: r for r in read_tsv("docs/methods.tsv")}

    ops = operations()
    for op in ops:
        key = (op["spec"], op["http"], op["path"])
        op["reached"] = (op["http"], op["path"]) in reached[op["spec"]]
        op["listed"] = listed_ops.get(key)
        op["client"] = op_client(op)

    methods = []
    for r in read_tsv("spec/python-sdk-methods.tsv"):
        if not r["http"]:
            continue
        pid = f"{r['client']}:{r['namespace']}:{r['method']}"
        spec = "node" if r["client"] == "node" else "platform"
        calls = list(zip(r["http"].split(";"), r["path"].split(";")))
        shapes = {(v, shape(p)) for v, p in reached[spec]}
        ok = all((v, shape("/api/v1" + p)) in shapes for v, p in calls)
        methods.append({
            "id": pid, "client": r["client"], "namespace": r["namespace"] or "(root)",
            "seed": r["seed"], "calls": calls, "reached": ok and pid not in listed_py,
            "listed": listed_py.get(pid), "rust": rust.get(pid, {}).get("rust_call", ""),
        })
    return {"ops": ops, "methods": methods, "listed": listed}


def problems(c: dict) -> list[str]:
    """What tests/coverage.rs also fails on (besides a stale docs/COVERAGE.md)."""
    out = []
    for op in c["ops"]:
        if not op["reached"] and not op["listed"]:
            out.append(f"operation {op['spec']} {op['http']} {op['path']}: neither reached nor in spec/not-covered.tsv")
        if op["reached"] and op["listed"]:
            out.append(f"operation {op['spec']} {op['http']} {op['path']}: reached, remove it from spec/not-covered.tsv")
    for m in c["methods"]:
        if not m["reached"] and not m["listed"]:
            out.append(f"python {m['id']}: neither reached nor in spec/not-covered.tsv")
    known_ops = {(o["spec"], o["http"], o["path"]) for o in c["ops"]}
    known_py = {m["id"] for m in c["methods"]}
    for r in c["listed"]:
        if r["kind"] == "operation" and (r["where"], r["http"], r["target"]) not in known_ops:
            out.append(f"spec/not-covered.tsv: no operation {r['where']} {r['http']} {r['target']}")
        if r["kind"] == "python" and r["target"] not in known_py:
            out.append(f"spec/not-covered.tsv: no Python method {r['target']}")
        if not r.get("reason", "").strip():
            out.append(f"spec/not-covered.tsv: {r['target']} has no reason")
    return out


def frac(items: list[dict]) -> str:
    return f"{sum(1 for i in items if i['reached'])} / {len(items)}"


def render(c: dict) -> str:
    ops, methods = c["ops"], c["methods"]
    o = ["<!-- Generated by scripts/coverage_report.py; do not edit. tests/coverage.rs checks the numbers. -->\n\n",
         "# Coverage: OpenAPI operations and Python SDK methods reached by ctfy-rs\n\n",
         "An operation is *covered* when a request template of the SDK sources (`Request::get(\"…\"`,\n",
         "`Request::new(Method::GET, \"…\"`, generated or hand-written) equals its path; a Python SDK\n",
         "method when every HTTP call it makes is covered. Everything else is listed, with a reason, in\n",
         "`spec/not-covered.tsv`. `cargo test -p ctfy --test coverage` recomputes these numbers and\n",
         "fails when an operation or method is neither covered nor listed, or when this file is stale;\n",
         "regenerate it with `python3 scripts/coverage_report.py`.\n\n"]

    o.append("## Per client\n\n| client | Python methods covered | spec operations covered |\n|---|---:|---:|\n")
    for client in CLIENTS:
        ms = [m for m in methods if m["client"] == client]
        os_ = [x for x in ops if x["client"] == client]
        o.append(f"| {client} | {frac(ms)} | {frac(os_) if os_ else '-'} |\n")
    o.append(f"| **total** | **{frac(methods)}** | **{frac(ops)}** |\n\n")
    o.append("Spec operations: `player` = platform paths outside `/admin/`, `admin` = platform `/admin/` paths, "
             "`node` = the worker-node daemon spec. Python methods of the competition and team handles and of "
             "the event stream are counted under their own client.\n\n")

    seeds = [m for m in methods if m["seed"] in ("yes", "renamed", "described")]
    o.append(f"## Seed-named methods\n\n{frac(seeds)} Python methods named or described by a seed "
             "(`seed` = yes / renamed / described) are covered.\n\n")
    missing = [m for m in seeds if not m["reached"]]
    for m in missing:
        o.append(f"- not covered: `{m['id']}`\n")
    if missing:
        o.append("\n")

    o.append("## Python methods per namespace\n\n| client | namespace | covered | total |\n|---|---|---:|---:|\n")
    by = defaultdict(list)
    for m in methods:
        by[(CLIENTS.index(m["client"]), m["client"], m["namespace"])].append(m)
    for (_, client, ns), ms in sorted(by.items()):
        o.append(f"| {client} | {ns} | {sum(1 for m in ms if m['reached'])} | {len(ms)} |\n")

    o.append("\n## Spec operations per group\n\n| spec | group | covered | total |\n|---|---|---:|---:|\n")
    byg = defaultdict(list)
    for x in ops:
        byg[x["group"]].append(x)
    for g, xs in sorted(byg.items()):
        spec, name = g.split(" ", 1)
        o.append(f"| {spec} | {name} | {sum(1 for x in xs if x['reached'])} | {len(xs)} |\n")

    listed = c["listed"]
    cats = defaultdict(int)
    for r in listed:
        cats[r["category"]] += 1
    o.append(f"\n## Not covered ({len(listed)}: "
             + ", ".join(f"{k} {v}" for k, v in sorted(cats.items())) + ")\n\n")
    o.append("| kind | where | HTTP | operation / Python method | category | reason |\n|---|---|---|---|---|---|\n")
    for r in listed:
        o.append(f"| {r['kind']} | {r['where']} | {r['http']} | `{r['target']}` | {r['category']} | {r['reason']} |\n")

    allow = read_tsv("spec/conformance-allowlist.tsv")
    schemas = sum(len(json.loads((ROOT / rel).read_text())["components"]["schemas"]) for rel in SPECS.values())
    o.append(f"\n## Wire-shape conformance\n\n`cargo test -p ctfy-models --test conformance` checks every one of the "
             f"{schemas} component schemas of the two specs against its Rust type (property names, required vs "
             "optional, nullability, enum values, nested types); every schema the SDK returns conforms except "
             f"the {len(allow)} exceptions of `spec/conformance-allowlist.tsv`:\n\n")
    o.append("| check | schema | field | reason |\n|---|---|---|---|\n")
    for r in allow:
        o.append(f"| {r['check']} | `{r['schema']}` | {('`' + r['field'] + '`') if r['field'] else ''} | {r['reason']} |\n")
    return "".join(o)


def main() -> int:
    c = compute()
    bad = problems(c)
    for b in bad:
        print(b, file=sys.stderr)
    text = render(c)
    target = ROOT / "docs" / "COVERAGE.md"
    if "--check" in sys.argv:
        if target.read_text() != text:
            print("docs/COVERAGE.md is stale: run python3 scripts/coverage_report.py", file=sys.stderr)
            return 1
    else:
        target.write_text(text)
    print(f"operations {frac(c['ops'])}, Python methods {frac(c['methods'])}, not covered listed {len(c['listed'])}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
