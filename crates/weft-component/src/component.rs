//! [`Component`]: a component's bytes, validated by wasmparser's component
//! validator against the engine's core features plus the Component Model,
//! and translated into the plan its instances are built from.

use crate::translate::{Plan, translate};
use std::sync::Arc;
use weft::{Engine, Error, Result};

/// What an import or export of a component is (each kind has an index
/// space of its own).
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
#[derive(Clone)]
pub struct Component {
    inner: Arc<ComponentInner>,
}

struct ComponentInner {
    engine: Engine,
    plan: Plan,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Component")
            .field("imports", &self.inner.plan.imports)
            .field("exports", &self.inner.plan.exports)
            .finish()
    }
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
        if wasmparser::Parser::is_core_wasm(binary) {
            return Err(Error::Usage(
                "the bytes are a core module, not a component (use weft::Module)".into(),
            ));
        }
        let plan = translate(engine, binary)?;
        Ok(Component {
            inner: Arc::new(ComponentInner {
                engine: engine.clone(),
                plan,
            }),
        })
    }

    /// The engine the component was validated for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    pub(crate) fn plan(&self) -> &Plan {
        &self.inner.plan
    }

    /// The names and kinds of the component's imports, in order.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = (&str, ItemKind)> {
        self.inner
            .plan
            .imports
            .iter()
            .map(|(n, k)| (n.as_str(), *k))
    }

    /// The names and kinds of the component's exports, in order.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = (&str, ItemKind)> {
        self.inner
            .plan
            .exports
            .iter()
            .map(|(n, k)| (n.as_str(), *k))
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
        // A core module section longer than the bytes there are (found by
        // the component fuzz target).
        let mut short = b"\0asm\x0d\0\x01\0".to_vec();
        short.extend_from_slice(&[0x01, 0x80, 0x01, 0x00, 0x61, 0x73, 0x6d]);
        let err = Component::from_binary(&engine, &short).unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err}");
        let module = Component::new(&engine, "(module)").unwrap_err();
        assert!(module.to_string().contains("core module"), "{module}");
        assert!(matches!(
            Component::new(&engine, "(component"),
            Err(Error::Text(_))
        ));
    }
}
