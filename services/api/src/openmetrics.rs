//! A small OpenMetrics text writer for gauges: families in the order they were declared, each
//! with its HELP and TYPE once, label values escaped, `# EOF` last. Pure; no I/O.

use std::fmt::Write;

/// The content type Prometheus asks for first and that this writer produces.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// One gauge family and its samples.
#[derive(Debug, Clone)]
pub struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Family {
    pub fn gauge(name: &'static str, help: &'static str) -> Self {
        Self { name, help, samples: Vec::new() }
    }

    pub fn push(&mut self, labels: &[(&'static str, &str)], value: f64) {
        self.samples.push((labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(), value));
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// The exposition of `families`; a family without samples still shows its HELP and TYPE, so a
/// scraper learns the name before the first sample exists.
pub fn render(families: &[Family]) -> String {
    let mut out = String::with_capacity(families.iter().map(|f| 64 + f.samples.len() * 80).sum());
    for family in families {
        let _ = writeln!(out, "# HELP {} {}", family.name, escape_help(family.help));
        let _ = writeln!(out, "# TYPE {} gauge", family.name);
        for (labels, value) in &family.samples {
            out.push_str(family.name);
            if !labels.is_empty() {
                out.push('{');
                for (i, (key, value)) in labels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{key}=\"{}\"", escape_label(value));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {}", number(*value));
        }
    }
    out.push_str("# EOF\n");
    out
}

fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf".to_owned() } else { "-Inf".to_owned() }
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_render_once_each_with_escaped_labels_and_end_with_eof() {
        let mut up = Family::gauge("x_up", "Whether x is up");
        up.push(&[("site", "a\"b\\c\nd")], 1.0);
        up.push(&[("site", "plain")], 0.25);
        let empty = Family::gauge("x_empty", "Nothing yet");
        let text = render(&[up, empty]);
        assert_eq!(
            text,
            "# HELP x_up Whether x is up\n# TYPE x_up gauge\nx_up{site=\"a\\\"b\\\\c\\nd\"} 1\nx_up{site=\"plain\"} 0.25\n\
             # HELP x_empty Nothing yet\n# TYPE x_empty gauge\n# EOF\n"
        );
    }

    #[test]
    fn special_values_use_openmetrics_spellings() {
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(number(-3.0), "-3");
        assert_eq!(number(1e20), "100000000000000000000");
    }
}
