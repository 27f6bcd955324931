//! Binaryen's `--fuzz-exec-before` output read back into lines the check
//! can compare: one `Ref` per event binaryen printed.

/// One line (or, for a multi-value result, a group of lines) of
/// binaryen's output.
#[derive(Clone, Debug, PartialEq)]
pub enum RefLine {
    /// `[fuzz-exec] export NAME`: an export is about to run.
    Export(String),
    /// `[LoggingExternalInterface logging V...]` (`branch`: `log-branch`
    /// instead of `logging`), with the values' text.
    Log {
        /// Whether binaryen wrote `log-branch`.
        branch: bool,
        /// The logged values as printed.
        text: String,
    },
    /// `[fuzz-exec] note result: NAME => V` and one further line per extra
    /// value; `text` joins the values with spaces.
    Result {
        /// The export.
        name: String,
        /// The results as printed.
        text: String,
    },
    /// `[trap MESSAGE]`.
    Trap(String),
    /// `[exception thrown: TAG V...]`.
    Exception(String),
    /// `[host limit MESSAGE]`: binaryen's interpreter hit one of its own
    /// limits, and binaryen ignores the module's results from there on.
    HostLimit(String),
    /// Anything else binaryen printed to standard output.
    Other(String),
}

impl std::fmt::Display for RefLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefLine::Export(n) => write!(f, "[fuzz-exec] export {n}"),
            RefLine::Log { branch, text } => {
                let word = if *branch { "log-branch" } else { "logging" };
                write!(f, "[LoggingExternalInterface {word} {text}]")
            }
            RefLine::Result { name, text } => {
                write!(f, "[fuzz-exec] note result: {name} => {text}")
            }
            RefLine::Trap(m) => write!(f, "[trap {m}]"),
            RefLine::Exception(t) => write!(f, "[exception thrown: {t}]"),
            RefLine::HostLimit(m) => write!(f, "[host limit {m}]"),
            RefLine::Other(t) => f.write_str(t),
        }
    }
}

/// Parses what `wasm-opt --fuzz-exec-before` wrote to standard output.
/// Lines that are not events (`warning: ...`, blank) are dropped.
pub fn parse(stdout: &str) -> Vec<RefLine> {
    let mut out: Vec<RefLine> = Vec::new();
    for line in stdout.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with("warning:") {
            continue;
        }
        let inner = line.strip_prefix('[').and_then(|l| l.strip_suffix(']'));
        let parsed = if let Some(name) = line.strip_prefix("[fuzz-exec] export ") {
            RefLine::Export(name.to_string())
        } else if let Some(rest) = line.strip_prefix("[fuzz-exec] note result: ") {
            match rest.split_once(" => ") {
                Some((name, text)) => RefLine::Result {
                    name: name.to_string(),
                    text: text.to_string(),
                },
                None => RefLine::Other(line.to_string()),
            }
        } else if let Some(text) =
            inner.and_then(|l| l.strip_prefix("LoggingExternalInterface logging"))
        {
            RefLine::Log {
                branch: false,
                text: text.trim_start().to_string(),
            }
        } else if let Some(text) =
            inner.and_then(|l| l.strip_prefix("LoggingExternalInterface log-branch"))
        {
            RefLine::Log {
                branch: true,
                text: text.trim_start().to_string(),
            }
        } else if let Some(m) = inner.and_then(|l| l.strip_prefix("trap ")) {
            RefLine::Trap(m.to_string())
        } else if let Some(t) = inner.and_then(|l| l.strip_prefix("exception thrown: ")) {
            RefLine::Exception(t.to_string())
        } else if let Some(m) = inner.and_then(|l| l.strip_prefix("host limit ")) {
            RefLine::HostLimit(m.to_string())
        } else if !line.starts_with('[') {
            // The second and later values of a multi-value result.
            if let Some(RefLine::Result { text, .. }) = out.last_mut() {
                text.push(' ');
                text.push_str(line);
                continue;
            }
            RefLine::Other(line.to_string())
        } else {
            RefLine::Other(line.to_string())
        };
        out.push(parsed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_kind_of_line() {
        let text = "[fuzz-exec] export a\n\
            [LoggingExternalInterface logging 878082192 18]\n\
            [fuzz-exec] note result: a => externref(105)\n\
            i32x4 0x00000000 0x80000000 0x0000007f 0x00000000\n\
            object(null)\n\
            [fuzz-exec] export b\n\
            [exception thrown: tag$ 1 2.5]\n\
            [trap null ref]\n\
            [host limit allocation failure]\n\
            warning: no passes specified, not doing any work\n";
        let lines = parse(text);
        assert_eq!(
            lines,
            vec![
                RefLine::Export("a".into()),
                RefLine::Log {
                    branch: false,
                    text: "878082192 18".into()
                },
                RefLine::Result {
                    name: "a".into(),
                    text: "externref(105) i32x4 0x00000000 0x80000000 0x0000007f 0x00000000 object(null)"
                        .into()
                },
                RefLine::Export("b".into()),
                RefLine::Exception("tag$ 1 2.5".into()),
                RefLine::Trap("null ref".into()),
                RefLine::HostLimit("allocation failure".into()),
            ]
        );
    }
}
