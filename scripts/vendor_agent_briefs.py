#!/usr/bin/env python3
"""Writes spec/agent-briefs/: the briefing a worker node puts in an agent's work directory
(task.json, README.md and, when there is a platform, mcp.json), one directory per case,
rendered by the installed ctfy package's own code (ctfy.core.agent_brief and the docker
provider's write_task_dir). crates/ctfy-agent's tests parse every task.json with the Rust types.

Run with the platform's virtualenv after upgrading the platform:

    .venv/bin/python scripts/vendor_agent_briefs.py
"""
import json
import shutil
from pathlib import Path

from importlib.metadata import version

CTFY_VERSION = version("ctfy")
from ctfy.core.agent_brief import AgentBrief, BriefQuestion, ContainerLimits
from ctfy.providers.docker_provider.harness import write_task_dir

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "spec/agent-briefs"
PLATFORM = "http://127.0.0.1:8000"
RESULT = "/ctfy/work/result.json"


def brief(**fields):
    base = dict(
        challenge_id="WEB-001",
        challenge_name="Login bypass",
        description="The admin panel trusts a cookie it should not.",
        run_mode="instance",
        questions=(BriefQuestion("flag", "What is the flag?"),),
        gated_questions=0,
        scope=(),
        competition_id="c0ffee",
        max_turns=30,
        platform_url=PLATFORM,
        result_path=RESULT,
        requires_result_file=True,
    )
    base.update(fields)
    return AgentBrief(**base)


CASES = {
    # Every run mode.
    "instance": brief(),
    "qa": brief(
        challenge_id="QA-001",
        challenge_name="Ports",
        description="Answer from what you know.",
        run_mode="qa",
        questions=(BriefQuestion("q1", "Which port does HTTPS use?"),
                   BriefQuestion("q2", "Which port does SSH use?")),
    ),
    "defence": brief(challenge_id="AWDP-001", challenge_name="Notes", run_mode="defence"),
    "engagement": brief(
        challenge_id="GAUNTLET-001",
        challenge_name="Retail estate",
        description="A retail company's DMZ.",
        run_mode="engagement",
        network_topology="engagement",
        questions=(),
        scope=("shop.retail.lab", "10.10.0.0/24"),
        target_instance="inst-7f3a",
        max_turns=0,
        limits=ContainerLimits(pids=512, memory="8g", cpus="2.0"),
    ),
    "awd": brief(
        challenge_id="AWD-BOX-001",
        challenge_name="Gamebox",
        run_mode="awd",
        questions=(),
        target_instance="arena-box-3",
    ),
    # The other axes.
    "gated": brief(
        questions=(BriefQuestion("recon", "Which framework serves the site?"),),
        gated_questions=2,
    ),
    "dry-run": brief(dry_run=True, platform_url="", max_turns=0),
    "stdout-fallback": brief(requires_result_file=False, limits=ContainerLimits(memory="2g")),
}

if OUT.exists():
    shutil.rmtree(OUT)
for name, case in CASES.items():
    directory = OUT / name
    directory.mkdir(parents=True)
    write_task_dir(directory, case)
(OUT / "VERSION").write_text(f"ctfy {CTFY_VERSION}\n")
print(f"{OUT.relative_to(ROOT)}: {len(CASES)} briefs from ctfy {CTFY_VERSION}")
