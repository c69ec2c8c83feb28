#!/usr/bin/env bash
# Captures a handful of real responses of the running platform into
# crates/ctfy-models/tests/fixtures/live/ (read by crates/ctfy-models/tests/live_fixtures.rs:
# each must decode into its Rust type and re-encode with no lost key).
#
#   scripts/capture_fixtures.sh [env file]   (default: .state/current/ctfy.env)
#   scripts/capture_fixtures.sh --floats [env file]
#
# --floats captures responses full of decimal floats, byte for byte, into
# crates/ctfy-models/tests/fixtures/floats/ (read by crates/ctfy-models/tests/floats.rs: each
# float must re-encode to the same f64). Start an instance first, so /instances has one.
#
# Each line of FIXTURES: file name, OpenAPI schema of the response, token (player|admin), path
# under /api/v1 ({competition_id} is filled from the env file). index.tsv records the same.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOATS=0
if [ "${1:-}" = --floats ]; then FLOATS=1; shift; fi
ENV_FILE="${1:-.state/current/ctfy.env}"
# shellcheck disable=SC1090
set -a; . "$ENV_FILE"; set +a
: "${CTFY_URL:?}" "${PLAYER_TOKEN:?}" "${ADMIN_TOKEN:?}" "${COMPETITION_ID:?}"
if [ "$FLOATS" = 1 ]; then
  OUT=crates/ctfy-models/tests/fixtures/floats
  mkdir -p "$OUT"
  # file, token (player = pt_ session, admin), path under /api/v1
  while read -r name who path; do
    [ -n "$name" ] || continue
    token="$PLAYER_SESSION_TOKEN"; [ "$who" = admin ] && token="$ADMIN_TOKEN"
    url="${CTFY_URL%/}/api/v1${path//\{node_id\}/$NODE_ID}"
    curl -fsS -H "Authorization: Bearer $token" "$url" > "$OUT/$name.json"
    echo "captured $name ($path)"
  done <<'LIST'
instances player /instances
node_health_history admin /admin/nodes/{node_id}/health-history
scheduled_jobs admin /admin/scheduled-jobs
meta player /meta
nodes admin /nodes
challenge_stats admin /admin/challenges/stats
activity_timeseries admin /activities/timeseries
traffic_summary admin /admin/traffic/summary
eval_models admin /eval/models
llm_models admin /admin/llm-models
scoreboard_challenges player /scoreboard/challenges
LIST
  exit 0
fi
OUT=crates/ctfy-models/tests/fixtures/live
mkdir -p "$OUT"

FIXTURES="
health	HealthResponse	player	/health
meta	MetaResponse	player	/meta
competitions	LimitOffsetPageCustomized_CompetitionInfo_	player	/competitions?limit=5
competition	CompetitionDetail	player	/competitions/{competition_id}
challenges	LimitOffsetPageCustomized_ChallengeInfo_	player	/competitions/{competition_id}/challenges
scoreboard	LimitOffsetPageCustomized_ScoreboardEntry_	player	/competitions/{competition_id}/scoreboard?limit=5
me	MeResponse	player	/me
instances	LimitOffsetPageCustomized_InstanceInfo_	player	/instances
auth_providers	ProvidersResponse	player	/auth/providers
achievements_catalog	LimitOffsetPageCustomized_AchievementCatalogEntry_	player	/achievements/catalog
admin_competitions	LimitOffsetPageCustomized_CompetitionInfo_	admin	/admin/competitions?limit=5
admin_users	LimitOffsetPageCustomized_AdminUserInfo_	admin	/admin/users?limit=5
admin_overview	AdminOverview	admin	/admin/overview
"

printf 'file\tschema\tpath\n' > "$OUT/index.tsv"
while IFS=$'\t' read -r name schema who path; do
  [ -n "$name" ] || continue
  token="$PLAYER_TOKEN"; [ "$who" = admin ] && token="$ADMIN_TOKEN"
  url="${CTFY_URL%/}/api/v1${path//\{competition_id\}/$COMPETITION_ID}"
  if curl -fsS -H "Authorization: Bearer $token" "$url" | python3 -m json.tool --indent 1 > "$OUT/$name.json.tmp"; then
    mv "$OUT/$name.json.tmp" "$OUT/$name.json"
    printf '%s.json\t%s\t%s\n' "$name" "$schema" "$path" >> "$OUT/index.tsv"
    echo "captured $name ($path)"
  else
    rm -f "$OUT/$name.json.tmp"
    echo "skipped $name ($path): request failed" >&2
  fi
done <<< "$FIXTURES"
