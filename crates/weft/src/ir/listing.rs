//! Listings of translated code: one line per instruction, with its handler
//! (which names the operator and any fused or `acc` form), its operands by
//! name, and branch targets as word positions. `weft ir` prints them, and
//! the translator's golden tests compare them.

use super::isa::{Handler, Instr};
use std::fmt::Write;

/// What the instructions of one function are.
#[derive(Clone, Debug)]
pub(crate) struct Listing {
    pub entries: Box<[ListingEntry]>,
}

/// One instruction of a listing.
#[derive(Copy, Clone, Debug)]
pub(crate) struct ListingEntry {
    /// Word position.
    pub pos: usize,
    /// The handler, as named where it was chosen.
    handler: &'static str,
    /// The instruction's name.
    name: &'static str,
    /// How many operand `u32`s follow the handler word.
    operands: usize,
    /// How many of those are branch targets after the declared operands.
    targets: usize,
    /// Shows the declared operands, read back from code.
    show: fn(&[u32], usize, &mut String),
}

fn show_as<I: Instr>(ops: &[u32], at: usize, out: &mut String) {
    let mut from = ops;
    I::read_operands(&mut from).show_operands(at, out);
}

impl ListingEntry {
    /// The entry for instruction `I` at `pos`, run by `handler`, with
    /// `operands` operand `u32`s (any beyond `I`'s own are branch targets).
    pub(crate) fn new<I: Instr>(pos: usize, handler: Handler, operands: usize) -> ListingEntry {
        ListingEntry {
            pos,
            handler: handler.name,
            name: I::NAME,
            operands,
            targets: operands - I::OPERANDS,
            show: show_as::<I>,
        }
    }

    /// The instruction now runs `handler` (another form of it).
    pub(crate) fn set_handler(&mut self, handler: Handler) {
        self.handler = handler.name;
    }
}

/// A handler's name as written at its `h!`, without module paths and
/// spaces: `bin_rr::<I32Add, { src::ACC_A }>` becomes
/// `bin_rr<I32Add,ACC_A>`.
fn handler_name(raw: &str) -> String {
    let mut s: String = raw.split_whitespace().collect();
    for prefix in ["x::", "exec::", "src::", "crate::"] {
        s = s.replace(prefix, "");
    }
    s.replace("::<", "<").replace(['{', '}'], "")
}

impl Listing {
    /// The listing as text, reading operands from `code`.
    pub(crate) fn render(&self, code: &[u64]) -> String {
        let mut out = String::new();
        for e in self.entries.iter() {
            let mut ops = Vec::with_capacity(e.operands + 1);
            let first = e.pos + 1 + super::GUARD_WORDS;
            for w in &code[first..first + e.operands.div_ceil(2)] {
                let b = w.to_ne_bytes();
                ops.push(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                ops.push(u32::from_ne_bytes([b[4], b[5], b[6], b[7]]));
            }
            let _ = write!(
                out,
                "{:>5}: {} ({})",
                e.pos,
                handler_name(e.handler),
                e.name
            );
            (e.show)(&ops, e.pos, &mut out);
            let own = e.operands - e.targets;
            if e.targets > 0 {
                out.push_str(" targets=");
                for (k, t) in ops[own..e.operands].iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "@{}", e.pos as i64 + i64::from(*t as i32));
                }
            }
            out.push('\n');
        }
        out
    }
}
