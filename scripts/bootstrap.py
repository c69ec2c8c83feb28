#!/usr/bin/env python3
"""Bootstrap a fresh ctfy 0.7.0 platform for the ctfy-rs SDK tests (stdlib only).

Phases (run in this order by scripts/platform-up.sh):

  accounts   register admin (first account -> super_admin, checked via GET /me),
             player and player2; mint pf_/pt_ tokens; create a node invite.
  wait-node  wait until GET /api/v1/nodes (admin) shows NODE_ID healthy.
  world      create a published, running competition with the four CTFYRS
             fixtures (curated order) and register the player solo.

Every phase reads and extends <state-dir>/bootstrap.json and rewrites the dotenv file
<state-dir>/bootstrap.env (KEY=value lines). Every request/response is appended to
<state-dir>/samples.jsonl.

Usage:
  scripts/bootstrap.py --url http://127.0.0.1:18200 --state-dir DIR accounts
  scripts/bootstrap.py --url ... --state-dir DIR wait-node --node-id 127.0.0.1_18201
  scripts/bootstrap.py --url ... --state-dir DIR world
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ADMIN = ("admin@example.com", "ctfy-rs-admin-password-0001", "ctfy-rs Admin")
PLAYER = ("player@example.com", "ctfy-rs-player-password-0001", "ctfy-rs Player")
PLAYER2 = ("player2@example.com", "ctfy-rs-player2-password-0001", "ctfy-rs Player Two")

CHALLENGES = {
    "WEB_CHALLENGE_ID": "CTFYRS-WEB-001",
    "ONESHOT_CHALLENGE_ID": "CTFYRS-WEB-002",
    "QA_CHALLENGE_ID": "CTFYRS-QA-001",
    "FAIL_CHALLENGE_ID": "CTFYRS-FAIL-001",
}


class BootstrapError(Exception):
    pass


class Api:
    def __init__(self, base: str, state_dir: Path):
        self.base = base.rstrip("/")
        self.samples = state_dir / "samples.jsonl"

    def call(self, method: str, path: str, body=None, token: str | None = None,
             expect=(200, 201), timeout: float = 30.0):
        url = f"{self.base}/api/v1{path}"
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        started = time.time()
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise BootstrapError(f"{method} {path}: {e}") from e
        text = raw.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except json.JSONDecodeError:
            parsed = text
        with self.samples.open("a") as f:
            f.write(json.dumps({
                "ts": started, "method": method, "path": path, "request": body,
                "status": status, "response": parsed,
                "elapsed_ms": round((time.time() - started) * 1000, 1),
            }) + "\n")
        if expect and status not in expect:
            raise BootstrapError(f"{method} {path}: HTTP {status}: {text[:500]}")
        return status, parsed


def load_state(state_dir: Path) -> dict:
    p = state_dir / "bootstrap.json"
    return json.loads(p.read_text()) if p.exists() else {}


def save_state(state_dir: Path, state: dict) -> None:
    (state_dir / "bootstrap.json").write_text(json.dumps(state, indent=2) + "\n")
    env = state.get("env", {})
    lines = [f"{k}={v}" for k, v in env.items()]
    (state_dir / "bootstrap.env").write_text("\n".join(lines) + "\n")


def session(api: Api, who: tuple[str, str, str]) -> str:
    """Registers the account (or logs in when it exists) and returns a pt_ token."""
    email, password, name = who
    status, body = api.call("POST", "/auth/register",
                            {"email": email, "password": password, "display_name": name},
                            expect=(200, 201, 409))
    if status == 409:
        _, body = api.call("POST", "/auth/login", {"email": email, "password": password})
    token = body["token"]
    if not token.startswith("pt_"):
        raise BootstrapError(f"expected a pt_ token for {email}, got {token[:4]}…")
    return token


def mint_pf(api: Api, pt: str, label: str) -> str:
    _, body = api.call("POST", "/auth/tokens", {"label": label}, token=pt)
    token = body["token"]
    if not token.startswith("pf_"):
        raise BootstrapError(f"expected a pf_ token, got {token[:4]}…")
    return token


def phase_accounts(api: Api, state: dict) -> None:
    env = state.setdefault("env", {})
    env["CTFY_URL"] = api.base
    env["CTFY_API_URL"] = f"{api.base}/api/v1"
    _, health = api.call("GET", "/health")
    env["CTFY_VERSION"] = health.get("version", "")

    admin_pt = session(api, ADMIN)
    _, me = api.call("GET", "/me", token=admin_pt)
    if me.get("role") != "super_admin":
        raise BootstrapError(
            f"{ADMIN[0]} is {me.get('role')!r}, not super_admin: someone registered first "
            "(use a fresh database)")
    env.update(ADMIN_EMAIL=ADMIN[0], ADMIN_PASSWORD=ADMIN[1], ADMIN_USER_ID=me["id"],
               ADMIN_TOKEN=admin_pt, ADMIN_PF_TOKEN=mint_pf(api, admin_pt, "ctfy-rs-admin-pf"))

    for prefix, who in (("PLAYER", PLAYER), ("PLAYER2", PLAYER2)):
        pt = session(api, who)
        _, pme = api.call("GET", "/me", token=pt)
        env.update({
            f"{prefix}_EMAIL": who[0],
            f"{prefix}_PASSWORD": who[1],
            f"{prefix}_USER_ID": pme["id"],
            f"{prefix}_TOKEN": mint_pf(api, pt, f"ctfy-rs-{prefix.lower()}"),
            f"{prefix}_SESSION_TOKEN": pt,
        })

    _, invite = api.call("POST", "/nodes/invites", {"ttl_seconds": 3600}, token=admin_pt)
    env["NODE_INVITE"] = invite["registration_token"]
    state["invite"] = invite


def phase_wait_node(api: Api, state: dict, node_id: str, timeout: float) -> None:
    env = state["env"]
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        _, page = api.call("GET", "/nodes", token=env["ADMIN_TOKEN"])
        items = page.get("items", page) if isinstance(page, dict) else page
        for node in items or []:
            if node.get("id") == node_id:
                last = node
                if node.get("is_healthy") and not node.get("cordoned"):
                    env["NODE_ID"] = node_id
                    env["NODE_URL"] = node.get("url", "")
                    state["node"] = node
                    return
        time.sleep(0.25)
    raise BootstrapError(f"node {node_id} not healthy after {timeout:.0f}s (last seen: {last})")


def phase_world(api: Api, state: dict) -> None:
    env = state["env"]
    admin = env["ADMIN_TOKEN"]
    ids = list(CHALLENGES.values())
    _, comp = api.call("POST", "/admin/competitions", {
        "title": "ctfy-rs Cup",
        "description": "Local competition for the ctfy Rust SDK tests.",
        "starts_at": None, "ends_at": None,
        "challenge_ids": ids,
        "status": "published", "access": "public",
    }, token=admin)
    if comp.get("phase") != "running":
        raise BootstrapError(f"competition is {comp.get('phase')!r}, not running")
    if comp.get("challenge_ids") != ids:
        raise BootstrapError(f"competition challenge_ids {comp.get('challenge_ids')} != {ids}")
    cid = comp["id"]
    _, team = api.call("POST", f"/competitions/{cid}/teams", {"mode": "solo"},
                       token=env["PLAYER_TOKEN"])
    env["COMPETITION_ID"] = cid
    env["PLAYER_TEAM_ID"] = team["id"]
    env.update(CHALLENGES)
    # What the `ctfy` player CLI and the quickstart example read.
    env["CTFY_PLATFORM_URL"] = api.base
    env["CTFY_TOKEN"] = env["PLAYER_TOKEN"]
    state["competition"] = comp
    state["team"] = team


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="platform base URL (no /api/v1)")
    ap.add_argument("--state-dir", required=True, type=Path)
    sub = ap.add_subparsers(dest="phase", required=True)
    sub.add_parser("accounts")
    wn = sub.add_parser("wait-node")
    wn.add_argument("--node-id", required=True)
    wn.add_argument("--timeout", type=float, default=30.0)
    sub.add_parser("world")
    args = ap.parse_args(argv)

    args.state_dir.mkdir(parents=True, exist_ok=True)
    api = Api(args.url, args.state_dir)
    state = load_state(args.state_dir)
    try:
        if args.phase == "accounts":
            phase_accounts(api, state)
        elif args.phase == "wait-node":
            phase_wait_node(api, state, args.node_id, args.timeout)
        elif args.phase == "world":
            phase_world(api, state)
    except (BootstrapError, KeyError, TypeError, AttributeError) as e:
        print(f"bootstrap {args.phase}: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        if state:
            save_state(args.state_dir, state)
    print(f"bootstrap {args.phase}: ok", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
