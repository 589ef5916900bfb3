//! The environment as a value, so that tests feed a map instead of mutating the process
//! environment (which races with other test threads).

use std::collections::BTreeMap;
use std::fmt;

/// Environment variables by name.
#[derive(Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// An environment with exactly these variables.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self { vars: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect() }
    }

    /// A snapshot of the process environment. Variables that are not valid UTF-8 are kept with
    /// replacement characters, so that a bad value is reported by validation instead of looking
    /// unset.
    pub fn from_process() -> Self {
        Self::from_pairs(
            std::env::vars_os().map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned())),
        )
    }

    /// The variable's value; an empty (or blank) value counts as unset, because compose files
    /// pass `VAR: ${VAR:-}` for variables the operator did not set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self::from_pairs(iter)
    }
}

impl fmt::Debug for Env {
    // Names only: the environment holds secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}
