//! Conveniences on wire types: the attack surface of an instance, decoded patch sources.

use crate::{AttackSurface, ServiceEndpoint, ServiceType};

impl ServiceEndpoint {
    /// How to reach the service: `http://host:port/path` for web services (the path only when
    /// it is not `/`), `ssh://host:port` for SSH, and `host:port` for raw TCP.
    pub fn url(&self) -> String {
        let path = if self.path.is_empty() || self.path == "/" {
            ""
        } else {
            self.path.as_str()
        };
        match &self.service_type {
            ServiceType::Tcp => format!("{}:{}", self.host, self.port),
            other => format!("{}://{}:{}{}", other.as_str(), self.host, self.port, path),
        }
    }

    /// Whether the service speaks HTTP or HTTPS.
    pub fn is_web(&self) -> bool {
        matches!(self.service_type, ServiceType::Http | ServiceType::Https)
    }
}

impl AttackSurface {
    /// The first HTTP(S) service, where web challenges live.
    pub fn web_service(&self) -> Option<&ServiceEndpoint> {
        self.services.iter().find(|s| s.is_web())
    }
}

impl crate::DefenceSource {
    /// The patchable files, decoded from the wire's base64: challenge-relative path →
    /// contents.
    ///
    /// # Errors
    /// The first file whose contents are not valid base64.
    pub fn decoded_files(
        &self,
    ) -> Result<std::collections::BTreeMap<String, Vec<u8>>, base64::DecodeError> {
        use base64::Engine as _;
        self.files
            .iter()
            .map(|(path, b64)| {
                base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map(|bytes| (path.clone(), bytes))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(kind: &str, path: &str) -> ServiceEndpoint {
        ServiceEndpoint {
            service_type: ServiceType::from(kind),
            host: "127.0.0.1".into(),
            port: 18212,
            credentials: None,
            path: path.into(),
            label: "web".into(),
        }
    }

    #[test]
    fn display_urls() {
        assert_eq!(svc("http", "/").url(), "http://127.0.0.1:18212");
        assert_eq!(svc("https", "/app").url(), "https://127.0.0.1:18212/app");
        assert_eq!(svc("tcp", "/").url(), "127.0.0.1:18212");
        assert_eq!(svc("ssh", "").url(), "ssh://127.0.0.1:18212");
    }
}
