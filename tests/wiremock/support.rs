//! Test support (hand-written): a mock server with a 418 catch-all, clients for it, exact
//! request matchers and the example fixtures.

#![allow(dead_code)]

use std::sync::OnceLock;

use ctfy::{AdminClient, Competition, NodeClient, PlatformClient};
use serde_json::Value;
use wiremock::matchers::{header, method};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// Token of the player client.
pub const PLAYER_TOKEN: &str = "pf_test";
/// Token of the admin client.
pub const ADMIN_TOKEN: &str = "pt_test";
/// Token of the node client.
pub const NODE_TOKEN: &str = "node_test";
/// The competition of `Server::competition`.
pub const COMPETITION_ID: &str = "3f2a9c1e4b7d4e0f8a6b2c9d1e3f5a7b";
/// The body of every mocked download.
pub const SAMPLE_BYTES: &[u8] = b"\x1f\x8b sample download bytes";

/// What the mock answers.
pub enum Reply {
    /// 200 with a JSON body.
    Json(Value),
    /// 200 with bytes.
    Bytes(&'static [u8]),
    /// 204.
    NoContent,
}

/// The body the request must carry.
pub enum Body {
    /// No body at all.
    Empty,
    /// Exactly this JSON document.
    Json(Value),
    /// A multipart form containing every one of these snippets.
    Multipart(&'static [&'static str]),
}

/// A mock platform (or node) for one test.
pub struct Server {
    pub mock: MockServer,
}

impl Server {
    /// Starts a server whose unmatched requests get 418.
    pub async fn start() -> Self {
        let mock = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(418).set_body_json(serde_json::json!({
                "code": "unexpected_request",
                "detail": "no mock matched this request",
                "timestamp": "2026-11-22T22:27:33.936721Z"
            })))
            .with_priority(u8::MAX)
            .mount(&mock)
            .await;
        Self { mock }
    }

    /// A player client with token `pf_test` and no retries.
    pub fn client(&self) -> PlatformClient {
        PlatformClient::builder(self.mock.uri())
            .token(PLAYER_TOKEN)
            .max_retries(0)
            .build()
            .unwrap()
    }

    /// The competition handle of [`COMPETITION_ID`].
    pub fn competition(&self) -> Competition {
        self.client().competition(COMPETITION_ID).unwrap()
    }

    /// An admin client with token `pt_test`.
    pub fn admin(&self) -> AdminClient {
        AdminClient::connect(self.mock.uri(), ADMIN_TOKEN).unwrap()
    }

    /// A node client with token `node_test`.
    pub fn node(&self) -> NodeClient {
        NodeClient::new(self.mock.uri(), NODE_TOKEN).unwrap()
    }

    /// Mounts a mock that expects exactly one request with this method, (encoded) path,
    /// exact query, exact body and authorization header.
    pub async fn expect(
        &self,
        http_method: &str,
        exact_path: &str,
        query: &[(&str, &str)],
        body: Body,
        authorization: &str,
        reply: Reply,
    ) {
        let response = match reply {
            Reply::Json(v) => ResponseTemplate::new(200).set_body_json(v),
            Reply::Bytes(b) => ResponseTemplate::new(200)
                .set_body_raw(b.to_vec(), "application/octet-stream")
                .insert_header("content-disposition", "attachment; filename=\"sample.bin\""),
            Reply::NoContent => ResponseTemplate::new(204),
        };
        Mock::given(method(http_method))
            .and(RawPath(exact_path.to_owned()))
            .and(ExactQuery::new(query))
            .and(ExactBody(body))
            .and(header("authorization", authorization))
            .respond_with(response)
            .expect(1)
            .mount(&self.mock)
            .await;
    }
}

/// The path exactly as sent (still percent-encoded).
pub struct RawPath(pub String);

impl Match for RawPath {
    fn matches(&self, request: &Request) -> bool {
        request.url.path() == self.0
    }
}

/// The query, exactly: same pairs, in any order, no more.
pub struct ExactQuery(Vec<(String, String)>);

impl ExactQuery {
    pub fn new(pairs: &[(&str, &str)]) -> Self {
        let mut v: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        v.sort();
        Self(v)
    }
}

impl Match for ExactQuery {
    fn matches(&self, request: &Request) -> bool {
        let mut got: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        got.sort();
        got == self.0
    }
}

/// The body, exactly.
pub struct ExactBody(pub Body);

impl Match for ExactBody {
    fn matches(&self, request: &Request) -> bool {
        match &self.0 {
            Body::Empty => request.body.is_empty(),
            Body::Json(expected) => {
                let json_type = request
                    .headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("application/json"));
                json_type
                    && serde_json::from_slice::<Value>(&request.body).ok().as_ref()
                        == Some(expected)
            }
            Body::Multipart(parts) => {
                let form = request
                    .headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("multipart/form-data"));
                let text = String::from_utf8_lossy(&request.body);
                form && parts.iter().all(|p| text.contains(p))
            }
        }
    }
}

fn examples() -> &'static Value {
    static EXAMPLES: OnceLock<Value> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/examples.json");
        serde_json::from_str(&std::fs::read_to_string(path).expect("examples.json"))
            .expect("examples JSON")
    })
}

/// The example of schema `name` of `spec` (`platform` or `node`) from
/// `tests/fixtures/examples.json`.
pub fn ex(spec: &str, name: &str) -> Value {
    let v = &examples()[spec][name];
    assert!(
        !v.is_null() || examples()[spec].get(name).is_some(),
        "no example for {spec}:{name}"
    );
    v.clone()
}

/// Every example of `spec`, by schema name.
pub fn all_examples(spec: &str) -> &'static serde_json::Map<String, Value> {
    examples()[spec].as_object().expect("examples object")
}

/// Asserts that `got` serializes back to `expected` (nothing lost or changed in decoding).
pub fn same<T: serde::Serialize>(got: &T, expected: &Value) {
    let back = serde_json::to_value(got).expect("serializes");
    assert_eq!(
        &back, expected,
        "decoded value does not re-serialize to the example"
    );
}
