//! The store's side of WebAssembly GC, between the engine's types and the
//! heap of `weft-gc`: the layout of each struct and array type, how a
//! value is stored in a field, the run-time test of a reference against a
//! heap type, and the traps heap errors become.
//!
//! Reference cells: 0 is null; in the `any`, `extern` and `exn` hierarchies
//! a cell is a [`GcRef`] (an i31, or a heap object: struct, array, box of
//! host data, exception), so `any.convert_extern` and `extern.convert_any`
//! change nothing; a `funcref` is its store function id plus one, stored
//! in fields as 32 bits and not traced.
//!
//! An exception is a heap struct whose layout is keyed by its tag's
//! function type (which has no struct layout of its own): the store's tag
//! index, then the payload values as fields.

use crate::error::TrapKind;
use crate::store::StoreInner;
use crate::type_registry::TypeRegistry;
use crate::types::{
    CompositeType, DefinedKind, HeapType, Hierarchy, RefType, StorageType, TypeId, ValType,
};
use weft_gc::{ArrayLayout, GcRef, HeapError, Kind, Layout, StructLayout};

pub(crate) use weft_gc::StorageType as FieldStorage;

/// How a field of storage type `ty` is kept in the heap.
pub(crate) fn field_storage(ty: StorageType) -> FieldStorage {
    match ty {
        StorageType::I8 => FieldStorage::I8,
        StorageType::I16 => FieldStorage::I16,
        StorageType::Val(ValType::I32) => FieldStorage::I32,
        StorageType::Val(ValType::I64) => FieldStorage::I64,
        StorageType::Val(ValType::F32) => FieldStorage::F32,
        StorageType::Val(ValType::F64) => FieldStorage::F64,
        StorageType::Val(ValType::V128) => FieldStorage::V128,
        StorageType::Val(ValType::Ref(r)) => match r.heap.hierarchy() {
            Hierarchy::Any | Hierarchy::Extern | Hierarchy::Exn => FieldStorage::Ref,
            // A store index, not a heap object: 32 bits the collector skips.
            Hierarchy::Func => FieldStorage::FuncRef,
        },
    }
}

/// Every storage a field can have, by operand code ([`storage_code`]).
const STORAGES: [FieldStorage; 9] = [
    FieldStorage::I8,
    FieldStorage::I16,
    FieldStorage::I32,
    FieldStorage::I64,
    FieldStorage::F32,
    FieldStorage::F64,
    FieldStorage::V128,
    FieldStorage::Ref,
    FieldStorage::FuncRef,
];

/// A field storage as an instruction operand.
pub(crate) fn storage_code(s: FieldStorage) -> u32 {
    STORAGES.iter().position(|&x| x == s).unwrap_or(0) as u32
}

/// The field storage an operand made by [`storage_code`] names.
pub(crate) fn storage_of_code(code: u32) -> FieldStorage {
    STORAGES[code as usize % STORAGES.len()]
}

/// The layout of struct type `ty` (a struct by validation).
pub(crate) fn struct_layout(ty: TypeId, types: &TypeRegistry) -> StructLayout {
    let fields: Vec<FieldStorage> = match &types.get(ty).composite {
        CompositeType::Struct(fields) => fields.iter().map(|f| field_storage(f.storage)).collect(),
        _ => Vec::new(),
    };
    StructLayout::new(&fields)
}

/// Gives the store's heap the layout of every struct and array type of
/// `types` it does not know yet.
pub(crate) fn define_layouts(store: &mut StoreInner, types: &[TypeId]) {
    let registry = store.engine.types();
    for &id in types {
        if store.gc.layout(id.index()).is_ok() {
            continue;
        }
        let layout = match &registry.get(id).composite {
            CompositeType::Struct(_) => Layout::Struct(struct_layout(id, &registry)),
            CompositeType::Array(elem) => Layout::Array(ArrayLayout {
                elem: field_storage(elem.storage),
            }),
            CompositeType::Func(_) => continue,
        };
        store.gc.define(id.index(), layout);
    }
}

/// The bits a field of storage `ty` holds for the value in `lo` (and, for
/// a `v128`, `hi`).
pub(crate) fn to_field(lo: u64, hi: u64, ty: FieldStorage) -> u128 {
    match ty {
        FieldStorage::V128 => u128::from(lo) | (u128::from(hi) << 64),
        _ => u128::from(lo),
    }
}

/// The cells (low, high) of the value a field of storage `ty` holds:
/// packed integers sign-extended when `signed`, zero-extended otherwise.
pub(crate) fn from_field(bits: u128, ty: FieldStorage, signed: bool) -> (u64, u64) {
    let lo = match (ty, signed) {
        (FieldStorage::I8, true) => u64::from(bits as u8 as i8 as i32 as u32),
        (FieldStorage::I16, true) => u64::from(bits as u16 as i16 as i32 as u32),
        _ => bits as u64,
    };
    (lo, (bits >> 64) as u64)
}

/// The trap a failed heap access becomes; `null` is the trap for a null
/// reference (which names the kind of object that was expected).
pub(crate) fn trap_of(e: HeapError, null: TrapKind) -> TrapKind {
    match e {
        HeapError::Null => null,
        HeapError::OutOfBounds => TrapKind::ArrayOutOfBounds,
        HeapError::OutOfMemory => TrapKind::GcHeapOutOfMemory,
        // A reference that validation typed as this kind of object but the
        // heap does not hold as one: only a corrupted heap gets here.
        _ => TrapKind::CorruptedGcHeap,
    }
}

/// Where a concrete type's kind sits in its operand code (indices stay
/// below it; the registry never holds anywhere near 2^29 types).
const KIND_SHIFT: u32 = 29;

/// A heap type as an instruction operand: a concrete type's index and
/// kind, or one of the abstract types above every such code.
pub(crate) fn encode_heap_type(h: HeapType) -> u32 {
    const BASE: u32 = u32::MAX - 16;
    match h {
        HeapType::Concrete(id) => {
            let kind = match id.kind() {
                DefinedKind::Func => 0,
                DefinedKind::Struct => 1,
                DefinedKind::Array => 2,
            };
            id.index() | kind << KIND_SHIFT
        }
        HeapType::Func => BASE,
        HeapType::NoFunc => BASE + 1,
        HeapType::Extern => BASE + 2,
        HeapType::NoExtern => BASE + 3,
        HeapType::Any => BASE + 4,
        HeapType::Eq => BASE + 5,
        HeapType::I31 => BASE + 6,
        HeapType::Struct => BASE + 7,
        HeapType::Array => BASE + 8,
        HeapType::None => BASE + 9,
        HeapType::Exn => BASE + 10,
        HeapType::NoExn => BASE + 11,
    }
}

/// The heap type an operand made by [`encode_heap_type`] names.
pub(crate) fn decode_heap_type(code: u32) -> HeapType {
    const BASE: u32 = u32::MAX - 16;
    match code.checked_sub(BASE) {
        None => {
            let kind = match code >> KIND_SHIFT {
                0 => DefinedKind::Func,
                1 => DefinedKind::Struct,
                _ => DefinedKind::Array,
            };
            HeapType::Concrete(TypeId::new(code & ((1 << KIND_SHIFT) - 1), kind))
        }
        Some(0) => HeapType::Func,
        Some(1) => HeapType::NoFunc,
        Some(2) => HeapType::Extern,
        Some(3) => HeapType::NoExtern,
        Some(4) => HeapType::Any,
        Some(5) => HeapType::Eq,
        Some(6) => HeapType::I31,
        Some(7) => HeapType::Struct,
        Some(8) => HeapType::Array,
        Some(9) => HeapType::None,
        Some(10) => HeapType::Exn,
        _ => HeapType::NoExn,
    }
}

/// The defined type of the struct or array `r`.
pub(crate) fn object_type(store: &StoreInner, r: GcRef) -> Result<TypeId, HeapError> {
    typed(store, r, store.gc.kind(r)?)
}

/// The defined type of `r`, an object of kind `kind` (read already).
fn typed(store: &StoreInner, r: GcRef, kind: Kind) -> Result<TypeId, HeapError> {
    let kind = match kind {
        Kind::Struct => DefinedKind::Struct,
        Kind::Array => DefinedKind::Array,
        Kind::Extern => return Err(HeapError::WrongKind),
    };
    Ok(TypeId::new(store.gc.type_index(r)?, kind))
}

/// Whether the reference in `cell` is of type `(ref null? target)`
/// (`ref.test`; `ref.cast` and `br_on_cast` are built on it). Validation
/// guarantees the cell belongs to `target`'s hierarchy.
pub(crate) fn ref_matches(store: &StoreInner, cell: u64, target: HeapType, nullable: bool) -> bool {
    if cell == 0 {
        return nullable;
    }
    let types = store.engine.types();
    match target.hierarchy() {
        Hierarchy::Func => match target {
            HeapType::Func => true,
            HeapType::Concrete(t) => store
                .funcs
                .get((cell - 1) as usize)
                .is_some_and(|f| types.is_subtype_id(f.ty, t)),
            _ => false,
        },
        Hierarchy::Extern => target == HeapType::Extern,
        Hierarchy::Exn => target == HeapType::Exn,
        Hierarchy::Any => {
            let r = GcRef(cell as u32);
            if r.is_i31() {
                return matches!(target, HeapType::Any | HeapType::Eq | HeapType::I31);
            }
            match (store.gc.kind(r), target) {
                (_, HeapType::Any) => true,
                (Ok(Kind::Struct), HeapType::Eq | HeapType::Struct)
                | (Ok(Kind::Array), HeapType::Eq | HeapType::Array) => true,
                (Ok(kind @ (Kind::Struct | Kind::Array)), HeapType::Concrete(t)) => {
                    typed(store, r, kind).is_ok_and(|ty| types.is_subtype_id(ty, t))
                }
                _ => false,
            }
        }
    }
}

/// Whether references of type `r` are heap references the collector
/// traces (all but function references).
fn traced(r: RefType) -> bool {
    r.heap.hierarchy() != Hierarchy::Func
}

/// Appends the references the store itself holds to `out`: globals,
/// tables, element segments, exception payloads, and the embedder's roots.
pub(crate) fn store_roots(store: &StoreInner, out: &mut Vec<GcRef>) {
    let cell = |c: u64| GcRef(c as u32);
    for g in &store.globals {
        if let ValType::Ref(r) = g.ty.content
            && traced(r)
        {
            out.push(cell(g.value));
        }
    }
    for t in &store.tables {
        if traced(t.ty.element) {
            out.extend(t.elems.iter().map(|&c| cell(c)));
        }
    }
    for inst in &store.instances {
        let segments = &inst.module.inner().elems;
        for (seg, items) in segments.iter().zip(&inst.elems) {
            if traced(seg.ty) {
                out.extend(items.iter().map(|&c| cell(c)));
            }
        }
    }
    store.gc_roots.collect_into(out);
}

/// Collects the store's heap from host code (`Store::gc`, and allocations
/// the embedder makes), as an API error if the heap is corrupted.
pub(crate) fn collect_for_host(store: &mut StoreInner) -> crate::Result<()> {
    crate::exec::collect_from_host(store)
        .map_err(|e| crate::Error::Usage(format!("cannot collect the GC heap: {e}")))
}

/// Allocates with `alloc` from host code, collecting first if the heap
/// asks for it, once more if it is full, and then growing it if the
/// limiter agrees.
pub(crate) fn allocate_for_host(
    store: &mut StoreInner,
    mut alloc: impl FnMut(&mut weft_gc::Heap) -> Result<GcRef, HeapError>,
) -> crate::Result<GcRef> {
    if store.gc.should_collect() {
        collect_for_host(store)?;
    }
    let mut collected = false;
    loop {
        match alloc(&mut store.gc) {
            Err(HeapError::OutOfMemory) if !collected => {
                collect_for_host(store)?;
                collected = true;
            }
            Err(HeapError::OutOfMemory) if grant_growth(store) => {}
            done => return done.map_err(|e| crate::Error::Usage(format!("GC heap: {e}"))),
        }
    }
}

/// Asks the store's resource limiter to let the heap grow to what its
/// last refused allocation needed; whether the heap may now grow. It asks
/// for more when allowed (half as much again, at least a megabyte, so
/// growth stays geometric and a collection is not run for every object):
/// refused that, it searches down to the most the limiter allows, in 4 KiB
/// steps. Each `true` raises the grant, so a retry loop ends.
pub(crate) fn grant_growth(store: &mut StoreInner) -> bool {
    const STEP: usize = 4 << 10;
    let Some(wanted) = store.gc.take_wanted() else {
        return false;
    };
    let (current, limit) = (store.gc.granted(), store.gc.limit());
    let Some(limiter) = store.limiter.as_mut() else {
        store.gc.set_granted(limit);
        return true;
    };
    let mut ask = |desired: usize| {
        limiter
            .gc_heap_growing(current, desired, Some(limit))
            .unwrap_or(false)
    };
    if !ask(wanted) {
        return false;
    }
    let (mut allowed, mut refused) = (
        wanted,
        wanted
            .max(current + current / 2)
            .max(current + (1 << 20))
            .min(limit)
            + 1,
    );
    if ask(refused - 1) {
        allowed = refused - 1;
    } else {
        while refused - allowed > STEP {
            let mid = allowed + (refused - allowed) / 2;
            if ask(mid) {
                allowed = mid
            } else {
                refused = mid
            }
        }
    }
    store.gc.set_granted(allowed);
    true
}

/// Gives the heap the layout of the exceptions of tags of function type
/// `ty`, if it does not have it yet.
pub(crate) fn define_exception_layout(store: &mut StoreInner, ty: TypeId) {
    if store.gc.layout(ty.index()).is_ok() {
        return;
    }
    let types = store.engine.types();
    let mut fields = vec![FieldStorage::I32];
    if let Some(ft) = types.func_type(ty) {
        fields.extend(
            ft.params()
                .iter()
                .map(|&p| field_storage(StorageType::Val(p))),
        );
    }
    drop(types);
    store
        .gc
        .define(ty.index(), Layout::Struct(StructLayout::new(&fields)));
}

/// A new exception of store tag `tag` (of function type `ty`) with the
/// payload `cells` (two for a `v128`), in `heap`.
pub(crate) fn new_exception(
    heap: &mut weft_gc::Heap,
    tag: u32,
    ty: TypeId,
    cells: &[u64],
) -> Result<GcRef, HeapError> {
    let mut at = 0;
    heap.alloc_struct_with(ty.index(), &mut (), |k, st| {
        if k == 0 {
            return u128::from(tag);
        }
        let lo = cells.get(at).copied().unwrap_or(0);
        let hi = if st == FieldStorage::V128 {
            at += 1;
            cells.get(at).copied().unwrap_or(0)
        } else {
            0
        };
        at += 1;
        to_field(lo, hi, st)
    })
}

/// The store tag index of exception `r`.
pub(crate) fn exception_tag(heap: &weft_gc::Heap, r: GcRef) -> Result<u32, HeapError> {
    heap.struct_get(r, 0).map(|bits| bits as u32)
}

/// The payload cells of exception `r` (two for a `v128`).
pub(crate) fn exception_payload(heap: &weft_gc::Heap, r: GcRef) -> Result<Vec<u64>, HeapError> {
    let mut cells = Vec::new();
    for k in 1.. {
        let (bits, st) = match heap.struct_get_typed(r, k) {
            Ok(field) => field,
            Err(HeapError::NoField(_)) => break,
            Err(e) => return Err(e),
        };
        let (lo, hi) = from_field(bits, st, false);
        cells.push(lo);
        if st == FieldStorage::V128 {
            cells.push(hi);
        }
    }
    Ok(cells)
}

/// The heap limit of a store: references are 32-bit offsets, and the
/// engine keeps the heap well inside that.
pub(crate) const HEAP_LIMIT: usize = 1 << 30;
