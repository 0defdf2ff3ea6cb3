//! How this machine reaches an engine: its API over a unix socket, plain HTTP, TLS, or
//! ssh. TLS and ssh are ours rather than bollard's, for two guarantees a remote engine
//! needs: TLS trusts only the CA in `ca.pem` (bollard adds the system's roots, so any
//! public CA could vouch for an impostor), and ssh checks the host's key against
//! known_hosts and never records a new one (bollard's ssh accepts and records any key
//! on first use), and takes the port from the URL.

use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use anyhow::{bail, Context, Result};
use bollard::{BollardRequest, Docker};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// A client for `endpoint`, with `timeout` seconds for each request. Nothing is sent yet.
pub fn connect_to(endpoint: &str, timeout: u64) -> Result<Docker> {
    let version = bollard::API_DEFAULT_VERSION;
    let tls = tls_files(
        endpoint,
        std::env::var("DOCKER_TLS_VERIFY").ok().as_deref(),
        std::env::var_os("DOCKER_CERT_PATH").map(std::path::PathBuf::from),
        dirs::home_dir(),
    )?;
    let docker = if let Some(tls) = tls {
        let address = endpoint.replacen("tcp://", "", 1).replacen("https://", "", 1);
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(0).build(tls.connector()?);
        Docker::connect_with_custom_transport(
            move |request: BollardRequest| {
                let client = client.clone();
                async move { client.request(request).await.map_err(bollard::errors::Error::from) }
            },
            Some(format!("https://{address}")),
            timeout,
            version,
        )
    } else if let Some(rest) = endpoint.strip_prefix("ssh://") {
        let target = SshTarget::parse(rest).with_context(|| format!("engine endpoint `{endpoint}`"))?;
        let client = Client::builder(TokioExecutor::new()).build(Ssh { target, config: ssh_config()? });
        Docker::connect_with_custom_transport(
            move |request: BollardRequest| {
                let client = client.clone();
                async move { client.request(request).await.map_err(bollard::errors::Error::from) }
            },
            // The host part only names the connection in request URIs; the connector
            // ignores it and always runs the one ssh command.
            Some("http://engine"),
            timeout,
            version,
        )
    } else if let Some(path) = endpoint.strip_prefix("unix://") {
        Docker::connect_with_unix(path, timeout, version)
    } else if endpoint.starts_with("tcp://") || endpoint.starts_with("http://") {
        Docker::connect_with_http(endpoint, timeout, version)
    } else if endpoint.starts_with('/') {
        Docker::connect_with_unix(endpoint, timeout, version)
    } else {
        bail!(
            "engine endpoint `{endpoint}`: expected unix:///path/to.sock, tcp://host:port, http://host:port, \
             https://host:port or ssh://[user@]host[:port]"
        );
    };
    docker.with_context(|| format!("connecting to {endpoint}"))
}

/// The files of a TLS connection to an engine, as Docker's client names them.
#[derive(Debug, PartialEq, Eq)]
struct Tls {
    /// The CA that signed the engine's certificate: the only one trusted.
    ca: std::path::PathBuf,
    /// This client's certificate and key, which the engine checks.
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

impl Tls {
    /// An HTTPS connector that trusts `ca.pem` alone and presents `cert.pem` and
    /// `key.pem`; a file that does not parse is named.
    fn connector(&self) -> Result<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certificates = |path: &Path| -> Result<Vec<CertificateDer<'static>>> {
            let certificates = CertificateDer::pem_file_iter(path)
                .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
                .with_context(|| format!("reading the certificates of {}", path.display()))?;
            if certificates.is_empty() {
                bail!("{} holds no PEM certificate", path.display());
            }
            Ok(certificates)
        };
        let mut roots = rustls::RootCertStore::empty();
        for ca in certificates(&self.ca)? {
            roots.add(ca).with_context(|| format!("{}: not a CA certificate rustls accepts", self.ca.display()))?;
        }
        let key = PrivateKeyDer::from_pem_file(&self.key)
            .with_context(|| format!("reading the private key in {}", self.key.display()))?;
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .context("setting up TLS")?
            .with_root_certificates(roots)
            .with_client_auth_cert(certificates(&self.cert)?, key)
            .with_context(|| {
                format!("{} and {} are not a certificate and its key", self.cert.display(), self.key.display())
            })?;
        Ok(hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config).https_only().enable_http1().build())
    }
}

/// TLS is used for `https://` endpoints, and for `tcp://` ones when `DOCKER_TLS_VERIFY`
/// is set (not empty), as Docker's client does; the files are `ca.pem`, `cert.pem` and
/// `key.pem` in `DOCKER_CERT_PATH`, else `~/.docker`. A missing file is an error that
/// names it, before anything is sent.
fn tls_files(
    endpoint: &str,
    tls_verify: Option<&str>,
    cert_path: Option<std::path::PathBuf>,
    home: Option<std::path::PathBuf>,
) -> Result<Option<Tls>> {
    let wanted = endpoint.starts_with("https://")
        || (endpoint.starts_with("tcp://") && tls_verify.is_some_and(|v| !v.is_empty()));
    if !wanted {
        return Ok(None);
    }
    let dir = match (cert_path, home) {
        (Some(dir), _) => dir,
        (None, Some(home)) => home.join(".docker"),
        (None, None) => bail!("engine endpoint {endpoint} uses TLS: set DOCKER_CERT_PATH to the directory of ca.pem, cert.pem and key.pem"),
    };
    let tls = Tls { ca: dir.join("ca.pem"), cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    for (file, what) in [
        (&tls.ca, "the CA that signed the engine's certificate"),
        (&tls.cert, "this client's certificate"),
        (&tls.key, "this client's key"),
    ] {
        if !file.is_file() {
            bail!(
                "engine endpoint {endpoint} uses TLS, and {} ({what}) is missing: put it there, or set \
                 DOCKER_CERT_PATH to the directory that holds ca.pem, cert.pem and key.pem",
                file.display()
            );
        }
    }
    Ok(Some(tls))
}

/// Where an `ssh://[user@]host[:port]` endpoint points.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SshTarget {
    user: Option<String>,
    host: String,
    port: Option<u16>,
}

impl SshTarget {
    /// Parses what follows `ssh://`; a path, or a host that ssh would read as an option,
    /// is refused.
    fn parse(rest: &str) -> Result<SshTarget> {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains('/') {
            bail!("an ssh endpoint is ssh://[user@]host[:port], with no path");
        }
        let (user, hostport) = match rest.rsplit_once('@') {
            Some((user, hostport)) => (Some(user.to_owned()), hostport),
            None => (None, rest),
        };
        let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']').context("an IPv6 address in [ ] lacks its `]`")?;
            (host, after.strip_prefix(':'))
        } else {
            match hostport.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            }
        };
        let port = port
            .map(|port| port.parse::<u16>().with_context(|| format!("`{port}` is not a port number")))
            .transpose()?;
        if host.is_empty()
            || host.starts_with('-')
            || user.as_deref().is_some_and(|u| u.is_empty() || u.starts_with('-'))
        {
            bail!("an ssh endpoint is ssh://[user@]host[:port]");
        }
        Ok(SshTarget { user, host: host.to_owned(), port })
    }

    /// The ssh client's arguments: batch mode (no prompt can hang a build), the host key
    /// checked strictly against known_hosts (the command line wins over any
    /// configuration that says otherwise), then `docker system dial-stdio` on the host,
    /// which relays stdin and stdout to its engine.
    fn arguments(&self, config: Option<&Path>) -> Vec<std::ffi::OsString> {
        let mut arguments: Vec<std::ffi::OsString> = Vec::new();
        if let Some(config) = config {
            arguments.extend(["-F".into(), config.into()]);
        }
        for option in ["BatchMode=yes", "StrictHostKeyChecking=yes", "UpdateHostKeys=no"] {
            arguments.extend(["-o".into(), option.into()]);
        }
        if let Some(port) = self.port {
            arguments.extend(["-p".into(), port.to_string().into()]);
        }
        if let Some(user) = &self.user {
            arguments.extend(["-l".into(), user.into()]);
        }
        arguments.extend(["--".into(), self.host.clone().into()]);
        arguments.extend(["docker", "system", "dial-stdio"].map(std::ffi::OsString::from));
        arguments
    }
}

/// `CAIRN_SSH_CONFIG`: an ssh configuration file used instead of the user's (ssh's `-F`).
fn ssh_config() -> Result<Option<std::path::PathBuf>> {
    let Some(path) = std::env::var_os("CAIRN_SSH_CONFIG").map(std::path::PathBuf::from) else { return Ok(None) };
    if !path.is_file() {
        bail!("CAIRN_SSH_CONFIG names {}, which is not a file", path.display());
    }
    Ok(Some(path))
}

/// Opens each connection as one `ssh` process whose stdin and stdout carry the HTTP of
/// the engine's API; the process ends with the connection. What ssh says (a refused key,
/// an unknown host key) goes to stderr, as it would for `docker -H ssh://`.
#[derive(Clone)]
struct Ssh {
    target: SshTarget,
    config: Option<std::path::PathBuf>,
}

impl tower_service::Service<http::Uri> for Ssh {
    type Response = SshStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<SshStream>> + Send>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        let arguments = self.target.arguments(self.config.as_deref());
        Box::pin(async move {
            let mut child = tokio::process::Command::new("ssh")
                .args(arguments)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|error| io::Error::new(error.kind(), format!("running ssh: {error}")))?;
            let stdin = child.stdin.take().expect("piped");
            let stdout = child.stdout.take().expect("piped");
            Ok(SshStream { _child: child, stdin: TokioIo::new(stdin), stdout: TokioIo::new(stdout) })
        })
    }
}

/// One ssh process as a byte stream: reads from its stdout, writes to its stdin.
struct SshStream {
    _child: tokio::process::Child,
    stdin: TokioIo<tokio::process::ChildStdin>,
    stdout: TokioIo<tokio::process::ChildStdout>,
}

impl Connection for SshStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for SshStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdout).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for SshStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stdin).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdin).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdin).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_is_used_for_https_and_for_tcp_when_docker_tls_verify_is_set_and_a_missing_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let certs = Some(dir.path().to_owned());
        assert_eq!(tls_files("tcp://127.0.0.1:2375", None, certs.clone(), None).unwrap(), None);
        assert_eq!(tls_files("tcp://127.0.0.1:2375", Some(""), certs.clone(), None).unwrap(), None);
        assert_eq!(tls_files("unix:///run/docker.sock", Some("1"), certs.clone(), None).unwrap(), None);
        let error = format!("{:#}", tls_files("tcp://127.0.0.1:2376", Some("1"), certs.clone(), None).unwrap_err());
        assert!(error.contains(&format!("{} (the CA", dir.path().join("ca.pem").display())), "{error}");
        for name in ["ca.pem", "cert.pem"] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let error = format!("{:#}", tls_files("https://127.0.0.1:2376", None, certs.clone(), None).unwrap_err());
        assert!(error.contains("key.pem (this client's key) is missing"), "{error}");
        std::fs::write(dir.path().join("key.pem"), "x").unwrap();
        let tls = tls_files("https://127.0.0.1:2376", None, certs, None).unwrap().unwrap();
        assert_eq!(tls.key, dir.path().join("key.pem"));
        // Without DOCKER_CERT_PATH, ~/.docker, as Docker's client has it.
        let home = tempfile::tempdir().unwrap();
        let error = format!("{:#}", tls_files("https://h:1", None, None, Some(home.path().to_owned())).unwrap_err());
        assert!(error.contains(&home.path().join(".docker/ca.pem").display().to_string()), "{error}");
    }

    #[test]
    fn an_ssh_endpoint_gives_its_user_host_and_port_to_ssh_and_nothing_else() {
        let target = SshTarget::parse("root@127.0.0.1:2222").unwrap();
        assert_eq!(target, SshTarget { user: Some("root".into()), host: "127.0.0.1".into(), port: Some(2222) });
        let arguments: Vec<String> = target.arguments(None).into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(
            arguments.join(" "),
            "-o BatchMode=yes -o StrictHostKeyChecking=yes -o UpdateHostKeys=no -p 2222 -l root -- 127.0.0.1 \
             docker system dial-stdio"
        );
        assert_eq!(SshTarget::parse("build-host").unwrap().port, None);
        assert_eq!(SshTarget::parse("me@[::1]:22/").unwrap().host, "::1");
        for bad in ["", "-oProxyCommand=x", "-x@host", "host:ssh", "host/path", "@host", "[::1"] {
            assert!(SshTarget::parse(bad).is_err(), "{bad}");
        }
        let config = Path::new("/etc/cairn/ssh_config");
        let arguments = target.arguments(Some(config));
        assert_eq!(arguments[..2], ["-F".into(), config.as_os_str().to_owned()]);
    }
}
