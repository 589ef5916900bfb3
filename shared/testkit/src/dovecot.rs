//! A private Dovecot per test: Debian's `dovecot-core` (2.3) serving only the doveadm HTTP API on
//! a loopback port, with its own base, state and log directories and a passwd-file of two users in
//! a temporary directory. It never reads or touches the system's Dovecot config or sockets, and it
//! is stopped when dropped.

use std::fmt::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = "/usr/sbin/dovecot";
/// The config below is 2.3 syntax; 2.4 rewrote passdb/userdb blocks and requires
/// `dovecot_config_version`, so another version must get its own config, not a silent failure.
const SUPPORTED_VERSION: &str = "2.3.";
const READY_DEADLINE: Duration = Duration::from_secs(20);
const STOP_DEADLINE: Duration = Duration::from_secs(5);
const START_ATTEMPTS: usize = 5;

/// The passdb/userdb users, each with the password `<user>-password`.
pub const USERS: [&str; 2] = ["alice", "bob"];

/// A `dovecot -F` master process owned by the test.
#[derive(Debug)]
pub struct DovecotServer {
    dir: tempfile::TempDir,
    port: u16,
    api_key: String,
    password: String,
    child: Option<Child>,
}

impl DovecotServer {
    /// Starts Dovecot on a free loopback port and waits until its doveadm HTTP API answers our
    /// API key (so a server another test started on the same port does not pass for ours).
    pub async fn start() -> Self {
        check_installed();
        let dir = tempfile::Builder::new().prefix("dovecot-test-").tempdir().expect("temp dir for dovecot");
        // Dovecot's unprivileged service users (dovecot, dovenull) must reach base_dir and the
        // passwd-file inside it.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod dovecot dir");
        let mut server = Self { dir, port: 0, api_key: secret(), password: secret(), child: None };
        server.write_users();
        let mut last_log = String::new();
        for _ in 0..START_ATTEMPTS {
            server.port = crate::free_port();
            match server.spawn_and_wait().await {
                Ok(()) => return server,
                Err(log) => last_log = log,
            }
        }
        panic!("dovecot did not start after {START_ATTEMPTS} attempts; last log:\n{last_log}");
    }

    /// The base URL of the doveadm HTTP API, `http://127.0.0.1:<port>` (no `/doveadm/v1`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `doveadm_api_key`, in clear (the client base64-encodes it).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// `doveadm_password`, for HTTP Basic `doveadm:<password>`.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The server's temporary directory (config, log, base_dir, state_dir).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Dovecot's log so far (every doveadm request is logged with its status).
    pub fn log(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!("{}{}", read("dovecot.stderr"), read("dovecot.log"))
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join("dovecot.conf")
    }

    fn write_users(&self) {
        let mut users = String::new();
        for user in USERS {
            let home = self.dir.path().join("home").join(user);
            writeln!(users, "{user}:{{PLAIN}}{user}-password:1000:1000::{}", home.display()).expect("format users");
        }
        let path = self.dir.path().join("users");
        std::fs::write(&path, users).expect("write dovecot users");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod dovecot users");
    }

    fn write_config(&self) {
        let dir = self.dir.path().display();
        let config = format!(
            r#"# Dovecot 2.3: only the doveadm HTTP API, no mail protocols.
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
instance_name = dovecot-test-{port}
protocols =
listen = 127.0.0.1
ssl = no
mail_location = maildir:{dir}/mail/%u
doveadm_api_key = {api_key}
doveadm_password = {password}
passdb {{
  driver = passwd-file
  args = {dir}/users
}}
userdb {{
  driver = passwd-file
  args = {dir}/users
}}
service doveadm {{
  inet_listener http {{
    port = {port}
    address = 127.0.0.1
  }}
}}
"#,
            port = self.port,
            api_key = self.api_key,
            password = self.password,
        );
        std::fs::write(self.config_path(), config).expect("write dovecot.conf");
    }

    /// Spawns the master in the foreground and waits for the API; on failure returns the log.
    async fn spawn_and_wait(&mut self) -> Result<(), String> {
        self.write_config();
        let stderr = std::fs::File::create(self.dir.path().join("dovecot.stderr")).expect("create dovecot.stderr");
        let child = Command::new(BINARY)
            .arg("-F")
            .arg("-c")
            .arg(self.config_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {BINARY}: {e}"));
        self.child = Some(child);
        let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("http client");
        let deadline = Instant::now() + READY_DEADLINE;
        loop {
            if self.answers(&http).await {
                return Ok(());
            }
            let exited = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() >= deadline {
                self.stop();
                return Err(self.log());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn answers(&self, http: &reqwest::Client) -> bool {
        use base64::Engine as _;
        let key = base64::engine::general_purpose::STANDARD.encode(&self.api_key);
        let request =
            http.get(format!("{}/doveadm/v1", self.url())).header("Authorization", format!("X-Dovecot-API {key}"));
        request.send().await.is_ok_and(|r| r.status().is_success())
    }

    /// SIGTERM (the master stops its service processes), then SIGKILL if it lingers.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let pid = child.id().to_string();
        let termed = Command::new("kill").args(["-TERM", &pid]).status().is_ok_and(|s| s.success());
        let deadline = Instant::now() + STOP_DEADLINE;
        while termed && Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for DovecotServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Panics with what to do when Dovecot is missing, of another major version, or cannot start
/// because we are not root.
fn check_installed() {
    let output = match Command::new(BINARY).arg("--version").output() {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{BINARY}` is not installed: run the tests through scripts/test, which installs dovecot-core")
        }
        Err(e) => panic!("cannot run {BINARY} --version: {e}"),
    };
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        version.starts_with(SUPPORTED_VERSION),
        "dovecot {version:?} is installed, but testkit::dovecot writes {SUPPORTED_VERSION}x config syntax \
         (Debian bookworm's dovecot-core); add a config for this version"
    );
    let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0);
    assert_eq!(uid, 0, "dovecot's master must start as root (it drops to its service users); run the tests as root");
}

/// A random 32-character alphanumeric secret, fresh per server.
fn secret() -> String {
    use rand::Rng as _;
    use rand::distr::Alphanumeric;
    rand::rng().sample_iter(Alphanumeric).take(32).map(char::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_the_api_to_its_key_only_and_stops_on_drop() {
        let server = DovecotServer::start().await;
        let http = reqwest::Client::new();
        assert!(server.answers(&http).await);
        let wrong = http.get(format!("{}/doveadm/v1", server.url())).send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        assert_ne!(server.api_key(), server.password());
        let url = server.url();
        let dir = server.dir().to_path_buf();
        drop(server);
        assert!(http.get(&url).send().await.is_err(), "still listening after drop");
        assert!(!dir.exists(), "temporary directory left behind");
    }
}
