//! Configuration errors. Loading collects all of them before failing (linkerd2-proxy's env
//! parsing does the same): one run shows the operator everything that is wrong.

use std::fmt;
use std::path::PathBuf;

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default (or a default derived from other settings).
    Default,
    /// The TOML configuration file.
    File(PathBuf),
    /// An environment variable named like the setting.
    Env,
    /// The trimmed contents of the file named by `<NAME>_FILE`.
    EnvFile { var: String, path: PathBuf },
    /// A command-line argument (`--config`).
    CommandLine,
    /// Not set anywhere, and without a default.
    Unset,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::Env => f.write_str("environment"),
            Self::EnvFile { var, path } => write!(f, "environment {var}={}", path.display()),
            Self::CommandLine => f.write_str("command line"),
            Self::Unset => f.write_str("not set"),
        }
    }
}

/// One bad setting. The message never contains the value, which may be a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting} ({origin}): {message}")]
pub struct ConfigError {
    /// The setting's name (`GEODB_URL`), or the unknown key as written in the file.
    pub setting: String,
    pub origin: Origin,
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(setting: impl Into<String>, origin: Origin, message: impl Into<String>) -> Self {
        Self { setting: setting.into(), origin, message: message.into() }
    }
}

/// Every configuration error found in one load, displayed one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", lines(.0))]
pub struct ConfigErrors(pub Vec<ConfigError>);

fn lines(errors: &[ConfigError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

impl ConfigErrors {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}
