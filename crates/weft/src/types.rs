//! weft's own representation of WebAssembly types (Wasm 3.0: reference
//! types with heap types, recursive groups and subtyping).
//!
//! Concrete heap types name an engine-wide canonical [`TypeId`] handed out by
//! the engine's type registry, so two structurally identical types from
//! different modules compare equal by id.

use std::fmt;

/// An engine-wide canonical index of a defined (function, struct or array)
/// type, with what it defines. Equal ids mean equivalent types under the
/// spec's iso-recursive rules. The kind travels with the index so that a
/// type's hierarchy (and so its null) is known without the registry.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId {
    index: u32,
    kind: DefinedKind,
}

/// What a defined type defines.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefinedKind {
    /// A function signature.
    Func,
    /// A struct.
    Struct,
    /// An array.
    Array,
}

impl TypeId {
    /// The id of the registry's type `index`, which defines a `kind`.
    pub(crate) const fn new(index: u32, kind: DefinedKind) -> TypeId {
        TypeId { index, kind }
    }

    /// The type's index in its engine's registry.
    pub(crate) const fn index(self) -> u32 {
        self.index
    }

    /// What the type defines.
    pub const fn kind(self) -> DefinedKind {
        self.kind
    }
}

/// The type of a WebAssembly value.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 128-bit vector.
    V128,
    /// A reference.
    Ref(RefType),
}

/// A reference type: a heap type and whether null is allowed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct RefType {
    /// Whether the reference may be null.
    pub nullable: bool,
    /// What the reference points to.
    pub heap: HeapType,
}

/// What a reference points to.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// Any function.
    Func,
    /// The bottom of the function hierarchy.
    NoFunc,
    /// Host references.
    Extern,
    /// The bottom of the extern hierarchy.
    NoExtern,
    /// Any internal (GC) reference.
    Any,
    /// References that can be compared with `ref.eq`.
    Eq,
    /// Unboxed 31-bit integers.
    I31,
    /// Any struct.
    Struct,
    /// Any array.
    Array,
    /// The bottom of the internal hierarchy.
    None,
    /// Exception references.
    Exn,
    /// The bottom of the exception hierarchy.
    NoExn,
    /// A defined type.
    Concrete(TypeId),
}

impl RefType {
    /// `funcref`.
    pub const FUNCREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Func,
    };
    /// `externref`.
    pub const EXTERNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Extern,
    };
    /// `anyref`.
    pub const ANYREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Any,
    };
    /// `exnref`.
    pub const EXNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Exn,
    };
}

impl ValType {
    /// `funcref`.
    pub const FUNCREF: ValType = ValType::Ref(RefType::FUNCREF);
    /// `externref`.
    pub const EXTERNREF: ValType = ValType::Ref(RefType::EXTERNREF);

    /// Whether values of this type are references.
    pub fn is_ref(&self) -> bool {
        matches!(self, ValType::Ref(_))
    }

    /// Whether a local of this type can start out as its default value.
    pub fn is_defaultable(&self) -> bool {
        match self {
            ValType::Ref(r) => r.nullable,
            _ => true,
        }
    }
}

/// The top of the hierarchy a heap type belongs to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Hierarchy {
    Func,
    Extern,
    Any,
    Exn,
}

impl HeapType {
    /// The hierarchy the heap type belongs to.
    pub(crate) fn hierarchy(self) -> Hierarchy {
        use HeapType::*;
        match self {
            Func | NoFunc => Hierarchy::Func,
            Extern | NoExtern => Hierarchy::Extern,
            Any | Eq | I31 | Struct | Array | None => Hierarchy::Any,
            Exn | NoExn => Hierarchy::Exn,
            Concrete(id) => match id.kind() {
                DefinedKind::Func => Hierarchy::Func,
                DefinedKind::Struct | DefinedKind::Array => Hierarchy::Any,
            },
        }
    }
}

/// The signature of a function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncType {
    params: Box<[ValType]>,
    results: Box<[ValType]>,
}

impl FuncType {
    /// A function type from parameter and result types.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    /// The parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// The result types.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }
}

/// How a struct field or array element is stored.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum StorageType {
    /// Packed 8-bit integer.
    I8,
    /// Packed 16-bit integer.
    I16,
    /// A full value.
    Val(ValType),
}

/// A struct field or array element type.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldType {
    /// The stored type.
    pub storage: StorageType,
    /// Whether the field may be written.
    pub mutable: bool,
}

/// The shape of a defined type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CompositeType {
    /// A function signature.
    Func(FuncType),
    /// A struct with these fields.
    Struct(Box<[FieldType]>),
    /// An array of this element type.
    Array(FieldType),
}

impl CompositeType {
    /// What kind of type this defines.
    pub fn kind(&self) -> DefinedKind {
        match self {
            CompositeType::Func(_) => DefinedKind::Func,
            CompositeType::Struct(_) => DefinedKind::Struct,
            CompositeType::Array(_) => DefinedKind::Array,
        }
    }
}

/// A defined type with its place in the subtype hierarchy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubType {
    /// Whether no type may declare this one as supertype.
    pub is_final: bool,
    /// The declared supertype.
    pub supertype: Option<TypeId>,
    /// The type's shape.
    pub composite: CompositeType,
}

/// Limits and index type of a linear memory.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MemoryType {
    /// Minimum size in pages.
    pub minimum: u64,
    /// Maximum size in pages.
    pub maximum: Option<u64>,
    /// Whether addresses are 64-bit.
    pub memory64: bool,
    /// Whether the memory may be shared between threads.
    pub shared: bool,
    /// log2 of the page size (16 for 64 KiB pages).
    pub page_size_log2: u8,
}

impl MemoryType {
    /// A 32-bit memory with 64 KiB pages.
    pub fn new(minimum: u32, maximum: Option<u32>) -> MemoryType {
        MemoryType {
            minimum: minimum.into(),
            maximum: maximum.map(Into::into),
            memory64: false,
            shared: false,
            page_size_log2: 16,
        }
    }

    /// The largest number of pages the index type can address.
    pub(crate) fn max_pages_by_index(&self) -> u64 {
        let addr_bits = if self.memory64 { 64 } else { 32 };
        if addr_bits - u32::from(self.page_size_log2) >= 64 {
            u64::MAX
        } else {
            1u64 << (addr_bits - u32::from(self.page_size_log2))
        }
    }
}

/// Element type, limits and index type of a table.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TableType {
    /// The element type.
    pub element: RefType,
    /// Minimum size in elements.
    pub minimum: u64,
    /// Maximum size in elements.
    pub maximum: Option<u64>,
    /// Whether indices are 64-bit.
    pub table64: bool,
}

impl TableType {
    /// A 32-bit table.
    pub fn new(element: RefType, minimum: u32, maximum: Option<u32>) -> TableType {
        TableType {
            element,
            minimum: minimum.into(),
            maximum: maximum.map(Into::into),
            table64: false,
        }
    }
}

/// Whether a global may be written.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Mutability {
    /// Read-only.
    Const,
    /// Writable.
    Var,
}

/// The type of a global.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct GlobalType {
    /// The value type.
    pub content: ValType,
    /// Whether it may be written.
    pub mutability: Mutability,
}

impl GlobalType {
    /// A global type.
    pub fn new(content: ValType, mutability: Mutability) -> GlobalType {
        GlobalType {
            content,
            mutability,
        }
    }
}

/// The type of an exception tag: a function type without results.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct TagType {
    /// The canonical function type giving the payload.
    pub ty: TypeId,
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValType::I32 => f.write_str("i32"),
            ValType::I64 => f.write_str("i64"),
            ValType::F32 => f.write_str("f32"),
            ValType::F64 => f.write_str("f64"),
            ValType::V128 => f.write_str("v128"),
            ValType::Ref(r) => write!(f, "{r}"),
        }
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let null = if self.nullable { "null " } else { "" };
        write!(f, "(ref {null}{})", self.heap)
    }
}

impl fmt::Display for HeapType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            HeapType::Func => "func",
            HeapType::NoFunc => "nofunc",
            HeapType::Extern => "extern",
            HeapType::NoExtern => "noextern",
            HeapType::Any => "any",
            HeapType::Eq => "eq",
            HeapType::I31 => "i31",
            HeapType::Struct => "struct",
            HeapType::Array => "array",
            HeapType::None => "none",
            HeapType::Exn => "exn",
            HeapType::NoExn => "noexn",
            HeapType::Concrete(id) => return write!(f, "type#{}", id.index),
        };
        f.write_str(s)
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(func")?;
        for p in self.params.iter() {
            write!(f, " (param {p})")?;
        }
        for r in self.results.iter() {
            write!(f, " (result {r})")?;
        }
        f.write_str(")")
    }
}
