//! A minimal reader of the Prometheus text exposition format: enough to pick gauges by name
//! from a backend's `/metrics` page. Comments, timestamps and unknown lines are skipped;
//! label values may contain escaped quotes, backslashes and newlines.

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    /// A label's value, if set.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Every well-formed sample line of the page.
pub fn parse(page: &str) -> impl Iterator<Item = Sample> + '_ {
    page.lines().filter_map(parse_line)
}

/// One line: `name{l="v",...} value [timestamp]`, or `None` for comments and malformed lines.
pub fn parse_line(line: &str) -> Option<Sample> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace()).unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() {
        return None;
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(body) = rest.strip_prefix('{') {
        let (parsed, after) = parse_labels(body)?;
        labels = parsed;
        rest = after;
    }
    let value = parse_value(rest.split_whitespace().next()?)?;
    Some(Sample { name: name.to_string(), labels, value })
}

/// Labels up to the closing brace; returns them and the text after the brace.
fn parse_labels(mut s: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        s = s.trim_start().trim_start_matches(',').trim_start();
        if let Some(after) = s.strip_prefix('}') {
            return Some((labels, after));
        }
        let eq = s.find('=')?;
        let key = s[..eq].trim().to_string();
        s = s[eq + 1..].trim_start().strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = s.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (_, c) => value.push(c),
            }
        };
        labels.push((key, value));
        s = &s[end + 1..];
    }
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sims_lines() {
        let page = "# HELP x y\n# TYPE dovecot_cluster_sim_memory_used_ratio gauge\n\
                    dovecot_cluster_sim_memory_used_ratio{site=\"sim\",host=\"b1.sim.sim\"} 0.45\n\
                    node_cpu_seconds_total{site=\"sim\",host=\"b1\",cpu=\"0\",mode=\"idle\"} 12.5 1700000000\n\
                    plain 3\n\nbroken{a=\"1\" \nnovalue{}\n";
        let samples: Vec<Sample> = parse(page).collect();
        assert_eq!(samples.len(), 3, "{samples:?}");
        assert_eq!(samples[0].name, "dovecot_cluster_sim_memory_used_ratio");
        assert_eq!(samples[0].label("host"), Some("b1.sim.sim"));
        assert_eq!(samples[0].value, 0.45);
        assert_eq!(samples[1].label("mode"), Some("idle"));
        assert_eq!(samples[1].value, 12.5);
        assert_eq!(samples[2], Sample { name: "plain".into(), labels: vec![], value: 3.0 });
    }

    #[test]
    fn escapes_and_special_values() {
        let s = parse_line(r#"m{a="q\"uo,te}",b="back\\slash",c="new\nline",} +Inf"#).unwrap();
        assert_eq!(s.label("a"), Some("q\"uo,te}"));
        assert_eq!(s.label("b"), Some("back\\slash"));
        assert_eq!(s.label("c"), Some("new\nline"));
        assert!(s.value.is_infinite());
        assert!(parse_line("m NaN").unwrap().value.is_nan());
        assert_eq!(parse_line("m 1e-3").unwrap().value, 0.001);
        assert_eq!(parse_line("m abc"), None);
    }
}
