//! The quickstart: play one challenge end to end, like an agent would.
//!
//! 1. find a running competition;
//! 2. register solo unless already on a team;
//! 3. list its challenges;
//! 4. launch an instance and wait until it is ready;
//! 5. print the attack surface;
//! 6. capture the flag from the service (`GET <service>/flag`), verify it, submit it;
//! 7. stop the instance.
//!
//! Environment: `CTFY_PLATFORM_URL` (else `CTFY_URL`), `CTFY_TOKEN` (a `pf_` API token or
//! `pt_` session token), and optionally `CTFY_COMPETITION` and `CTFY_CHALLENGE` to pick
//! which. Run it against the local
//! platform with `scripts/with-platform.sh cargo run --example quickstart`.

use std::process::ExitCode;

use ctfy::models::ChallengeInfo;
use ctfy::{PlatformClient, Registration};

#[tokio::main]
async fn main() -> ExitCode {
    let client = match PlatformClient::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {}", e.report());
            return ExitCode::FAILURE;
        }
    };
    let outcome = run(&client).await;
    // A start that failed or timed out is stopped in the background: wait for that (at most
    // 10 s) before the process exits.
    if !client.shutdown(std::time::Duration::from_secs(10)).await {
        eprintln!("warning: an instance may still be running");
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(client: &PlatformClient) -> Result<(), Box<dyn std::error::Error>> {
    let check = client.check_server_compatibility(None).await?;
    if !check.is_quiet() {
        eprintln!("warning: {}", check.message());
    }

    // 1. A running competition.
    let wanted = std::env::var("CTFY_COMPETITION").ok();
    let running = client.competitions().list().phase("running").send().await?;
    let info = match &wanted {
        Some(id) => running
            .items
            .into_iter()
            .find(|c| &c.id == id)
            .ok_or(format!("competition {id} is not running"))?,
        None => running
            .items
            .into_iter()
            .next()
            .ok_or("no running competition")?,
    };
    println!("[1] competition: {} ({})", info.title, info.id);
    let comp = client.competition(&info.id)?;

    // 2. Register solo unless already on a team.
    if info.is_registered && !info.my_team_id.is_empty() {
        println!("[2] already on team {}", info.my_team_id);
    } else {
        let team = comp.register(Registration::Solo).await?;
        println!("[2] registered solo: team {} ({})", team.name, team.id);
    }

    // 3. Its challenges.
    let challenges = comp.challenges().send().await?;
    println!(
        "[3] {} challenges:",
        challenges.total.unwrap_or(challenges.items.len() as u64)
    );
    for c in &challenges.items {
        println!("      {:<20} {:<8} {}", c.id, c.difficulty, c.name);
    }
    let wanted = std::env::var("CTFY_CHALLENGE").ok();
    let challenge: &ChallengeInfo = match &wanted {
        Some(id) => challenges
            .items
            .iter()
            .find(|c| &c.id == id)
            .ok_or(format!("challenge {id} not found"))?,
        None => challenges
            .items
            .iter()
            .find(|c| !c.is_qa_only)
            .ok_or("no challenge that launches an instance")?,
    };

    // 4. Launch and wait until ready: at most two minutes. A start that fails, times out or
    //    is dropped stops its instance by itself, so nothing is left running.
    println!("[4] launching {} …", challenge.id);
    let started = std::time::Instant::now();
    let ready = client
        .instances()
        .start(&challenge.id)
        .competition_id(comp.id())
        .deadline(std::time::Duration::from_secs(120))
        .await?;
    println!(
        "      instance {} ready in {:.1?}",
        ready.id,
        started.elapsed()
    );

    // 5. The attack surface.
    println!("[5] attack surface:");
    for s in &ready.surface.services {
        println!("      {:<6} {} ({})", s.service_type, s.url(), s.label);
    }

    // 6. Capture the flag from the service, verify it, submit it.
    let service = ready
        .surface
        .web_service()
        .ok_or("the instance has no web service")?;
    let flag = reqwest::get(format!("{}/flag", service.url()))
        .await?
        .error_for_status()?
        .text()
        .await?;
    let flag = flag.trim();
    println!("[6] captured {flag}");
    let verified = client.submissions().verify(&ready.id, flag).await?;
    println!("      verify: correct={}", verified.correct);
    let result = client.submissions().submit(&ready.id, flag).await?;
    println!(
        "      correct={} solved={}",
        result.correct, result.challenge_fully_solved
    );

    // 7. Stop it.
    let stopped = client.instances().stop(&ready.id).await?;
    println!(
        "[7] instance {} {}",
        ready.id,
        if stopped {
            "stopped"
        } else {
            "was already gone"
        }
    );
    if !result.correct {
        return Err("the captured flag was not accepted".into());
    }
    Ok(())
}
