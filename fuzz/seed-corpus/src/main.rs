//! `seed-corpus [--components] OUT_DIR WAST_DIR...`: writes every module
//! (valid, invalid and malformed, text or binary) of the `.wast` files under
//! the given directories to OUT_DIR, prefixed with a 0 byte
//! (validate_translate's "raw bytes" selector); with `--components`, every
//! component instead, followed by as many zero bytes (the `component`
//! target reads the component from the first half of its input).

use std::path::Path;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let components = args.first().is_some_and(|a| a == "--components");
    if components {
        args.remove(0);
    }
    let (out, dirs) = args
        .split_first()
        .expect("usage: seed-corpus [--components] OUT_DIR WAST_DIR...");
    std::fs::create_dir_all(out).unwrap();
    let mut count = 0;
    for dir in dirs {
        walk(Path::new(dir), &mut |path| {
            count += extract(path, Path::new(out), components)
        });
    }
    println!("{count} modules written to {out}");
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, f);
        } else if p.extension().is_some_and(|e| e == "wast") {
            f(&p);
        }
    }
}

fn extract(path: &Path, out: &Path, components: bool) -> usize {
    let Ok(text) = std::fs::read_to_string(path) else { return 0 };
    let Ok(buf) = ParseBuffer::new(&text) else { return 0 };
    let Ok(wast) = parser::parse::<Wast>(&buf) else { return 0 };
    let stem = path.with_extension("").to_string_lossy().trim_start_matches('/').replace('/', "_");
    let mut n = 0;
    for directive in wast.directives {
        let bytes = match directive {
            WastDirective::Module(m)
            | WastDirective::ModuleDefinition(m)
            | WastDirective::AssertInvalid { module: m, .. }
            | WastDirective::AssertMalformed { module: m, .. } => encode(m),
            WastDirective::AssertUnlinkable { mut module, .. } => module.encode().ok(),
            _ => None,
        };
        if let Some(bytes) = bytes {
            let is_component = bytes.get(4..8) == Some(&[0x0d, 0x00, 0x01, 0x00]);
            if is_component != components {
                continue;
            }
            let data = if components {
                let mut data = bytes.clone();
                data.resize(bytes.len() * 2, 0);
                data
            } else {
                let mut data = vec![0u8];
                data.extend_from_slice(&bytes);
                data
            };
            std::fs::write(out.join(format!("{stem}-{n}")), data).unwrap();
            n += 1;
        }
    }
    n
}

fn encode(mut module: QuoteWat<'_>) -> Option<Vec<u8>> {
    module.encode().ok()
}
