//! Live tests of the player account namespaces against the real platform
//! (`scripts/platform-up.sh`): root calls, `auth`, `me`, `users`, `teams`, `achievements`,
//! `activities`, `scoreboard` and `nodes`. Every test makes its own users (and, for the solve,
//! its own competition) so it runs beside everyone else's tests.
//!
//! Without a running platform they print why and pass, except under `CI=true`, where they fail.
//!
//! What the local platform cannot serve, and what the tests assert instead:
//!
//! | method | why not served | asserted instead |
//! |---|---|---|
//! | `auth().start_oauth_link` | no OAuth provider is configured (no client id/secret, no internet) | 404 `oauth_provider_not_configured` |
//! | `auth().unbind_identity` | no OAuth identity can be linked without a provider | 404 `identity_not_found` (password row and unknown id) |
//! | `auth().delete_password` | needs a second sign-in method (OAuth) | 409 `last_sign_in_method` |
//! | `auth().request_email_code` | no mail provider (`CTFY_RESEND_API_KEY`) | 503 `email_not_configured` |
//! | `auth().verify_email_code` | no code can be mailed | 401 `invalid_code` |
//! | `auth().request_email_verification` | no mail provider | 503 `email_not_configured` |
//! | `auth().submit_email_verification` | no code can be mailed | 401 `invalid_code` |
//! | `auth().add_email` | no mail provider | 503 `email_not_configured` |
//! | `auth().verify_added_email` | no code can be mailed | 401 `invalid_code` |
//! | `auth().set_primary_email` | only verified addresses, and none can be verified | 409 `email_not_verified` |
//! | `auth().publish_affiliation` | only verified addresses | 409 `email_not_verified` |
//! | `auth().remove_email` | a second address can never be added | 404 `email_not_found` |
//! | `me().request_reauth_code` | password accounts re-authenticate with the password | 409 `reauth_proof_required` |
//! | `me().request_deletion_code` | password accounts confirm deletion with the password | 409 `deletion_proof_required` |
//! | `me().verify_star_gazer` | needs a linked GitHub identity and GitHub itself | 200 `verified: false` with a reason |
//!
//! `auth().device_token` is served end to end: the browser approval in between
//! (`POST /auth/device/approve`, no SDK method) is sent by hand. `me().delete_account` only
//! schedules the deletion (the platform's grace window); the test checks the tokens die.

#[allow(dead_code)]
#[path = "live/support.rs"]
mod support;

#[path = "live/account/mod.rs"]
mod account;
