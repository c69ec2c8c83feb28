#!/usr/bin/env python3
"""The public API of each published crate, as a checked-in listing (`api/<crate>.txt`).

    python3 scripts/public_api.py            # regenerate the listings
    python3 scripts/public_api.py --check    # exit 1 (with a diff) when the API differs

Every change to the public surface then shows up in review, beside its CHANGELOG line; the
test command runs `--check` (tests/public_api.rs).

How: rustdoc's JSON output (`--output-format json`), read here and written out one line per
item: modules, types with their public fields and variants, functions and methods with their
signatures, constants, traits, macros, and the trait impls of each type (auto traits and
blanket impls left out). `#[doc(hidden)]` items (the `__private` plumbing) are not part of the
API and do not appear. The JSON output is unstable, so it is asked of the stable toolchain
with `RUSTC_BOOTSTRAP=1` (the same compiler as the build, nothing to install); the format
version is checked, and a new one means adjusting `ty()` below. A tool from crates.io
(cargo-public-api) would do the same but costs a build in every CI run and pins a nightly.
The JSON is built in its own target directory (`target/nested`, shared with the docs.rs test), so the listing can be
made while another cargo command holds the main one.
"""

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "api"
TARGET = ROOT / "target" / "nested"
FORMATS = {57}

# crate -> features the listing is made with (the defaults, plus what adds public items).
CRATES = {
    "ctfy-models": [],
    "ctfy-transport": [],
    "ctfy-client": ["testing"],
    "ctfy-admin": [],
    "ctfy-node": [],
    "ctfy": ["testing"],
}


def rustdoc_json(krate: str, features: list) -> dict:
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    env.pop("RUSTDOCFLAGS", None)
    cmd = ["cargo", "rustdoc", "-q", "-p", krate, "--lib", "--target-dir", str(TARGET)]
    if features:
        cmd += ["--features", ",".join(features)]
    cmd += ["--", "-Z", "unstable-options", "--output-format", "json"]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    doc = json.loads((TARGET / "doc" / f"{krate.replace('-', '_')}.json").read_text())
    if doc["format_version"] not in FORMATS:
        sys.exit(f"public_api.py: rustdoc JSON format {doc['format_version']} is new: check ty() and add it to FORMATS")
    return doc


class Lister:
    def __init__(self, doc: dict):
        self.doc = doc
        self.index = doc["index"]
        self.paths = doc["paths"]
        self.seen_at: dict = {}  # item id -> every public path
        self.main: dict = {}  # item id -> the path it is listed under (its shortest)

    # ---- types -----------------------------------------------------------------------
    def path_of(self, p: dict) -> str:
        known = self.paths.get(str(p.get("id")))
        if p.get("id") in self.main:
            name = self.main[p["id"]]
        else:
            name = "::".join(known["path"]) if known else p["path"]
        return name + self.args(p.get("args"))

    def args(self, a) -> str:
        if not a:
            return ""
        if "angle_bracketed" in a:
            ab = a["angle_bracketed"]
            parts = []
            for x in ab["args"]:
                if x == "infer":
                    parts.append("_")
                elif "lifetime" in x:
                    parts.append(x["lifetime"])
                elif "type" in x:
                    parts.append(self.ty(x["type"]))
                elif "const" in x:
                    parts.append(x["const"].get("expr", "_"))
            for c in ab["constraints"]:
                b = c["binding"]
                if "equality" in b:
                    eq = b["equality"]
                    parts.append(f"{c['name']} = " + (self.ty(eq["type"]) if "type" in eq else eq["constant"]["expr"]))
                else:
                    parts.append(f"{c['name']}: " + self.bounds(b["constraint"]))
            return "<" + ", ".join(parts) + ">" if parts else ""
        if "parenthesized" in a:
            p = a["parenthesized"]
            out = "(" + ", ".join(self.ty(t) for t in p["inputs"]) + ")"
            return out + (f" -> {self.ty(p['output'])}" if p.get("output") else "")
        return "(..)"

    def bounds(self, bs: list) -> str:
        out = []
        for b in bs:
            if "trait_bound" in b:
                tb = b["trait_bound"]
                pre = {"maybe": "?", "maybe_const": "~const "}.get(tb["modifier"], "")
                hr = self.hrtb(tb["generic_params"])
                out.append(pre + hr + self.path_of(tb["trait"]))
            elif "outlives" in b:
                out.append(b["outlives"])
            else:
                out.append("use<..>")
        return " + ".join(out)

    def hrtb(self, params: list) -> str:
        return "for<" + ", ".join(p["name"] for p in params) + "> " if params else ""

    def ty(self, t) -> str:
        if t is None:
            return "()"
        (k, v), = t.items()
        if k == "resolved_path":
            return self.path_of(v)
        if k == "generic" or k == "primitive":
            return v
        if k == "tuple":
            return "(" + ", ".join(self.ty(x) for x in v) + ("," if len(v) == 1 else "") + ")"
        if k == "slice":
            return f"[{self.ty(v)}]"
        if k == "array":
            return f"[{self.ty(v['type'])}; {v['len']}]"
        if k == "borrowed_ref":
            lt = f"{v['lifetime']} " if v.get("lifetime") else ""
            return f"&{lt}{'mut ' if v['is_mutable'] else ''}{self.ty(v['type'])}"
        if k == "raw_pointer":
            return f"*{'mut' if v['is_mutable'] else 'const'} {self.ty(v['type'])}"
        if k == "impl_trait":
            return "impl " + self.bounds(v)
        if k == "dyn_trait":
            traits = [self.hrtb(x["generic_params"]) + self.path_of(x["trait"]) for x in v["traits"]]
            if v.get("lifetime"):
                traits.append(v["lifetime"])
            return "dyn " + " + ".join(traits)
        if k == "qualified_path":
            tr = f" as {self.path_of(v['trait'])}" if v.get("trait") else ""
            return f"<{self.ty(v['self_type'])}{tr}>::{v['name']}{self.args(v.get('args'))}"
        if k == "function_pointer":
            sig = v["sig"]
            out = f"fn({', '.join(self.ty(x[1]) for x in sig['inputs'])})"
            return out + (f" -> {self.ty(sig['output'])}" if sig.get("output") else "")
        if k == "infer":
            return "_"
        return k

    def generics(self, g: dict) -> tuple:
        params = []
        for p in g["params"]:
            kind = p["kind"]
            if "lifetime" in kind:
                outl = kind["lifetime"]["outlives"]
                params.append(p["name"] + (": " + " + ".join(outl) if outl else ""))
            elif "type" in kind:
                if kind["type"]["is_synthetic"]:
                    continue
                b = kind["type"]["bounds"]
                params.append(p["name"] + (": " + self.bounds(b) if b else ""))
            elif "const" in kind:
                params.append(f"const {p['name']}: {self.ty(kind['const']['type'])}")
        where = []
        for w in g["where_predicates"]:
            if "bound_predicate" in w:
                bp = w["bound_predicate"]
                where.append(self.hrtb(bp["generic_params"]) + f"{self.ty(bp['type'])}: {self.bounds(bp['bounds'])}")
            elif "lifetime_predicate" in w:
                lp = w["lifetime_predicate"]
                where.append(f"{lp['lifetime']}: {' + '.join(lp['outlives'])}")
            elif "eq_predicate" in w:
                ep = w["eq_predicate"]
                where.append(f"{self.ty(ep['lhs'])} = {self.ty(ep['rhs'].get('type'))}")
        gen = "<" + ", ".join(params) + ">" if params else ""
        return gen, (" where " + ", ".join(where) if where else "")

    def fn(self, name: str, f: dict) -> str:
        h = f["header"]
        quals = "".join(q for q, on in (("const ", h["is_const"]), ("async ", h["is_async"]), ("unsafe ", h["is_unsafe"])) if on)
        gen, where = self.generics(f["generics"])
        ins = []
        for arg, t in f["sig"]["inputs"]:
            if arg == "self":
                rendered = self.ty(t)
                ins.append({"Self": "self", "&Self": "&self", "&mut Self": "&mut self"}.get(rendered, f"self: {rendered}"))
            else:
                ins.append(f"{arg}: {self.ty(t)}")
        out = f["sig"].get("output")
        ret = f" -> {self.ty(out)}" if out else ""
        return f"pub {quals}fn {name}{gen}({', '.join(ins)}){ret}{where}"

    # ---- items -----------------------------------------------------------------------
    def walk(self, mod_id: int, prefix: str) -> None:
        for cid in self.index[str(mod_id)]["inner"]["module"]["items"]:
            item = self.index.get(str(cid))
            if item is None:
                continue
            kind = next(iter(item["inner"]))
            if kind == "use":
                u = item["inner"]["use"]
                target = self.index.get(str(u["id"])) if u["id"] is not None else None
                if u["is_glob"]:
                    if target and "module" in target["inner"]:
                        self.walk(u["id"], prefix)
                    else:
                        self.seen_at.setdefault(("glob", u["source"]), []).append(prefix)
                    continue
                path = f"{prefix}::{u['name']}"
                if target is None:  # an item of another crate, re-exported
                    self.seen_at.setdefault(("ext", u["source"]), []).append(path)
                    continue
                self.visit(u["id"], target, path)
            else:
                if item.get("name") is None:
                    continue
                self.visit(cid, item, f"{prefix}::{item['name']}")

    def visit(self, iid, item: dict, path: str) -> None:
        first = iid not in self.seen_at
        self.seen_at.setdefault(iid, []).append(path)
        if first and "module" in item["inner"]:
            self.walk(iid, path)

    def listing(self) -> list:
        root = self.doc["root"]
        name = self.index[str(root)]["name"]
        self.walk(root, name)
        for key, paths in self.seen_at.items():
            if not isinstance(key, tuple):
                self.main[key] = min(paths, key=lambda p: (p.count("::"), p))
        blocks = []
        for key, paths in self.seen_at.items():
            if isinstance(key, tuple):
                kind, source = key
                for p in paths:
                    blocks.append((p, [f"pub use {p}::*  // {source}" if kind == "glob" else f"pub use {p}  // {source}"]))
                continue
            main = self.main[key]
            block = self.item_lines(self.index[str(key)], main)
            # The item's own line first, then its members and impls in order.
            block = block[:1] + sorted(set(block[1:]))
            block += [f"pub use {alias}  // = {main}" for alias in sorted(set(paths) - {main})]
            blocks.append((main, block))
        lines = []
        for _, block in sorted(blocks, key=lambda b: b[0]):
            lines += block
        return lines

    def item_lines(self, item: dict, path: str) -> list:
        (kind, v), = item["inner"].items()
        attrs = [a for a in item.get("attrs", []) if isinstance(a, str) and a in ("non_exhaustive", "must_use")]
        attrs = "".join(f"#[{a}] " for a in attrs)
        dep = "#[deprecated] " if item.get("deprecation") else ""
        out = []
        if kind == "module":
            out.append(f"pub mod {path}")
        elif kind == "struct":
            gen, where = self.generics(v["generics"])
            sk = v["kind"]
            if sk == "unit":
                out.append(f"{dep}{attrs}pub struct {path}{gen}{where}")
            elif "tuple" in sk:
                fields = [self.ty(self.index[str(f)]["inner"]["struct_field"]) if f is not None else "_" for f in sk["tuple"]]
                out.append(f"{dep}{attrs}pub struct {path}{gen}({', '.join(fields)}){where}")
            else:
                hidden = " (private fields)" if sk["plain"]["has_stripped_fields"] else ""
                out.append(f"{dep}{attrs}pub struct {path}{gen}{where}{hidden}")
                for f in sk["plain"]["fields"]:
                    fi = self.index[str(f)]
                    out.append(f"pub {path}::{fi['name']}: {self.ty(fi['inner']['struct_field'])}")
            out += self.impls(v["impls"], path)
        elif kind == "enum":
            gen, where = self.generics(v["generics"])
            out.append(f"{dep}{attrs}pub enum {path}{gen}{where}")
            for vid in v["variants"]:
                var = self.index[str(vid)]
                vk = var["inner"]["variant"]["kind"]
                vattrs = "".join(f"#[{a}] " for a in var.get("attrs", []) if a == "non_exhaustive")
                if vk == "plain":
                    out.append(f"{vattrs}pub {path}::{var['name']}")
                elif "tuple" in vk:
                    fields = [self.ty(self.index[str(f)]["inner"]["struct_field"]) if f is not None else "_" for f in vk["tuple"]]
                    out.append(f"{vattrs}pub {path}::{var['name']}({', '.join(fields)})")
                else:
                    out.append(f"{vattrs}pub {path}::{var['name']} {{ .. }}")
                    for f in vk["struct"]["fields"]:
                        fi = self.index[str(f)]
                        out.append(f"pub {path}::{var['name']}::{fi['name']}: {self.ty(fi['inner']['struct_field'])}")
            out += self.impls(v["impls"], path)
        elif kind == "function":
            out.append(dep + self.fn(path, v))
        elif kind == "constant":
            out.append(f"pub const {path}: {self.ty(v['type'])}")
        elif kind == "static":
            out.append(f"pub static {path}: {self.ty(v['type'])}")
        elif kind == "type_alias":
            gen, where = self.generics(v["generics"])
            out.append(f"pub type {path}{gen} = {self.ty(v['type'])}{where}")
        elif kind == "trait":
            gen, where = self.generics(v["generics"])
            sup = f": {self.bounds(v['bounds'])}" if v["bounds"] else ""
            out.append(f"pub {'unsafe ' if v['is_unsafe'] else ''}trait {path}{gen}{sup}{where}")
            for mid in v["items"]:
                m = self.index[str(mid)]
                (mk, mv), = m["inner"].items()
                if mk == "function":
                    out.append(self.fn(f"{path}::{m['name']}", mv).replace("pub fn", "fn", 1))
                elif mk == "assoc_type":
                    out.append(f"type {path}::{m['name']}")
                elif mk == "assoc_const":
                    out.append(f"const {path}::{m['name']}: {self.ty(mv['type'])}")
        elif kind == "macro":
            out.append(f"macro {path}!")
        else:
            out.append(f"{kind} {path}")
        return out

    def impls(self, ids: list, path: str) -> list:
        out = []
        for i in ids:
            imp = self.index[str(i)]["inner"]["impl"]
            if imp["is_synthetic"] or imp["blanket_impl"] is not None:
                continue
            gen, where = self.generics(imp["generics"])
            if imp["trait"] is None:
                for mid in imp["items"]:
                    m = self.index.get(str(mid))
                    if m is None or m["visibility"] != "public":
                        continue
                    (mk, mv), = m["inner"].items()
                    if mk == "function":
                        dep = "#[deprecated] " if m.get("deprecation") else ""
                        out.append(dep + self.fn(f"{path}::{m['name']}", mv))
                    elif mk == "assoc_const":
                        out.append(f"pub const {path}::{m['name']}: {self.ty(mv['type'])}")
            else:
                neg = "!" if imp["is_negative"] else ""
                out.append(f"impl{gen} {neg}{self.path_of(imp['trait'])} for {self.ty(imp['for'])}{where}")
        return out


def main() -> int:
    check = "--check" in sys.argv[1:]
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    OUT.mkdir(exist_ok=True)
    failed = []
    for krate, features in CRATES.items():
        if only and krate not in only:
            continue
        lines = Lister(rustdoc_json(krate, features)).listing()
        text = f"# The public API of `{krate}` (features: default{''.join(', ' + f for f in features)}).\n" \
               "# Generated by scripts/public_api.py; do not edit.\n" + "".join(line + "\n" for line in lines)
        dest = OUT / f"{krate}.txt"
        if not check:
            dest.write_text(text)
            print(f"{dest.relative_to(ROOT)}: {len(lines)} items")
            continue
        old = dest.read_text() if dest.exists() else ""
        if old != text:
            diff = list(difflib.unified_diff(old.splitlines(), text.splitlines(), f"api/{krate}.txt (checked in)", f"{krate} (now)", lineterm="", n=0))
            print("\n".join(diff[:200]) + (f"\n… {len(diff) - 200} more lines" if len(diff) > 200 else ""))
            failed.append(krate)
    if failed:
        print(f"\nThe public API of {', '.join(failed)} differs from api/*.txt. If the change is meant, run "
              "`python3 scripts/public_api.py`, commit the listing, and add a CHANGELOG line.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
