"""Runs the real ctfy 0.7.0 worker node daemon on loopback for tests/live_node.rs.

The Rust test registers the node with the platform first (a fresh invite, capacity 0,
cordoned at once) and passes the node id and token it got back in the environment; they
are stored where the node keeps its identity (`node.sqlite3`, table `node_identity`), so
the daemon starts as an already-registered node: it serves the platform's calls and
beats, and nothing can be placed on it between registering and cordoning.

Environment: CTFY_TEST_NODE_PORT, CTFY_TEST_NODE_ID, CTFY_TEST_NODE_TOKEN,
CTFY_TEST_PLATFORM_URL, plus the CTFY_* paths of the node's own temp state.
"""

import os

import uvicorn

from ctfy.core.config import CtfyConfig
from ctfy.server.node_app import create_node_app, node_db_path
from ctfy.server.node_state import NodeInstanceStore

port = int(os.environ["CTFY_TEST_NODE_PORT"])
platform_url = os.environ["CTFY_TEST_PLATFORM_URL"]
config = CtfyConfig.from_env(overrides={"platform_url": platform_url, "server_port": port})
db = node_db_path(config)
os.makedirs(os.path.dirname(db), exist_ok=True)
store = NodeInstanceStore(db)
store.put_identity(os.environ["CTFY_TEST_NODE_ID"], os.environ["CTFY_TEST_NODE_TOKEN"])
app = create_node_app(
    config,
    public_url=f"http://127.0.0.1:{port}",
    display_name="ctfy-rs live_node real node",
    capacity=1,
    platform_url=platform_url,
    store=store,
    db_path=db,
)
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
