//! Desugars the folded form of the legacy exception instructions,
//! `(try bt (do A) (catch $e B) (catch_all C))` and `(try bt (do A)
//! (delegate $l))`, into the flat form `try bt A catch $e B catch_all C
//! end` / `try bt A delegate $l`, which the `wast` crate parses. The spec's
//! legacy scripts use the folded form; everything else (strings, comments,
//! other instructions) is left byte for byte.

/// The text with every folded `try` rewritten to the flat form.
pub(crate) fn desugar_folded_try(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        match skip_atom(b, i) {
            Some(end) => {
                out.push_str(&text[i..end]);
                i = end;
            }
            None if starts_list(b, i, "try") => {
                let end = list_end(b, i);
                out.push_str(&flatten_try(&text[i..end]));
                i = end;
            }
            None => {
                let c = text[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// If a string or comment starts at `i`, where it ends.
fn skip_atom(b: &[u8], i: usize) -> Option<usize> {
    match (b[i], b.get(i + 1)) {
        (b'"', _) => {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            Some((j + 1).min(b.len()))
        }
        (b';', Some(b';')) => Some(
            b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| i + p),
        ),
        (b'(', Some(b';')) => {
            let mut depth = 0;
            let mut j = i;
            while j + 1 < b.len() {
                if b[j] == b'(' && b[j + 1] == b';' {
                    depth += 1;
                    j += 2;
                } else if b[j] == b';' && b[j + 1] == b')' {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        return Some(j);
                    }
                } else {
                    j += 1;
                }
            }
            Some(b.len())
        }
        _ => None,
    }
}

/// Whether a list whose head keyword is `kw` starts at `i`.
fn starts_list(b: &[u8], i: usize, kw: &str) -> bool {
    let k = kw.as_bytes();
    b[i] == b'('
        && b.len() > i + 1 + k.len()
        && &b[i + 1..i + 1 + k.len()] == k
        && matches!(
            b[i + 1 + k.len()],
            b' ' | b'\t' | b'\n' | b'\r' | b'(' | b')'
        )
}

/// The end (exclusive) of the list starting at `i`.
fn list_end(b: &[u8], i: usize) -> usize {
    let mut depth = 0;
    let mut j = i;
    while j < b.len() {
        if let Some(end) = skip_atom(b, j) {
            j = end;
            continue;
        }
        match b[j] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    b.len()
}

/// The top-level elements (tokens and lists) inside the list `s`.
fn elements(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let inner_end = s.len().saturating_sub(1);
    let mut out = Vec::new();
    let mut i = 1;
    while i < inner_end {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if let Some(end) = skip_atom(b, i) {
            if b[i] == b'"' {
                out.push(&s[i..end]);
            }
            i = end;
            continue;
        }
        let end = if b[i] == b'(' {
            list_end(b, i)
        } else {
            let mut j = i;
            while j < inner_end && !b[j].is_ascii_whitespace() && b[j] != b'(' && b[j] != b')' {
                j += 1;
            }
            j
        };
        out.push(&s[i..end]);
        i = end.max(i + 1);
    }
    out
}

/// The inside of list `s` after its head keyword, desugared.
fn body_after_head(s: &str, skip: usize) -> String {
    elements(s)[skip..]
        .iter()
        .map(|e| desugar_folded_try(e))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Flattens one folded `try` list.
fn flatten_try(s: &str) -> String {
    let parts = elements(s);
    let mut out = String::from("try");
    let mut ended = false;
    for part in &parts[1..] {
        let pb = part.as_bytes();
        if starts_list(pb, 0, "do") {
            out.push(' ');
            out.push_str(&body_after_head(part, 1));
        } else if starts_list(pb, 0, "catch") {
            out.push_str(" catch ");
            out.push_str(&body_after_head(part, 1));
        } else if starts_list(pb, 0, "catch_all") {
            out.push_str(" catch_all ");
            out.push_str(&body_after_head(part, 1));
        } else if starts_list(pb, 0, "delegate") {
            out.push_str(" delegate ");
            out.push_str(&body_after_head(part, 1));
            ended = true;
        } else {
            // The label and block type.
            out.push(' ');
            out.push_str(part);
        }
    }
    if !ended {
        out.push_str(" end");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::desugar_folded_try;

    #[test]
    fn folded_try_becomes_flat() {
        let src = r#"(func (try $l (result i32) (do (i32.const 1)) (catch $e (drop) (i32.const 2)) (catch_all (i32.const 3))))"#;
        assert_eq!(
            desugar_folded_try(src),
            "(func try $l (result i32) (i32.const 1) catch $e (drop) (i32.const 2) catch_all (i32.const 3) end)"
        );
    }

    #[test]
    fn nested_try_delegate_and_untouched_text() {
        let src = "(try (do (try (do (throw $e)) (delegate 0))) (catch_all)) ;; (try (do))\n\"(try (do))\"";
        assert_eq!(
            desugar_folded_try(src),
            "try try (throw $e) delegate 0 catch_all  end ;; (try (do))\n\"(try (do))\""
        );
        assert_eq!(desugar_folded_try("(try_table (do))"), "(try_table (do))");
    }
}
