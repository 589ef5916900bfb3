//! The workspace's real binaries, for end-to-end tests. A binary is built on first use when
//! the test runner did not build it already, so `cargo test` alone works.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Mutex;

static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// The target directory this test binary was built into (`target/<profile>`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test-binary>
    exe.parent().and_then(Path::parent).map(Path::to_path_buf).expect("test binary lives in target/<profile>/deps")
}

/// Path to the workspace binary `name`, building its package if it is missing.
pub fn binary_path(name: &str) -> PathBuf {
    let path = profile_dir().join(name);
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let release = profile_dir().file_name().is_some_and(|p| p == "release");
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--bin", name]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("run cargo build");
        assert!(status.success(), "cargo build --bin {name} failed");
    }
    path
}

/// Kills the child when dropped, so a failing test leaves no process behind.
#[derive(Debug)]
pub struct ChildGuard(pub Child);

impl ChildGuard {
    pub fn spawn(cmd: &mut Command) -> Self {
        Self(cmd.spawn().expect("spawn child process"))
    }

    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
