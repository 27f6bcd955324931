//! Compares binaryen's events with weft's, line by line, and names the
//! class of the first difference.
//!
//! What is compared loosely, and why:
//! - floats: by value, whatever the spelling (binaryen prints JS-style
//!   shortest decimals such as `1.e+100`); every NaN equals every NaN
//!   (their sign and payload are nondeterministic in the specification);
//! - `v128`: lane by lane, with NaN-shaped `f32` lanes or `f64` halves
//!   equal to each other (a `v128` carries no lane type);
//! - traps: any trap equals any trap; binaryen's messages are its
//!   interpreter's own words, so the pairs of messages are only counted
//!   (see `Comparison::trap_pairs`) for a reader to check;
//! - references: only as binaryen prints them (`null`, `function`,
//!   `object(null)`, `i31ref(N)`, `externref(N)`, `jserror`), which is all
//!   JS could observe;
//! - after `[host limit ...]` nothing is compared: binaryen's interpreter
//!   gave up on an allocation weft may well make, and binaryen itself
//!   ignores the results of such a run.

use crate::reference::RefLine;
use crate::run::{INSTANTIATION_FAILED, Line, NON_DEFAULTABLE};
use crate::values::values_match;

/// The first difference between the two runs.
#[derive(Debug)]
pub struct Mismatch {
    /// Its index among the events.
    pub index: usize,
    /// binaryen's event there (`None`: binaryen's output ended).
    pub binaryen: Option<RefLine>,
    /// weft's event there (`None`: weft's output ended).
    pub weft: Option<Line>,
    /// The class used to group disagreements in the summary.
    pub class: String,
}

/// How two runs compare.
#[derive(Debug, Default)]
pub struct Comparison {
    /// The first difference, if any.
    pub mismatch: Option<Mismatch>,
    /// binaryen reached a host limit at this event; nothing after it was
    /// compared.
    pub host_limit_at: Option<usize>,
    /// For every pair of traps: binaryen's message (numbers dropped) and
    /// weft's.
    pub trap_pairs: Vec<(String, String)>,
}

/// The kind of an event of binaryen's, for classes.
fn ref_kind(r: &RefLine) -> String {
    match r {
        RefLine::Export(_) => "export".into(),
        RefLine::Log { .. } => "log".into(),
        RefLine::Result { .. } => "result".into(),
        RefLine::Trap(m) => format!("trap({})", trap_words(m)),
        RefLine::Exception(t) if t == INSTANTIATION_FAILED => format!("exception({t})"),
        RefLine::Exception(t) => {
            format!("exception({})", t.split(' ').next().unwrap_or(""))
        }
        RefLine::HostLimit(_) => "host-limit".into(),
        RefLine::Other(_) => "other".into(),
    }
}

/// The kind of an event of weft's, for classes.
fn weft_kind(w: &Line) -> String {
    match w {
        Line::Export(_) => "export".into(),
        Line::Log { .. } => "log".into(),
        Line::Result { .. } => "result".into(),
        Line::Trap(Some(k)) => format!("trap({k})"),
        Line::Trap(None) => format!("trap({NON_DEFAULTABLE})"),
        Line::Exception { tag, .. } => {
            format!(
                "exception({})",
                tag.as_ref().map_or("?".into(), ToString::to_string)
            )
        }
        Line::InstantiationException => format!("exception({INSTANTIATION_FAILED})"),
        Line::Error(m) => format!("error({})", m.chars().take(60).collect::<String>()),
    }
}

/// A trap message without its numbers (`final > memory: 18446744073709551600
/// > 1048572` becomes `final > memory: N > N`).
pub fn trap_words(m: &str) -> String {
    m.split(' ')
        .map(|w| {
            if w.chars().any(|c| c.is_ascii_digit())
                && !w.chars().any(|c| c.is_ascii_alphabetic() && c != 'x')
            {
                "N"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn tokens(text: &str) -> Vec<&str> {
    text.split(' ').filter(|t| !t.is_empty()).collect()
}

/// Whether one event of each run is the same, up to the normalizations of
/// the module docs.
fn same(r: &RefLine, w: &Line) -> bool {
    match (r, w) {
        (RefLine::Export(a), Line::Export(b)) => a == b,
        (RefLine::Log { branch, text }, Line::Log { branch: b, values }) => {
            branch == b && values_match(values, &tokens(text))
        }
        (RefLine::Result { name, text }, Line::Result { name: n, values }) => {
            name == n && values_match(values, &tokens(text))
        }
        (RefLine::Trap(_), Line::Trap(_)) => true,
        (RefLine::Exception(text), Line::Exception { tag, payload }) => {
            let toks = tokens(text);
            let name_ok = match (toks.first(), tag) {
                (Some(name), Some(tag)) => tag.matches(name),
                _ => false,
            };
            name_ok && values_match(payload, &toks[1..])
        }
        (RefLine::Exception(text), Line::InstantiationException) => text == INSTANTIATION_FAILED,
        _ => false,
    }
}

/// Compares binaryen's events with weft's.
pub fn compare(binaryen: &[RefLine], weft: &[Line]) -> Comparison {
    let mut c = Comparison::default();
    for index in 0..binaryen.len().max(weft.len()) {
        let (r, w) = (binaryen.get(index), weft.get(index));
        if let Some(RefLine::HostLimit(_)) = r {
            c.host_limit_at = Some(index);
            return c;
        }
        if let (Some(RefLine::Trap(m)), Some(Line::Trap(k))) = (r, w) {
            let weft_msg = match k {
                Some(k) => k.to_string(),
                None => NON_DEFAULTABLE.to_string(),
            };
            c.trap_pairs.push((trap_words(m), weft_msg));
        }
        let agree = matches!((r, w), (Some(r), Some(w)) if same(r, w));
        if !agree {
            let class = match (r, w) {
                (Some(r), Some(w)) if ref_kind(r) == weft_kind(w) => {
                    format!("{} values differ", ref_kind(r))
                }
                (Some(r), Some(w)) => format!("binaryen {} / weft {}", ref_kind(r), weft_kind(w)),
                (Some(r), None) => format!("binaryen {} / weft ended", ref_kind(r)),
                (None, Some(w)) => format!("binaryen ended / weft {}", weft_kind(w)),
                (None, None) => unreachable!("the loop stops at the longer output"),
            };
            c.mismatch = Some(Mismatch {
                index,
                binaryen: r.cloned(),
                weft: w.cloned(),
                class,
            });
            return c;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Shown;
    use weft::TrapKind;

    #[test]
    fn traps_match_any_trap_and_are_paired() {
        let b = crate::reference::parse(
            "[fuzz-exec] export f\n[trap final > memory: 18446744073709551600 > 1048572]\n",
        );
        let w = vec![
            Line::Export("f".into()),
            Line::Trap(Some(TrapKind::MemoryOutOfBounds)),
        ];
        let c = compare(&b, &w);
        assert!(c.mismatch.is_none());
        assert_eq!(
            c.trap_pairs,
            vec![(
                "final > memory: N > N".to_string(),
                "out of bounds memory access".to_string()
            )]
        );
    }

    #[test]
    fn first_difference_is_classified() {
        let b = crate::reference::parse("[fuzz-exec] export f\n[fuzz-exec] note result: f => 1\n");
        let w = vec![
            Line::Export("f".into()),
            Line::Result {
                name: "f".into(),
                values: vec![Shown::I32(2)],
            },
        ];
        let m = compare(&b, &w).mismatch.expect("a difference");
        assert_eq!((m.index, m.class.as_str()), (1, "result values differ"));
        let w = vec![Line::Export("f".into())];
        let m = compare(&b, &w).mismatch.expect("a difference");
        assert_eq!(m.class, "binaryen result / weft ended");
    }

    #[test]
    fn nothing_after_a_host_limit_is_compared() {
        let b = crate::reference::parse("[fuzz-exec] export f\n[host limit allocation failure]\n");
        let w = vec![
            Line::Export("f".into()),
            Line::Trap(Some(TrapKind::GcHeapOutOfMemory)),
        ];
        let c = compare(&b, &w);
        assert!(c.mismatch.is_none());
        assert_eq!(c.host_limit_at, Some(1));
    }
}
