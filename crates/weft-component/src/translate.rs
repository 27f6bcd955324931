//! Translation: a component's binary, validated section by section by
//! wasmparser, becomes a [`Plan`]: the steps that build one instance of it
//! (in section order, each adding to an index space), its core modules
//! compiled by weft, its nested components translated the same way, and
//! every function type converted to component [`Type`]s. Resource types
//! are placeholders keyed by wasmparser's resource identity; instantiation
//! binds each key to the runtime type it stands for.

use crate::component::ItemKind;
use crate::resources::ResourceType;
use crate::values::{FuncType, Type};
use std::collections::HashMap;
use std::sync::Arc;
use wasmparser as wp;
use wasmparser::component_types as ct;
use wasmparser::types::TypesRef;
use weft::{Engine, Error, Result};

/// The kinds of core items a component handles.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum CoreSort {
    Func,
    Table,
    Memory,
    Global,
    Tag,
}

/// Canonical options, as indices into the core index spaces.
#[derive(Clone, Debug, Default)]
pub(crate) struct OptionIndices {
    pub memory: Option<u32>,
    pub realloc: Option<u32>,
    pub post_return: Option<u32>,
    pub encoding: crate::abi::StringEncoding,
}

/// One step of building an instance.
pub(crate) enum Step {
    /// Takes the import `name` (of `sort` and type `ty`) from the
    /// instantiation's arguments.
    Import {
        name: String,
        sort: ItemKind,
        ty: ImportTy,
    },
    /// Pushes core module `n` of the plan.
    CoreModule(u32),
    /// Instantiates a core module with named core instances as imports.
    CoreInstantiate {
        module: u32,
        args: Vec<(String, u32)>,
    },
    /// A core instance made of named core items.
    CoreFromExports(Vec<(String, CoreSort, u32)>),
    /// A core item exported by a core instance.
    CoreAlias {
        instance: u32,
        name: String,
        sort: CoreSort,
    },
    /// An item exported by a component instance; `bind` keys the resource
    /// type it is, for types.
    Alias {
        instance: u32,
        name: String,
        sort: ItemKind,
        bind: Option<u32>,
    },
    /// Pushes nested component `n` of the plan, closed over the index
    /// spaces it can alias (as they are at this point).
    Component(u32),
    /// A core module (`module: true`) or component of the component
    /// `count` levels out (0: this one), by index.
    Outer {
        module: bool,
        count: u32,
        index: u32,
    },
    /// A type definition: a new resource type (with its key and the core
    /// function that destroys it), or a type with no runtime identity
    /// (`None`, also for non-resource aliases of outer types).
    Type(Option<ResourceDef>),
    /// A component function lifted from a core function.
    Lift {
        core_func: u32,
        ty: Arc<FuncType>,
        options: OptionIndices,
    },
    /// A core function lowered from a component function.
    Lower { func: u32, options: OptionIndices },
    /// A built-in weft does not run (the asynchronous and threading ones):
    /// a core function of type `ty` that traps, after the check every
    /// built-in makes first (that the instance may leave).
    Refused { name: String, ty: weft::FuncType },
    /// `context.get` of a slot of the running task's storage.
    ContextGet(u32),
    /// `context.set`.
    ContextSet(u32),
    /// `backpressure.inc` (`1`) or `backpressure.dec` (`-1`).
    Backpressure(i32),
    /// `resource.new` for the resource type of key `0`.
    ResourceNew(u32),
    /// `resource.drop`.
    ResourceDrop(u32),
    /// `resource.rep`.
    ResourceRep(u32),
    /// Instantiates component `component` with named items as arguments.
    Instantiate {
        component: u32,
        args: Vec<(String, ItemKind, u32)>,
    },
    /// A component instance made of named items.
    FromExports(Vec<(String, ItemKind, u32)>),
    /// Exports an item (which also gets a new index in its space); `bind`
    /// keys the exported type's resource identity.
    Export {
        name: String,
        sort: ItemKind,
        index: u32,
        bind: Option<u32>,
    },
}

/// What an import must be: what instantiation needs to know to bind the
/// resource types inside it and to give host functions their signatures.
#[derive(Debug, Clone)]
pub(crate) enum ImportTy {
    Func(Arc<FuncType>),
    Instance(Vec<(String, ImportTy)>),
    /// A type; the key of the resource type it is, if it is one.
    Type(Option<u32>),
    Other,
}

/// A resource type a component defines.
#[derive(Debug)]
pub(crate) struct ResourceDef {
    pub key: u32,
    /// The core function that destroys one (`dtor`).
    pub dtor: Option<u32>,
    /// An alias of an enclosing component's type, bound there already.
    pub outer: bool,
}

/// A translated component.
#[derive(Default)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    pub modules: Vec<weft::Module>,
    pub components: Vec<Arc<Plan>>,
    /// The top-level exports, by name.
    pub exports: Vec<(String, ItemKind)>,
    /// The imports, by name.
    pub imports: Vec<(String, ItemKind)>,
}

impl Plan {
    /// The imports with their types.
    pub fn import_types(&self) -> impl Iterator<Item = (&str, &ImportTy)> {
        self.steps.iter().filter_map(|s| match s {
            Step::Import { name, ty, .. } => Some((name.as_str(), ty)),
            _ => None,
        })
    }
}

/// A component being translated: its plan so far, and the counts of the
/// index spaces translation looks up.
#[derive(Default)]
struct Frame {
    plan: Plan,
    types: u32,
    core_funcs: u32,
    /// Depth inside a core module whose payloads only the validator sees.
    in_module: usize,
}

/// Resource identities (wasmparser's) as the plan's keys.
#[derive(Default)]
struct Keys(HashMap<ct::ResourceId, u32>);

impl Keys {
    fn of(&mut self, id: ct::ResourceId) -> u32 {
        let n = self.0.len() as u32;
        *self.0.entry(id).or_insert(n)
    }
}

fn invalid(e: wp::BinaryReaderError) -> Error {
    Error::Invalid {
        message: e.message().to_string(),
        offset: e.offset() as usize,
    }
}

fn unsupported(what: &str) -> Error {
    Error::Unsupported(format!("components: {what}"))
}

/// Validates and translates a component binary.
pub(crate) fn translate(engine: &Engine, binary: &[u8]) -> Result<Plan> {
    // The asynchronous and threading built-ins validate so that
    // synchronous components may name them; weft runs none of them (see
    // `Step::Refused`).
    let features = weft::__component_hooks::wasm_features(engine)
        | wp::WasmFeatures::COMPONENT_MODEL
        | wp::WasmFeatures::CM_IMPLEMENTS
        | wp::WasmFeatures::CM_ASYNC
        | wp::WasmFeatures::CM_MORE_ASYNC_BUILTINS
        | wp::WasmFeatures::CM_THREADING
        | wp::WasmFeatures::CM_FIXED_LENGTH_LISTS
        | wp::WasmFeatures::CM_MAP;
    let mut validator = wp::Validator::new_with_features(features);
    let mut frames = vec![Frame::default()];
    let mut keys = Keys::default();
    for payload in wp::Parser::new(0).parse_all(binary) {
        let payload = payload.map_err(invalid)?;
        // Function bodies are validated when weft compiles their module.
        validator.payload(&payload).map_err(invalid)?;
        let depth = frames.len();
        let frame = frames.last_mut().expect("the outermost frame stays");
        if frame.in_module > 0 {
            match payload {
                wp::Payload::ModuleSection { .. } | wp::Payload::ComponentSection { .. } => {
                    frame.in_module += 1
                }
                wp::Payload::End(_) => frame.in_module -= 1,
                _ => {}
            }
            continue;
        }
        match payload {
            wp::Payload::ModuleSection {
                unchecked_range, ..
            } => {
                // The parser has not checked the range against the bytes.
                let bytes = binary
                    .get(unchecked_range.start as usize..unchecked_range.end as usize)
                    .ok_or_else(|| Error::Invalid {
                        message: "core module section extends past the end of the component".into(),
                        offset: unchecked_range.start as usize,
                    })?;
                let module = weft::Module::from_binary(engine, bytes)?;
                frame
                    .plan
                    .steps
                    .push(Step::CoreModule(frame.plan.modules.len() as u32));
                frame.plan.modules.push(module);
                frame.in_module = 1;
            }
            wp::Payload::ComponentSection { .. } => frames.push(Frame::default()),
            wp::Payload::End(_) if depth == 1 => break,
            wp::Payload::End(_) => {
                let done = Arc::new(finish(frames.pop().expect("a nested frame").plan));
                let parent = frames.last_mut().expect("its parent");
                let n = parent.plan.components.len() as u32;
                parent.plan.components.push(done);
                parent.plan.steps.push(Step::Component(n));
            }
            other => {
                let types = validator.types(0).expect("a component is being validated");
                let frame = frames.last_mut().expect("the current frame");
                section(frame, &mut keys, types, other)?;
            }
        }
    }
    Ok(finish(frames.pop().expect("the outermost frame").plan))
}

/// Lists a finished plan's imports and exports.
fn finish(mut plan: Plan) -> Plan {
    for step in &plan.steps {
        match step {
            Step::Import { name, sort, .. } => plan.imports.push((name.clone(), *sort)),
            Step::Export { name, sort, .. } => plan.exports.push((name.clone(), *sort)),
            _ => {}
        }
    }
    plan
}

fn sort_of(kind: wp::ComponentExternalKind) -> ItemKind {
    match kind {
        wp::ComponentExternalKind::Module => ItemKind::Module,
        wp::ComponentExternalKind::Func => ItemKind::Func,
        wp::ComponentExternalKind::Value => ItemKind::Value,
        wp::ComponentExternalKind::Type => ItemKind::Type,
        wp::ComponentExternalKind::Instance => ItemKind::Instance,
        wp::ComponentExternalKind::Component => ItemKind::Component,
    }
}

fn core_sort_of(kind: wp::ExternalKind) -> Result<CoreSort> {
    Ok(match kind {
        wp::ExternalKind::Func | wp::ExternalKind::FuncExact => CoreSort::Func,
        wp::ExternalKind::Table => CoreSort::Table,
        wp::ExternalKind::Memory => CoreSort::Memory,
        wp::ExternalKind::Global => CoreSort::Global,
        wp::ExternalKind::Tag => CoreSort::Tag,
    })
}

/// The key of the resource type at type index `index`, if it is one.
fn resource_key(types: TypesRef<'_>, keys: &mut Keys, index: u32) -> Option<u32> {
    match types.component_any_type_at(index) {
        ct::ComponentAnyTypeId::Resource(r) => Some(keys.of(r.resource())),
        _ => None,
    }
}

/// What an imported item of type `ty` must be.
fn import_ty(
    types: TypesRef<'_>,
    keys: &mut Keys,
    ty: ct::ComponentEntityType,
) -> Result<ImportTy> {
    Ok(match ty {
        ct::ComponentEntityType::Func(id) => ImportTy::Func(Arc::new(func_type(types, keys, id)?)),
        ct::ComponentEntityType::Instance(id) => ImportTy::Instance(
            types[id]
                .exports
                .iter()
                .map(|(name, item)| Ok((name.clone(), import_ty(types, keys, item.ty)?)))
                .collect::<Result<_>>()?,
        ),
        ct::ComponentEntityType::Type { referenced, .. } => ImportTy::Type(match referenced {
            ct::ComponentAnyTypeId::Resource(r) => Some(keys.of(r.resource())),
            _ => None,
        }),
        _ => ImportTy::Other,
    })
}

/// Translates one section of the component being translated, after the
/// validator accepted it.
fn section(
    frame: &mut Frame,
    keys: &mut Keys,
    types: TypesRef<'_>,
    payload: wp::Payload<'_>,
) -> Result<()> {
    let steps = &mut frame.plan.steps;
    match payload {
        wp::Payload::ComponentImportSection(s) => {
            for import in s {
                let import = import.map_err(invalid)?;
                let name = import.name.name.to_string();
                let ty = match types.component_item_for_import(&name) {
                    Some(item) => import_ty(types, keys, item.ty)?,
                    None => ImportTy::Other,
                };
                let sort = match import.ty {
                    wp::ComponentTypeRef::Module(_) => ItemKind::Module,
                    wp::ComponentTypeRef::Func(_) => ItemKind::Func,
                    wp::ComponentTypeRef::Value(_) => ItemKind::Value,
                    wp::ComponentTypeRef::Type(_) => ItemKind::Type,
                    wp::ComponentTypeRef::Instance(_) => ItemKind::Instance,
                    wp::ComponentTypeRef::Component(_) => ItemKind::Component,
                };
                if sort == ItemKind::Type {
                    frame.types += 1;
                }
                steps.push(Step::Import { name, sort, ty });
            }
        }
        wp::Payload::ComponentExportSection(s) => {
            for export in s {
                let export = export.map_err(invalid)?;
                let sort = sort_of(export.kind);
                let bind = match sort {
                    ItemKind::Type => {
                        frame.types += 1;
                        resource_key(types, keys, frame.types - 1)
                    }
                    _ => None,
                };
                steps.push(Step::Export {
                    name: export.name.name.to_string(),
                    sort,
                    index: export.index,
                    bind,
                });
            }
        }
        wp::Payload::InstanceSection(s) => {
            for instance in s {
                steps.push(match instance.map_err(invalid)? {
                    wp::Instance::Instantiate { module_index, args } => Step::CoreInstantiate {
                        module: module_index,
                        args: args.iter().map(|a| (a.name.to_string(), a.index)).collect(),
                    },
                    wp::Instance::FromExports(exports) => Step::CoreFromExports(
                        exports
                            .iter()
                            .map(|e| Ok((e.name.to_string(), core_sort_of(e.kind)?, e.index)))
                            .collect::<Result<_>>()?,
                    ),
                });
            }
        }
        wp::Payload::ComponentInstanceSection(s) => {
            for instance in s {
                steps.push(match instance.map_err(invalid)? {
                    wp::ComponentInstance::Instantiate {
                        component_index,
                        args,
                    } => Step::Instantiate {
                        component: component_index,
                        args: args
                            .iter()
                            .map(|a| (a.name.to_string(), sort_of(a.kind), a.index))
                            .collect(),
                    },
                    wp::ComponentInstance::FromExports(exports) => Step::FromExports(
                        exports
                            .iter()
                            .map(|e| (e.name.name.to_string(), sort_of(e.kind), e.index))
                            .collect(),
                    ),
                });
            }
        }
        wp::Payload::ComponentAliasSection(s) => {
            for alias in s {
                match alias.map_err(invalid)? {
                    wp::ComponentAlias::InstanceExport {
                        kind,
                        instance_index,
                        name,
                    } => {
                        let sort = sort_of(kind);
                        let bind = match sort {
                            ItemKind::Type => {
                                frame.types += 1;
                                resource_key(types, keys, frame.types - 1)
                            }
                            _ => None,
                        };
                        steps.push(Step::Alias {
                            instance: instance_index,
                            name: name.to_string(),
                            sort,
                            bind,
                        });
                    }
                    wp::ComponentAlias::CoreInstanceExport {
                        kind,
                        instance_index,
                        name,
                    } => {
                        let sort = core_sort_of(kind)?;
                        if sort == CoreSort::Func {
                            frame.core_funcs += 1;
                        }
                        steps.push(Step::CoreAlias {
                            instance: instance_index,
                            name: name.to_string(),
                            sort,
                        });
                    }
                    wp::ComponentAlias::Outer { kind, count, index } => match kind {
                        wp::ComponentOuterAliasKind::CoreModule => steps.push(Step::Outer {
                            module: true,
                            count,
                            index,
                        }),
                        wp::ComponentOuterAliasKind::Component => steps.push(Step::Outer {
                            module: false,
                            count,
                            index,
                        }),
                        wp::ComponentOuterAliasKind::CoreType => {}
                        wp::ComponentOuterAliasKind::Type => {
                            frame.types += 1;
                            let key = resource_key(types, keys, frame.types - 1);
                            steps.push(Step::Type(key.map(|key| ResourceDef {
                                key,
                                dtor: None,
                                outer: true,
                            })));
                        }
                    },
                }
            }
        }
        wp::Payload::ComponentTypeSection(s) => {
            for ty in s {
                let ty = ty.map_err(invalid)?;
                frame.types += 1;
                let index = frame.types - 1;
                steps.push(Step::Type(match ty {
                    wp::ComponentType::Resource { dtor, .. } => Some(ResourceDef {
                        key: resource_key(types, keys, index)
                            .expect("a resource definition is a resource type"),
                        dtor,
                        outer: false,
                    }),
                    _ => None,
                }));
            }
        }
        wp::Payload::ComponentCanonicalSection(s) => {
            for canon in s {
                let canon = canon.map_err(invalid)?;
                let makes_core_func = !matches!(canon, wp::CanonicalFunction::Lift { .. });
                steps.push(match canon {
                    wp::CanonicalFunction::Lift {
                        core_func_index,
                        type_index,
                        options,
                    } => {
                        let id = match types.component_any_type_at(type_index) {
                            ct::ComponentAnyTypeId::Func(id) => id,
                            _ => return Err(unsupported("lifting to a non-function type")),
                        };
                        Step::Lift {
                            core_func: core_func_index,
                            ty: Arc::new(func_type(types, keys, id)?),
                            options: options_of(&options)?,
                        }
                    }
                    wp::CanonicalFunction::Lower {
                        func_index,
                        options,
                    } => Step::Lower {
                        func: func_index,
                        options: options_of(&options)?,
                    },
                    wp::CanonicalFunction::ResourceNew { resource } => Step::ResourceNew(
                        resource_key(types, keys, resource)
                            .ok_or_else(|| unsupported("resource.new"))?,
                    ),
                    wp::CanonicalFunction::ResourceDrop { resource } => Step::ResourceDrop(
                        resource_key(types, keys, resource)
                            .ok_or_else(|| unsupported("resource.drop"))?,
                    ),
                    wp::CanonicalFunction::ResourceRep { resource } => Step::ResourceRep(
                        resource_key(types, keys, resource)
                            .ok_or_else(|| unsupported("resource.rep"))?,
                    ),
                    wp::CanonicalFunction::ContextGet {
                        ty: wp::ValType::I32,
                        slot,
                    } => Step::ContextGet(slot),
                    wp::CanonicalFunction::ContextSet {
                        ty: wp::ValType::I32,
                        slot,
                    } => Step::ContextSet(slot),
                    wp::CanonicalFunction::BackpressureInc => Step::Backpressure(1),
                    wp::CanonicalFunction::BackpressureDec => Step::Backpressure(-1),
                    other => {
                        let name = format!("{other:?}");
                        let name = name.split([' ', '{', '(']).next().unwrap_or("").to_string();
                        let id = types.core_function_at(frame.core_funcs);
                        let ty = core_func_type(types, id)
                            .ok_or_else(|| unsupported(&format!("the built-in {name}")))?;
                        Step::Refused { name, ty }
                    }
                });
                if makes_core_func {
                    frame.core_funcs += 1;
                }
            }
        }
        wp::Payload::ComponentStartSection { .. } => {
            return Err(unsupported("start functions (component values)"));
        }
        _ => {}
    }
    Ok(())
}

fn options_of(options: &[wp::CanonicalOption]) -> Result<OptionIndices> {
    let mut out = OptionIndices::default();
    for o in options {
        match *o {
            wp::CanonicalOption::UTF8 => out.encoding = crate::abi::StringEncoding::Utf8,
            wp::CanonicalOption::UTF16 => out.encoding = crate::abi::StringEncoding::Utf16,
            wp::CanonicalOption::CompactUTF16 => {
                out.encoding = crate::abi::StringEncoding::Latin1Utf16
            }
            wp::CanonicalOption::Memory(m) => out.memory = Some(m),
            wp::CanonicalOption::Realloc(f) => out.realloc = Some(f),
            wp::CanonicalOption::PostReturn(f) => out.post_return = Some(f),
            _ => return Err(unsupported("asynchronous or GC canonical options")),
        }
    }
    Ok(out)
}

/// A component function type as [`FuncType`].
fn func_type(
    types: TypesRef<'_>,
    keys: &mut Keys,
    id: ct::ComponentFuncTypeId,
) -> Result<FuncType> {
    let f = &types[id];
    if f.async_ {
        return Err(unsupported("async functions"));
    }
    Ok(FuncType {
        params: f
            .params
            .iter()
            .map(|(n, t)| Ok((n.to_string(), val_type(types, keys, *t)?)))
            .collect::<Result<_>>()?,
        result: f.result.map(|t| val_type(types, keys, t)).transpose()?,
    })
}

/// A component value type as [`Type`].
fn val_type(types: TypesRef<'_>, keys: &mut Keys, t: ct::ComponentValType) -> Result<Type> {
    let id = match t {
        ct::ComponentValType::Primitive(p) => return primitive(p),
        ct::ComponentValType::Type(id) => id,
    };
    let mut go = |t: ct::ComponentValType| val_type(types, keys, t);
    Ok(match &types[id] {
        ct::ComponentDefinedType::Primitive(p) => primitive(*p)?,
        ct::ComponentDefinedType::Record(r) => Type::Record(
            r.fields
                .iter()
                .map(|(n, t)| Ok((n.to_string(), go(*t)?)))
                .collect::<Result<_>>()?,
        ),
        ct::ComponentDefinedType::Variant(v) => Type::Variant(
            v.cases
                .iter()
                .map(|(n, c)| Ok((n.to_string(), c.ty.map(&mut go).transpose()?)))
                .collect::<Result<_>>()?,
        ),
        ct::ComponentDefinedType::List { element, .. } => Type::List(Box::new(go(*element)?)),
        ct::ComponentDefinedType::Map { key, value, .. } => {
            Type::Map(Box::new(go(*key)?), Box::new(go(*value)?))
        }
        ct::ComponentDefinedType::Tuple(t) => {
            Type::Tuple(t.types.iter().map(|t| go(*t)).collect::<Result<_>>()?)
        }
        ct::ComponentDefinedType::Flags(names) => {
            Type::Flags(names.iter().map(|n| n.to_string()).collect())
        }
        ct::ComponentDefinedType::Enum(names) => {
            Type::Enum(names.iter().map(|n| n.to_string()).collect())
        }
        ct::ComponentDefinedType::Option { ty, .. } => Type::Option(Box::new(go(*ty)?)),
        ct::ComponentDefinedType::Result { ok, err, .. } => Type::Result {
            ok: ok.map(&mut go).transpose()?.map(Box::new),
            err: err.map(&mut go).transpose()?.map(Box::new),
        },
        ct::ComponentDefinedType::Own(r) => {
            Type::Own(ResourceType::unresolved(keys.of(r.resource())))
        }
        ct::ComponentDefinedType::Borrow(r) => {
            Type::Borrow(ResourceType::unresolved(keys.of(r.resource())))
        }
        _ => return Err(unsupported("fixed-length lists, futures and streams")),
    })
}

fn primitive(p: wp::PrimitiveValType) -> Result<Type> {
    use wp::PrimitiveValType as P;
    Ok(match p {
        P::Bool => Type::Bool,
        P::S8 => Type::S8,
        P::U8 => Type::U8,
        P::S16 => Type::S16,
        P::U16 => Type::U16,
        P::S32 => Type::S32,
        P::U32 => Type::U32,
        P::S64 => Type::S64,
        P::U64 => Type::U64,
        P::F32 => Type::Float32,
        P::F64 => Type::Float64,
        P::Char => Type::Char,
        P::String => Type::String,
        P::ErrorContext => return Err(unsupported("error-context")),
    })
}

/// A core function type of the validator as weft's.
fn core_func_type(types: TypesRef<'_>, id: wp::types::CoreTypeId) -> Option<weft::FuncType> {
    let f = types[id].unwrap_func();
    let val = |t: &wp::ValType| {
        Some(match t {
            wp::ValType::I32 => weft::ValType::I32,
            wp::ValType::I64 => weft::ValType::I64,
            wp::ValType::F32 => weft::ValType::F32,
            wp::ValType::F64 => weft::ValType::F64,
            _ => return None,
        })
    };
    let params = f.params().iter().map(val).collect::<Option<Vec<_>>>()?;
    let results = f.results().iter().map(val).collect::<Option<Vec<_>>>()?;
    Some(weft::FuncType::new(params, results))
}
