//! `Instance` and instantiation: matching imports, creating a module's
//! functions, globals, tables and memories in a store, applying segments,
//! and running the start function.

use crate::error::{Error, LinkError, Result, Trap, TrapKind};
use crate::exception::Tag;
use crate::exec;
use crate::externals::{Global, Memory, Table};
use crate::func::{Func, TypedFunc, WasmParams, WasmResults};
use crate::module::{EntityIndex, Module, SegmentMode};
use crate::store::*;
use crate::types::*;
use std::sync::Arc;

/// An instantiated module.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    store: StoreId,
    index: u32,
}

/// Something that can be imported or exported.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
    /// A global.
    Global(Global),
    /// An exception tag.
    Tag(Tag),
}

impl Extern {
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self {
            Some(f)
        } else {
            None
        }
    }
    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self {
            Some(t)
        } else {
            None
        }
    }
    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self {
            Some(m)
        } else {
            None
        }
    }
    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self {
            Some(g)
        } else {
            None
        }
    }
    /// The tag, if this is one.
    pub fn into_tag(self) -> Option<Tag> {
        if let Extern::Tag(t) = self {
            Some(t)
        } else {
            None
        }
    }

    fn store_id(&self) -> StoreId {
        match self {
            Extern::Func(f) => f.store,
            Extern::Table(t) => t.store,
            Extern::Memory(m) => m.store,
            Extern::Global(g) => g.store,
            Extern::Tag(t) => t.store,
        }
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}
impl From<Tag> for Extern {
    fn from(t: Tag) -> Extern {
        Extern::Tag(t)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}

impl Instance {
    pub(crate) fn from_raw(store: StoreId, index: u32) -> Instance {
        Instance { store, index }
    }

    pub(crate) fn store_id(&self) -> StoreId {
        self.store
    }

    /// Instantiates `module` with `imports` given in the module's import
    /// order.
    pub fn new(
        mut store: impl AsContextMut<Data: 'static>,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let cx = store.as_context_mut();
        instantiate(cx.inner, cx.data, module, imports)
    }

    pub(crate) fn export_in(&self, store: &StoreInner, name: &str) -> Option<Extern> {
        let data = &store.instances[self.index as usize];
        let (_, idx) = data
            .module
            .inner()
            .exports
            .iter()
            .find(|(n, _)| n == name)?;
        Some(entity_extern(store, data, *idx))
    }

    /// The export called `name`.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        let cx = store.as_context();
        cx.inner.check(self.store).ok()?;
        self.export_in(cx.inner, name)
    }

    /// All exports, in order.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn exports(&self, store: impl AsContext) -> Vec<(String, Extern)> {
        let cx = store.as_context();
        let data = &cx.inner.owning(self.store).instances[self.index as usize];
        data.module
            .inner()
            .exports
            .iter()
            .map(|(n, idx)| (n.clone(), entity_extern(cx.inner, data, *idx)))
            .collect()
    }

    /// The exported function called `name`.
    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported function called `name`, with a checked typed signature.
    pub fn get_typed_func<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<TypedFunc<P, R>> {
        let cx = store.as_context();
        let f = self
            .get_func(&cx, name)
            .ok_or_else(|| Error::usage(format!("no exported function `{name}`")))?;
        f.typed(&cx)
    }

    /// The exported memory called `name`.
    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// The exported table called `name`.
    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// The exported global called `name`.
    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// The module this instance was made from.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn module<'a>(&self, store: &'a impl AsContext) -> &'a Module {
        &crate::values::store_inner(store)
            .owning(self.store)
            .instances[self.index as usize]
            .module
    }
}

fn entity_extern(store: &StoreInner, data: &InstanceData, idx: EntityIndex) -> Extern {
    let id = store.id;
    match idx {
        EntityIndex::Func(i) => Extern::Func(Func::from_raw(id, data.funcs[i as usize])),
        EntityIndex::Table(i) => Extern::Table(Table::from_raw(id, data.tables[i as usize])),
        EntityIndex::Memory(i) => Extern::Memory(Memory::from_raw(id, data.memories[i as usize])),
        EntityIndex::Global(i) => Extern::Global(Global::from_raw(id, data.globals[i as usize])),
        EntityIndex::Tag(i) => Extern::Tag(Tag::from_raw(id, data.tags[i as usize])),
    }
}

/// Whether limits `(min, max)` of a provided object satisfy the required
/// limits.
fn limits_match(min: u64, max: Option<u64>, req_min: u64, req_max: Option<u64>) -> bool {
    min >= req_min
        && match (max, req_max) {
            (_, None) => true,
            (Some(m), Some(r)) => m <= r,
            (None, Some(_)) => false,
        }
}

/// Checks that `provided` can satisfy import `i` of `module`.
fn check_import(store: &StoreInner, module: &Module, i: usize, provided: &Extern) -> Result<()> {
    let m = module.inner();
    let decl = &m.imports[i];
    let mismatch = |reason: String| {
        Error::Link(LinkError::IncompatibleType {
            module: decl.module.clone(),
            name: decl.name.clone(),
            reason,
        })
    };
    store
        .check(provided.store_id())
        .map_err(|_| mismatch("import from another store".into()))?;
    let types = store.engine.types();
    match (decl.index, provided) {
        (EntityIndex::Func(f), Extern::Func(p)) => {
            let want = m.funcs[f as usize];
            let have = store.funcs[p.index as usize].ty;
            if !types.is_subtype_id(have, want) {
                return Err(mismatch("function types differ".into()));
            }
        }
        (EntityIndex::Table(t), Extern::Table(p)) => {
            let want = m.tables[t as usize];
            let have = &store.tables[p.index as usize];
            let ok = have.ty.element == want.element
                && have.ty.table64 == want.table64
                && limits_match(
                    have.elems.len() as u64,
                    have.ty.maximum,
                    want.minimum,
                    want.maximum,
                );
            if !ok {
                return Err(mismatch("table types differ".into()));
            }
        }
        (EntityIndex::Memory(mi), Extern::Memory(p)) => {
            let want = m.memories[mi as usize];
            let have = &store.memories[p.index as usize];
            let ok = have.ty.memory64 == want.memory64
                && have.ty.page_size_log2 == want.page_size_log2
                && have.ty.shared == want.shared
                && limits_match(have.pages(), have.ty.maximum, want.minimum, want.maximum);
            if !ok {
                return Err(mismatch("memory types differ".into()));
            }
        }
        (EntityIndex::Global(g), Extern::Global(p)) => {
            let want = m.globals[g as usize];
            let have = store.globals[p.index as usize].ty;
            let ok = have.mutability == want.mutability
                && match want.mutability {
                    Mutability::Const => types.is_val_subtype(have.content, want.content),
                    Mutability::Var => have.content == want.content,
                };
            if !ok {
                return Err(mismatch("global types differ".into()));
            }
        }
        (EntityIndex::Tag(t), Extern::Tag(p)) => {
            if store.tags[p.index as usize].ty != m.tags[t as usize] {
                return Err(mismatch("tag types differ".into()));
            }
        }
        _ => return Err(mismatch("wrong kind of item".into())),
    }
    Ok(())
}

pub(crate) fn instantiate(
    store: &mut StoreInner,
    host: &mut dyn std::any::Any,
    module: &Module,
    imports: &[Extern],
) -> Result<Instance> {
    if !crate::Engine::same(&store.engine, module.engine()) {
        return Err(Error::usage("module and store belong to different engines"));
    }
    let m = module.inner();
    if imports.len() != m.imports.len() {
        return Err(Error::usage(format!(
            "module needs {} imports, {} given",
            m.imports.len(),
            imports.len()
        )));
    }
    store.check_instance_limit()?;
    let mut data = InstanceData {
        module: module.clone(),
        funcs: Vec::with_capacity(m.funcs.len()),
        tables: Vec::new(),
        memories: Vec::new(),
        globals: Vec::new(),
        tags: Vec::new(),
        elems: Vec::new(),
        data_dropped: vec![false; m.datas.len()],
    };
    for (i, provided) in imports.iter().enumerate() {
        check_import(store, module, i, provided)?;
        match provided {
            Extern::Func(f) => data.funcs.push(f.index),
            Extern::Table(t) => data.tables.push(t.index),
            Extern::Memory(mm) => data.memories.push(mm.index),
            Extern::Global(g) => data.globals.push(g.index),
            Extern::Tag(t) => data.tags.push(t.index),
        }
    }
    let index = store.instances.len() as u32;
    for (def, &ty) in m.funcs[m.num_imported_funcs as usize..].iter().enumerate() {
        let kind = FuncKind::Wasm {
            instance: index,
            def_index: def as u32,
        };
        data.funcs.push(store.push_func(FuncEntry { ty, kind }));
    }
    crate::gc::define_layouts(store, &m.types);
    let func_cell = |funcs: &[u32], i: u32| u64::from(funcs[i as usize]) + 1;
    with_heap(store, |store, heap| -> Result<()> {
        for (def, init) in m.global_inits.iter().enumerate() {
            let ty = m.globals[m.num_imported_globals as usize + def];
            let v = init.eval(
                &|g| global_value(store, &data.globals, g),
                &|f| func_cell(&data.funcs, f),
                heap,
            )?;
            let global = GlobalInstance {
                value: v as u64,
                hi: (v >> 64) as u64,
                ty,
            };
            data.globals.push(store.push_global(global));
        }
        for (def, init) in m.table_inits.iter().enumerate() {
            let ty = m.tables[m.num_imported_tables as usize + def];
            let fill = match init {
                Some(e) => e.eval(
                    &|g| global_value(store, &data.globals, g),
                    &|f| func_cell(&data.funcs, f),
                    heap,
                )? as u64,
                None => 0,
            };
            data.tables.push(store.new_table(ty, fill)?);
        }
        Ok(())
    })?;
    for &ty in &m.tags[m.num_imported_tags as usize..] {
        data.tags.push(store.push_tag(ty));
    }
    for ty in &m.memories[m.num_imported_memories as usize..] {
        data.memories.push(store.new_memory(*ty)?);
    }
    with_heap(store, |store, heap| -> Result<()> {
        for seg in &m.elems {
            let items = seg
                .items
                .iter()
                .map(|e| {
                    e.eval(
                        &|g| global_value(store, &data.globals, g),
                        &|f| func_cell(&data.funcs, f),
                        heap,
                    )
                    .map(|v| v as u64)
                })
                .collect::<Result<Vec<u64>>>()?;
            data.elems.push(items.into());
        }
        Ok(())
    })?;
    store.instances.push(data);
    exec::register_instance(store, index);
    initialize(store, index)?;
    if let Some(start) = m.start {
        let f = store.instances[index as usize].funcs[start as usize];
        exec::invoke(store, host, f, Some(index), &[], &mut [])?;
    }
    Ok(Instance {
        store: store.id,
        index,
    })
}

/// The value of global `g` of an instance's global index space.
/// Runs `f` with the store's GC heap taken out of it, so that constant
/// expressions can allocate while reading the rest of the store.
fn with_heap<R>(
    store: &mut StoreInner,
    f: impl FnOnce(&mut StoreInner, &mut weft_gc::Heap) -> R,
) -> R {
    let mut heap = std::mem::replace(&mut store.gc, weft_gc::Heap::new(0));
    let r = f(store, &mut heap);
    store.gc = heap;
    r
}

fn global_value(store: &StoreInner, globals: &[u32], g: u32) -> u128 {
    let g = &store.globals[globals[g as usize] as usize];
    u128::from(g.value) | u128::from(g.hi) << 64
}

/// Applies active element and data segments in order, then drops them and
/// the declared ones. A segment out of bounds traps, keeping the effects of
/// the segments before it.
fn initialize(store: &mut StoreInner, index: u32) -> Result<()> {
    let module = store.instances[index as usize].module.clone();
    let m = module.inner();
    let global = |store: &StoreInner, g: u32| {
        global_value(store, &store.instances[index as usize].globals, g)
    };
    for (i, seg) in m.elems.iter().enumerate() {
        match &seg.mode {
            SegmentMode::Active {
                index: table,
                offset,
            } => {
                let start =
                    offset.eval(&|g| global(store, g), &|_| 0, &mut weft_gc::Heap::new(0))? as u64;
                let inst = &store.instances[index as usize];
                let items: Arc<[u64]> = inst.elems[i].clone();
                let t = inst.tables[*table as usize];
                let elems = &mut store.tables[t as usize].elems;
                let in_bounds = start
                    .checked_add(items.len() as u64)
                    .is_some_and(|end| end <= elems.len() as u64);
                if !in_bounds {
                    return Err(Trap::new(TrapKind::TableOutOfBounds).into());
                }
                elems[start as usize..start as usize + items.len()].copy_from_slice(&items);
                store.instances[index as usize].elems[i] = Vec::new().into();
            }
            SegmentMode::Declared => store.instances[index as usize].elems[i] = Vec::new().into(),
            SegmentMode::Passive => {}
        }
    }
    for (i, seg) in m.datas.iter().enumerate() {
        if let SegmentMode::Active { index: mem, offset } = &seg.mode {
            let start =
                offset.eval(&|g| global(store, g), &|_| 0, &mut weft_gc::Heap::new(0))? as u64;
            let mi = store.instances[index as usize].memories[*mem as usize];
            let bytes = &mut store.memories[mi as usize].data;
            let in_bounds = start
                .checked_add(seg.range.len() as u64)
                .is_some_and(|end| end <= bytes.len() as u64);
            if !in_bounds {
                return Err(Trap::new(TrapKind::MemoryOutOfBounds).into());
            }
            bytes[start as usize..start as usize + seg.range.len()]
                .copy_from_slice(m.data(i as u32));
            store.instances[index as usize].data_dropped[i] = true;
        }
    }
    Ok(())
}
