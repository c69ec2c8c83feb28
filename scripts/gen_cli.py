"""Generate crates/ctfy-cli/src/generated.rs: the mechanical commands of `ctfy` and `ctfy-admin`.

Run: `python3 scripts/gen_cli.py` (no venv needed). Inputs:

- spec/python-cli.json: the Python CLIs' command trees and, per command, the SDK calls its
  body makes (scripts/gen_cli_inventory.py);
- docs/methods.tsv: each Python SDK method's Rust call;
- the SDK's generated calls (crates/ctfy-client/src/generated/, crates/ctfy-admin/src/generated/):
  each Rust method's required arguments with their types, its optional setters with theirs, and
  whether it answers a page;
- spec/cli-map.toml: what cannot be derived (hand-written commands, option renames, commands
  left to hand-written code).

A command is generated when it makes exactly one SDK call whose Rust method is known, each of
its positional arguments and options (other than the root's `--json`, `--fields`, `--jq`) maps
onto a required argument or a setter of that method by name (or by a rename in the map), with
a type the command line can carry (text, identifiers, enums from text, integers, floats,
booleans). Anything else stays for hand-written code: `spec/cli-not-yet.tsv` lists what is
still missing, and the parity test (crates/ctfy-cli/tests/inventory.rs) keeps that list honest.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "crates/ctfy-cli/src/generated.rs"
# Options every command has through the root (`--json`, `--fields`, `--jq`), and options that
# only confirm a prompt the Rust binaries never show (accepted, no effect).
GLOBAL_FLAGS = {"--json", "--fields", "--jq"}
NO_OP_FLAGS = {"--yes"}

FN_RE = re.compile(r"pub fn (\w+)\(\s*&self((?:[^()]|\([^()]*\))*)\)\s*->\s*(\w+)", re.S)
SETTER_RE = re.compile(r"/// - \[`\.(\w+)\(\)`\]\(\w+::\w+\): `([^`]*)`")
SDK_RE = re.compile(r"Python SDK: `([\w.()]+)`")


def rust_kind(ty: str) -> str | None:
    """How the command line carries a value of this Rust parameter type."""
    ty = ty.strip()
    if ty in ("u64", "i64", "f64", "bool"):
        return ty
    if ty.startswith("impl IntoId<") or ty == "impl Into<String>" or re.fullmatch(r"impl Into<m::\w+>", ty):
        return "str"
    return None


def parse_sdk() -> dict[str, dict]:
    """Python SDK call (`client.teams.list`, `admin.users.get`) -> the Rust method's facts."""
    out: dict[str, dict] = {}
    for d in ("crates/ctfy-client/src/generated", "crates/ctfy-admin/src/generated"):
        for f in sorted((ROOT / d).glob("*.rs")):
            text = f.read_text(encoding="utf-8")
            # One doc block + signature per method: split at each "Python SDK:" line.
            for m in SDK_RE.finditer(text):
                rest = text[m.end():]
                fn = FN_RE.search(rest)
                if not fn:
                    continue
                doc = rest[: fn.start()]
                args = []
                for part in split_args(fn.group(2)):
                    name, _, ty = part.partition(":")
                    args.append((name.strip(), ty.strip()))
                setters = {n: t for n, t in SETTER_RE.findall(doc)}
                returns = "page" if "A [`Page`]" in doc else (
                    "download" if "the bytes, their content type" in doc else (
                        "unit" if "Nothing: `()`" in doc else "value"))
                out[m.group(1)] = {"fn": fn.group(1), "args": args, "setters": setters, "returns": returns}
    return out


def split_args(s: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        if ch == "," and depth == 0:
            if cur.strip():
                parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def load_methods() -> dict[str, str]:
    rows = {}
    for line in (ROOT / "docs/methods.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) >= 3:
            rows[cols[1]] = cols[2]
    return rows


def ident(path: list[str], binary: str) -> str:
    return re.sub(r"\W", "_", "_".join([binary, *path])).lower()


def rs(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


CLAP_TYPE = {"u64": "u64", "i64": "i64", "f64": "f64", "str": "String", "bool": "bool"}


def plan(cmd: dict, sdk: dict, methods: dict, cmap: dict) -> dict | None:
    """How to generate `cmd`, or None when it is not mechanical."""
    key = f"{cmd['binary']} {' '.join(cmd['path'])}"
    over = cmap.get("command", {}).get(key, {})
    if over.get("hand") or over.get("skip"):
        return None
    calls = over.get("sdk_calls", cmd["sdk_calls"])
    if len(calls) != 1:
        return None
    call = calls[0]
    py = call if call.startswith("admin.") else "client." + call
    facts = sdk.get(py)
    rust_call = methods.get(py)
    if facts is None or rust_call is None or facts["returns"] == "download":
        return None
    # The accessor chain before the method: `client.teams().list(...)` -> `c.teams()`.
    head = rust_call.split("(")[0]  # client.teams().list -> "client.teams"
    chain = rust_call[: rust_call.rfind("." + facts["fn"] + "(")]
    scoped = chain == "client.competition(id)?"
    if not scoped and ("?" in chain or "(" in chain.replace("()", "")):
        return None
    if scoped:
        # The competition handle: its id is the command's `competition_id` argument.
        chain = "c.competition(competition_id.as_str())?"
    elif chain.startswith("client."):
        chain = chain.replace("client.", "c.", 1)
    else:
        chain = chain.replace("admin.", "c.admin().", 1)
    del head
    renames = over.get("rename", {})
    req_args = {n: t for n, t in facts["args"]}
    if scoped:
        if "competition_id" in req_args:
            return None
        req_args = {"competition_id": "impl Into<String>", **req_args}
    positional, opts, noop = [], [], []
    used_args = set()
    for p in cmd["params"]:
        if set(p.get("flags", [])) & GLOBAL_FLAGS:
            continue
        if set(p.get("flags", [])) & NO_OP_FLAGS and p.get("is_flag"):
            noop.append(p)
            continue
        target = renames.get(p["name"], p["name"])
        if target in req_args:
            kind = rust_kind(req_args[target])
            if kind is None:
                return None
            used_args.add(target)
            role = ("arg", target, kind)
        elif target in facts["setters"]:
            kind = rust_kind(facts["setters"][target])
            if kind is None:
                return None
            role = ("setter", target, kind)
        else:
            return None
        if p["multiple"]:
            return None
        if p["kind"] == "argument":
            positional.append((p, role))
        else:
            if p["is_flag"] and kind != "bool":
                return None
            if p["secondary_flags"] and kind != "bool":
                return None
            opts.append((p, role))
    if set(req_args) - used_args:
        return None
    return {
        "key": key,
        "chain": chain,
        "fn": facts["fn"],
        "req_order": [n for n, _ in facts["args"]],
        "positional": positional,
        "opts": opts,
        "noop": noop,
        "has_limit": "limit" in facts["setters"],
        "returns": facts["returns"],
        "columns": over.get("columns"),
    }


def arg_builder(p: dict, role) -> str:
    _, _, kind = role
    lines = [f"Arg::new({rs(p['name'])})"]
    if p["kind"] == "argument":
        lines.append(f".value_name({rs(p['name'].upper())})")
        if p["required"]:
            lines.append(".required(true)")
    else:
        longs = [f for f in p["flags"] if f.startswith("--")]
        shorts = [f for f in p["flags"] if not f.startswith("--")]
        lines.append(f".long({rs(longs[0][2:])})")
        for extra in longs[1:]:
            lines.append(f".alias({rs(extra[2:])})")
        if shorts:
            lines.append(f".short('{shorts[0][1]}')")
        if kind == "bool" and p["secondary_flags"]:
            # --x/--no-x: the value is the last one given.
            lines.append(".action(ArgAction::SetTrue)")
        elif kind == "bool":
            lines.append(".action(ArgAction::SetTrue)")
        else:
            lines.append(f".value_name({rs(p['name'].upper())})")
            if p["required"]:
                lines.append(".required(true)")
    if kind != "bool":
        lines.append(f".value_parser(clap::value_parser!({CLAP_TYPE[kind]}))")
        d = p["default"]
        if d is not None and d is not False and d != "" and not isinstance(d, list) and d != "<computed>":
            lines.append(f".default_value({rs(str(d))})")
    if p["help"]:
        lines.append(f".help({rs(p['help'])})")
    return "".join(lines)


def negation(p: dict) -> str | None:
    for f in p.get("secondary_flags") or []:
        if f.startswith("--"):
            return f
    return None


def gen_command(cmd: dict, pl: dict) -> tuple[str, str]:
    name = ident(cmd["path"], cmd["binary"])
    args = [arg_builder(p, r) for p, r in pl["positional"]] + [arg_builder(p, r) for p, r in pl["opts"]]
    for p in pl["noop"]:
        a = f"Arg::new({rs(p['name'])}).long({rs(p['flags'][0][2:])})"
        for f in p["flags"][1:]:
            a += f".short('{f[1]}')" if not f.startswith("--") else f".alias({rs(f[2:])})"
        args.append(a + ".action(ArgAction::SetTrue).help(\"Accepted for compatibility: nothing asks for confirmation.\")")
    negs = []
    for p, _ in pl["opts"]:
        n = negation(p)
        if n:
            negs.append(
                f"Arg::new({rs('no_' + p['name'])}).long({rs(n[2:])}).action(ArgAction::SetTrue)"
                f".overrides_with({rs(p['name'])}).help({rs('Turn --' + p['name'].replace('_', '-') + ' off.')})"
            )
    tree = [f"fn cmd_{name}() -> Command {{", f"    Command::new({rs(cmd['path'][-1])})"]
    if cmd["help"]:
        tree.append(f"        .about({rs(cmd['help'])})")
    for a in cmd["aliases"]:
        tree.append(f"        .alias({rs(a)})")
    for a in args + negs:
        tree.append(f"        .arg({a})")
    tree.append("}")

    body = [f"async fn run_{name}(m: &ArgMatches, x: &Ctx) -> Result<(), CliError> {{"]
    body.append(f"    let c = x.client({'true' if cmd['require_auth'] else 'false'})?;")
    req_vals = {}
    for p, (role, target, kind) in pl["positional"] + pl["opts"]:
        if role == "arg":
            if kind == "str":
                body.append(f"    let {target}: String = x.text(m, {rs(p['name'])});")
                req_vals[target] = f"{target}.as_str()"
            elif kind == "bool":
                body.append(f"    let {target} = m.get_flag({rs(p['name'])});")
                req_vals[target] = target
            else:
                body.append(
                    f"    let {target}: {CLAP_TYPE[kind]} = m.get_one::<{CLAP_TYPE[kind]}>({rs(p['name'])}).copied().unwrap_or_default();"
                )
                req_vals[target] = target
    call_args = ", ".join(req_vals[n] for n in pl["req_order"] if n in req_vals)
    mut = "mut " if any(r[0] == "setter" for _, r in pl["positional"] + pl["opts"]) else ""
    body.append(f"    let {mut}req = {pl['chain']}.{pl['fn']}({call_args});")
    for p, (role, target, kind) in pl["positional"] + pl["opts"]:
        if role != "setter":
            continue
        if kind == "str":
            body.append(f"    if let Some(v) = x.opt_text(m, {rs(p['name'])}) {{ req = req.{target}(v.as_str()); }}")
        elif kind == "bool":
            if p["secondary_flags"]:
                # The two flags override each other: the last one given is the only one set.
                if p["default"]:
                    body.append(f"    let v = !m.get_flag({rs('no_' + p['name'])});")
                else:
                    body.append(f"    let v = m.get_flag({rs(p['name'])});")
                body.append(f"    req = req.{target}(v);")
            else:
                body.append(f"    if m.get_flag({rs(p['name'])}) {{ req = req.{target}(true); }}")
        else:
            t = CLAP_TYPE[kind]
            body.append(f"    if let Some(v) = m.get_one::<{t}>({rs(p['name'])}) {{ req = req.{target}(*v); }}")
    ret = pl["returns"]
    walk = cmd["every_page"] and ret == "page" and not any(
        r[1] in ("offset", "limit") for _, r in pl["opts"]
    )
    cols = "&[" + ", ".join(rs(c) for c in (pl["columns"] or [])) + "]"
    dump = "Dump::Json" if cmd["json_dump"] == "json" else "Dump::Python"
    if walk:
        size = ".limit(200)" if pl["has_limit"] else ""
        body.append(f"    let rows = every_page(req{size}.stream()).await?;")
        body.append(f"    x.emit_value(serde_json::to_value(rows)?, Shape::List, {dump}, {cols})")
    elif ret == "page":
        body.append("    let page = req.await?;")
        body.append(f"    x.emit_value(serde_json::to_value(page.items)?, Shape::List, {dump}, {cols})")
    elif ret == "unit":
        body.append("    req.await?;")
        body.append(f"    x.done({rs(' '.join(cmd['path']))})")
    else:
        body.append("    let out = req.await?;")
        body.append(f"    x.emit_value(serde_json::to_value(out)?, Shape::Auto, {dump}, {cols})")
    body.append("}")
    return "\n".join(tree), "\n".join(body)


def main() -> int:
    inv = json.loads((ROOT / "spec/python-cli.json").read_text(encoding="utf-8"))
    cmap = tomllib.loads((ROOT / "spec/cli-map.toml").read_text(encoding="utf-8"))
    sdk = parse_sdk()
    methods = load_methods()
    made = []
    for cmd in inv["commands"]:
        if not cmd["in_scope"]:
            continue
        pl = plan(cmd, sdk, methods, cmap)
        if pl is not None:
            made.append((cmd, pl))
    out = [
        "// Generated by scripts/gen_cli.py from spec/python-cli.json, spec/cli-map.toml and the",
        "// SDK's generated calls; do not edit.",
        "",
        "//! The generated commands: one SDK call each, with Python's paths, arguments and options.",
        "",
        "#![allow(clippy::too_many_lines, unused_mut, unused_variables)]",
        "",
        "use clap::{Arg, ArgAction, ArgMatches, Command};",
        "",
        "use crate::exit::CliError;",
        "use crate::gen_support::{Ctx, Dump, Shape, every_page};",
        "",
        "/// Help of the command groups, by binary and path.",
        "pub const GROUPS: &[(&str, &str, &str)] = &[",
    ]
    for g in inv.get("groups", []):
        if g["in_scope"]:
            out.append(f"    ({rs(g['binary'])}, {rs(' '.join(g['path']))}, {rs(g['help'])}),")
    out.append("];")
    out.append("")
    out.append("/// The generated commands: binary, path of the parent group, the command.")
    out.append("pub fn commands() -> Vec<(&'static str, &'static str, Command)> {")
    out.append("    vec![")
    for cmd, _ in made:
        out.append(
            f"        ({rs(cmd['binary'])}, {rs(' '.join(cmd['path'][:-1]))}, cmd_{ident(cmd['path'], cmd['binary'])}()),"
        )
    out.append("    ]")
    out.append("}")
    out.append("")
    out.append("/// Runs the generated command at `path` (`binary path…`), if it is one.")
    out.append("pub async fn run(key: &str, m: &ArgMatches, x: &Ctx) -> Option<Result<(), CliError>> {")
    out.append("    Some(match key {")
    for cmd, pl in made:
        out.append(f"        {rs(pl['key'])} => Box::pin(run_{ident(cmd['path'], cmd['binary'])}(m, x)).await,")
    out.append("        _ => return None,")
    out.append("    })")
    out.append("}")
    for cmd, pl in made:
        tree, body = gen_command(cmd, pl)
        out.append("")
        out.append(tree)
        out.append("")
        out.append(body)
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    subprocess.run(["rustfmt", "--edition", "2024", str(target)], check=True)
    n_scope = sum(c["in_scope"] for c in inv["commands"])
    print(f"wrote {target}: {len(made)} of {n_scope} in-scope commands generated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
