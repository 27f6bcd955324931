//! Converting names between WIT's kebab-case and Rust's conventions, in
//! both directions: bindgen! names Rust items after WIT ones, and the
//! derives name WIT fields and cases after Rust ones.

/// Rust's keywords (strict, reserved and 2018+), which a converted name
/// must not be: it gets a trailing `_` instead (`type` → `type_`), as raw
/// identifiers cannot spell `self` or `Self`.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "abstract", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

fn escape(name: String) -> String {
    if KEYWORDS.contains(&name.as_str()) {
        name + "_"
    } else {
        name
    }
}

/// `kebab-name` → `kebab_name`.
pub fn snake(wit: &str) -> String {
    escape(wit.to_ascii_lowercase().replace('-', "_"))
}

/// `kebab-name` → `KebabName` (an all-caps word such as `HTTP` becomes
/// `Http`, as Rust's naming lint wants).
pub fn camel(wit: &str) -> String {
    let mut out = String::with_capacity(wit.len());
    for word in wit.split('-') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    escape(out)
}

/// `kebab-name` → `KEBAB_NAME`.
pub fn shouty(wit: &str) -> String {
    escape(wit.to_ascii_uppercase().replace('-', "_"))
}

/// A Rust identifier as written, without `r#` or the `_` that escapes a
/// keyword.
fn unraw(rust: &str) -> &str {
    let rust = rust.strip_prefix("r#").unwrap_or(rust);
    match rust.strip_suffix('_') {
        Some(base) if KEYWORDS.contains(&base) => base,
        _ => rust,
    }
}

/// `snake_name` (or `SHOUTY_NAME`) → `snake-name`.
pub fn kebab_from_snake(rust: &str) -> String {
    unraw(rust)
        .trim_matches('_')
        .to_ascii_lowercase()
        .replace('_', "-")
}

/// `CamelName` → `camel-name`; a run of capitals is one word
/// (`HTTPServer` → `http-server`).
pub fn kebab_from_camel(rust: &str) -> String {
    let chars: Vec<char> = unraw(rust).chars().collect();
    let mut out = String::with_capacity(chars.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('-');
            }
        }
        if c == '_' {
            out.push('-');
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wit_to_rust() {
        assert_eq!(snake("echo-list"), "echo_list");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("self"), "self_");
        assert_eq!(camel("host-log"), "HostLog");
        assert_eq!(camel("HTTP-request"), "HttpRequest");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(shouty("no-exec"), "NO_EXEC");
    }

    #[test]
    fn rust_to_wit() {
        assert_eq!(kebab_from_snake("echo_list"), "echo-list");
        assert_eq!(kebab_from_snake("type_"), "type");
        assert_eq!(kebab_from_snake("r#match"), "match");
        assert_eq!(kebab_from_snake("NO_EXEC"), "no-exec");
        assert_eq!(kebab_from_camel("Circle"), "circle");
        assert_eq!(kebab_from_camel("BigRect2D"), "big-rect2-d");
        assert_eq!(kebab_from_camel("HTTPServer"), "http-server");
        assert_eq!(kebab_from_camel("IoError"), "io-error");
    }
}
