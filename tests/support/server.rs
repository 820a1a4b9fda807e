//! A HiPS tile server for tests: plain HTTP/1.1 on 127.0.0.1 (a random port), serving a survey
//! folder, with faults injected per request. Served `properties` never point outside: their
//! `hips_service_url*` lines are replaced by this server's URL and the mirrors the test sets.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do to a request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer after a delay.
    Latency(Duration),
    /// Answer with this status and no body.
    Status(u16),
    /// Say nothing for this long, then close.
    Hang(Duration),
    /// Announce the whole body, send half, close.
    Truncate,
    /// Answer 200 with bytes that are no image.
    Garbage,
    /// Close the connection without answering.
    Drop,
    /// Send half the body without a Content-Length, then close.
    TruncateUnannounced,
    /// Answer 200 without a Content-Length and send bytes until the client goes away (at most
    /// 20 s or 2 GiB, so the test server stops by itself).
    Endless,
    /// Answer 302 to the requested path with its first `.0` replaced by `.1` (a whole URL
    /// prefix, so it may lead to another host).
    Redirect(String, String),
    /// Answer with this body instead of the file.
    Body(Vec<u8>),
}

struct Rule {
    path_contains: String,
    fault: Fault,
    /// Applies to this many matching requests (then stops); `None`: always.
    remaining: Option<usize>,
}

#[derive(Default)]
struct State {
    root: PathBuf,
    rules: Mutex<Vec<Rule>>,
    counts: Mutex<HashMap<String, usize>>,
    mirrors: Mutex<Vec<String>>,
    own_url: Mutex<String>,
    active: AtomicUsize,
    max_active: AtomicUsize,
}

pub struct TestServer {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl TestServer {
    /// Serves `root` until the test process ends.
    pub fn start(root: &Path) -> TestServer {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let state = Arc::new(State {
            root: root.to_path_buf(),
            ..Default::default()
        });
        *state.own_url.lock().unwrap() = format!("http://{addr}");
        let st = Arc::clone(&state);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let st = Arc::clone(&st);
                    tokio::spawn(async move { serve_connection(stream, st).await });
                }
            });
        });
        TestServer { addr, state }
    }

    /// Serves `root`, every tile request answered after `latency`.
    pub fn start_slow(root: &Path, latency: Duration) -> TestServer {
        let server = TestServer::start(root);
        server.fault("Norder", Fault::Latency(latency), None);
        server
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Applies `fault` to the next `times` requests whose path contains `path_contains`
    /// (`None`: to all of them).
    pub fn fault(&self, path_contains: &str, fault: Fault, times: Option<usize>) {
        self.state.rules.lock().unwrap().push(Rule {
            path_contains: path_contains.to_string(),
            fault,
            remaining: times,
        });
    }

    /// The mirrors listed in served `properties` (after this server's own URL).
    pub fn set_mirrors(&self, mirrors: Vec<String>) {
        *self.state.mirrors.lock().unwrap() = mirrors;
    }

    /// Requests received whose path contains `filter`.
    pub fn requests(&self, filter: &str) -> usize {
        self.state
            .counts
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.contains(filter))
            .map(|(_, n)| n)
            .sum()
    }

    /// How many times each path was requested.
    pub fn request_counts(&self) -> HashMap<String, usize> {
        self.state.counts.lock().unwrap().clone()
    }

    /// The most requests handled at the same time.
    pub fn max_concurrent(&self) -> usize {
        self.state.max_active.load(Ordering::SeqCst)
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

async fn serve_connection(mut stream: TcpStream, state: Arc<State>) {
    loop {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match stream.read(&mut byte).await {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
            if head.len() > 16 * 1024 {
                return;
            }
        }
        let text = String::from_utf8_lossy(&head);
        let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
        *state
            .counts
            .lock()
            .unwrap()
            .entry(path.clone())
            .or_default() += 1;
        let now = state.active.fetch_add(1, Ordering::SeqCst) + 1;
        state.max_active.fetch_max(now, Ordering::SeqCst);
        let keep_open = respond(&mut stream, &state, &path).await;
        state.active.fetch_sub(1, Ordering::SeqCst);
        if !keep_open {
            return;
        }
    }
}

fn take_fault(state: &State, path: &str) -> Option<Fault> {
    let mut rules = state.rules.lock().unwrap();
    for rule in rules.iter_mut() {
        if path.contains(&rule.path_contains) && rule.remaining != Some(0) {
            if let Some(n) = rule.remaining.as_mut() {
                *n -= 1;
            }
            return Some(rule.fault.clone());
        }
    }
    None
}

fn body_for(state: &State, path: &str) -> Option<Vec<u8>> {
    let rel = path.trim_start_matches('/');
    if rel.split('/').any(|p| p == "..") {
        return None;
    }
    let bytes = std::fs::read(state.root.join(rel)).ok()?;
    if rel != "properties" {
        return Some(bytes);
    }
    let mut text: String = String::from_utf8_lossy(&bytes)
        .lines()
        .filter(|l| {
            !l.trim_start().starts_with("hips_service_url")
                && !l.trim_start().starts_with("moc_access_url")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str(&format!(
        "hips_service_url = {}\n",
        state.own_url.lock().unwrap()
    ));
    for (k, m) in state.mirrors.lock().unwrap().iter().enumerate() {
        text.push_str(&format!("hips_service_url_{} = {m}\n", k + 1));
    }
    Some(text.into_bytes())
}

/// Answers one request; returns whether the connection stays open.
async fn respond(stream: &mut TcpStream, state: &State, path: &str) -> bool {
    let fault = take_fault(state, path);
    if let Some(Fault::Latency(d)) = &fault {
        tokio::time::sleep(*d).await;
    }
    let body = body_for(state, path);
    let send = |status: &str, body: &[u8], len: usize| {
        let mut out = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {len}\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    };
    let reply = match (&fault, body) {
        (Some(Fault::Drop), _) => return false,
        (Some(Fault::Hang(d)), _) => {
            tokio::time::sleep(*d).await;
            return false;
        }
        (Some(Fault::Status(code)), _) => send(&format!("{code} Injected"), b"", 0),
        (Some(Fault::Endless), _) => {
            endless(stream).await;
            return false;
        }
        (Some(Fault::Redirect(from, to)), _) => {
            let location = path.replacen(from.as_str(), to, 1);
            let head =
                format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
            head.into_bytes()
        }
        (Some(Fault::Body(bytes)), _) => send("200 OK", bytes, bytes.len()),
        (_, None) => send("404 Not Found", b"", 0),
        (Some(Fault::Truncate), Some(body)) => {
            let out = send("200 OK", &body[..body.len() / 2], body.len());
            let _ = stream.write_all(&out).await;
            return false;
        }
        (Some(Fault::TruncateUnannounced), Some(body)) => {
            let mut out = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
            out.extend_from_slice(&body[..body.len() / 2]);
            let _ = stream.write_all(&out).await;
            return false;
        }
        (Some(Fault::Garbage), Some(body)) => {
            let junk: Vec<u8> = (0..body.len()).map(|k| (k * 7919 % 251) as u8).collect();
            send("200 OK", &junk, junk.len())
        }
        (_, Some(body)) => send("200 OK", &body, body.len()),
    };
    stream.write_all(&reply).await.is_ok()
}

/// Streams zeros without a Content-Length until the client closes, 20 s pass or 2 GiB are sent.
async fn endless(stream: &mut TcpStream) {
    let head = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
    if stream.write_all(head).await.is_err() {
        return;
    }
    let chunk = vec![0u8; 64 * 1024];
    let start = std::time::Instant::now();
    for _ in 0..(2usize << 30) / chunk.len() {
        if start.elapsed() > Duration::from_secs(20) || stream.write_all(&chunk).await.is_err() {
            return;
        }
    }
}
