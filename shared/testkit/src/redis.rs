//! A private `redis-server` per test: its own loopback port and temporary directory, durable
//! (append-only file, fsync on every write) so a test can SIGKILL it and see the data come back.
//! It never touches a shared Redis, and it is killed when dropped so no test leaves one behind.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BINARY: &str = "redis-server";
/// Loading a large append-only file after a restart can take a moment on a busy machine.
const READY_DEADLINE: Duration = Duration::from_secs(20);
const START_ATTEMPTS: usize = 5;

/// A `redis-server` child process owned by the test.
#[derive(Debug)]
pub struct RedisServer {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free loopback port and waits until it answers PING.
    pub async fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("redis-test-").tempdir().expect("temp dir for redis");
        let mut server = Self { dir, port: 0, child: None };
        let mut last_log = String::new();
        // A port that was free a moment ago may be taken by the time the server binds it.
        for _ in 0..START_ATTEMPTS {
            server.port = crate::free_port();
            match server.spawn_and_wait().await {
                Ok(()) => return server,
                Err(log) => last_log = log,
            }
        }
        panic!("redis-server did not start after {START_ATTEMPTS} attempts; last log:\n{last_log}");
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's working directory (append-only file, log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// SIGKILLs the server (no chance to flush anything) and starts it again on the same port
    /// and directory, returning once it answers PING: the data is whatever the AOF kept.
    pub async fn kill_and_restart(&mut self) {
        self.kill();
        if let Err(log) = self.spawn_and_wait().await {
            panic!("redis-server did not restart on port {}; log:\n{log}", self.port);
        }
    }

    /// Stops the server (SIGKILL: the AOF is fsynced on every write, so nothing is lost).
    pub async fn stop(&mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // std's kill is SIGKILL on Unix; wait reaps it so the port is free again.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    /// Spawns the server and waits for PONG; on failure returns the server's log.
    async fn spawn_and_wait(&mut self) -> Result<(), String> {
        let mut cmd = Command::new(BINARY);
        cmd.arg("--port")
            .arg(self.port.to_string())
            .args(["--bind", "127.0.0.1", "--daemonize", "no", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(self.log_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                panic!("`{BINARY}` is not installed: run the tests through scripts/test, which installs redis-server")
            }
            Err(e) => panic!("cannot spawn {BINARY}: {e}"),
        };
        self.child = Some(child);
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            if answers(self.port, self.dir.path()).await {
                return Ok(());
            }
            let exited = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() >= deadline {
                self.kill();
                return Err(std::fs::read_to_string(self.log_path()).unwrap_or_default());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// True once the server on `port` answers `+PONG` (not `-LOADING` while it replays the AOF) and
/// is ours: its working directory is `dir`. A server another test started on a port we were
/// also handed must not pass for ours.
async fn answers(port: u16, dir: &Path) -> bool {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let dir = dir.to_string_lossy().into_owned();
    let attempt = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        stream.write_all(b"PING\r\nCONFIG GET dir\r\n").await.ok()?;
        let mut reply = Vec::new();
        let mut buf = [0u8; 1024];
        // Both replies end with the directory; stop reading once it arrived.
        while !String::from_utf8_lossy(&reply).contains(&format!("{dir}\r\n")) {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buf[..n]);
        }
        let reply = String::from_utf8_lossy(&reply);
        Some(reply.starts_with("+PONG") && reply.contains(&format!("{dir}\r\n")))
    };
    tokio::time::timeout(Duration::from_millis(500), attempt).await.ok().flatten().unwrap_or(false)
}

/// A key prefix no other test shares, e.g. `test:dedup:1a2b3c-4d5e6f-7`, so tests can share
/// one server without seeing each other's keys.
pub fn unique_prefix(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("test:{tag}:{:x}-{nanos:x}-{n}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn command(port: u16, line: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream.write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
        let mut buf = [0u8; 256];
        let n = stream.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[tokio::test]
    async fn data_survives_sigkill_and_restart_on_the_same_port() {
        let mut server = RedisServer::start().await;
        let port = server.port();
        assert_eq!(command(port, "SET k v").await, "+OK\r\n");
        server.kill_and_restart().await;
        assert_eq!(server.port(), port);
        assert_eq!(command(port, "GET k").await, "$1\r\nv\r\n");
        server.stop().await;
        assert!(!answers(port, server.dir()).await, "stopped server still answers");
    }

    #[tokio::test]
    async fn a_server_in_another_directory_is_not_ours() {
        let server = RedisServer::start().await;
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(answers(server.port(), server.dir()).await);
        assert!(!answers(server.port(), elsewhere.path()).await);
    }

    #[test]
    fn prefixes_are_unique() {
        assert_ne!(unique_prefix("a"), unique_prefix("a"));
        assert!(unique_prefix("tag").starts_with("test:tag:"));
    }
}
