//! Fields the platform leaves out take the schema's default, not the Rust type's.

use ctfy_models::{InstanceQuestionInfo, ServiceEndpoint};

#[test]
fn missing_fields_take_the_schema_default() {
    let q: InstanceQuestionInfo =
        serde_json::from_str(r#"{"id": "flag", "prompt": "Find it", "requires": []}"#).unwrap();
    assert!(q.unlocked, "schema default of `unlocked` is true");
    let s: ServiceEndpoint =
        serde_json::from_str(r#"{"service_type": "http", "host": "127.0.0.1", "port": 80}"#)
            .unwrap();
    assert_eq!(s.path, "/", "schema default of `path` is /");
}
