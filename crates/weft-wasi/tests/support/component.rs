//! Makes components of the C test programs: the preview-1 module that
//! [`cprog::wasm`](super::cprog::wasm) builds, wrapped by wit-component with
//! the preview-1 *command* adapter, so the program runs on WASI 0.2 and
//! exports `wasi:cli/run`. Debian's clang and wasi-libc cannot target
//! preview 2 directly, and this is how a preview-1 toolchain's output
//! becomes a component elsewhere too.
//!
//! Needs `cprog` included as a sibling module (`#[path]`) by the includer.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use wasi_preview1_component_adapter_provider::{
    WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME, WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
};

/// The component of `tests/c/NAME.c`, made from its module next to it
/// (`NAME.ADAPTER-HASH.component.wasm`) unless one newer than the module
/// is there already. The adapter's hash is in the name so that a new
/// adapter release makes new components instead of reusing stale ones.
/// Panics if wit-component refuses the module.
pub fn wasm(name: &str) -> PathBuf {
    let module = super::cprog::wasm(name);
    // One encoding at a time: tests run on several threads, and two
    // writers of one file would race.
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut hasher = DefaultHasher::new();
    WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER.hash(&mut hasher);
    let out = module.with_file_name(format!("{name}.{:016x}.component.wasm", hasher.finish()));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let module_time = modified(&module).expect("cprog::wasm made the module");
    if modified(&out).is_some_and(|t| t >= module_time) {
        return out;
    }
    let bytes = std::fs::read(&module).expect("cannot read the module");
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .and_then(|e| {
            e.adapter(
                WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME,
                WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
            )
        })
        .and_then(|e| e.validate(true).encode())
        .unwrap_or_else(|e| panic!("making a component of {}: {e:?}", module.display()));
    // Write to a temporary name, then rename: a component is whole or absent.
    let tmp = out.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, component).expect("cannot write the component");
    std::fs::rename(&tmp, &out).expect("cannot move the component into place");
    out
}
