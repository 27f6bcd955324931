//! Golden translator tests: the IR listing of each module in
//! `tests/golden/*.wat` (as `weft ir` prints it) must equal the checked-in
//! `*.ir` beside it, so a change to what the translator emits shows in
//! review. `WEFT_BLESS=1 cargo test -p weft --test api ir::` rewrites them.

use super::*;
use std::path::Path;

#[test]
fn listings_match_the_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut config = Config::new();
    config.debug_ir(true);
    let engine = Engine::new(&config);
    let bless = std::env::var_os("WEFT_BLESS").is_some();
    let mut wats: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/golden")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "wat"))
        .collect();
    wats.sort();
    assert!(wats.len() >= 6, "golden modules missing");
    let mut stale = Vec::new();
    for wat in wats {
        let module = Module::from_file(&engine, &wat).expect("golden module compiles");
        let listing = module.ir_listing(None).expect("listings are kept");
        let golden = wat.with_extension("ir");
        if bless {
            std::fs::write(&golden, &listing).expect("write golden listing");
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if want != listing {
            stale.push(format!(
                "{} differs from {}; now:\n{listing}",
                wat.display(),
                golden.display()
            ));
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

/// Without `Config::debug_ir`, no listing is kept.
#[test]
fn listings_are_kept_only_when_asked() {
    let module = Module::new(&Engine::default(), COUNTER_WAT).unwrap();
    assert!(module.ir_listing(None).is_none());
}
