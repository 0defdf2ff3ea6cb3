//! Where images are published: a registry host and the repository namespace under it,
//! `HOST[:PORT]/NAMESPACE`, parsed; whether the host is a loopback address. No network.

use std::net::IpAddr;

use anyhow::{bail, Result};

/// A registry host and the repository namespace under it: `HOST[:PORT]/NAMESPACE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub namespace: String,
}

impl Target {
    pub fn parse(text: &str) -> Result<Target> {
        let rest = text.strip_prefix("docker://").unwrap_or(text).trim_end_matches('/');
        let (host, namespace) = rest.split_once('/').unwrap_or((rest, ""));
        let host_ok = !host.is_empty()
            && (host.contains('.') || host.contains(':') || host == "localhost")
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        if !host_ok {
            bail!("`{text}` does not start with a registry host (HOST[:PORT]/NAMESPACE, e.g. 127.0.0.1:5000/cairn)");
        }
        let namespace_ok = namespace.split('/').all(|part| {
            part.is_empty() || part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        });
        if !namespace_ok {
            bail!("`{namespace}` is not a repository namespace (lowercase letters, digits, `.`, `_`, `-`, `/`)");
        }
        Ok(Target { host: host.to_owned(), namespace: namespace.to_owned() })
    }

    /// `host/namespace/name`, the repository of one package.
    pub fn repository(&self, name: &str) -> String {
        format!("{}/{}", self.host, self.path(name))
    }

    /// `namespace/name`, the repository's name on its host.
    pub fn path(&self, name: &str) -> String {
        if self.namespace.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.namespace)
        }
    }

    /// The identity of a package's image as published here: `HOST/cairn/<name>:<version>`.
    pub fn identity(&self, name: &str, version: &str) -> String {
        format!("{}:{version}", self.repository(name))
    }

    /// The host without its port.
    pub fn hostname(&self) -> &str {
        hostname(&self.host)
    }

    /// Whether the host is a loopback address as parsed, not as spelled: an IP address in
    /// 127.0.0.0/8 or ::1, or the name `localhost`. `127.evil.example` is a name like any
    /// other, resolved by whoever answers for it.
    pub fn is_loopback(&self) -> bool {
        is_loopback(self.hostname())
    }
}

/// `host` of `host:port`, `[v6]:port` or `[v6]`, as written.
fn hostname(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') => name,
        _ => host,
    }
}

/// An IP address in 127.0.0.0/8 or ::1 (IPv6 in brackets), or `localhost`.
pub fn is_loopback(hostname: &str) -> bool {
    let bare = hostname.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(hostname);
    hostname.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_a_registry_host_and_a_namespace() {
        let target = Target::parse("docker://127.0.0.1:5000/cairn/").unwrap();
        assert_eq!(target, Target { host: "127.0.0.1:5000".into(), namespace: "cairn".into() });
        assert_eq!(target.repository("musl"), "127.0.0.1:5000/cairn/musl");
        assert!(target.is_loopback());
        let remote = Target::parse("registry.example.org/team/cairn").unwrap();
        assert!(!remote.is_loopback());
        assert_eq!(remote.repository("gcc"), "registry.example.org/team/cairn/gcc");
        assert!(Target::parse("cairn/musl").is_err(), "a bare name is not a registry");
        assert!(Target::parse("127.0.0.1:5000/Cairn").is_err());
        assert!(Target::parse("localhost:5000").unwrap().namespace.is_empty());
    }

    #[test]
    fn loopback_is_an_address_as_parsed_not_a_name_that_looks_like_one() {
        for host in ["127.0.0.1:5000", "127.1.2.3", "localhost:5000", "LOCALHOST:5000", "[::1]:5000", "[::1]"] {
            assert!(Target::parse(&format!("{host}/cairn")).unwrap().is_loopback(), "{host}");
        }
        for host in [
            "127.evil.example:5000",
            "127.0.0.1.evil.example",
            "127.0.0.1.nip.io:5000",
            "localhost.evil.example",
            "10.0.0.1:5000",
            "[::2]:5000",
            "128.0.0.1",
        ] {
            assert!(!Target::parse(&format!("{host}/cairn")).unwrap().is_loopback(), "{host}");
        }
    }
}
