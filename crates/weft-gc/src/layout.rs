//! Object layouts: where each field of a struct type lives, and how an
//! array type's elements are laid out. Computed once per type from its
//! storage types; packed `i8`/`i16`, every field naturally aligned.

/// How a field or array element is stored.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StorageType {
    /// Packed 8-bit integer.
    I8,
    /// Packed 16-bit integer.
    I16,
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit float, as raw bits.
    F32,
    /// 64-bit float, as raw bits.
    F64,
    /// 128-bit vector.
    V128,
    /// A reference to a heap object or an i31 ([`GcRef`](crate::GcRef)
    /// bits): anyref, eqref, structref, arrayref, i31ref, externref,
    /// exnref and concrete struct/array types. The collector traces these.
    Ref,
    /// A function reference: an index into the store's function side
    /// table (0 = null), which its reader validates. Not traced.
    FuncRef,
}

impl StorageType {
    /// Bytes the value takes (and its alignment).
    pub fn size(self) -> u32 {
        match self {
            StorageType::I8 => 1,
            StorageType::I16 => 2,
            StorageType::I32 | StorageType::F32 | StorageType::Ref | StorageType::FuncRef => 4,
            StorageType::I64 | StorageType::F64 => 8,
            StorageType::V128 => 16,
        }
    }
}

/// One field of a struct layout.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FieldLayout {
    /// Byte offset from the start of the object's payload.
    pub offset: u32,
    /// How it is stored.
    pub ty: StorageType,
}

/// The layout of a struct type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructLayout {
    /// Payload bytes (fields and padding), a multiple of 8.
    pub size: u32,
    /// Each field, in declaration order.
    pub fields: Box<[FieldLayout]>,
    /// Offsets of the fields the collector traces.
    pub refs: Box<[u32]>,
    /// Whether the fields cover every payload byte, so a new struct's
    /// field writes leave no padding to zero.
    pub dense: bool,
}

impl StructLayout {
    /// Lays out fields of these storage types in declaration order, each
    /// at the next offset aligned to its size.
    pub fn new(fields: &[StorageType]) -> StructLayout {
        let mut offset = 0u32;
        let mut out = Vec::with_capacity(fields.len());
        for &ty in fields {
            let size = ty.size();
            offset = offset.next_multiple_of(size);
            out.push(FieldLayout { offset, ty });
            offset += size;
        }
        let refs = out
            .iter()
            .filter(|f| f.ty == StorageType::Ref)
            .map(|f| f.offset)
            .collect();
        let size = offset.next_multiple_of(8);
        let covered: u32 = fields.iter().map(|ty| ty.size()).sum();
        StructLayout {
            size,
            fields: out.into(),
            refs,
            dense: covered == size,
        }
    }
}

/// The layout of an array type.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ArrayLayout {
    /// How each element is stored (elements are packed back to back).
    pub elem: StorageType,
}

/// The layout of a type the heap allocates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A struct type.
    Struct(StructLayout),
    /// An array type.
    Array(ArrayLayout),
}

#[cfg(test)]
mod tests {
    use super::*;
    use StorageType as S;

    #[test]
    fn packed_fields_take_their_own_size() {
        let l = StructLayout::new(&[S::I8, S::I8, S::I16]);
        let offsets: Vec<u32> = l.fields.iter().map(|f| f.offset).collect();
        assert_eq!(offsets, [0, 1, 2]);
        assert_eq!(l.size, 8, "4 bytes of payload, rounded to the heap's 8");
    }

    #[test]
    fn fields_are_naturally_aligned() {
        let l = StructLayout::new(&[S::I8, S::I64, S::I16, S::V128, S::Ref, S::FuncRef]);
        let offsets: Vec<u32> = l.fields.iter().map(|f| f.offset).collect();
        assert_eq!(offsets, [0, 8, 16, 32, 48, 52]);
        assert_eq!(l.size, 56);
        assert_eq!(&*l.refs, &[48], "only GC references are traced");
    }
}
