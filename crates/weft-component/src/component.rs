//! [`Component`]: a component's bytes, validated by wasmparser's component
//! validator against the engine's core features plus the Component Model,
//! with the names and kinds of its top-level imports and exports.

use std::sync::Arc;
use wasmparser as wp;
use weft::{Engine, Error, Result};

/// What a top-level import or export of a component is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// A core module.
    Module,
    /// A function.
    Func,
    /// A value.
    Value,
    /// A type (a resource type among them).
    Type,
    /// An instance.
    Instance,
    /// A component.
    Component,
}

/// A validated component, ready to be instantiated (cheap to clone).
#[derive(Clone, Debug)]
pub struct Component {
    inner: Arc<ComponentInner>,
}

#[derive(Debug)]
struct ComponentInner {
    engine: Engine,
    binary: Vec<u8>,
    imports: Vec<(String, ItemKind)>,
    exports: Vec<(String, ItemKind)>,
}

impl Component {
    /// A component from bytes in the binary or text format.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Component> {
        let binary = wat::parse_bytes(bytes.as_ref()).map_err(|e| Error::Text(e.to_string()))?;
        Component::from_binary(engine, &binary)
    }

    /// A component from a file in the binary or text format.
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Component> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::Usage(format!("cannot read {}: {e}", path.display())))?;
        Component::new(engine, bytes)
    }

    /// A component from bytes in the binary format.
    pub fn from_binary(engine: &Engine, binary: &[u8]) -> Result<Component> {
        if wp::Parser::is_core_wasm(binary) {
            return Err(Error::Usage(
                "the bytes are a core module, not a component (use weft::Module)".into(),
            ));
        }
        // The Component Model with `[implements=...]` names (metadata
        // only); not async, threads, maps, fixed-length lists or GC types.
        let features = weft::__component_hooks::wasm_features(engine)
            | wp::WasmFeatures::COMPONENT_MODEL
            | wp::WasmFeatures::CM_IMPLEMENTS;
        wp::Validator::new_with_features(features)
            .validate_all(binary)
            .map_err(invalid)?;
        let (imports, exports) = top_level_items(binary).map_err(invalid)?;
        Ok(Component {
            inner: Arc::new(ComponentInner {
                engine: engine.clone(),
                binary: binary.to_vec(),
                imports,
                exports,
            }),
        })
    }

    /// The engine the component was validated for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The component's binary.
    pub fn binary(&self) -> &[u8] {
        &self.inner.binary
    }

    /// The names and kinds of the component's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = (&str, ItemKind)> {
        self.inner.imports.iter().map(|(n, k)| (n.as_str(), *k))
    }

    /// The names and kinds of the component's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = (&str, ItemKind)> {
        self.inner.exports.iter().map(|(n, k)| (n.as_str(), *k))
    }
}

fn invalid(e: wp::BinaryReaderError) -> Error {
    Error::Invalid {
        message: e.message().to_string(),
        offset: e.offset() as usize,
    }
}

type Items = Vec<(String, ItemKind)>;

/// The imports and exports of the outermost component (nested components
/// and modules are skipped).
fn top_level_items(binary: &[u8]) -> std::result::Result<(Items, Items), wp::BinaryReaderError> {
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut depth = 0usize;
    for payload in wp::Parser::new(0).parse_all(binary) {
        match payload? {
            wp::Payload::ModuleSection { .. } | wp::Payload::ComponentSection { .. } => {
                depth += 1;
            }
            wp::Payload::End(_) => depth = depth.saturating_sub(1),
            wp::Payload::ComponentImportSection(s) if depth == 0 => {
                for import in s {
                    let import = import?;
                    imports.push((import.name.name.to_string(), kind_of(import.ty)));
                }
            }
            wp::Payload::ComponentExportSection(s) if depth == 0 => {
                for export in s {
                    let export = export?;
                    exports.push((export.name.name.to_string(), kind_of_export(export.kind)));
                }
            }
            _ => {}
        }
    }
    Ok((imports, exports))
}

fn kind_of(ty: wp::ComponentTypeRef) -> ItemKind {
    match ty {
        wp::ComponentTypeRef::Module(_) => ItemKind::Module,
        wp::ComponentTypeRef::Func(_) => ItemKind::Func,
        wp::ComponentTypeRef::Value(_) => ItemKind::Value,
        wp::ComponentTypeRef::Type(_) => ItemKind::Type,
        wp::ComponentTypeRef::Instance(_) => ItemKind::Instance,
        wp::ComponentTypeRef::Component(_) => ItemKind::Component,
    }
}

fn kind_of_export(kind: wp::ComponentExternalKind) -> ItemKind {
    match kind {
        wp::ComponentExternalKind::Module => ItemKind::Module,
        wp::ComponentExternalKind::Func => ItemKind::Func,
        wp::ComponentExternalKind::Value => ItemKind::Value,
        wp::ComponentExternalKind::Type => ItemKind::Type,
        wp::ComponentExternalKind::Instance => ItemKind::Instance,
        wp::ComponentExternalKind::Component => ItemKind::Component,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(path: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared")
            .join(path)
    }

    #[test]
    fn a_real_component_validates_with_its_imports_and_exports() {
        let engine = Engine::default();
        let path = shared("programs/components/resources/resources-guest.wasm");
        let c = Component::from_file(&engine, path).expect("the component validates");
        let imports: Vec<_> = c.imports().collect();
        let exports: Vec<_> = c.exports().collect();
        assert!(
            imports.contains(&("weft:test/host-log", ItemKind::Instance)),
            "{imports:?}"
        );
        assert!(
            exports.contains(&("weft:test/types", ItemKind::Instance)),
            "{exports:?}"
        );
        assert!(exports.contains(&("run", ItemKind::Func)), "{exports:?}");
    }

    #[test]
    fn bad_components_are_errors_with_their_cause() {
        let engine = Engine::default();
        let err = Component::new(&engine, "(component (export \"f\" (func 0)))").unwrap_err();
        let Error::Invalid { message, offset } = &err else {
            panic!("not an invalid-component error: {err}");
        };
        assert!(message.contains("unknown function 0"), "{message}");
        assert!(*offset > 8, "the offset points into the component");
        let module = Component::new(&engine, "(module)").unwrap_err();
        assert!(module.to_string().contains("core module"), "{module}");
        assert!(matches!(
            Component::new(&engine, "(component"),
            Err(Error::Text(_))
        ));
    }
}
