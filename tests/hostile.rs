//! From the attacker's side: a registry that sends more than the image it names, a
//! directory whose layer is a gigabyte, a lookaside tree with a FIFO or a link to
//! /dev/zero for a signature, a host name that only looks like loopback. Each is refused
//! quickly, with memory bounded by the recorded sizes, and no credential leaves in the
//! clear. The peak memory of each refused run is printed (`peak`), not asserted tightly:
//! the assertion is only that it stays far below what the attacker sent.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{engine_or_skip, statuses, text, Tree};

const GIB: u64 = 1 << 30;
/// Far above what an honest import or verify takes (about 30 MB), far below the gigabyte
/// an attacker sends.
const BOUND_KIB: u64 = 200 << 10;
/// What a refused substitute may add to the peak of the build that follows it.
const MARGIN_KIB: u64 = 100 << 10;

/// What the hostile registry answers for a path.
#[derive(Clone)]
enum Reply {
    Bytes(Vec<u8>),
    /// `len` bytes of zeros, announced by Content-Length or not (then until closed).
    Flood {
        len: u64,
        announced: bool,
    },
    /// 401 asking for Basic credentials, as a registry with htpasswd does.
    Unauthorized,
    /// 307 to another URL.
    Redirect(String),
    /// 401 sending for a token to this realm.
    Bearer(String),
}

/// A registry on 127.0.0.1 that answers each request by its path, one connection per
/// request, and records every request's first bytes as they came.
struct Hostile {
    port: u16,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Hostile {
    fn start(answer: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (recorded, answer) = (seen.clone(), Arc::new(answer));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (recorded, answer) = (recorded.clone(), answer.clone());
                std::thread::spawn(move || serve(stream, &recorded, &*answer));
            }
        });
        Hostile { port, seen }
    }

    /// Every request's first bytes, as text (a TLS handshake shows as its binary).
    fn requests(&self) -> Vec<Vec<u8>> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(mut stream: TcpStream, recorded: &Mutex<Vec<Vec<u8>>>, answer: &dyn Fn(&str) -> Reply) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut head = Vec::new();
    let mut byte = [0; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
        match stream.read(&mut byte) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&byte[..n]),
        }
        // A TLS ClientHello never ends in a blank line: record it and hang up.
        if head.first() == Some(&0x16) {
            break;
        }
    }
    recorded.lock().unwrap().push(head.clone());
    let request = String::from_utf8_lossy(&head);
    let Some(path) = request.split_whitespace().nth(1) else { return };
    let head_only = request.starts_with("HEAD ");
    let reply = answer(path);
    let _ = match reply {
        Reply::Bytes(bytes) => {
            let header = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            );
            stream.write_all(header.as_bytes()).and_then(|()| if head_only { Ok(()) } else { stream.write_all(&bytes) })
        }
        Reply::Flood { len, announced } => {
            let length = if announced { format!("Content-Length: {len}\r\n") } else { String::new() };
            let header = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n{length}\
                 Connection: close\r\n\r\n"
            );
            let chunk = vec![0u8; 1 << 16];
            let mut sent = 0;
            let mut result = stream.write_all(header.as_bytes());
            while result.is_ok() && sent < len && !head_only {
                result = stream.write_all(&chunk);
                sent += chunk.len() as u64;
            }
            result
        }
        Reply::Unauthorized => stream.write_all(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"cairn\"\r\n\
              Content-Length: 0\r\nConnection: close\r\n\r\n",
        ),
        Reply::Redirect(to) => stream.write_all(
            format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        ),
        Reply::Bearer(realm) => stream.write_all(
            format!(
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"{realm}\",service=\"x\"\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        ),
    };
}

/// Runs the xtask on `tree` (as `Tree::xtask` does, with `env` added), optionally under
/// `wrapper`, and measures its peak resident memory (KiB) through python's getrusage of
/// its one child; gives up on it after `deadline`.
fn measured(tree: &Tree, args: &[&str], env: &[(&str, &str)], deadline: Duration) -> (Output, u64) {
    let script = "import resource, subprocess, sys\n\
                  child = subprocess.run(sys.argv[2:], timeout=float(sys.argv[1]))\n\
                  peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n\
                  print(f'peak-kib {peak}', file=sys.stderr)\n\
                  sys.exit(child.returncode)\n";
    let mut command = Command::new("python3");
    command.arg("-c").arg(script).arg(deadline.as_secs().to_string()).arg(env!("CARGO_BIN_EXE_xtask")).args(args);
    command.env("CAIRN_ROOT", &tree.root).env_remove("CAIRN_OUT").stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    let stderr = text(&output.stderr);
    eprintln!("$ xtask {}\n{stderr}", args.join(" "));
    assert!(!stderr.contains("TimeoutExpired"), "xtask {} did not end within {deadline:?}", args.join(" "));
    let peak = stderr
        .lines()
        .find_map(|line| line.strip_prefix("peak-kib "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak measured: {stderr}"));
    eprintln!("peak: {} MB for xtask {}", peak / 1024, args.join(" "));
    (output, peak)
}

/// The blob `digest` of a layout.
fn blob(layout: &Path, digest: &str) -> PathBuf {
    layout.join("blobs/sha256").join(digest.strip_prefix("sha256:").unwrap())
}

fn entry(tree: &Tree, name: &str) -> toml::Table {
    let path = tree.root.join("manifest/packages").join(format!("{name}.toml"));
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// filesystem's recorded manifest and config, as a builder's out/ holds them.
fn recorded_blobs(tree: &Tree) -> (String, Vec<u8>, String, Vec<u8>, String, u64) {
    let entry = entry(tree, "filesystem");
    let digest = entry["digest"].as_str().unwrap().to_owned();
    let layout = tree.out("filesystem");
    let manifest = std::fs::read(blob(&layout, &digest)).unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let config_digest = parsed["config"]["digest"].as_str().unwrap().to_owned();
    let config = std::fs::read(blob(&layout, &config_digest)).unwrap();
    let layer = entry["layer"].as_str().unwrap().to_owned();
    (digest, manifest, config_digest, config, layer, entry["size"].as_integer().unwrap() as u64)
}

/// A tree whose out/ holds filesystem, built at the digest manifest/ records.
fn built_filesystem() -> Tree {
    let tree = Tree::new(&["filesystem"]);
    let (ok, items) = tree.build(&["filesystem"]);
    assert!(ok, "{items:#?}");
    tree
}

#[test]
fn a_registry_or_directory_that_sends_more_than_the_recorded_image_is_cut_off() {
    if !engine_or_skip() {
        return;
    }
    let tree = built_filesystem();
    let (digest, manifest, config_digest, config, layer, size) = recorded_blobs(&tree);
    assert!(size < 4096, "filesystem's layer is small: {size}");
    // What building filesystem takes with no substitute at all (its bootstrap image is
    // streamed to the engine): a refused substitute may add little to it.
    std::fs::remove_dir_all(tree.out("filesystem")).unwrap();
    let (output, baseline) = measured(&tree, &["build", "--json", "filesystem"], &[], Duration::from_secs(300));
    assert!(output.status.success(), "{}", text(&output.stderr));

    // A registry that floods the layer (announced or not) or the manifest: the package is
    // built instead, and the run never holds more than a fraction of the flood.
    let floods = [
        ("layer", Reply::Flood { len: GIB, announced: true }, format!("offered at {GIB} bytes, more than the {size}")),
        ("layer", Reply::Flood { len: GIB, announced: false }, format!("goes on past the {size} bytes")),
        ("manifest", Reply::Flood { len: 4 * GIB, announced: false }, "goes on past the 1048576 bytes".to_owned()),
    ];
    for (what, flood, refusal) in floods {
        let (manifest, config, config_digest, layer) =
            (manifest.clone(), config.clone(), config_digest.clone(), layer.clone());
        let hostile = Hostile::start(move |path| {
            let flooded = match what {
                "layer" => path.ends_with(&format!("/blobs/{layer}")),
                _ => path.contains("/manifests/"),
            };
            if flooded {
                flood.clone()
            } else if path.contains("/manifests/") {
                Reply::Bytes(manifest.clone())
            } else if path.ends_with(&format!("/blobs/{config_digest}")) {
                Reply::Bytes(config.clone())
            } else {
                Reply::Bytes(b"{}".to_vec())
            }
        });
        std::fs::remove_dir_all(tree.out("filesystem")).unwrap();
        let source = format!("127.0.0.1:{}/cairn", hostile.port);
        let started = Instant::now();
        let (output, peak) =
            measured(&tree, &["build", "--json", "--substitute", &source, "filesystem"], &[], Duration::from_secs(300));
        let elapsed = started.elapsed();
        assert!(output.status.success(), "{}", text(&output.stderr));
        let items: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(statuses(&items)["filesystem"], ("built".to_owned(), Some(digest.clone())), "{items:#?}");
        let log = std::fs::read_to_string(tree.root.join("out/logs/filesystem.log")).unwrap();
        assert!(log.contains(&refusal), "the {what} flood is refused with `{refusal}`: {log}");
        assert!(
            peak < baseline + MARGIN_KIB,
            "{what} flood: {} MB resident against {} MB for the build alone: the flood was held in memory",
            peak / 1024,
            baseline / 1024
        );
        eprintln!(
            "{what} flood refused: peak {} MB (the build alone: {} MB), {:.1} s with the build",
            peak / 1024,
            baseline / 1024,
            elapsed.as_secs_f64()
        );
    }

    // A directory whose layer is a gigabyte (sparse: no disk, but a reader that takes it
    // whole holds a gigabyte).
    let carried = tempfile::tempdir().unwrap();
    let dir = carried.path().join("layouts");
    tree.ok(&["export", dir.to_str().unwrap(), "filesystem"]);
    let big = std::fs::File::create(blob(&dir.join("filesystem"), &layer)).unwrap();
    big.set_len(GIB).unwrap();
    drop(big);
    let fresh = Tree::new(&["filesystem"]);
    // The package set is compiled once per tree (by cargo, a child that getrusage counts).
    fresh.ok(&["list"]);
    let (output, peak) =
        measured(&fresh, &["import", dir.to_str().unwrap(), "filesystem", "--json"], &[], Duration::from_secs(120));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report[0]["status"], "refused", "{report:#}");
    let reason = report[0]["reason"].as_str().unwrap();
    assert!(reason.contains(&format!("{GIB} bytes, more than the {size}")), "{reason}");
    assert!(peak < BOUND_KIB, "import of a 1 GiB layer: {} MB resident", peak / 1024);
    assert!(!fresh.out("filesystem").exists(), "nothing of a refused image is left in out/");
}

/// Runs `args` with `127.evil.example` resolving to 127.0.0.1, as a hostile DNS answer
/// would make it: in a private mount namespace whose /etc/hosts says so. `None` when
/// this machine cannot make one (not root, no unshare), which CI must.
fn with_evil_name(tree: &Tree, args: &[&str], env: &[(&str, &str)]) -> Option<Output> {
    let hosts = tree.root.join("hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost\n127.0.0.1 127.evil.example\n").unwrap();
    let probe = Command::new("unshare").args(["--mount", "true"]).output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(std::env::var_os("CI").is_none(), "CI must run as root with unshare: the loopback test needs it");
        eprintln!("skipped: `unshare --mount` does not work here (root and util-linux needed)");
        return None;
    }
    let mut command = Command::new("unshare");
    command
        .args(["--mount", "sh", "-c", "mount --bind \"$0\" /etc/hosts && exec \"$@\""])
        .arg(&hosts)
        .arg(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("CAIRN_ROOT", &tree.root)
        .env_remove("CAIRN_OUT")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    eprintln!("$ xtask {} (127.evil.example is 127.0.0.1)\n{}", args.join(" "), text(&output.stderr));
    Some(output)
}

#[test]
fn credentials_never_go_in_the_clear_to_a_name_that_only_looks_like_loopback() {
    if !engine_or_skip() {
        return;
    }
    let tree = built_filesystem();
    let credentials = [("CAIRN_REGISTRY_USER", "alice"), ("CAIRN_REGISTRY_PASSWORD", "hunter2")];
    // A listener that asks for Basic credentials over plain HTTP, and records what came.
    let hostile = Hostile::start(|_| Reply::Unauthorized);
    let registry = format!("127.evil.example:{}/cairn", hostile.port);
    let leaked = |hostile: &Hostile| {
        hostile.requests().iter().any(|request| {
            let text = String::from_utf8_lossy(request).to_ascii_lowercase();
            text.contains("authorization") || text.contains("hunter2") || text.contains("YWxpY2U6aHVudGVyMg")
        })
    };

    // push and a substitute both speak HTTPS to it: a TLS handshake arrives, no password.
    let Some(output) = with_evil_name(&tree, &["push", &registry, "filesystem"], &credentials) else { return };
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(!leaked(&hostile), "credentials were sent in the clear");
    let requests = hostile.requests();
    assert!(!requests.is_empty(), "push reached the listener (127.evil.example resolved)");
    assert!(requests.iter().all(|r| r.first() == Some(&0x16)), "only TLS handshakes, no plain HTTP");
    std::fs::remove_dir_all(tree.out("filesystem")).unwrap();
    let args = ["build", "--json", "--substitute", &registry, "filesystem"];
    let output = with_evil_name(&tree, &args, &credentials).unwrap();
    assert!(output.status.success(), "the substitute fails, the package is built: {}", text(&output.stderr));
    assert!(!leaked(&hostile), "credentials were sent in the clear");
    assert!(hostile.requests().iter().all(|r| r.first() == Some(&0x16)), "only TLS handshakes, no plain HTTP");

    // With --plain-http, credentials for a host that is not loopback are refused before
    // anything is sent, and the error names the flag that would allow it.
    let before = hostile.requests().len();
    let output = with_evil_name(&tree, &["push", &registry, "filesystem", "--plain-http"], &credentials).unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--credentials-over-plain-http") && stderr.contains("not a loopback address"), "{stderr}");
    assert_eq!(hostile.requests().len(), before, "nothing was sent");
    assert!(!leaked(&hostile), "credentials were sent in the clear");

    // To a real loopback address they go, as asked (the registry refuses the push, having
    // asked for them: the listener is no registry).
    let local = format!("127.0.0.1:{}/cairn", hostile.port);
    let output = {
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
        command.args(["push", &local, "filesystem"]).env("CAIRN_ROOT", &tree.root).stdin(Stdio::null());
        command.envs(credentials).output().unwrap()
    };
    assert_eq!(output.status.code(), Some(2));
    assert!(leaked(&hostile), "to 127.0.0.1, credentials are sent when asked for");
}

#[test]
fn a_fifo_or_a_link_to_dev_zero_for_a_signature_is_refused_without_reading_it() {
    let tree = Tree::new(&["filesystem"]);
    tree.ok(&["list"]);
    let digest = entry(&tree, "filesystem")["digest"].as_str().unwrap().to_owned();
    let dir = tree.root.join("manifest/signatures/cairn").join(format!("filesystem@{}", digest.replace(':', "=")));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = std::ffi::CString::new(dir.join("signature-1").to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink("/dev/zero", dir.join("signature-2")).unwrap();
    let (output, peak) =
        measured(&tree, &["verify", "--threshold", "1", "filesystem", "--json"], &[], Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rejected = &report["images"][0]["rejected"];
    let reasons: Vec<(&str, &str)> = rejected
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["file"].as_str().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(reasons, [("signature-1", "unreadable"), ("signature-2", "unreadable")], "{rejected:#}");
    assert!(rejected[0]["detail"].as_str().unwrap().contains("a FIFO"), "{rejected:#}");
    assert!(rejected[1]["detail"].as_str().unwrap().contains("symbolic link"), "{rejected:#}");
    assert!(peak < BOUND_KIB, "{} MB resident", peak / 1024);
}

#[test]
fn a_host_the_registry_redirects_to_gets_no_credentials_whatever_realm_it_names() {
    if !engine_or_skip() {
        return;
    }
    let tree = built_filesystem();
    let (_, manifest, config_digest, config, layer, _) = recorded_blobs(&tree);
    // The token realm, which records what it is sent.
    let realm = Hostile::start(|_| Reply::Bytes(b"{\"token\":\"t\"}".to_vec()));
    // The host blobs are redirected to, which asks for credentials and names that realm.
    let realm_url = format!("http://127.0.0.1:{}/token", realm.port);
    let elsewhere = Hostile::start(move |_| Reply::Bearer(realm_url.clone()));
    let elsewhere_url = format!("http://127.0.0.1:{}", elsewhere.port);
    let registry = Hostile::start(move |path| {
        if path.contains("/manifests/") {
            Reply::Bytes(manifest.clone())
        } else if path.ends_with(&format!("/blobs/{config_digest}")) {
            Reply::Bytes(config.clone())
        } else if path.ends_with(&format!("/blobs/{layer}")) {
            Reply::Redirect(format!("{elsewhere_url}{path}"))
        } else {
            Reply::Bytes(b"{}".to_vec())
        }
    });
    std::fs::remove_dir_all(tree.out("filesystem")).unwrap();
    let mut tree = tree;
    tree.env("CAIRN_REGISTRY_USER", "alice");
    tree.env("CAIRN_REGISTRY_PASSWORD", "hunter2");
    let source = format!("127.0.0.1:{}/cairn", registry.port);
    let (ok, items) = tree.build(&["--substitute", &source, "filesystem"]);
    assert!(ok, "{items:#?}");
    assert_eq!(statuses(&items)["filesystem"].0, "built", "{items:#?}");
    assert!(!elsewhere.requests().is_empty(), "the layer was redirected there");
    let sent: Vec<String> = realm.requests().iter().map(|r| String::from_utf8_lossy(r).to_ascii_lowercase()).collect();
    assert!(sent.iter().all(|r| !r.contains("authorization")), "credentials went to the realm: {sent:?}");
    let log = std::fs::read_to_string(tree.root.join("out/logs/filesystem.log")).unwrap();
    assert!(log.contains("they go only to the registry named"), "{log}");
}
