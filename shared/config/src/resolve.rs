//! Layering: for each setting, the environment (`NAME`, or `NAME_FILE` for secrets) wins over
//! the file (TOML or `NAME=value` lines), which wins over the default; config-rs reads the file
//! and merges the layers (`sources.rs`). Errors are collected, never returned early, so one load
//! reports everything; the effective values are recorded (redacted) for printing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{ConfigError, Origin};
use crate::render::{self, Effective};
use crate::settings::{ALL, Def, Setting};
use crate::sources;
use crate::{CONFIG_PATH_ENV, Service};

/// Collects values, errors and the record of effective values for one load.
pub(crate) struct Resolver<'a> {
    service: Service,
    env: &'a Env,
    file_path: Option<PathBuf>,
    file: BTreeMap<String, String>,
    errors: Vec<ConfigError>,
    effective: Vec<Effective>,
    /// The layers merged by config-rs (after the file was read).
    merged: Option<config::Config>,
}

impl<'a> Resolver<'a> {
    /// Reads the TOML file, if one is named; its problems are the first errors reported.
    pub(crate) fn new(service: Service, config_path: Option<&Path>, env: &'a Env) -> Self {
        let mut this = Self {
            service,
            env,
            file_path: None,
            file: BTreeMap::new(),
            errors: Vec::new(),
            effective: Vec::new(),
            merged: None,
        };
        let named = match (config_path, env.get(CONFIG_PATH_ENV)) {
            (Some(path), _) => Some((path.to_path_buf(), "--config", Origin::CommandLine)),
            (None, Some(path)) => Some((PathBuf::from(path), CONFIG_PATH_ENV, Origin::Env)),
            (None, None) => None,
        };
        if let Some((path, setting, origin)) = named {
            match std::fs::read_to_string(&path) {
                Ok(text) => this.read_file(&path, &text),
                Err(e) => {
                    this.errors.push(ConfigError::new(setting, origin, format!("cannot read {}: {e}", path.display())))
                }
            }
            this.file_path = Some(path);
        }
        let named: BTreeMap<String, String> =
            ALL.iter().filter_map(|def| env.get(def.name).map(|v| (def.name.to_owned(), v.to_owned()))).collect();
        match sources::layered(&this.file, &named) {
            Ok(merged) => this.merged = Some(merged),
            Err(e) => this.errors.push(ConfigError::new(CONFIG_PATH_ENV, Origin::Unset, format!("cannot layer: {e}"))),
        }
        this
    }

    fn read_file(&mut self, path: &Path, text: &str) {
        let origin = || Origin::File(path.to_path_buf());
        let table = match sources::file_values(text) {
            Ok(table) => table,
            Err(message) => {
                self.errors.push(ConfigError::new(CONFIG_PATH_ENV, origin(), message));
                return;
            }
        };
        // `NAME=value` files name settings as the environment does; TOML keys are lower case.
        let lines = sources::is_lines(text);
        for (key, value) in table {
            let found = ALL.iter().find(|def| if lines { def.name == key } else { def.file_key() == key });
            let Some(def) = found else {
                let hint = match suggest(&key) {
                    Some(known) if lines => format!("; did you mean {}?", known.to_ascii_uppercase()),
                    Some(known) if known == key.to_ascii_lowercase() => {
                        format!("; keys are lower case: {known}")
                    }
                    Some(known) => format!("; did you mean {known}?"),
                    None => String::new(),
                };
                self.errors.push(ConfigError::new(key, origin(), format!("unknown setting{hint}")));
                continue;
            };
            let value = match sources::scalar(&value) {
                Ok(value) => value,
                Err(message) => {
                    self.errors.push(ConfigError::new(def.name, origin(), message));
                    continue;
                }
            };
            let value = value.trim();
            if !value.is_empty() {
                self.file.insert(def.file_key(), value.to_owned());
            }
        }
    }

    /// The setting's value, or `None` when it is unset or invalid (the error is recorded).
    pub(crate) fn get<T>(&mut self, setting: &'static Setting<T>) -> Option<T> {
        let def = &setting.def;
        let found = self.lookup(def).unwrap_or_else(|e| {
            self.errors.push(e);
            None
        });
        let Some((raw, origin)) = found else {
            self.effective.push(Effective { def, value: None, origin: Origin::Unset });
            return None;
        };
        let value = Some(render::redact(def, &raw));
        self.effective.push(Effective { def, value, origin: origin.clone() });
        match (setting.parse)(&raw) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                self.errors.push(ConfigError::new(def.name, origin, message));
                None
            }
        }
    }

    fn lookup(&self, def: &Def) -> Result<Option<(String, Origin)>, ConfigError> {
        let direct = self.env.get(def.name);
        let file_var = def.file_var().and_then(|var| self.env.get(&var).map(|path| (var, PathBuf::from(path))));
        match (direct, file_var) {
            (Some(_), Some((var, _))) => {
                Err(ConfigError::new(def.name, Origin::Env, format!("set either {} or {var}, not both", def.name)))
            }
            (Some(_), None) => Ok(self.layer(def).map(|value| (value, Origin::Env))),
            (None, Some((var, path))) => {
                let read = std::fs::read_to_string(&path);
                let origin = Origin::EnvFile { var, path };
                match read {
                    Ok(contents) if !contents.trim().is_empty() => Ok(Some((contents.trim().to_owned(), origin))),
                    Ok(_) => Err(ConfigError::new(def.name, origin, "the file is empty")),
                    Err(e) => Err(ConfigError::new(def.name, origin, format!("cannot read the file: {e}"))),
                }
            }
            (None, None) => {
                let origin = if self.file.contains_key(&def.file_key()) {
                    Origin::File(self.file_path.clone().unwrap_or_default())
                } else {
                    Origin::Default
                };
                let found = self.layer(def).map(|value| (value, origin));
                if found.is_none() && def.required_by.contains(&self.service) {
                    let message = format!("required by {}", self.service);
                    return Err(ConfigError::new(def.name, Origin::Unset, message));
                }
                Ok(found)
            }
        }
    }

    /// The setting's value after layering (config-rs), if any layer has one.
    fn layer(&self, def: &Def) -> Option<String> {
        self.merged.as_ref().and_then(|merged| merged.get_string(&def.file_key()).ok())
    }

    /// Records a default that depends on other settings, for a setting that was not given.
    pub(crate) fn derived_default(&mut self, def: &'static Def, value: &str) {
        if let Some(e) = self.effective.iter_mut().find(|e| e.def.name == def.name && e.origin == Origin::Unset) {
            e.value = Some(value.to_owned());
            e.origin = Origin::Default;
        }
    }

    /// Where a setting's value came from (after [`Resolver::get`] was called for it).
    pub(crate) fn origin(&self, def: &Def) -> Origin {
        self.effective.iter().find(|e| e.def.name == def.name).map_or(Origin::Unset, |e| e.origin.clone())
    }

    pub(crate) fn error(&mut self, error: ConfigError) {
        self.errors.push(error);
    }

    /// The errors, the effective values and the file that was read.
    pub(crate) fn finish(self) -> (Vec<ConfigError>, Vec<Effective>, Option<PathBuf>) {
        (self.errors, self.effective, self.file_path)
    }
}

/// The known file key closest to `key`, when it is close enough to be a typo.
fn suggest(key: &str) -> Option<String> {
    let lower = key.to_ascii_lowercase();
    ALL.iter()
        .map(|def| def.file_key())
        .map(|known| (edit_distance(&lower, &known), known))
        // Up to one edit per three characters (at most three): closer than any two real names.
        .filter(|(distance, _)| *distance <= (lower.len() / 3).clamp(1, 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance over bytes; setting names are ASCII.
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
