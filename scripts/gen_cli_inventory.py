"""Write spec/python-cli.json: the command trees of the Python `ctfy` and `ctfy-admin` CLIs.

Run with the venv that has the ctfy package: `.venv/bin/python scripts/gen_cli_inventory.py
[OUT_DIR]` (default `spec`). It builds each typer app's click tree in-process (nothing runs,
no network), walks it and records, for every visible command: its path, its one-line help,
its hidden aliases (hidden siblings bound to the same function), and its parameters (name,
kind, flags, type, default, required, multiple, help). Hidden commands and hidden options are
left out. Each command also carries `in_scope`: whether the Rust binaries must have it
(issue #30's rule, `scope()` below). The output is deterministic (sorted keys, indent=1).
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
import os
import re
import sys
import warnings
from pathlib import Path

# ctfy-admin's groups that run or deploy the platform itself: out of scope, except the
# commands listed here, which are plain HTTP calls to a running platform.
EXCLUDED_GROUPS = {
    "server": {"status", "invite"},
    "node": {"list", "delete", "cordon", "uncordon"},
    "db": set(),
    "deploy": set(),
    "challenge": set(),  # the challenge-repository tooling (static assets, author tools)
    "loadtest": set(),
    "perf": set(),
    "bastion": set(),
    "llm-gateway": set(),
}


def scope(binary: str, path: list[str]) -> bool:
    """Whether the Rust binaries must carry this command."""
    if binary != "ctfy-admin":
        return True
    group = path[0]
    if group not in EXCLUDED_GROUPS:
        return True
    return len(path) == 2 and path[1] in EXCLUDED_GROUPS[group]


def type_name(param) -> str:
    """A short, stable name for a parameter's Python type."""
    td = getattr(param, "type_descriptor", None)
    ann = getattr(td, "annotation", None)
    if ann is None:
        return "str"
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return "choice"
    name = getattr(ann, "__name__", None)
    if name and not getattr(ann, "__args__", None):
        return name
    return str(ann).replace("typing.", "")


def choices(param) -> list[str] | None:
    td = getattr(param, "type_descriptor", None)
    ann = getattr(td, "annotation", None)
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return [str(m.value) for m in ann]
    return None


@functools.cache
def site_packages() -> str:
    """The directory the installed package lives in (a default under it names the machine)."""
    import ctfy

    return str(Path(ctfy.__file__).resolve().parent.parent)


def jsonable(value):
    if isinstance(value, str):
        # A default under the virtualenv depends on where the repository is checked out.
        return value.replace(site_packages(), "<site-packages>")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if callable(value):
        return "<computed>"
    return jsonable(str(value))


def first_line(text: str | None) -> str:
    text = (text or "").strip()
    return text.split("\n\n")[0].replace("\n", " ").strip()


def param_record(p) -> dict:
    kind = "argument" if type(p).__name__.endswith("Argument") else "option"
    rec = {
        "name": p.name,
        "kind": kind,
        "type": type_name(p),
        "default": jsonable(p.default),
        "required": bool(p.required),
        "multiple": bool(p.multiple) or (p.nargs == -1),
        "help": first_line(getattr(p, "help", None)),
    }
    if kind == "option":
        rec["flags"] = list(p.opts)
        rec["secondary_flags"] = list(p.secondary_opts)
        rec["is_flag"] = bool(getattr(p, "is_flag", False))
        if p.envvar:
            rec["envvar"] = p.envvar if isinstance(p.envvar, str) else list(p.envvar)
    ch = choices(p)
    if ch is not None:
        rec["choices"] = ch
    return rec


# `client.teams.list(`, `get_client(ctx).admin.users.get(`, `sdk.auth.login(`: the SDK calls a
# command body makes (matched against the SDK's method inventory by the CLI generator).
SDK_CALL = re.compile(
    r"(?:\bclient|\bsdk|get_client\([^()]*\))\.((?:admin\.)?[a-z_]+(?:\.[a-z_]+)?)\("
)


SCOPED_CALL = re.compile(r"\([^()]*\)\.([a-z_]+)\(")


def body_facts(fn) -> dict:
    """What a command's body says about it: the SDK calls it makes, whether it needs a token,
    whether it reads a listing to its end, and how its --json dumps models."""
    try:
        src = inspect.getsource(fn)
    except (OSError, TypeError):
        return {"sdk_calls": [], "require_auth": True, "every_page": False, "json_dump": "python"}
    calls = []
    for m in SDK_CALL.finditer(src):
        call = m.group(1)
        if call == "competition":
            # `client.competition(id).apply(`: the competition handle's method.
            scoped = SCOPED_CALL.match(src, m.end() - 1)
            call = f"competition(id).{scoped.group(1)}" if scoped else call
        if call not in calls:
            calls.append(call)
    return {
        "sdk_calls": calls,
        "require_auth": "require_auth=False" not in src,
        "every_page": "every_page(" in src,
        # `x.model_dump()` keeps datetimes (printed by `str()`); models handed to `emit_json`
        # as they are, or dumped with mode="json", print ISO-8601 text.
        "json_dump": "python" if "model_dump()" in src else "json",
    }


def unwrap(fn):
    """The user's function behind typer's per-command wrapper."""
    return getattr(fn, "__wrapped__", fn)


def walk(binary: str, cmd, ctx, path: list[str], out: list[dict], groups: list[dict]) -> None:
    if hasattr(cmd, "list_commands"):
        subs = {}
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None:
                subs[name] = sub
        aliases: dict[str, list[str]] = {}
        for name, sub in subs.items():
            if not sub.hidden or hasattr(sub, "list_commands"):
                continue
            for other, target in subs.items():
                if (
                    not target.hidden
                    and other != name
                    and sub.callback is not None
                    and target.callback is not None
                    and unwrap(target.callback) is unwrap(sub.callback)
                ):
                    aliases.setdefault(other, []).append(name)
        for name in sorted(subs):
            sub = subs[name]
            if sub.hidden:
                continue
            if hasattr(sub, "list_commands"):
                groups.append({"binary": binary, "path": path + [name], "help": first_line(sub.help)})
                walk(binary, sub, ctx, path + [name], out, groups)
            else:
                params = [param_record(p) for p in sub.params if not getattr(p, "hidden", False)]
                out.append(
                    {
                        "binary": binary,
                        "path": path + [name],
                        "aliases": sorted(aliases.get(name, [])),
                        "help": first_line(sub.help),
                        "params": params,
                        "in_scope": scope(binary, path + [name]),
                        **body_facts(unwrap(sub.callback)),
                    }
                )


def root_options(root) -> list[dict]:
    return [param_record(p) for p in root.params if not getattr(p, "hidden", False)]


def main() -> int:
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "spec")
    # Defaults read from the environment at import time must not leak into the file.
    for k in list(os.environ):
        if k.startswith("CTFY_"):
            del os.environ[k]
    warnings.simplefilter("ignore")
    import typer

    from ctfy.cli import admin_app, player_app

    doc: dict = {"binaries": {}, "commands": [], "groups": []}
    for binary, app in (("ctfy", player_app), ("ctfy-admin", admin_app)):
        root = typer.main.get_command(app)
        ctx = type(root).context_class(root, info_name=binary)
        doc["binaries"][binary] = {"options": root_options(root)}
        walk(binary, root, ctx, [], doc["commands"], doc["groups"])
    for g in doc["groups"]:
        g["in_scope"] = any(
            c["in_scope"] and c["binary"] == g["binary"] and c["path"][: len(g["path"])] == g["path"]
            for c in doc["commands"]
        )
    doc["excluded_groups"] = {k: sorted(v) for k, v in EXCLUDED_GROUPS.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "python-cli.json"
    path.write_text(json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for binary in ("ctfy", "ctfy-admin"):
        cmds = [c for c in doc["commands"] if c["binary"] == binary]
        n_in = sum(c["in_scope"] for c in cmds)
        print(f"wrote {path}: {binary}: {len(cmds)} commands, {n_in} in scope")
    return 0


if __name__ == "__main__":
    sys.exit(main())
