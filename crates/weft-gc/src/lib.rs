//! weft's heap for WebAssembly GC objects (structs, arrays, externref
//! boxes): a region of plain bytes owned by a store, addressed by 32-bit
//! references, every access bounds-checked, collected by a precise
//! mark-sweep collector that frees cycles. Safe Rust only, so a stale or
//! forged reference or a corrupted heap gives a wrong answer or an error,
//! never undefined behaviour.
//!
//! The heap knows nothing of the executor: it is given layouts (per engine
//! type index) and, when it collects, a [`RootSet`] that lists the live
//! references (frame slots, globals, tables, host roots).

#![forbid(unsafe_code)]

mod heap;
mod layout;

pub use heap::{Heap, HeapError, HeapStats, Kind, RootSet};
pub use layout::{ArrayLayout, FieldLayout, Layout, StorageType, StructLayout};

/// A reference as Wasm code holds it: 0 is null; odd values are `i31ref`s
/// (the 31-bit value shifted left by one, low bit set), never allocated;
/// other values are the byte offset of an object in the heap.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct GcRef(pub u32);

impl GcRef {
    /// The null reference.
    pub const NULL: GcRef = GcRef(0);

    /// The `i31ref` of the low 31 bits of `v`.
    pub fn i31(v: u32) -> GcRef {
        GcRef((v << 1) | 1)
    }

    /// Whether this is null.
    pub fn is_null(self) -> bool {
        self.0 == 0
    }

    /// The value of an `i31ref`, sign-extended from 31 bits (`i31.get_s`).
    pub fn i31_signed(self) -> Option<i32> {
        self.is_i31().then_some((self.0 as i32) >> 1)
    }

    /// The value of an `i31ref`, zero-extended (`i31.get_u`).
    pub fn i31_unsigned(self) -> Option<u32> {
        self.is_i31().then_some(self.0 >> 1)
    }

    /// Whether this is an `i31ref`.
    pub fn is_i31(self) -> bool {
        self.0 & 1 == 1
    }

    /// Whether this names a heap object (not null, not an i31).
    pub fn is_object(self) -> bool {
        self.0 != 0 && !self.is_i31()
    }
}

#[cfg(test)]
mod tests {
    use super::GcRef;

    #[test]
    fn i31_values_round_trip_and_are_never_objects() {
        for v in [0u32, 1, 0x3fff_ffff, 0x4000_0000, 0x7fff_ffff, 0xffff_ffff] {
            let r = GcRef::i31(v);
            assert!(r.is_i31() && !r.is_object() && !r.is_null());
            assert_eq!(r.i31_unsigned(), Some(v & 0x7fff_ffff));
            assert_eq!(r.i31_signed(), Some(((v << 1) as i32) >> 1));
        }
        assert!(GcRef::NULL.is_null() && !GcRef::NULL.is_object());
        assert_eq!(GcRef(8).i31_signed(), None);
    }
}
