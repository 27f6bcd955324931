//! `Module`: a validated and translated WebAssembly module, immutable and
//! shareable between stores and threads.
//!
//! Bytes go through `wasmparser` once: each section is validated and its
//! declarations converted to weft's types; each function body is validated
//! and, with eager translation, translated to weft's IR in the same pass.
//! With lazy translation (the default, `Config::compilation_mode`) a body
//! is only validated here, and translated on its function's first call
//! (`ModuleInner::translated`, from the executor's `lazy_entry` stub).

use crate::const_expr::ConstExpr;
use crate::engine::{CompilationMode, Engine};
use crate::error::{Error, Result};
use crate::ir::isa::{self, Call, Index};
use crate::ir::{CodeBuilder, CompiledFunc, FuncEntry, InstrPos, field, h, patch_operand};
use crate::translate::{PendingBody, check_bodies, translate_function};
use crate::type_registry::{convert_ref, convert_val};
use crate::types::*;
use std::collections::HashMap;
use std::sync::Arc;
use wasmparser as wp;

/// A compiled module. Cheap to clone.
#[derive(Clone)]
pub struct Module {
    inner: Arc<ModuleInner>,
}

/// The kind and index of an export or import.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum EntityIndex {
    Func(u32),
    Table(u32),
    Memory(u32),
    Global(u32),
    Tag(u32),
}

/// A declared import.
pub(crate) struct ImportDecl {
    pub module: String,
    pub name: String,
    pub index: EntityIndex,
}

/// How an element segment is used.
pub(crate) enum SegmentMode {
    Passive,
    Declared,
    Active { index: u32, offset: ConstExpr },
}

/// An element segment.
pub(crate) struct ElemSegment {
    pub mode: SegmentMode,
    /// The type of the segment's references.
    pub ty: RefType,
    pub items: Vec<ConstExpr>,
}

/// A data segment: its bytes are those of the module's binary in `range`.
pub(crate) struct DataSegment {
    pub mode: SegmentMode,
    pub range: std::ops::Range<usize>,
}

/// Everything known about a module. Index spaces include imports first.
pub(crate) struct ModuleInner {
    pub engine: Engine,
    pub name: Option<String>,
    pub types: Vec<TypeId>,
    pub funcs: Vec<TypeId>,
    pub num_imported_funcs: u32,
    pub tables: Vec<TableType>,
    pub table_inits: Vec<Option<ConstExpr>>,
    pub num_imported_tables: u32,
    pub memories: Vec<MemoryType>,
    pub num_imported_memories: u32,
    pub globals: Vec<GlobalType>,
    pub global_inits: Vec<ConstExpr>,
    pub num_imported_globals: u32,
    pub tags: Vec<TypeId>,
    pub num_imported_tags: u32,
    pub imports: Vec<ImportDecl>,
    pub exports: Vec<(String, EntityIndex)>,
    pub start: Option<u32>,
    pub elems: Vec<ElemSegment>,
    pub datas: Vec<DataSegment>,
    /// The module's binary, kept for what is read after `Module::new`:
    /// data segments, and the bodies lazy translation translates.
    bytes: Box<[u8]>,
    /// The code of each defined function, by defined-function index
    /// (boxed once complete: the executor points at the entries).
    pub code: Box<[FuncEntry]>,
    /// What lazy translation reads; `None` with eager translation.
    lazy: Option<LazyBodies>,
    pub func_names: HashMap<u32, String>,
    /// How many bodies were translated after `Module::new` (for tests).
    #[cfg(test)]
    lazy_translations: std::sync::atomic::AtomicU32,
}

/// The validated, not yet translated, function bodies of a module.
struct LazyBodies {
    /// The module's validation state, which every body is validated
    /// against (`None` if the module has no bodies).
    resources: Option<wp::ValidatorResources>,
    /// Each body's type index and byte range in the module, by
    /// defined-function index.
    bodies: Vec<(u32, std::ops::Range<usize>)>,
    /// One `lazy_entry` instruction per defined function: where calls go
    /// until it is translated. Only the entries read it, through pointers.
    _stubs: Box<[u64]>,
}

/// The type of something a module imports or exports.
#[derive(Clone, Debug)]
pub enum ExternType {
    /// A function of this type.
    Func(FuncType),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
    /// An exception tag with this payload signature.
    Tag(FuncType),
}

/// An import of a module: where it comes from and its type.
#[derive(Clone, Debug)]
pub struct ImportType {
    /// The module name.
    pub module: String,
    /// The field name.
    pub name: String,
    /// The expected type.
    pub ty: ExternType,
}

/// An export of a module: its name and type.
#[derive(Clone, Debug)]
pub struct ExportType {
    /// The export name.
    pub name: String,
    /// The type.
    pub ty: ExternType,
}

impl Module {
    /// Compiles a module from the binary format or, with the `wat` feature,
    /// the text format.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = bytes.as_ref();
        #[cfg(feature = "wat")]
        {
            let binary = wat::parse_bytes(bytes).map_err(|e| Error::Text(e.to_string()))?;
            match binary {
                std::borrow::Cow::Borrowed(binary) => Module::from_binary(engine, binary),
                std::borrow::Cow::Owned(binary) => Module::from_owned_binary(engine, binary),
            }
        }
        #[cfg(not(feature = "wat"))]
        Module::from_binary(engine, bytes)
    }

    /// As [`Module::new`], keeping `bytes` instead of copying what the
    /// module reads after compiling (its data segments, and with lazy
    /// translation its function bodies): the cheaper start for bytes the
    /// caller no longer needs, such as a file just read.
    pub fn from_vec(engine: &Engine, bytes: Vec<u8>) -> Result<Module> {
        #[cfg(feature = "wat")]
        if !wp::Parser::is_core_wasm(&bytes) && !wp::Parser::is_component(&bytes) {
            return Module::new(engine, bytes);
        }
        Module::from_owned_binary(engine, bytes)
    }

    /// Compiles a module from a file in the binary or text format.
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
        Module::from_vec(engine, bytes)
    }

    /// Validates a module in the binary format without compiling it.
    pub fn validate(engine: &Engine, bytes: &[u8]) -> Result<()> {
        let mut v = wp::Validator::new_with_features(engine.config().features);
        v.validate_all(bytes)?;
        Ok(())
    }

    /// Compiles a module from the binary format.
    pub fn from_binary(engine: &Engine, bytes: &[u8]) -> Result<Module> {
        Module::from_owned_binary(engine, bytes.to_vec())
    }

    fn from_owned_binary(engine: &Engine, bytes: Vec<u8>) -> Result<Module> {
        let bytes = bytes.into_boxed_slice();
        let mut inner = parse(engine, &bytes)?;
        if inner.lazy.is_some() || !inner.datas.is_empty() {
            inner.bytes = bytes;
        }
        Ok(Module {
            inner: Arc::new(inner),
        })
    }

    pub(crate) fn inner(&self) -> &ModuleInner {
        &self.inner
    }

    /// The engine the module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's name from its name section.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    pub(crate) fn func_name(&self, index: u32) -> Option<&str> {
        self.inner.func_names.get(&index).map(String::as_str)
    }

    /// The module's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = ImportType> + '_ {
        self.inner.imports.iter().map(|i| ImportType {
            module: i.module.clone(),
            name: i.name.clone(),
            ty: self.inner.entity_type(i.index),
        })
    }

    /// Whether the module has a start function (which instantiation runs).
    pub fn has_start(&self) -> bool {
        self.inner.start.is_some()
    }

    /// The IR listing of the module's own functions (of function `func`,
    /// named by export or debug name, if given): a header line per function
    /// with its index and names, then one line per instruction with its
    /// handler, operands and branch targets. `None` unless the engine keeps
    /// listings ([`Config::debug_ir`](crate::Config::debug_ir)) or if no
    /// function has that name.
    pub fn ir_listing(&self, func: Option<&str>) -> Option<String> {
        let m = &self.inner;
        let exported = |index: u32| {
            m.exports.iter().filter_map(move |(name, e)| {
                matches!(e, EntityIndex::Func(f) if *f == index).then_some(name.as_str())
            })
        };
        let mut out = String::new();
        let mut found = false;
        for def in 0..m.code.len() as u32 {
            let index = m.num_imported_funcs + def;
            let debug = self.func_name(index);
            let mut names: Vec<&str> = exported(index).collect();
            names.extend(debug.filter(|d| !names.contains(d)));
            if func.is_some_and(|wanted| !names.contains(&wanted)) {
                continue;
            }
            found = true;
            let f = m.translated(def).ok()?;
            let listing = f.listing.as_ref()?;
            out.push_str(&format!("func {index}"));
            for n in &names {
                out.push_str(&format!(" \"{n}\""));
            }
            out.push_str(&format!(" (frame {} slots)\n", f.frame_size));
            out.push_str(&listing.render(&f.code));
        }
        found.then_some(out)
    }

    /// The module's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = ExportType> + '_ {
        self.inner.exports.iter().map(|(name, idx)| ExportType {
            name: name.clone(),
            ty: self.inner.entity_type(*idx),
        })
    }
}

impl ModuleInner {
    /// Defined function `def`, translated now if it was not yet (once,
    /// however many stores and threads ask at the same time), with calls
    /// pointed at its code. The error only a weft bug can cause.
    pub(crate) fn translated(&self, def: u32) -> std::result::Result<&CompiledFunc, &str> {
        let entry = &self.code[def as usize];
        let f = entry
            .compiled
            .get_or_init(|| self.translate_lazily(def))
            .as_ref()
            .map_err(String::as_str)?;
        entry.publish(f);
        Ok(f)
    }

    /// Validates and translates body `def` again, now with the module
    /// complete, and links its direct calls.
    fn translate_lazily(&self, def: u32) -> std::result::Result<CompiledFunc, String> {
        let lazy = self
            .lazy
            .as_ref()
            .ok_or("an eagerly translated function without code")?;
        #[cfg(test)]
        self.lazy_translations
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let features = self.engine.config().features;
        let (ty, range) = lazy.bodies[def as usize].clone();
        let bytes = &self.bytes[range.clone()];
        let body = wp::FunctionBody::new(wp::BinaryReader::new_features(
            bytes,
            range.start as u64,
            features,
        ));
        let index = self.num_imported_funcs + def;
        let mut fv = wp::FuncToValidate {
            resources: lazy.resources.clone().ok_or("no validation state")?,
            index,
            ty,
            features,
        }
        .into_validator(Default::default());
        let mut f = translate_function(self, index, &mut fv, &body).map_err(|e| e.to_string())?;
        link_direct_calls(&mut f, &self.code);
        Ok(f)
    }

    /// The bytes of data segment `seg`.
    pub(crate) fn data(&self, seg: u32) -> &[u8] {
        &self.bytes[self.datas[seg as usize].range.clone()]
    }

    pub(crate) fn func_type(&self, id: TypeId) -> FuncType {
        self.engine
            .types()
            .func_type(id)
            .cloned()
            .unwrap_or_else(|| FuncType::new([], []))
    }

    pub(crate) fn entity_type(&self, index: EntityIndex) -> ExternType {
        match index {
            EntityIndex::Func(i) => ExternType::Func(self.func_type(self.funcs[i as usize])),
            EntityIndex::Table(i) => ExternType::Table(self.tables[i as usize]),
            EntityIndex::Memory(i) => ExternType::Memory(self.memories[i as usize]),
            EntityIndex::Global(i) => ExternType::Global(self.globals[i as usize]),
            EntityIndex::Tag(i) => ExternType::Tag(self.func_type(self.tags[i as usize])),
        }
    }

    fn val(&self, v: wp::ValType) -> Result<ValType> {
        let types = &self.types;
        convert_val(v, &|idx| resolve(types, idx)).map_err(Error::Unsupported)
    }

    pub(crate) fn ref_type(&self, r: wp::RefType) -> Result<RefType> {
        let types = &self.types;
        convert_ref(r, &|idx| resolve(types, idx)).map_err(Error::Unsupported)
    }

    /// weft's form of a parsed heap type.
    pub(crate) fn heap_type(&self, h: wp::HeapType) -> Result<crate::types::HeapType> {
        let r = wp::RefType::new(true, h)
            .ok_or_else(|| Error::Unsupported(format!("heap type {h:?}")))?;
        Ok(self.ref_type(r)?.heap)
    }
}

fn resolve(types: &[TypeId], idx: wp::UnpackedIndex) -> Result<TypeId, String> {
    match idx {
        wp::UnpackedIndex::Module(i) => types
            .get(i as usize)
            .copied()
            .ok_or_else(|| format!("unknown type {i}")),
        _ => Err("unexpected type index form".into()),
    }
}

fn table_type(m: &ModuleInner, t: wp::TableType) -> Result<TableType> {
    Ok(TableType {
        element: m.ref_type(t.element_type)?,
        minimum: t.initial,
        maximum: t.maximum,
        table64: t.table64,
    })
}

fn memory_type(t: wp::MemoryType) -> MemoryType {
    MemoryType {
        minimum: t.initial,
        maximum: t.maximum,
        memory64: t.memory64,
        shared: t.shared,
        page_size_log2: t.page_size_log2.unwrap_or(16) as u8,
    }
}

fn global_type(m: &ModuleInner, g: wp::GlobalType) -> Result<GlobalType> {
    let mutability = if g.mutable {
        Mutability::Var
    } else {
        Mutability::Const
    };
    Ok(GlobalType {
        content: m.val(g.content_type)?,
        mutability,
    })
}

fn parse(engine: &Engine, bytes: &[u8]) -> Result<ModuleInner> {
    let mut validator = wp::Validator::new_with_features(engine.config().features);
    let mut m = ModuleInner {
        engine: engine.clone(),
        name: None,
        types: Vec::new(),
        funcs: Vec::new(),
        num_imported_funcs: 0,
        tables: Vec::new(),
        table_inits: Vec::new(),
        num_imported_tables: 0,
        memories: Vec::new(),
        num_imported_memories: 0,
        globals: Vec::new(),
        global_inits: Vec::new(),
        num_imported_globals: 0,
        tags: Vec::new(),
        num_imported_tags: 0,
        imports: Vec::new(),
        exports: Vec::new(),
        start: None,
        elems: Vec::new(),
        datas: Vec::new(),
        bytes: Box::new([]),
        code: Box::new([]),
        lazy: None,
        func_names: HashMap::new(),
        #[cfg(test)]
        lazy_translations: Default::default(),
    };
    let lazy = engine.config().compilation_mode == CompilationMode::LazyTranslation;
    let mut compiled = Vec::new();
    let mut resources = None;
    let mut bodies = Vec::new();
    let mut pending: Vec<PendingBody<'_>> = Vec::new();
    let parallel = engine.config().parallel_compilation;
    let mut names = None;
    // The parser too must only accept the engine's features (some
    // encodings, like compact imports, are decided while parsing).
    let mut parser = wp::Parser::new(0);
    parser.set_features(engine.config().features);
    for payload in parser.parse_all(bytes) {
        // The code section's bodies are checked together once it ends,
        // before anything after it (so its errors come first, as in order).
        if !pending.is_empty() && !matches!(payload, Ok(wp::Payload::CodeSectionEntry(_))) {
            compiled = check_bodies(&m, std::mem::take(&mut pending), !lazy, parallel)?;
        }
        let payload = payload?;
        if let wp::ValidPayload::Func(to_validate, body) = validator.payload(&payload)? {
            if lazy {
                resources.get_or_insert_with(|| to_validate.resources.clone());
                let r = body.range();
                bodies.push((to_validate.ty, r.start as usize..r.end as usize));
            }
            pending.push((to_validate, body));
            continue;
        }
        declare(&mut m, bytes, payload, &mut names)?;
    }
    if let Some(reader) = names {
        read_names(&mut m, reader);
    }
    let num_defined = m.funcs.len() - m.num_imported_funcs as usize;
    // One stub per defined function, so each knows which one it is.
    let mut b = CodeBuilder::new(false);
    let mut stub_at = Vec::new();
    if lazy {
        for def in 0..num_defined as u32 {
            stub_at.push(b.emit(
                h!(crate::exec::lazy_entry),
                isa::LazyEntry { func: Index(def) },
            ));
        }
    }
    let stubs = b.finish().0;
    let params = |def: usize| {
        let ft = m.func_type(m.funcs[m.num_imported_funcs as usize + def]);
        ft.params()
            .iter()
            .map(|&p| if p == ValType::V128 { 2 } else { 1 })
            .sum::<u32>()
    };
    m.code = (0..num_defined)
        .map(|def| {
            let stub = stub_at
                .get(def)
                .map_or(std::ptr::null(), |&p: &InstrPos| stubs[p.0..].as_ptr());
            FuncEntry::new(stub, params(def))
        })
        .collect();
    // The entries are in place now (boxed): link and publish eager code.
    for (def, mut f) in compiled.into_iter().enumerate() {
        link_direct_calls(&mut f, &m.code);
        let entry = &m.code[def];
        if entry.compiled.set(Ok(f)).is_ok()
            && let Some(f) = entry.translated()
        {
            entry.publish(f);
        }
    }
    if lazy {
        m.lazy = Some(LazyBodies {
            resources,
            bodies,
            _stubs: stubs,
        });
    }
    Ok(m)
}

/// Writes the address of each direct call's callee entry into the call
/// instruction. The addresses stay valid: the entries are boxed and live
/// as long as the module.
fn link_direct_calls(f: &mut CompiledFunc, entries: &[FuncEntry]) {
    for &(pos, callee) in f.direct_calls.iter() {
        let pos = InstrPos(pos as usize);
        let addr = &entries[callee as usize] as *const FuncEntry as usize as u64;
        let k = field!(Call.callee);
        patch_operand(&mut f.code, pos, k, addr as u32);
        patch_operand(&mut f.code, pos, k + 1, (addr >> 32) as u32);
    }
}

/// Records the declarations of one (already validated) section.
fn declare<'a>(
    m: &mut ModuleInner,
    bytes: &[u8],
    payload: wp::Payload<'a>,
    names: &mut Option<wp::NameSectionReader<'a>>,
) -> Result<()> {
    use wp::Payload::*;
    match payload {
        TypeSection(r) => {
            for group in r {
                let group = group?;
                let ids = m
                    .engine
                    .types_mut()
                    .register_module_group(&group, &m.types)
                    .map_err(Error::Unsupported)?;
                m.types.extend(ids);
            }
        }
        ImportSection(r) => {
            for import in r.into_imports() {
                let import = import?;
                let index = match import.ty {
                    wp::TypeRef::Func(t) | wp::TypeRef::FuncExact(t) => {
                        m.funcs.push(m.types[t as usize]);
                        m.num_imported_funcs += 1;
                        EntityIndex::Func(m.funcs.len() as u32 - 1)
                    }
                    wp::TypeRef::Table(t) => {
                        let t = table_type(m, t)?;
                        m.tables.push(t);
                        m.num_imported_tables += 1;
                        EntityIndex::Table(m.tables.len() as u32 - 1)
                    }
                    wp::TypeRef::Memory(t) => {
                        m.memories.push(memory_type(t));
                        m.num_imported_memories += 1;
                        EntityIndex::Memory(m.memories.len() as u32 - 1)
                    }
                    wp::TypeRef::Global(g) => {
                        let g = global_type(m, g)?;
                        m.globals.push(g);
                        m.num_imported_globals += 1;
                        EntityIndex::Global(m.globals.len() as u32 - 1)
                    }
                    wp::TypeRef::Tag(t) => {
                        m.tags.push(m.types[t.func_type_idx as usize]);
                        m.num_imported_tags += 1;
                        EntityIndex::Tag(m.tags.len() as u32 - 1)
                    }
                };
                m.imports.push(ImportDecl {
                    module: import.module.to_string(),
                    name: import.name.to_string(),
                    index,
                });
            }
        }
        FunctionSection(r) => {
            for t in r {
                m.funcs.push(m.types[t? as usize]);
            }
        }
        TableSection(r) => {
            for t in r {
                let t = t?;
                let ty = table_type(m, t.ty)?;
                m.tables.push(ty);
                m.table_inits.push(match t.init {
                    wp::TableInit::RefNull => None,
                    wp::TableInit::Expr(e) => Some(ConstExpr::parse(m, &e)?),
                });
            }
        }
        MemorySection(r) => {
            for t in r {
                m.memories.push(memory_type(t?));
            }
        }
        TagSection(r) => {
            for t in r {
                m.tags.push(m.types[t?.func_type_idx as usize]);
            }
        }
        GlobalSection(r) => {
            for g in r {
                let g = g?;
                let ty = global_type(m, g.ty)?;
                let init = ConstExpr::parse(m, &g.init_expr)?;
                m.globals.push(ty);
                m.global_inits.push(init);
            }
        }
        ExportSection(r) => {
            for e in r {
                let e = e?;
                let index = match e.kind {
                    wp::ExternalKind::Func | wp::ExternalKind::FuncExact => {
                        EntityIndex::Func(e.index)
                    }
                    wp::ExternalKind::Table => EntityIndex::Table(e.index),
                    wp::ExternalKind::Memory => EntityIndex::Memory(e.index),
                    wp::ExternalKind::Global => EntityIndex::Global(e.index),
                    wp::ExternalKind::Tag => EntityIndex::Tag(e.index),
                };
                m.exports.push((e.name.to_string(), index));
            }
        }
        StartSection { func, .. } => m.start = Some(func),
        ElementSection(r) => {
            for e in r {
                let e = e?;
                let mode = match e.kind {
                    wp::ElementKind::Passive => SegmentMode::Passive,
                    wp::ElementKind::Declared => SegmentMode::Declared,
                    wp::ElementKind::Active {
                        table_index,
                        offset_expr,
                    } => SegmentMode::Active {
                        index: table_index.unwrap_or(0),
                        offset: ConstExpr::parse(m, &offset_expr)?,
                    },
                };
                let (ty, items) = match e.items {
                    wp::ElementItems::Functions(r) => (
                        RefType::FUNCREF,
                        r.into_iter()
                            .map(|f| f.map(ConstExpr::ref_func))
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                    wp::ElementItems::Expressions(ty, r) => {
                        let mut items = Vec::new();
                        for e in r {
                            items.push(ConstExpr::parse(m, &e?)?);
                        }
                        (m.ref_type(ty)?, items)
                    }
                };
                m.elems.push(ElemSegment { mode, ty, items });
            }
        }
        DataSection(r) => {
            for d in r {
                let d = d?;
                let mode = match d.kind {
                    wp::DataKind::Passive => SegmentMode::Passive,
                    wp::DataKind::Active {
                        memory_index,
                        offset_expr,
                    } => SegmentMode::Active {
                        index: memory_index,
                        offset: ConstExpr::parse(m, &offset_expr)?,
                    },
                };
                // `d.data` lies within `bytes`.
                let start = d.data.as_ptr() as usize - bytes.as_ptr() as usize;
                m.datas.push(DataSegment {
                    mode,
                    range: start..start + d.data.len(),
                });
            }
        }
        CustomSection(c) => {
            if let wp::KnownCustom::Name(r) = c.as_known() {
                *names = Some(r);
            }
        }
        Version {
            encoding: wp::Encoding::Component,
            ..
        } => {
            return Err(Error::Unsupported("components are not core modules".into()));
        }
        _ => {}
    }
    Ok(())
}

/// Reads module and function names; a malformed name section is ignored, as
/// the spec asks of custom sections.
fn read_names(m: &mut ModuleInner, reader: wp::NameSectionReader<'_>) {
    for name in reader {
        match name {
            Ok(wp::Name::Module { name, .. }) => m.name = Some(name.to_string()),
            Ok(wp::Name::Function(map)) => {
                for n in map.into_iter().flatten() {
                    m.func_names.insert(n.index, n.name.to_string());
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{CompilationMode, Config, Engine, Linker, Module, Store};
    use std::sync::atomic::Ordering;
    use std::sync::{Arc, Barrier};

    const WAT: &str = r#"(module
        (func $fib (export "fib") (param i32) (result i32)
            (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
                (then (local.get 0))
                (else (return_call $add
                    (call $fib (i32.sub (local.get 0) (i32.const 1)))
                    (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
        (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
        (func $never (export "never") (result i32) (i32.const 1)))"#;

    fn translations(module: &Module) -> u32 {
        module.inner().lazy_translations.load(Ordering::Relaxed)
    }

    fn fib(module: &Module) -> i32 {
        let mut store = Store::new(module.engine(), ());
        let instance = Linker::new(module.engine())
            .instantiate(&mut store, module)
            .expect("instantiates");
        let fib = instance
            .get_typed_func::<i32, i32>(&store, "fib")
            .expect("exported");
        fib.call(&mut store, 15).expect("runs")
    }

    /// Functions are translated on their first call, once per module
    /// however many stores and threads call at the same time, and never
    /// if never called.
    #[test]
    fn a_function_is_translated_once_from_two_threads() {
        let engine = Engine::default();
        let module = Module::new(&engine, WAT).expect("valid");
        assert_eq!(translations(&module), 0, "nothing translated up front");
        let start = Arc::new(Barrier::new(2));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (module, start) = (module.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    fib(&module)
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().expect("no panic"), 610);
        }
        // `fib` and `add` (called directly and by a tail call), not `never`.
        assert_eq!(translations(&module), 2);
        assert!(module.inner().code[2].translated().is_none());
        assert_eq!(fib(&module), 610);
        assert_eq!(translations(&module), 2, "later stores reuse the code");
    }

    #[test]
    fn eager_translation_translates_everything_in_module_new() {
        let mut config = Config::new();
        config.compilation_mode(CompilationMode::Eager);
        let module = Module::new(&Engine::new(&config), WAT).expect("valid");
        assert!(module.inner().code.iter().all(|f| f.translated().is_some()));
        assert_eq!(fib(&module), 610);
        assert_eq!(translations(&module), 0);
        assert_eq!(
            Config::new().compilation_mode,
            CompilationMode::LazyTranslation
        );
    }
}
