//! The sources of settings, read and layered by config-rs: the built-in defaults, then the file
//! (TOML, or the `NAME=value` lines of a `controller_config` file operators bring from the
//! original product), then the environment. What config-rs does not do is kept around it, in
//! `resolve.rs`: unknown keys with a suggestion, `*_FILE` secrets, every error at once, origins.

use std::collections::BTreeMap;

use config::{Config, Environment, File, FileStoredFormat, Format, Map, Value, ValueKind};

use crate::settings::ALL;

/// `NAME=value` lines: `#` comments and blank lines are skipped, the value may be in double or
/// single quotes, a name given twice is refused. Keys keep the name as written (upper case);
/// `resolve.rs` matches them to the table.
#[derive(Debug, Clone, Copy)]
struct Lines;

impl Format for Lines {
    fn parse(
        &self,
        uri: Option<&String>,
        text: &str,
    ) -> Result<Map<String, Value>, Box<dyn std::error::Error + Send + Sync>> {
        let mut out = Map::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                return Err(format!("line {}: expected NAME=value", n + 1).into());
            };
            let value = value.trim();
            let unquoted = ['"', '\''].iter().find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)));
            let value = Value::new(uri, ValueKind::String(unquoted.unwrap_or(value).to_owned()));
            if out.insert(name.trim().to_owned(), value).is_some() {
                return Err(format!("line {}: {} is given twice", n + 1, name.trim()).into());
            }
        }
        Ok(out)
    }
}

impl FileStoredFormat for Lines {
    fn file_extensions(&self) -> &'static [&'static str] {
        &[]
    }
}

/// Whether `text` is in the `NAME=value` format: every setting line starts with an upper-case
/// name and `=` (in TOML, keys are lower case; a mixed file is read as TOML and its upper-case
/// keys are reported as such).
pub(crate) fn is_lines(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).peekable();
    lines.peek().is_some()
        && lines.all(|l| {
            l.split_once('=').is_some_and(|(name, _)| {
                let name = name.trim();
                name.starts_with(|c: char| c.is_ascii_uppercase())
                    && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            })
        })
}

/// A file value as a setting reads it, or why it cannot be one.
pub(crate) fn scalar(value: &Value) -> Result<String, &'static str> {
    match &value.kind {
        ValueKind::String(s) => Ok(s.clone()),
        ValueKind::I64(i) => Ok(i.to_string()),
        ValueKind::I128(i) => Ok(i.to_string()),
        ValueKind::U64(i) => Ok(i.to_string()),
        ValueKind::U128(i) => Ok(i.to_string()),
        ValueKind::Boolean(b) => Ok(b.to_string()),
        _ => Err("must be a string, integer or boolean"),
    }
}

/// The file's top-level keys and values, or the one-line reason it cannot be read.
pub(crate) fn file_values(text: &str) -> Result<Map<String, Value>, String> {
    let read = if is_lines(text) {
        config::Source::collect(&File::from_str(text, Lines))
    } else {
        config::Source::collect(&File::from_str(text, config::FileFormat::Toml))
    };
    read.map_err(|e| one_line(&e.to_string()))
}

/// config-rs passes on the parser's message, which for TOML is a multi-line snippet; an error
/// list wants one line per error. Also for `cluster-sim`'s own file.
pub fn one_line(message: &str) -> String {
    if let Some(at) = message.find("at line ") {
        let line: String = message[at + 8..].chars().take_while(char::is_ascii_digit).collect();
        let reason = message.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or_default();
        return format!("not valid TOML at line {line}: {reason}");
    }
    message.lines().next().unwrap_or_default().trim().to_owned()
}

/// The three layers merged by config-rs, keyed by the lower-case setting name: a default, then
/// the file's value, then the environment's (only variables that name a setting, exactly).
pub(crate) fn layered(
    file: &BTreeMap<String, String>,
    env: &BTreeMap<String, String>,
) -> Result<Config, config::ConfigError> {
    let mut builder = Config::builder();
    for def in ALL {
        if let Some(default) = def.default {
            builder = builder.set_default(def.file_key(), default)?;
        }
    }
    let file: Map<String, String> = file.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let env: Map<String, String> = env.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
    builder.add_source(FileValues(file)).add_source(Environment::default().source(Some(env)).try_parsing(false)).build()
}

/// The file's checked values as a config-rs source.
#[derive(Debug, Clone)]
struct FileValues(Map<String, String>);

impl config::Source for FileValues {
    fn clone_into_box(&self) -> Box<dyn config::Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, Value>, config::ConfigError> {
        let uri = "the configuration file".to_owned();
        Ok(self.0.iter().map(|(k, v)| (k.clone(), Value::new(Some(&uri), ValueKind::String(v.clone())))).collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn controller_config_lines_are_read_like_toml() {
        let text = "# from the original product\nGEODB_URL=sqlite:///var/lib/geodb.sqlite\n\nQUEUE_PREFIX=\"c:par1\"\n";
        assert!(is_lines(text));
        let values = file_values(text).unwrap();
        assert_eq!(scalar(&values["GEODB_URL"]).unwrap(), "sqlite:///var/lib/geodb.sqlite");
        assert_eq!(scalar(&values["QUEUE_PREFIX"]).unwrap(), "c:par1");
        assert_eq!(scalar(&file_values("QUEUE_PREFIX='c:x'\n").unwrap()["QUEUE_PREFIX"]).unwrap(), "c:x");
        assert!(!is_lines("geodb_url = \"sqlite://x\"\n"));
        // A TOML file with one upper-case key stays TOML, so the key is reported as upper case.
        assert!(!is_lines("REDIS_URL = \"redis://a\"\nqueue_prefix = \"x\"\n"));
        assert!(!is_lines("# only a comment\n"));
        assert_eq!(file_values("GEODB_URL=x\nGEODB_URL=y\n").unwrap_err(), "line 2: GEODB_URL is given twice");
        assert!(file_values("[faults]\nGEODB_URL=x\n").unwrap_err().starts_with("not valid TOML"));
    }

    #[test]
    fn toml_errors_name_their_line_on_one_line() {
        let error = file_values("api_listen = \"127.0.0.1:1\"\ngeodb_url = \n").unwrap_err();
        assert!(error.starts_with("not valid TOML at line 2: "), "{error}");
        assert_eq!(error.lines().count(), 1, "{error}");
    }

    #[test]
    fn the_environment_wins_over_the_file_which_wins_over_the_default() {
        let file = BTreeMap::from([("queue_prefix".to_owned(), "from-file".to_owned())]);
        let env = BTreeMap::from([("WORKER_CONCURRENCY".to_owned(), "8".to_owned())]);
        let merged = layered(&file, &env).unwrap();
        assert_eq!(merged.get_string("queue_prefix").unwrap(), "from-file");
        assert_eq!(merged.get_string("worker_concurrency").unwrap(), "8");
        let both = BTreeMap::from([("QUEUE_PREFIX".to_owned(), "from-env".to_owned())]);
        assert_eq!(layered(&file, &both).unwrap().get_string("queue_prefix").unwrap(), "from-env");
        assert!(layered(&BTreeMap::new(), &BTreeMap::new()).unwrap().get_string("redis_url").is_ok());
    }
}
