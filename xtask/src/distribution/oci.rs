//! The OCI distribution protocol as cairn speaks it to a registry: pull a manifest or a
//! blob by digest, push a blob and a manifest, ask a manifest's digest.
//!
//! A registry is not trusted, so every body it sends is read against a cap known before
//! the read (a blob at the size the verified manifest gives it, a manifest, a token or an
//! error message at a small one) and cut off the moment it passes it: an oversized or
//! endless answer costs no more memory than an honest one. Plain HTTP is spoken only to a
//! loopback address (an IP address in 127.0.0.0/8 or ::1, or `localhost`), or when asked;
//! credentials go over plain HTTP only to a loopback address, or with a flag that says so.
//! A redirect never downgrades HTTPS to HTTP, and never carries credentials to another host.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures_util::StreamExt;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{StatusCode, Url};

use crate::reference::is_loopback;
pub use crate::reference::Target;

/// The OCI image manifest media type: the only kind of manifest cairn writes or reads.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// A manifest or config larger than this is no cairn image's.
pub const SMALL_BLOB: u64 = 1 << 20;
/// A token, an error message: what a registry says besides images.
const SMALL_ANSWER: u64 = 64 << 10;

/// How to reach a registry: the flags `push`, `build --store` and `--substitute` share.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct TransportArgs {
    /// Speak plain HTTP to registries that are not on a loopback address (127.0.0.0/8,
    /// ::1, localhost), which get it anyway. Credentials still go only over HTTPS there.
    #[arg(long)]
    pub plain_http: bool,
    /// With --plain-http: send CAIRN_REGISTRY_USER and CAIRN_REGISTRY_PASSWORD over plain
    /// HTTP to a registry that is not on a loopback address, readable by anyone on the way.
    #[arg(long, requires = "plain_http")]
    pub credentials_over_plain_http: bool,
}

/// Credentials from the environment for the registry `host`, else none: with
/// `CAIRN_REGISTRY_HOST` set, only that host gets them (a substitute registry that asks
/// for them does not).
pub fn credentials(host: &str) -> Option<(String, String)> {
    if std::env::var("CAIRN_REGISTRY_HOST").is_ok_and(|only| !only.is_empty() && only != host) {
        return None;
    }
    match (std::env::var("CAIRN_REGISTRY_USER"), std::env::var("CAIRN_REGISTRY_PASSWORD")) {
        (Ok(user), Ok(password)) => Some((user, password)),
        _ => None,
    }
}

/// The same credentials, for an engine that pulls from `host`.
pub fn engine_credentials(host: &str) -> Option<bollard::auth::DockerCredentials> {
    credentials(host).map(|(username, password)| bollard::auth::DockerCredentials {
        username: Some(username),
        password: Some(password),
        serveraddress: Some(host.to_owned()),
        ..Default::default()
    })
}

/// What a request is for, as a token's scope says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Access {
    Pull,
    Push,
}

/// One registry, spoken to over HTTPS or, where allowed, HTTP.
pub struct Remote {
    target: Target,
    base: Url,
    http: reqwest::Client,
    /// For HEAD, POST and PUT: no redirects.
    upload: reqwest::Client,
    credentials: Option<(String, String)>,
    /// Credentials may go over plain HTTP to hosts that are not loopback.
    clear_credentials: bool,
    /// The Authorization header each repository and access was granted.
    granted: tokio::sync::Mutex<HashMap<(String, Access), HeaderValue>>,
}

impl Remote {
    /// A registry client for `target`, with the environment's credentials.
    pub fn new(target: &Target, transport: TransportArgs) -> Result<Remote> {
        Remote::with_credentials(target, transport, credentials(&target.host))
    }

    fn with_credentials(
        target: &Target,
        transport: TransportArgs,
        credentials: Option<(String, String)>,
    ) -> Result<Remote> {
        let plain = transport.plain_http || target.is_loopback();
        if plain && credentials.is_some() && !target.is_loopback() && !transport.credentials_over_plain_http {
            bail!(
                "{} is not a loopback address, and --plain-http would send CAIRN_REGISTRY_USER's password to it in \
                 the clear: use HTTPS (drop --plain-http), or add --credentials-over-plain-http if nobody else \
                 can see the network between",
                target.host
            );
        }
        let scheme = if plain { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{}/", target.host))
            .with_context(|| format!("`{}` is not a registry host", target.host))?;
        let client = || {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(30))
                .read_timeout(Duration::from_secs(120))
                .referer(false)
                .user_agent(concat!("cairn-xtask/", env!("CARGO_PKG_VERSION")))
        };
        // What is sent (HEAD, POST, PUT) follows no redirect: an upload goes to the
        // registry named or nowhere.
        let upload = client().redirect(reqwest::redirect::Policy::none()).build().context("making an HTTP client")?;
        let http = client()
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let downgrade =
                    attempt.url().scheme() == "http" && attempt.previous().iter().any(|url| url.scheme() == "https");
                if downgrade {
                    attempt.error("the registry redirected from HTTPS to plain HTTP")
                } else if attempt.previous().len() > 5 {
                    attempt.error("more than 5 redirects")
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .context("making an HTTP client")?;
        Ok(Remote {
            target: target.clone(),
            base,
            http,
            upload,
            credentials,
            clear_credentials: transport.credentials_over_plain_http,
            granted: Default::default(),
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base.join(path).with_context(|| format!("`{path}` is not a path on {}", self.target.host))
    }

    /// The manifest `reference` (a digest or a tag) of package `name`, at most `cap` bytes.
    pub async fn manifest(&self, name: &str, reference: &str, cap: u64) -> Result<Vec<u8>> {
        let what = format!("the manifest {}@{reference}", self.target.repository(name));
        self.pull(name, &format!("manifests/{reference}"), Some(MANIFEST_MEDIA_TYPE), &what, cap).await
    }

    /// The blob `digest` of package `name`'s repository, which must be `size` bytes: a
    /// registry that offers more, or goes on sending, is cut off at `size`.
    pub async fn blob(&self, name: &str, digest: &str, size: u64) -> Result<Vec<u8>> {
        let what = format!("blob {digest} of {}", self.target.repository(name));
        self.pull(name, &format!("blobs/{digest}"), None, &what, size).await
    }

    /// GET `v2/<repository>/<tail>` (accepting `accept`), the body read up to `cap` bytes.
    async fn pull(&self, name: &str, tail: &str, accept: Option<&str>, what: &str, cap: u64) -> Result<Vec<u8>> {
        let path = self.target.path(name);
        let url = self.url(&format!("v2/{path}/{tail}"))?;
        let response = self
            .send(&path, Access::Pull, || match accept {
                Some(accept) => self.http.get(url.clone()).header(reqwest::header::ACCEPT, accept),
                None => self.http.get(url.clone()),
            })
            .await
            .with_context(|| format!("pulling {what}"))?;
        let response = ok(response, what).await?;
        read_capped(response, cap, what).await
    }

    /// The digest the registry reports for `reference`: its Docker-Content-Digest, else
    /// the hash of the manifest it serves (at most [`SMALL_BLOB`] bytes).
    pub async fn manifest_digest(&self, name: &str, reference: &str) -> Result<String> {
        let path = self.target.path(name);
        let url = self.url(&format!("v2/{path}/manifests/{reference}"))?;
        let what = format!("the manifest {}:{reference}", self.target.repository(name));
        let response = self
            .send(&path, Access::Pull, || {
                self.http.head(url.clone()).header(reqwest::header::ACCEPT, MANIFEST_MEDIA_TYPE)
            })
            .await
            .with_context(|| format!("asking for {what}"))?;
        let response = ok(response, &what).await?;
        let header = response.headers().get("docker-content-digest").and_then(|v| v.to_str().ok());
        if let Some(digest) = header.filter(|d| d.starts_with("sha256:")) {
            return Ok(digest.to_owned());
        }
        let bytes = self.manifest(name, reference, SMALL_BLOB).await?;
        Ok(crate::image::layout::sha256(&bytes))
    }

    /// Pushes one blob unless the repository has it (monolithic upload: POST, then PUT).
    pub async fn push_blob(&self, name: &str, digest: &str, body: bytes::Bytes) -> Result<()> {
        let path = self.target.path(name);
        let what = format!("blob {digest} to {}", self.target.repository(name));
        let url = self.url(&format!("v2/{path}/blobs/{digest}"))?;
        let head = self.send(&path, Access::Push, || self.upload.head(url.clone())).await?;
        if head.status() == StatusCode::OK {
            return Ok(());
        }
        let start = self.url(&format!("v2/{path}/blobs/uploads/"))?;
        let response = self.send(&path, Access::Push, || self.upload.post(start.clone())).await?;
        let response = ok(response, &format!("starting the upload of {what}")).await?;
        let location =
            response.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).with_context(|| {
                format!("{} started an upload without saying where (no Location)", self.target.host)
            })?;
        let mut upload = self.base.join(location).with_context(|| format!("upload location `{location}`"))?;
        if upload.origin() != self.base.origin() {
            bail!(
                "{} sent the upload of {what} to {}, another host: credentials and images go only to the \
                 registry named",
                self.target.host,
                upload.origin().ascii_serialization()
            );
        }
        upload.query_pairs_mut().append_pair("digest", digest);
        let response = self
            .send(&path, Access::Push, || {
                self.upload.put(upload.clone()).header(CONTENT_TYPE, "application/octet-stream").body(body.clone())
            })
            .await?;
        ok(response, &format!("pushing {what}")).await?;
        Ok(())
    }

    /// Pushes a manifest as `name:tag`.
    pub async fn push_manifest(&self, name: &str, tag: &str, bytes: &[u8]) -> Result<()> {
        let path = self.target.path(name);
        let url = self.url(&format!("v2/{path}/manifests/{tag}"))?;
        let body = bytes::Bytes::copy_from_slice(bytes);
        let response = self
            .send(&path, Access::Push, || {
                self.upload.put(url.clone()).header(CONTENT_TYPE, MANIFEST_MEDIA_TYPE).body(body.clone())
            })
            .await?;
        ok(response, &format!("pushing the manifest of {}:{tag}", self.target.repository(name))).await?;
        Ok(())
    }

    /// Sends a request, with what the registry granted for this repository and access;
    /// on a challenge (401), answers it once and sends again.
    async fn send(
        &self,
        path: &str,
        access: Access,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let key = (path.to_owned(), access);
        let granted = self.granted.lock().await.get(&key).cloned();
        let with = |header: Option<HeaderValue>| match header {
            Some(header) => request().header(AUTHORIZATION, header),
            None => request(),
        };
        let response = with(granted).send().await.map_err(|e| self.unreachable(e))?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        // A challenge is answered only when the registry itself asks: a host it redirected
        // to gets no credentials, whatever realm it names.
        if response.url().origin() != self.base.origin() {
            bail!(
                "{} redirected to {}, which asks for credentials: they go only to the registry named",
                self.target.host,
                response.url().origin().ascii_serialization()
            );
        }
        let challenge = response.headers().get(WWW_AUTHENTICATE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        drop(response);
        let header = self.answer(path, access, challenge.as_deref()).await?;
        self.granted.lock().await.insert(key, header.clone());
        with(Some(header)).send().await.map_err(|e| self.unreachable(e))
    }

    fn unreachable(&self, error: reqwest::Error) -> anyhow::Error {
        let error = anyhow::Error::new(error);
        if self.base.scheme() == "https" && format!("{error:?}").contains("InvalidContentType") {
            error.context(format!("{} did not answer HTTPS (a plain HTTP registry? --plain-http)", self.target.host))
        } else {
            error.context(format!("reaching {}", self.base))
        }
    }

    /// The Authorization header that answers a registry's challenge.
    async fn answer(&self, path: &str, access: Access, challenge: Option<&str>) -> Result<HeaderValue> {
        let host = &self.target.host;
        let Some(challenge) = challenge else {
            bail!("{host} refused the request (401) without saying how to authenticate");
        };
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let (user, password) = self.credentials.as_ref().with_context(|| {
                format!("{host} asks for credentials: set CAIRN_REGISTRY_USER and CAIRN_REGISTRY_PASSWORD")
            })?;
            return Ok(basic(user, password));
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            bail!("{host} asks for `{scheme}` authentication; cairn speaks Basic and Bearer tokens");
        }
        let params = challenge_params(params);
        let realm = params.get("realm").with_context(|| format!("{host}'s Bearer challenge names no realm"))?;
        let mut url = Url::parse(realm).with_context(|| format!("{host}'s token realm `{realm}` is not a URL"))?;
        let realm_plain = url.scheme() != "https";
        let realm_loopback = url.host_str().is_some_and(is_loopback);
        if realm_plain && self.base.scheme() == "https" {
            bail!("{host} sends for tokens to {realm}, plain HTTP: refused (tokens and credentials go over HTTPS)");
        }
        let scope = match access {
            Access::Pull => format!("repository:{path}:pull"),
            Access::Push => format!("repository:{path}:pull,push"),
        };
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = params.get("service") {
                query.append_pair("service", service);
            }
            query.append_pair("scope", &scope);
        }
        let mut request = self.http.get(url.clone());
        if let Some((user, password)) = &self.credentials {
            if realm_plain && !realm_loopback && !self.clear_credentials {
                bail!(
                    "{host} sends for tokens to {realm}, plain HTTP to a host that is not loopback: the password \
                     would go in the clear (--credentials-over-plain-http allows it)"
                );
            }
            request = request.header(AUTHORIZATION, basic(user, password));
        }
        let response = request.send().await.with_context(|| format!("asking {realm} for a token"))?;
        let response = ok(response, &format!("a token from {realm}")).await?;
        let body = read_capped(response, SMALL_ANSWER, &format!("the token from {realm}")).await?;
        #[derive(serde::Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let token: Token = serde_json::from_slice(&body).with_context(|| format!("{realm} sent no token"))?;
        let token = token.token.or(token.access_token).with_context(|| format!("{realm} sent no token"))?;
        HeaderValue::from_str(&format!("Bearer {token}")).with_context(|| format!("{realm} sent a malformed token"))
    }
}

fn basic(user: &str, password: &str) -> HeaderValue {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let mut header = HeaderValue::from_str(&format!("Basic {encoded}")).expect("base64 is a header value");
    header.set_sensitive(true);
    header
}

/// `realm="…",service="…"` of a challenge.
fn challenge_params(text: &str) -> HashMap<String, String> {
    let mut params = HashMap::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => quoted.split_once('"').unwrap_or((quoted, "")),
            None => after.split_once(',').unwrap_or((after, "")),
        };
        params.insert(key, value.to_owned());
        rest = next.trim_start_matches(',').trim();
    }
    params
}

/// The response if it succeeded, else an error with what the registry said (its first
/// [`SMALL_ANSWER`] bytes).
async fn ok(response: reqwest::Response, what: &str) -> Result<reqwest::Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let url = response.url().clone();
    let said = read_capped_lossy(response, SMALL_ANSWER).await;
    let said = said.trim();
    if said.is_empty() {
        bail!("{what}: {url} answered {status}");
    }
    bail!("{what}: {url} answered {status}: {said}")
}

/// At most `cap` bytes of a body, refused as soon as it is offered or sent past that, and
/// within a deadline that grows with the cap (a minute, and a second per 64 KiB): a
/// registry that trickles cannot hold a build for ever.
pub async fn read_capped(response: reqwest::Response, cap: u64, what: &str) -> Result<Vec<u8>> {
    if let Some(length) = response.content_length().filter(|&length| length > cap) {
        bail!("{what} is offered at {length} bytes, more than the {cap} it may have: not read");
    }
    let deadline = Duration::from_secs(60 + cap / (64 << 10));
    let read = async {
        // Room for what is announced, never more than 16 MiB ahead of what arrived.
        let mut bytes = Vec::with_capacity(response.content_length().unwrap_or(0).min(cap).min(16 << 20) as usize);
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.with_context(|| format!("reading {what}"))?;
            if bytes.len() as u64 + chunk.len() as u64 > cap {
                bail!("{what} goes on past the {cap} bytes it may have: cut off");
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    tokio::time::timeout(deadline, read)
        .await
        .map_err(|_| anyhow::anyhow!("{what} did not arrive within {} s: cut off", deadline.as_secs()))?
}

/// What an error body says, as text cut at `cap` bytes and read for at most 10 s, with
/// control characters shown as escapes: a registry's words must not drive the terminal.
async fn read_capped_lossy(response: reqwest::Response, cap: u64) -> String {
    let read = async {
        let mut bytes = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            let room = cap as usize - bytes.len();
            bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if bytes.len() >= cap as usize {
                break;
            }
        }
        bytes
    };
    let bytes = tokio::time::timeout(Duration::from_secs(10), read).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let text: String = text.trim().chars().take(1000).collect();
    crate::trust::shown(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_in_the_clear_only_to_loopback_or_with_the_flag_that_says_so() {
        let creds = || Some(("u".to_owned(), "p".to_owned()));
        let plain = TransportArgs { plain_http: true, credentials_over_plain_http: false };
        let remote = Target::parse("127.evil.example:5000/cairn").unwrap();
        // Without --plain-http, a name that merely starts with 127. is spoken to over HTTPS.
        let https = Remote::with_credentials(&remote, TransportArgs::default(), creds()).unwrap();
        assert_eq!(https.base.scheme(), "https");
        let error = Remote::with_credentials(&remote, plain, creds()).err().unwrap().to_string();
        assert!(error.contains("--credentials-over-plain-http"), "{error}");
        // Without credentials, --plain-http is the user's to choose.
        assert_eq!(Remote::with_credentials(&remote, plain, None).unwrap().base.scheme(), "http");
        let clear = TransportArgs { plain_http: true, credentials_over_plain_http: true };
        assert_eq!(Remote::with_credentials(&remote, clear, creds()).unwrap().base.scheme(), "http");
        let local = Target::parse("127.0.0.1:5000/cairn").unwrap();
        assert_eq!(Remote::with_credentials(&local, TransportArgs::default(), creds()).unwrap().base.scheme(), "http");
    }

    #[test]
    fn a_challenge_names_its_realm_and_service() {
        let params = challenge_params(r#"realm="https://auth.example/token",service="registry.example",scope="x:y""#);
        assert_eq!(params["realm"], "https://auth.example/token");
        assert_eq!(params["service"], "registry.example");
        assert_eq!(params["scope"], "x:y");
    }
}
