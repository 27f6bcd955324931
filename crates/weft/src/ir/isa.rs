//! weft's instruction set, declared once: each instruction's named, typed
//! operands. From each declaration come the operand struct the translator
//! emits (by field name), the layout the executor decodes (a handler reads
//! its operands by name and gets the next instruction's address back), the
//! word count, the operand index a later pass patches (by field name, with
//! [`field!`]), the guard word of `checked` builds, and the listing that
//! `weft ir` prints.
//!
//! An instruction is a layout shared by a family of handlers: `BinRR` is
//! `dst = a OP b` for every binary operator and every choice of which
//! operand comes from `acc`; the handler (one monomorphization of a generic
//! handler function) says which, and names itself in listings.
//!
//! # Layout
//!
//! In code, an instruction is one word holding its handler's address, then
//! its operands as `u32`s in declaration order, two to a word (the first in
//! the lower addresses), the last word zero-padded. Each operand struct is
//! `repr(C)` with fields of 4-byte-aligned `u32` types, so the executor
//! reads the struct in place. In `checked` builds, a guard word
//! ([`guard`]) sits between the handler word and the operands, which the
//! executor compares with the instruction it decodes before reading any
//! operand.

use std::fmt::Write;

/// A handler as emitted: the function, and its name for listings. Usable
/// in constants, so handler tables can be static.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Handler {
    /// The function, whose address goes in the instruction's first word.
    pub run: crate::exec::RawHandler,
    /// The handler's path as written where it was named (`h!`).
    pub name: &'static &'static str,
}

impl Handler {
    /// Whether `self` and `other` are the same handler. The address is not
    /// enough: instantiations that compile to the same machine code may
    /// share one (`i32.xor` and `i64.xor` on zero-extended cells do), yet
    /// decode their immediates differently; so the paths they were named
    /// by must match too, spacing aside (a path written out and one put
    /// together by a macro print with different spaces).
    pub(crate) fn same(self, other: Handler) -> bool {
        let path = |h: Handler| h.name.bytes().filter(|b| !b.is_ascii_whitespace());
        self.addr() == other.addr() && path(self).eq(path(other))
    }
}

/// The [`Handler`] of handler function `$f` (a path, with generic
/// arguments if it has them), named by its own text.
macro_rules! h {
    ($($f:tt)+) => {
        $crate::ir::Handler {
            run: ($($f)+) as $crate::exec::RawHandler,
            name: &stringify!($($f)+),
        }
    };
}
pub(crate) use h;

/// The operand index of field `$field` of instruction `$instr`, for
/// patching it once emitted (`CodeBuilder::patch`).
macro_rules! field {
    ($instr:ident . $field:ident) => {
        std::mem::offset_of!($instr, $field) / 4
    };
}
pub(crate) use field;

/// A kind of operand: how it is written into code, read back for
/// listings, and shown.
pub(crate) trait Operand: Copy {
    /// How many `u32`s it takes.
    const U32S: usize;
    /// Writes its `u32`s to the start of `out`.
    fn write(&self, out: &mut [u32]);
    /// Reads it from the front of `from`, advancing it.
    fn read(from: &mut &[u32]) -> Self;
    /// Writes it for a listing; `at` is the instruction's word position.
    fn show(&self, at: usize, out: &mut String);
}

impl Handler {
    /// What goes in an instruction's first word.
    pub(crate) fn addr(&self) -> usize {
        self.run as usize
    }
}

impl PartialEq for Handler {
    fn eq(&self, other: &Handler) -> bool {
        std::ptr::fn_addr_eq(self.run, other.run)
    }
}

impl Eq for Handler {}

/// Takes the first `u32` of `from`.
fn take(from: &mut &[u32]) -> u32 {
    let (first, rest) = from.split_first().expect("operands as emitted");
    *from = rest;
    *first
}

macro_rules! u32_operand {
    ($(#[$doc:meta])* $name:ident, |$v:ident, $at:ident, $out:ident| $show:expr) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        pub(crate) struct $name(pub u32);

        impl Operand for $name {
            const U32S: usize = 1;
            fn write(&self, out: &mut [u32]) {
                out[0] = self.0;
            }
            fn read(from: &mut &[u32]) -> Self {
                $name(take(from))
            }
            fn show(&self, $at: usize, $out: &mut String) {
                let $v = self.0;
                $show
            }
        }
    };
}

u32_operand!(
    /// A frame slot.
    Slot,
    |v, _at, out| {
        let _ = write!(out, "s{v}");
    }
);
u32_operand!(
    /// A 32-bit immediate (raw bits; the handler knows its type).
    Imm,
    |v, _at, out| {
        let _ = write!(out, "{}", v as i32);
    }
);
u32_operand!(
    /// A frame slot or, where the handler says so, a 32-bit immediate.
    SlotOrImm,
    |v, _at, out| {
        let _ = write!(out, "s{v}|{}", v as i32);
    }
);
u32_operand!(
    /// A branch target: a signed distance in words from the start of the
    /// branching instruction.
    Target,
    |v, at, out| {
        let _ = write!(out, "@{}", at as i64 + i64::from(v as i32));
    }
);
u32_operand!(
    /// An index into one of the module's or instance's index spaces
    /// (function, global, table, memory, tag, segment) or an engine type id.
    Index,
    |v, _at, out| {
        let _ = write!(out, "#{v}");
    }
);
u32_operand!(
    /// A count (cells, targets, fuel).
    Count,
    |v, _at, out| {
        let _ = write!(out, "{v}");
    }
);

/// Two `u32`s forming one 64-bit value, low half first.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Imm64 {
    lo: u32,
    hi: u32,
}

impl Imm64 {
    /// The operand holding `v`.
    pub(crate) fn new(v: u64) -> Imm64 {
        Imm64 {
            lo: v as u32,
            hi: (v >> 32) as u32,
        }
    }

    /// The value.
    #[inline(always)]
    pub(crate) fn get(&self) -> u64 {
        u64::from(self.lo) | u64::from(self.hi) << 32
    }
}

impl Operand for Imm64 {
    const U32S: usize = 2;
    fn write(&self, out: &mut [u32]) {
        out[..2].copy_from_slice(&[self.lo, self.hi]);
    }
    fn read(from: &mut &[u32]) -> Self {
        Imm64 {
            lo: take(from),
            hi: take(from),
        }
    }
    fn show(&self, _at: usize, out: &mut String) {
        let _ = write!(out, "{}", self.get() as i64);
    }
}

/// The address of a function's code, patched into a direct call once the
/// module is complete. Listings show only whether it is set, so that they
/// do not depend on where the code was allocated.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct CodeAddr(pub Imm64);

impl Operand for CodeAddr {
    const U32S: usize = 2;
    fn write(&self, out: &mut [u32]) {
        self.0.write(out);
    }
    fn read(from: &mut &[u32]) -> Self {
        CodeAddr(Imm64::read(from))
    }
    fn show(&self, _at: usize, out: &mut String) {
        out.push_str(if self.0.get() == 0 { "unset" } else { "set" });
    }
}

/// 16 bytes of an instruction (`i8x16.shuffle` lane indices, a `v128`
/// constant), in memory order.
#[repr(C, align(4))]
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bytes16(pub [u8; 16]);

impl Operand for Bytes16 {
    const U32S: usize = 4;
    fn write(&self, out: &mut [u32]) {
        for (o, c) in out.iter_mut().zip(self.0.chunks_exact(4)) {
            *o = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
        }
    }
    fn read(from: &mut &[u32]) -> Self {
        let mut b = [0u8; 16];
        for c in b.chunks_exact_mut(4) {
            c.copy_from_slice(&take(from).to_ne_bytes());
        }
        Bytes16(b)
    }
    fn show(&self, _at: usize, out: &mut String) {
        let _ = write!(out, "{:#034x}", u128::from_le_bytes(self.0));
    }
}

/// The operands of an instruction: its declaration (see the module docs
/// for the layout, which `exec::decode` relies on). Implemented only by
/// `instructions!`.
pub(crate) trait Instr: Copy + 'static {
    /// The instruction's name in listings.
    const NAME: &'static str;
    /// Its number, for `checked` builds' guard words.
    const ID: u32;
    /// How many `u32`s its operands take.
    const OPERANDS: usize;
    /// Words its operands take (not counting the handler word).
    const WORDS: usize = Self::OPERANDS.div_ceil(2);
    /// Appends its operands to `words`, packed two `u32`s to a word (see
    /// the module docs), followed by `tail` zero `u32`s.
    fn append_to(&self, words: &mut Vec<u64>, tail: usize);
    /// Reads the operands back from their `u32`s.
    fn read_operands(from: &mut &[u32]) -> Self;
    /// Writes ` name=value` for each operand; `at` is the instruction's
    /// word position.
    fn show_operands(&self, at: usize, out: &mut String);
}

/// Appends `ops` and `tail` zeros to `words`, two to a word: the first in
/// the lower addresses on every host.
fn pack_into(words: &mut Vec<u64>, ops: &[u32], tail: usize) {
    let n = ops.len() + tail;
    let at = |k: usize| ops.get(k).copied().unwrap_or(0);
    for k in (0..n).step_by(2) {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&at(k).to_ne_bytes());
        b[4..].copy_from_slice(&at(k + 1).to_ne_bytes());
        words.push(u64::from_ne_bytes(b));
    }
}

/// The guard word of an instruction in `checked` builds: which instruction
/// it is and how many words its operands (with any tail) take.
pub(crate) const fn guard(id: u32, words: usize) -> u64 {
    0x6775_6172_0000_0000 | (id as u64) << 16 | words as u64
}

/// Declares instructions: a doc comment, the type name, the listing name,
/// and the named, typed operands.
macro_rules! instructions {
    ($( $(#[$doc:meta])* $name:ident = $text:literal { $($field:ident : $ty:ident),* $(,)? } )*) => {
        #[allow(clippy::upper_case_acronyms)]
        enum InstrId { $($name),* }

        $(
            $(#[$doc])*
            #[repr(C)]
            #[derive(Copy, Clone, Debug)]
            pub(crate) struct $name { $(pub $field: $ty),* }

            // The layout the executor reads in place: `u32` fields only.
            const _: () = assert!(
                std::mem::size_of::<$name>() == 4 * (0 $(+ <$ty as Operand>::U32S)*)
                    && std::mem::align_of::<$name>() <= 4
            );

            impl Instr for $name {
                const NAME: &'static str = $text;
                const ID: u32 = InstrId::$name as u32;
                const OPERANDS: usize = 0 $(+ <$ty as Operand>::U32S)*;
                #[allow(unused_variables, unused_mut, unused_assignments)]
                fn append_to(&self, words: &mut Vec<u64>, tail: usize) {
                    let mut ops = [0u32; <Self as Instr>::OPERANDS];
                    let mut at = 0;
                    $(
                        self.$field.write(&mut ops[at..]);
                        at += <$ty as Operand>::U32S;
                    )*
                    pack_into(words, &ops, tail);
                }
                #[allow(unused_variables)]
                fn read_operands(from: &mut &[u32]) -> Self {
                    $name { $($field: <$ty as Operand>::read(from)),* }
                }
                #[allow(unused_variables)]
                fn show_operands(&self, at: usize, out: &mut String) {
                    $(
                        out.push(' ');
                        out.push_str(stringify!($field));
                        out.push('=');
                        self.$field.show(at, out);
                    )*
                }
            }
        )*
    };
}

instructions! {
    // ----- numeric ---------------------------------------------------

    /// `dst = a OP b`; either operand may come from `acc` instead.
    BinRR = "bin" { dst: Slot, a: Slot, b: Slot }
    /// `dst = a OP imm` or `dst = imm OP a`.
    BinImm = "bin_imm" { dst: Slot, a: Slot, imm: Imm }
    /// `dst = a OP imm` with a 64-bit immediate (one no 32-bit immediate
    /// can hold).
    BinImm64 = "bin_imm64" { dst: Slot, a: Slot, imm: Imm64 }
    /// `dst = mid OP2 c` where `mid = a OP1 b` (also written): two
    /// operators chained through `acc`, in one instruction; `b` and `c`
    /// slots or immediates.
    Bin2 = "bin2" { dst: Slot, mid: Slot, a: Slot, b: SlotOrImm, c: SlotOrImm }
    /// `dst = OP a`, and every other one-in one-out operation.
    Unary = "unary" { dst: Slot, a: Slot }
    /// `dst = src`, one cell or (for a `v128`) two.
    Move = "move" { dst: Slot, src: Slot }
    /// `dst = src`, then `dst2 = src2`: two one-cell moves, each source a
    /// slot or a 32-bit constant.
    Move2 = "move2" { dst: Slot, src: SlotOrImm, dst2: Slot, src2: SlotOrImm }
    /// `dst = value`, zero-extended.
    Const32 = "const32" { dst: Slot, value: Imm }
    /// `dst = value`.
    Const64 = "const64" { dst: Slot, value: Imm64 }
    /// `dst = cond ? a : b`.
    Select = "select" { dst: Slot, cond: Slot, a: Slot, b: Slot }

    // ----- control ---------------------------------------------------

    /// Jump to `target`.
    Br = "br" { target: Target }
    /// Jump if the i32 in `cond` is zero, or nonzero (the handler says).
    BrZero = "br_zero" { cond: Slot, target: Target }
    /// Jump if `a OP b` holds (or does not).
    BrCmp = "br_cmp" { a: Slot, b: SlotOrImm, target: Target }
    /// `dst = src + imm`, then jump if `dst OP b` holds (or does not).
    BrAddCmp = "br_add_cmp" { dst: Slot, src: Slot, imm: Imm, b: SlotOrImm, target: Target }
    /// Jump to target `index` (clamped to `count`) of the `count + 1`
    /// targets that follow the instruction (the last is the default).
    BrTable = "br_table" { index: Slot, count: Count }
    /// Trap with "unreachable".
    Unreachable = "unreachable" {}
    /// Return; the results are in the frame's first cells.
    Ret = "ret" {}
    /// Return the one result in `src`.
    Ret1 = "ret1" { src: Slot }
    /// Call (or tail-call) the module's function `func`, whose code
    /// `callee` points at (patched in once the module is complete), with
    /// the arguments from slot `base` on.
    Call = "call" { base: Slot, func: Index, callee: CodeAddr }
    /// The code of defined function `func` until it is translated:
    /// translate it, then continue in its code (lazy translation).
    LazyEntry = "lazy_entry" { func: Index }
    /// Call (or tail-call) entry `func` of the function index space.
    CallImport = "call_import" { base: Slot, func: Index }
    /// Call (or tail-call) the function at `index` of `table`, of engine
    /// type `ty`.
    CallIndirect = "call_indirect" { base: Slot, index: Slot, table: Index, ty: Index }
    /// Call (or tail-call) the function reference in `callee`.
    CallRef = "call_ref" { base: Slot, callee: Slot }
    /// Charge `amount` fuel for the basic block this starts.
    ConsumeFuel = "consume_fuel" { amount: Count }
    /// Trap with "interrupt" past the store's epoch deadline.
    CheckEpoch = "check_epoch" {}
    /// Zero `count` slots from `first` on (a function's locals).
    ZeroLocals = "zero_locals" { first: Slot, count: Count }
    /// Leave the dispatch loop: the return address of an entry frame.
    Exit = "exit" {}

    // ----- exceptions ------------------------------------------------

    /// Throw an exception of module tag `tag` with the `cells` payload
    /// cells from slot `base` on.
    Throw = "throw" { base: Slot, tag: Index, cells: Count }
    /// Rethrow the exception reference in `exn`.
    ThrowRef = "throw_ref" { exn: Slot }

    // ----- memory ----------------------------------------------------

    /// `dst = memory0[addr + offset]`.
    Load = "load" { dst: Slot, addr: Slot, offset: Imm64 }
    /// `memory0[addr + offset] = value`.
    Store = "store" { addr: Slot, value: Slot, offset: Imm64 }
    /// `dst = memory0[addr + offset]`, an i32, then jump if it is zero
    /// (or nonzero: the handler says).
    LoadBr = "load_br" { dst: Slot, addr: Slot, offset: Imm64, target: Target }
    /// `dst = memory0[a + b + offset]` (the address add fused in).
    LoadAdd = "load_add" { dst: Slot, a: Slot, b: SlotOrImm, offset: Imm64 }
    /// `memory0[a + b + offset] = value` (the address add fused in).
    StoreAdd = "store_add" { a: Slot, b: SlotOrImm, value: Slot, offset: Imm64 }
    /// `memory0[addr + offset] = value`, a constant.
    StoreImm = "store_imm" { addr: Slot, value: Imm, offset: Imm64 }
    /// `memory0[a + b + offset] = value`, a constant (the address add
    /// fused in).
    StoreImmAdd = "store_imm_add" { a: Slot, b: SlotOrImm, value: Imm, offset: Imm64 }
    /// `dst = memory0[base + (index << shift) + offset]` (an address add
    /// of a scaled index fused in, wrapping in the memory's index width).
    LoadScaled = "load_scaled" { dst: Slot, base: Slot, index: Slot, shift: Imm, offset: Imm64 }
    /// `memory0[base + (index << shift) + offset] = value`.
    StoreScaled = "store_scaled" { base: Slot, index: Slot, shift: Imm, value: Slot, offset: Imm64 }
    /// `dst = memory0[addr]`, a constant address (offset included).
    LoadAt = "load_at" { dst: Slot, addr: Imm64 }
    /// `memory0[addr] = value`, a constant address (offset included).
    StoreAt = "store_at" { value: Slot, addr: Imm64 }
    /// `dst = memory[addr + offset]` for any memory.
    LoadMem = "load_mem" { dst: Slot, addr: Slot, offset: Imm64, memory: Index }
    /// `memory[addr + offset] = value` for any memory.
    StoreMem = "store_mem" { addr: Slot, value: Slot, offset: Imm64, memory: Index }
    /// `dst = memory.size`.
    MemorySize = "memory.size" { dst: Slot, memory: Index }
    /// `dst = memory.grow(delta)`.
    MemoryGrow = "memory.grow" { dst: Slot, delta: Slot, memory: Index }
    /// `memory.fill`.
    MemoryFill = "memory.fill" { memory: Index, dst: Slot, value: Slot, n: Slot }
    /// `memory.copy`.
    MemoryCopy = "memory.copy" { dst_memory: Index, src_memory: Index, dst: Slot, src: Slot, n: Slot }
    /// `memory.init`.
    MemoryInit = "memory.init" { memory: Index, segment: Index, dst: Slot, src: Slot, n: Slot }
    /// `data.drop`.
    DataDrop = "data.drop" { segment: Index }

    // ----- globals, references, tables -------------------------------

    /// `dst = global` (one cell, or two for a `v128`).
    GlobalGet = "global.get" { dst: Slot, global: Index }
    /// `global = src`.
    GlobalSet = "global.set" { global: Index, src: Slot }
    /// `dst = ref.func func`.
    RefFunc = "ref.func" { dst: Slot, func: Index }
    /// `dst = table[index]`.
    TableGet = "table.get" { dst: Slot, table: Index, index: Slot }
    /// `table[index] = value`.
    TableSet = "table.set" { table: Index, index: Slot, value: Slot }
    /// `dst = table.size`.
    TableSize = "table.size" { dst: Slot, table: Index }
    /// `dst = table.grow(init, delta)`.
    TableGrow = "table.grow" { dst: Slot, table: Index, init: Slot, delta: Slot }
    /// `table.fill`.
    TableFill = "table.fill" { table: Index, start: Slot, value: Slot, n: Slot }
    /// `table.copy`.
    TableCopy = "table.copy" { dst_table: Index, src_table: Index, dst: Slot, src: Slot, n: Slot }
    /// `table.init`.
    TableInit = "table.init" { table: Index, segment: Index, dst: Slot, src: Slot, n: Slot }
    /// `elem.drop`.
    ElemDrop = "elem.drop" { segment: Index }

    // ----- GC --------------------------------------------------------

    /// `dst = struct.new ty` with the fields' values in the cells from
    /// `args` on.
    StructNew = "struct.new" { dst: Slot, ty: Index, args: Slot }
    /// `dst = struct.new_default ty`.
    StructNewDefault = "struct.new_default" { dst: Slot, ty: Index }
    /// `dst = obj.field`, the field at byte `offset` of the payload, stored
    /// as `storage` (`gc::storage_code`; the handler says how a packed
    /// field extends).
    StructGet = "struct.get" { dst: Slot, obj: Slot, field: Index, offset: Index, storage: Count }
    /// `obj.field = value`, as for `StructGet`.
    StructSet = "struct.set" { obj: Slot, value: Slot, field: Index, offset: Index, storage: Count }
    /// `dst = array.new ty` of `len` copies of `value`.
    ArrayNew = "array.new" { dst: Slot, ty: Index, value: Slot, len: Slot }
    /// `dst = array.new_default ty` of `len` elements.
    ArrayNewDefault = "array.new_default" { dst: Slot, ty: Index, len: Slot }
    /// `dst = array.new_fixed ty` of the `count` values from `args` on.
    ArrayNewFixed = "array.new_fixed" { dst: Slot, ty: Index, args: Slot, count: Count }
    /// `array.new_data` or `array.new_elem` (the handler says which):
    /// `len` elements from `offset` of `segment`.
    ArrayNewSegment = "array.new_segment" { dst: Slot, ty: Index, segment: Index, offset: Slot, len: Slot }
    /// `dst = array[index]` (the handler says how a packed element extends).
    ArrayGet = "array.get" { dst: Slot, array: Slot, index: Slot, ty: Index }
    /// `array[index] = value`.
    ArraySet = "array.set" { array: Slot, index: Slot, value: Slot, ty: Index }
    /// `array[offset..offset + n] = value`.
    ArrayFill = "array.fill" { array: Slot, offset: Slot, value: Slot, n: Slot, ty: Index }
    /// `dst[dst_offset..] = src[src_offset..]`, `n` elements.
    ArrayCopy = "array.copy" { dst: Slot, dst_offset: Slot, src: Slot, src_offset: Slot, n: Slot }
    /// `array.init_data` or `array.init_elem` (the handler says which):
    /// `n` elements of `segment` from `src` on into `array` from `offset`.
    ArrayInitSegment = "array.init_segment" { array: Slot, offset: Slot, src: Slot, n: Slot, ty: Index, segment: Index }
    /// `dst = a` tested against, or cast to, heap type `heap` (its code,
    /// `gc::encode_heap_type`; the handler says whether null passes).
    RefTest = "ref.test" { dst: Slot, a: Slot, heap: Index }

    // ----- SIMD ------------------------------------------------------

    /// `dst = OP(a, b, c)` on `v128`s.
    VTernary = "v_ternary" { dst: Slot, a: Slot, b: Slot, c: Slot }
    /// `dst = a[lane]`, a scalar.
    VExtract = "v_extract" { dst: Slot, a: Slot, lane: Count }
    /// `dst = a` with `a[lane] = x`.
    VReplace = "v_replace" { dst: Slot, a: Slot, x: Slot, lane: Count }
    /// `i8x16.shuffle`.
    VShuffle = "v_shuffle" { dst: Slot, a: Slot, b: Slot, lanes: Bytes16 }
    /// `dst = value`, a `v128`.
    VConst = "v_const" { dst: Slot, value: Bytes16 }
    /// `v128.loadN_lane`: `dst = vec` with lane `lane` loaded from
    /// `memory[addr + offset]`.
    VLoadLane = "v_load_lane" { dst: Slot, addr: Slot, vec: Slot, offset: Imm64, memory: Index, lane: Count }
    /// `v128.storeN_lane`: lane `lane` of `vec` to `memory[addr + offset]`.
    VStoreLane = "v_store_lane" { addr: Slot, vec: Slot, offset: Imm64, memory: Index, lane: Count }
}

/// An instruction that writes its result to slot `dst`, which the
/// translator may retarget (`local.set` of the result).
pub(crate) trait Defines: Instr {
    /// The operand index of `dst`.
    const DST: usize;
}

macro_rules! defines {
    ($($instr:ident),* $(,)?) => {
        $(impl Defines for $instr {
            const DST: usize = field!($instr.dst);
        })*
    };
}

defines!(
    BinRR,
    BinImm,
    BinImm64,
    Bin2,
    Unary,
    Move,
    Const32,
    Const64,
    Select,
    Load,
    LoadAdd,
    LoadAt,
    LoadScaled,
    LoadMem,
    MemorySize,
    MemoryGrow,
    GlobalGet,
    RefFunc,
    TableGet,
    TableSize,
    TableGrow,
    VTernary,
    VExtract,
    VReplace,
    VShuffle,
    VConst,
    VLoadLane,
    StructNew,
    StructNewDefault,
    StructGet,
    ArrayNew,
    ArrayNewDefault,
    ArrayNewFixed,
    ArrayNewSegment,
    ArrayGet,
    RefTest,
);

impl BrTable {
    /// The operand index of target `k` (the default is the last).
    pub(crate) const fn target_operand(k: usize) -> usize {
        Self::OPERANDS + k
    }
}

#[cfg(test)]
mod tests {
    use crate::exec;

    /// Puts a handler's path together from pieces, as the translator's
    /// handler tables do.
    macro_rules! bin_rr_of {
        ($op:ident) => {
            h!(exec::bin_rr::<exec::$op, exec::Slots>)
        };
    }

    #[test]
    fn handlers_are_the_same_by_path_whatever_its_spacing() {
        let written = h!(exec::bin_rr::<exec::I32And, exec::Slots>);
        assert!(written.same(bin_rr_of!(I32And)));
        assert!(!written.same(bin_rr_of!(I32Or)));
        // The same machine code (LLVM may merge these) is not enough.
        let (narrow, wide) = (bin_rr_of!(I32Xor), bin_rr_of!(I64Xor));
        assert!(!narrow.same(wide));
    }
}
