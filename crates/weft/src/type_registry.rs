//! The engine-wide registry of defined types: canonicalizes recursive type
//! groups so that equivalent types from any module share one [`TypeId`], and
//! answers subtyping questions between them.
//!
//! Canonical form of a group: references to types inside the group become
//! group-relative placeholders, references outside it are already canonical
//! ids. Two groups are equivalent exactly when their canonical forms are
//! equal, which is the spec's iso-recursive type equivalence.

use crate::types::*;
use std::collections::HashMap;
use wasmparser as wp;

/// Placeholder ids for group-relative references; real ids stay below this.
const REL_BASE: u32 = 0x8000_0000;

/// Canonical type storage for one engine. Types are never removed.
#[derive(Default)]
pub(crate) struct TypeRegistry {
    groups: HashMap<Box<[SubType]>, u32>,
    types: Vec<SubType>,
}

impl TypeRegistry {
    /// The definition of a canonical type.
    pub(crate) fn get(&self, id: TypeId) -> &SubType {
        &self.types[id.index() as usize]
    }

    /// The function signature of a canonical function type.
    pub(crate) fn func_type(&self, id: TypeId) -> Option<&FuncType> {
        match &self.get(id).composite {
            CompositeType::Func(f) => Some(f),
            _ => None,
        }
    }

    /// Registers a standalone function type (from the host API).
    pub(crate) fn register_func(&mut self, ty: FuncType) -> TypeId {
        self.register_composite(CompositeType::Func(ty))
    }

    /// Registers a standalone (final, supertype-less) type from the host
    /// API.
    pub(crate) fn register_composite(&mut self, composite: CompositeType) -> TypeId {
        let group = vec![SubType {
            is_final: true,
            supertype: None,
            composite,
        }];
        self.register_group(group)[0]
    }

    /// Registers one recursive group of a module, given the canonical ids of
    /// the module's earlier types. Returns the ids of the group's types.
    pub(crate) fn register_module_group(
        &mut self,
        group: &wp::RecGroup,
        earlier: &[TypeId],
    ) -> Result<Vec<TypeId>, String> {
        let start = earlier.len() as u32;
        let members: Vec<&wp::SubType> = group.types().collect();
        let len = members.len() as u32;
        let relative = |i: u32| -> Result<TypeId, String> {
            let kind = match &members
                .get(i as usize)
                .ok_or("unknown type")?
                .composite_type
                .inner
            {
                wp::CompositeInnerType::Func(_) => DefinedKind::Func,
                wp::CompositeInnerType::Struct(_) => DefinedKind::Struct,
                wp::CompositeInnerType::Array(_) => DefinedKind::Array,
                wp::CompositeInnerType::Cont(_) => {
                    return Err("continuation types are not supported".into());
                }
            };
            Ok(TypeId::new(REL_BASE + i, kind))
        };
        let map = |idx: wp::UnpackedIndex| -> Result<TypeId, String> {
            match idx {
                wp::UnpackedIndex::Module(i) if i >= start && i < start + len => {
                    relative(i - start)
                }
                wp::UnpackedIndex::Module(i) => earlier
                    .get(i as usize)
                    .copied()
                    .ok_or_else(|| format!("unknown type {i}")),
                wp::UnpackedIndex::RecGroup(i) => relative(i),
                wp::UnpackedIndex::Id(_) => Err("unexpected canonical type id".into()),
            }
        };
        let mut key = Vec::with_capacity(len as usize);
        for sub in members.iter().copied() {
            key.push(convert_subtype(sub, &map)?);
        }
        Ok(self.register_group(key))
    }

    fn register_group(&mut self, key: Vec<SubType>) -> Vec<TypeId> {
        let key: Box<[SubType]> = key.into();
        let ids = |first: u32| -> Vec<TypeId> {
            (first..)
                .zip(key.iter())
                .map(|(index, sub)| TypeId::new(index, sub.composite.kind()))
                .collect()
        };
        if let Some(&first) = self.groups.get(&key) {
            return ids(first);
        }
        let first = self.types.len() as u32;
        let resolve = |id: TypeId| {
            if id.index() >= REL_BASE {
                TypeId::new(first + (id.index() - REL_BASE), id.kind())
            } else {
                id
            }
        };
        for sub in key.iter() {
            self.types.push(map_subtype_ids(sub, &resolve));
        }
        let made = ids(first);
        self.groups.insert(key, first);
        made
    }

    /// Whether defined type `a` is `b` or declares it as a (transitive) supertype.
    pub(crate) fn is_subtype_id(&self, mut a: TypeId, b: TypeId) -> bool {
        loop {
            if a == b {
                return true;
            }
            match self.get(a).supertype {
                Some(s) => a = s,
                None => return false,
            }
        }
    }

    /// Heap-type subtyping.
    pub(crate) fn is_heap_subtype(&self, a: HeapType, b: HeapType) -> bool {
        use HeapType::*;
        if a == b {
            return true;
        }
        match (a, b) {
            (Concrete(x), Concrete(y)) => self.is_subtype_id(x, y),
            (Concrete(x), abs) => matches!(
                (x.kind(), abs),
                (DefinedKind::Func, Func)
                    | (DefinedKind::Struct, Struct | Eq | Any)
                    | (DefinedKind::Array, Array | Eq | Any)
            ),
            (NoFunc, other) => other.hierarchy() == Hierarchy::Func,
            (None, other) => other.hierarchy() == Hierarchy::Any,
            (NoExtern, Extern) | (NoExn, Exn) => true,
            (I31 | Struct | Array, Eq | Any) | (Eq, Any) => true,
            _ => false,
        }
    }

    /// Reference-type subtyping.
    pub(crate) fn is_ref_subtype(&self, a: RefType, b: RefType) -> bool {
        (!a.nullable || b.nullable) && self.is_heap_subtype(a.heap, b.heap)
    }

    /// Value-type subtyping.
    pub(crate) fn is_val_subtype(&self, a: ValType, b: ValType) -> bool {
        match (a, b) {
            (ValType::Ref(x), ValType::Ref(y)) => self.is_ref_subtype(x, y),
            (x, y) => x == y,
        }
    }
}

fn map_val_ids(v: ValType, f: &impl Fn(TypeId) -> TypeId) -> ValType {
    match v {
        ValType::Ref(RefType {
            nullable,
            heap: HeapType::Concrete(id),
        }) => ValType::Ref(RefType {
            nullable,
            heap: HeapType::Concrete(f(id)),
        }),
        other => other,
    }
}

fn map_field_ids(ft: FieldType, f: &impl Fn(TypeId) -> TypeId) -> FieldType {
    let storage = match ft.storage {
        StorageType::Val(v) => StorageType::Val(map_val_ids(v, f)),
        packed => packed,
    };
    FieldType {
        storage,
        mutable: ft.mutable,
    }
}

fn map_subtype_ids(sub: &SubType, f: &impl Fn(TypeId) -> TypeId) -> SubType {
    let composite = match &sub.composite {
        CompositeType::Func(ft) => CompositeType::Func(FuncType::new(
            ft.params().iter().map(|v| map_val_ids(*v, f)),
            ft.results().iter().map(|v| map_val_ids(*v, f)),
        )),
        CompositeType::Struct(fields) => {
            CompositeType::Struct(fields.iter().map(|x| map_field_ids(*x, f)).collect())
        }
        CompositeType::Array(ft) => CompositeType::Array(map_field_ids(*ft, f)),
    };
    SubType {
        is_final: sub.is_final,
        supertype: sub.supertype.map(f),
        composite,
    }
}

type IndexMap<'a> = dyn Fn(wp::UnpackedIndex) -> Result<TypeId, String> + 'a;

fn convert_subtype(sub: &wp::SubType, map: &IndexMap<'_>) -> Result<SubType, String> {
    let composite = match &sub.composite_type.inner {
        wp::CompositeInnerType::Func(ft) => {
            let params = ft
                .params()
                .iter()
                .map(|v| convert_val(*v, map))
                .collect::<Result<Vec<_>, _>>()?;
            let results = ft
                .results()
                .iter()
                .map(|v| convert_val(*v, map))
                .collect::<Result<Vec<_>, _>>()?;
            CompositeType::Func(FuncType::new(params, results))
        }
        wp::CompositeInnerType::Struct(st) => CompositeType::Struct(
            st.fields
                .iter()
                .map(|f| convert_field(*f, map))
                .collect::<Result<_, _>>()?,
        ),
        wp::CompositeInnerType::Array(at) => CompositeType::Array(convert_field(at.0, map)?),
        wp::CompositeInnerType::Cont(_) => {
            return Err("continuation types are not supported".into());
        }
    };
    let supertype = match sub.supertype_idxs.first() {
        Some(p) => Some(map(p.unpack())?),
        None => None,
    };
    Ok(SubType {
        is_final: sub.is_final,
        supertype,
        composite,
    })
}

fn convert_field(f: wp::FieldType, map: &IndexMap<'_>) -> Result<FieldType, String> {
    let storage = match f.element_type {
        wp::StorageType::I8 => StorageType::I8,
        wp::StorageType::I16 => StorageType::I16,
        wp::StorageType::Val(v) => StorageType::Val(convert_val(v, map)?),
    };
    Ok(FieldType {
        storage,
        mutable: f.mutable,
    })
}

/// Converts a parsed value type, resolving type indices through `map`.
pub(crate) fn convert_val(v: wp::ValType, map: &IndexMap<'_>) -> Result<ValType, String> {
    Ok(match v {
        wp::ValType::I32 => ValType::I32,
        wp::ValType::I64 => ValType::I64,
        wp::ValType::F32 => ValType::F32,
        wp::ValType::F64 => ValType::F64,
        wp::ValType::V128 => ValType::V128,
        wp::ValType::Ref(r) => ValType::Ref(convert_ref(r, map)?),
    })
}

/// Converts a parsed reference type, resolving type indices through `map`.
pub(crate) fn convert_ref(r: wp::RefType, map: &IndexMap<'_>) -> Result<RefType, String> {
    use wp::AbstractHeapType as A;
    let heap = match r.heap_type() {
        wp::HeapType::Abstract { shared: true, .. } => {
            return Err("shared references are not supported".into());
        }
        wp::HeapType::Abstract { ty, .. } => match ty {
            A::Func => HeapType::Func,
            A::Extern => HeapType::Extern,
            A::Any => HeapType::Any,
            A::None => HeapType::None,
            A::NoExtern => HeapType::NoExtern,
            A::NoFunc => HeapType::NoFunc,
            A::Eq => HeapType::Eq,
            A::Struct => HeapType::Struct,
            A::Array => HeapType::Array,
            A::I31 => HeapType::I31,
            A::Exn => HeapType::Exn,
            A::NoExn => HeapType::NoExn,
            A::Cont | A::NoCont => return Err("continuations are not supported".into()),
        },
        wp::HeapType::Concrete(idx) => HeapType::Concrete(map(idx)?),
        wp::HeapType::Exact(_) => return Err("exact types are not supported".into()),
    };
    Ok(RefType {
        nullable: r.is_nullable(),
        heap,
    })
}
