//! Makes a module's tags identifiable from outside: appends an export of
//! every tag to the binary and works out binaryen's names for them, so an
//! exception that escapes weft can be printed with the tag name binaryen
//! prints.
//!
//! The appended exports come after the module's own, so every index that
//! `call-export` can name still means what it meant to binaryen (an index
//! past the original exports was "no export" and is now a tag export:
//! neither is a function, and both throw the same JS exception).

use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use wasmparser::{ExternalKind, KnownCustom, Name, Parser, Payload, TypeRef};

/// The prefix of the names of the appended tag exports.
pub const TAG_EXPORT_PREFIX: &str = "\u{0}weft-binaryen-diff tag ";

/// A module with its tags exported, and what the check knows about them.
pub struct Patched {
    /// The module's bytes with the tag exports appended.
    pub bytes: Vec<u8>,
    /// The name binaryen gives each tag the module defines, by tag index
    /// (imported tags are the harness's own and need none).
    pub tag_names: HashMap<u32, TagName>,
}

/// What the check knows of binaryen's name for a tag the module defines.
///
/// binaryen's name section has no tag names, so a tag's name comes from an
/// export (`-ttf` exports a tag under its name) or from how `-ttf` names
/// tags: `tag$` for the first, then `tag$_N` with N the number of tags
/// (imported ones included) that existed when it was made. The order of
/// the binary puts the imported tags first, which loses when they were
/// made, so for the k-th defined tag (k > 0) N is only known to lie in
/// `k..=k + imported`. A module binaryen read back from a binary (the
/// `--denan` recheck) calls the k-th defined tag `tag$k`.
#[derive(Clone, Debug, PartialEq)]
pub struct TagName {
    /// The name from an export, if the tag has one.
    pub exact: Option<String>,
    /// Its position among the defined tags.
    pub k: u32,
    /// The number of imported tags.
    pub imported: u32,
}

impl TagName {
    /// A host tag's name (`imported-wasm-tag`, `imported-js-tag`).
    pub fn host(name: &str) -> TagName {
        TagName {
            exact: Some(name.to_string()),
            k: u32::MAX,
            imported: 0,
        }
    }

    /// Whether binaryen's `name` can be this tag's.
    pub fn matches(&self, name: &str) -> bool {
        if let Some(exact) = &self.exact {
            return exact == name || (self.k != u32::MAX && name == format!("tag${}", self.k));
        }
        let (k, imported) = (self.k, self.imported);
        match name.strip_prefix("tag$_") {
            _ if name == "tag$" => k == 0,
            Some(n) => n
                .parse::<u32>()
                .is_ok_and(|n| k > 0 && (k..=k + imported).contains(&n)),
            None => name == format!("tag${k}"),
        }
    }
}

impl std::fmt::Display for TagName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.exact, self.k, self.imported) {
            (Some(n), ..) => f.write_str(n),
            (None, 0, _) => f.write_str("tag$"),
            (None, k, 0) => write!(f, "tag$_{k}"),
            (None, k, imported) => write!(f, "tag$_{k}..{}", k + imported),
        }
    }
}

/// Binary section ids, in the order a module must place them (custom
/// sections, id 0, may appear anywhere).
const SECTION_ORDER: [u8; 13] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
const EXPORT_SECTION: u8 = 7;
const EXTERNAL_KIND_TAG: u8 = 4;

fn order_of(id: u8) -> usize {
    SECTION_ORDER
        .iter()
        .position(|&s| s == id)
        .unwrap_or(usize::MAX)
}

fn write_leb(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb(bytes: &[u8], at: &mut usize) -> Result<u32> {
    let mut v: u64 = 0;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*at).context("truncated LEB")?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return u32::try_from(v).context("LEB out of range");
        }
    }
    bail!("LEB too long")
}

/// Appends an export section holding the `kept` exports whose encoding is
/// `entries`, then an export of each of the `count` tags.
fn push_export_section(out: &mut Vec<u8>, kept: u32, entries: &[u8], count: u32) {
    let mut content = Vec::new();
    write_leb(&mut content, kept + count);
    content.extend_from_slice(entries);
    tag_exports(&mut content, count);
    out.push(EXPORT_SECTION);
    write_leb(out, content.len() as u32);
    out.extend_from_slice(&content);
}

/// Appends `(export "<prefix>N" (tag N))` for each of `count` tags.
fn tag_exports(out: &mut Vec<u8>, count: u32) {
    for index in 0..count {
        let name = format!("{TAG_EXPORT_PREFIX}{index}");
        write_leb(out, name.len() as u32);
        out.extend_from_slice(name.as_bytes());
        out.push(EXTERNAL_KIND_TAG);
        write_leb(out, index);
    }
}

/// Counts the module's tags and names those it defines (see `TagName`).
fn scan(bytes: &[u8]) -> Result<(u32, HashMap<u32, TagName>)> {
    let mut count = 0;
    let mut imported = 0;
    // Names from exports or a name section, by tag index.
    let mut exported = HashMap::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    if matches!(import?.ty, TypeRef::Tag(_)) {
                        count += 1;
                        imported += 1;
                    }
                }
            }
            Payload::TagSection(reader) => count += reader.count(),
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if export.kind == ExternalKind::Tag && export.name.starts_with("tag$") {
                        exported.insert(export.index, export.name.to_string());
                    }
                }
            }
            Payload::CustomSection(reader) => {
                if let KnownCustom::Name(names_reader) = reader.as_known() {
                    // A malformed name section only costs the names.
                    for name in names_reader.into_iter().flatten() {
                        if let Name::Tag(map) = name {
                            for naming in map.into_iter().flatten() {
                                exported.insert(naming.index, naming.name.to_string());
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let names = (0..count - imported)
        .map(|k| {
            let index = imported + k;
            let exact = exported.remove(&index);
            (index, TagName { exact, k, imported })
        })
        .collect();
    Ok((count, names))
}

/// Exports every tag of `bytes` (see the module docs).
pub fn export_tags(bytes: &[u8]) -> Result<Patched> {
    let (count, tag_names) = scan(bytes)?;
    if bytes.len() < 8 {
        bail!("not a module");
    }
    let mut out = bytes[..8].to_vec();
    let mut at = 8;
    let mut done = count == 0;
    while at < bytes.len() {
        let start = at;
        let id = bytes[at];
        at += 1;
        let size = read_leb(bytes, &mut at)? as usize;
        let body = bytes.get(at..at + size).context("truncated section")?;
        at += size;
        if !done && id == EXPORT_SECTION {
            let mut p = 0;
            let n = read_leb(body, &mut p)?;
            push_export_section(&mut out, n, &body[p..], count);
            done = true;
            continue;
        }
        if !done && id != 0 && order_of(id) > order_of(EXPORT_SECTION) {
            // No export section: put one before the first section that
            // must follow it.
            push_export_section(&mut out, 0, &[], count);
            done = true;
        }
        out.extend_from_slice(&bytes[start..at]);
    }
    if !done {
        push_export_section(&mut out, 0, &[], count);
    }
    Ok(Patched {
        bytes: out,
        tag_names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The export names of a module, in order.
    fn export_names(bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            if let Payload::ExportSection(r) = payload.unwrap() {
                out.extend(r.into_iter().map(|e| e.unwrap().name.to_string()));
            }
        }
        out
    }

    #[test]
    fn appends_tag_exports_after_the_modules_own() {
        let wat = r#"(module
            (import "fuzzing-support" "wasmtag" (tag (param i32)))
            (tag (param i64)) (tag)
            (func (export "f"))
            (export "tag$_3" (tag 2)))"#;
        let p = export_tags(&wat::parse_str(wat).unwrap()).unwrap();
        let names = export_names(&p.bytes);
        assert_eq!(names[..2], ["f", "tag$_3"]);
        assert_eq!(names.len(), 5);
        assert!(names[2..].iter().all(|n| n.starts_with(TAG_EXPORT_PREFIX)));
        assert_eq!(p.tag_names.get(&0), None);
        let defined = |exact: Option<&str>, k| TagName {
            exact: exact.map(String::from),
            k,
            imported: 1,
        };
        assert_eq!(p.tag_names[&1], defined(None, 0));
        assert_eq!(p.tag_names[&2], defined(Some("tag$_3"), 1));
        wasmparser::Validator::new().validate_all(&p.bytes).unwrap();
    }

    #[test]
    fn adds_an_export_section_where_there_is_none() {
        let wat = r#"(module (tag) (func) (start 0))"#;
        let p = export_tags(&wat::parse_str(wat).unwrap()).unwrap();
        assert_eq!(export_names(&p.bytes).len(), 1);
        wasmparser::Validator::new().validate_all(&p.bytes).unwrap();
    }

    #[test]
    fn defined_tag_names() {
        let tag = |k| TagName {
            exact: None,
            k,
            imported: 2,
        };
        assert!(tag(0).matches("tag$") && tag(0).matches("tag$0") && !tag(0).matches("tag$_0"));
        assert!(tag(1).matches("tag$_1") && tag(1).matches("tag$_3") && tag(1).matches("tag$1"));
        assert!(!tag(1).matches("tag$_4") && !tag(1).matches("tag$"));
        let exported = TagName {
            exact: Some("tag$_3".into()),
            ..tag(1)
        };
        assert!(exported.matches("tag$_3") && exported.matches("tag$1"));
        assert!(!exported.matches("tag$_2"));
        assert!(TagName::host("imported-js-tag").matches("imported-js-tag"));
    }
}
