//! bindgen!'s parsing half: loads the WIT with wit-parser, selects the
//! world and sorts what it imports and exports into [`Unit`]s, each with
//! the Rust module it is generated in and the name the component uses for
//! it. Code generation reads only this model (and the `Resolve` in it for
//! type structure).

use super::options::Options;
use crate::names;
use proc_macro2::Span;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use wit_parser::{
    Function, FunctionKind, InterfaceId, Resolve, TypeDefKind, TypeId, TypeOwner, WorldId,
    WorldItem, WorldKey,
};

/// Which side of the world a unit is on: imports are implemented by the
/// host, exports by the guest.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Import,
    Export,
}

/// An interface the world imports or exports, or the world's own imported
/// functions and types (the root unit).
pub struct Unit {
    /// The Rust module path (empty for the root unit).
    pub module: Vec<String>,
    /// The name the component imports or exports it by, with the package
    /// version (`weft:test/host-log@1.0.0`); `None` for the root unit.
    pub name: Option<String>,
    /// The world struct's accessor for an exported interface.
    pub accessor: String,
    /// Its named types, in order.
    pub types: Vec<(String, TypeId)>,
    /// Its free functions.
    pub funcs: Vec<Function>,
    /// Its resources, with their constructors, methods and static
    /// functions.
    pub resources: Vec<ResourceDef>,
    /// The interface's docs.
    pub docs: Option<String>,
}

/// A resource an interface defines.
pub struct ResourceDef {
    /// The WIT name.
    pub name: String,
    pub id: TypeId,
    /// Constructor, methods and static functions, in WIT order.
    pub funcs: Vec<Function>,
    /// The embedder's Rust type standing for it (`with`), if any.
    pub with: Option<syn::Path>,
}

/// Everything code generation needs.
pub struct Model {
    pub resolve: Resolve,
    /// The world's name.
    pub world_name: String,
    /// The WIT files read, so that a change to one rebuilds the crate.
    pub sources: Vec<PathBuf>,
    /// Imported interfaces, in world order.
    pub imports: Vec<Unit>,
    /// The world's own imported functions and types.
    pub root: Unit,
    /// Exported interfaces, in world order.
    pub exports: Vec<Unit>,
    /// The world's own exported functions.
    pub root_exports: Vec<Function>,
    import_modules: HashMap<InterfaceId, Vec<String>>,
    export_modules: HashMap<InterfaceId, Vec<String>>,
}

fn wit_error(span: Span, e: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(span, format!("bindgen!: {e}"))
}

/// Reads the WIT the options name and builds the model of its world.
pub fn load(options: &Options) -> syn::Result<Model> {
    let span = options.span;
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let mut resolve = Resolve::new();
    let mut sources = Vec::new();
    let mut main = None;
    let path = match (&options.path, &options.inline) {
        (Some(p), _) => Some(p.as_str()),
        (None, None) => Some("wit"),
        (None, Some(_)) => None,
    };
    if let Some(path) = path {
        let full = Path::new(&manifest).join(path);
        let (pkg, map) = resolve
            .push_path(&full)
            .map_err(|e| wit_error(span, format!("{e:#}")))?;
        sources.extend(map.paths().map(|p| Path::new(&manifest).join(p)));
        main = Some(pkg);
    }
    if let Some(text) = &options.inline {
        let pkg = resolve
            .push_str("inline.wit", text)
            .map_err(|e| wit_error(span, format!("{e:#}")))?;
        main = Some(pkg);
    }
    let main = main.expect("a path or inline text was read");
    let world = resolve
        .select_world(&[main], options.world.as_deref())
        .map_err(|e| wit_error(span, format!("{e:#}")))?;
    let mut model = build(resolve, world, span)?;
    model.sources = sources;
    apply_with(&mut model, &options.with)?;
    Ok(model)
}

/// The Rust module path and component name of an interface key.
fn key_names(resolve: &Resolve, key: &WorldKey) -> (Vec<String>, String, String) {
    match key {
        WorldKey::Name(n) => (vec![names::snake(n)], n.clone(), names::snake(n)),
        WorldKey::Interface(id) => {
            let iface = &resolve.interfaces[*id];
            let pkg = &resolve.packages[iface.package.expect("a named interface has a package")];
            let name = iface.name.as_deref().expect("a keyed interface has a name");
            let (ns, pkg) = (&pkg.name.namespace, &pkg.name.name);
            (
                vec![names::snake(ns), names::snake(pkg), names::snake(name)],
                resolve.name_world_key(key),
                names::snake(&format!("{ns}-{pkg}-{name}")),
            )
        }
    }
}

fn check_kind(func: &Function, span: Span) -> syn::Result<()> {
    match func.kind {
        FunctionKind::Freestanding
        | FunctionKind::Method(_)
        | FunctionKind::Static(_)
        | FunctionKind::Constructor(_) => Ok(()),
        _ => Err(wit_error(
            span,
            format!(
                "function `{}`: only synchronous functions, methods, static functions and constructors are supported",
                func.name
            ),
        )),
    }
}

/// Sorts `funcs` into free functions and the functions of each resource
/// among `types`.
fn unit(
    resolve: &Resolve,
    module: Vec<String>,
    name: Option<String>,
    accessor: String,
    types: Vec<(String, TypeId)>,
    funcs: Vec<Function>,
    span: Span,
) -> syn::Result<Unit> {
    let mut resources: Vec<ResourceDef> = types
        .iter()
        .filter(|(_, id)| matches!(resolve.types[*id].kind, TypeDefKind::Resource))
        .map(|(name, id)| ResourceDef {
            name: name.clone(),
            id: *id,
            funcs: Vec::new(),
            with: None,
        })
        .collect();
    let mut free = Vec::new();
    for func in funcs {
        check_kind(&func, span)?;
        match func.kind.resource() {
            None => free.push(func),
            Some(id) => match resources.iter_mut().find(|r| r.id == id) {
                Some(r) => r.funcs.push(func),
                None => {
                    return Err(wit_error(
                        span,
                        format!(
                            "function `{}` belongs to a resource of another interface",
                            func.name
                        ),
                    ));
                }
            },
        }
    }
    Ok(Unit {
        module,
        name,
        accessor,
        types,
        funcs: free,
        resources,
        docs: None,
    })
}

fn build(resolve: Resolve, world_id: WorldId, span: Span) -> syn::Result<Model> {
    let world = &resolve.worlds[world_id];
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let (mut root_types, mut root_funcs, mut root_exports) = (Vec::new(), Vec::new(), Vec::new());
    let mut import_modules = HashMap::new();
    let mut export_modules = HashMap::new();
    for (side, items) in [
        (Side::Import, &world.imports),
        (Side::Export, &world.exports),
    ] {
        for (key, item) in items {
            match item {
                WorldItem::Interface { id, .. } => {
                    let iface = &resolve.interfaces[*id];
                    let (mut module, name, accessor) = key_names(&resolve, key);
                    if side == Side::Export {
                        module.insert(0, "exports".into());
                    }
                    let types = iface.types.iter().map(|(n, t)| (n.clone(), *t)).collect();
                    let funcs = iface.functions.values().cloned().collect();
                    let mut u = unit(
                        &resolve,
                        module.clone(),
                        Some(name),
                        accessor,
                        types,
                        funcs,
                        span,
                    )?;
                    u.docs = iface.docs.contents.clone();
                    match side {
                        Side::Import => {
                            import_modules.insert(*id, module);
                            imports.push(u);
                        }
                        Side::Export => {
                            export_modules.insert(*id, module);
                            exports.push(u);
                        }
                    }
                }
                WorldItem::Type { id, .. } => {
                    let name = resolve.types[*id].name.clone().unwrap_or_default();
                    root_types.push((name, *id));
                }
                WorldItem::Function(f) => match side {
                    Side::Import => root_funcs.push(f.clone()),
                    Side::Export => {
                        check_kind(f, span)?;
                        root_exports.push(f.clone());
                    }
                },
            }
        }
    }
    let root = unit(
        &resolve,
        Vec::new(),
        None,
        String::new(),
        root_types,
        root_funcs,
        span,
    )?;
    Ok(Model {
        world_name: world.name.clone(),
        resolve,
        sources: Vec::new(),
        imports,
        root,
        exports,
        root_exports,
        import_modules,
        export_modules,
    })
}

/// Attaches each `with` entry to the imported resource it names, refusing
/// names that match none (a typo would otherwise pass silently).
fn apply_with(model: &mut Model, with: &[(syn::LitStr, syn::Path)]) -> syn::Result<()> {
    for (key, path) in with {
        let want = key.value();
        let mut found = false;
        for unit in model.imports.iter_mut().chain([&mut model.root]) {
            let iface = unit.name.clone();
            for r in &mut unit.resources {
                let names = match &iface {
                    Some(iface) => {
                        let unversioned = iface.split('@').next().unwrap_or(iface);
                        vec![
                            format!("{iface}/{}", r.name),
                            format!("{unversioned}/{}", r.name),
                        ]
                    }
                    None => vec![r.name.clone()],
                };
                if names.contains(&want) {
                    r.with = Some(path.clone());
                    found = true;
                }
            }
        }
        if !found {
            let known: Vec<String> = model
                .imports
                .iter()
                .flat_map(|u| {
                    let iface = u.name.clone().unwrap_or_default();
                    u.resources
                        .iter()
                        .map(move |r| format!("`{iface}/{}`", r.name))
                })
                .chain(model.root.resources.iter().map(|r| format!("`{}`", r.name)))
                .collect();
            return Err(syn::Error::new(
                key.span(),
                format!(
                    "bindgen!: `with` names no imported resource `{want}` (imported resources: {})",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
    }
    Ok(())
}

impl Model {
    /// The module a named type owned by `owner` is generated in, seen from
    /// `side`: an interface both imported and exported has its types in
    /// both trees, and exported code uses the exported copy.
    pub fn type_module(&self, owner: TypeOwner, side: Side) -> &[String] {
        match owner {
            TypeOwner::Interface(i) => {
                let export = self.export_modules.get(&i);
                let import = self.import_modules.get(&i);
                match (side, export, import) {
                    (Side::Export, Some(m), _) | (_, _, Some(m)) | (_, Some(m), None) => m,
                    (_, None, None) => &[],
                }
            }
            TypeOwner::World(_) | TypeOwner::None => &[],
        }
    }

    /// Whether `owner`'s resources are the guest's, seen from `side`.
    pub fn is_guest(&self, owner: TypeOwner, side: Side) -> bool {
        match owner {
            TypeOwner::Interface(i) => {
                let exported = self.export_modules.contains_key(&i);
                let imported = self.import_modules.contains_key(&i);
                exported && (side == Side::Export || !imported)
            }
            TypeOwner::World(_) | TypeOwner::None => false,
        }
    }

    /// `id` with `type x = y` aliases followed to the type they name.
    pub fn dealias(&self, mut id: TypeId) -> TypeId {
        while let TypeDefKind::Type(wit_parser::Type::Id(next)) = &self.resolve.types[id].kind {
            id = *next;
        }
        id
    }

    /// The resource definition of resource type `id`, if an imported
    /// unit defines it.
    pub fn host_resource(&self, id: TypeId) -> Option<&ResourceDef> {
        self.imports
            .iter()
            .chain([&self.root])
            .flat_map(|u| &u.resources)
            .find(|r| r.id == id)
    }
}
