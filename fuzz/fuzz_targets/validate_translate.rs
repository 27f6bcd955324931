//! Untrusted bytes → `Module::from_binary` (validate + translate) must
//! return `Ok` or `Err`, never panic, and must agree with
//! `Module::validate` on validity, with eager and with lazy translation (`from_binary` may additionally answer
//! `Error::Unsupported` for a valid module using something weft does not
//! execute).
//!
//! The first byte picks the input's shape:
//! - even: the remaining bytes as they are (libFuzzer mutates them; seed
//!   the corpus with real modules, see README.md);
//! - odd: a wasm-smith module built from the remaining bytes, with
//!   `allow_invalid_funcs` so some function bodies are arbitrary bytes
//!   (mostly invalid code behind valid module structure), and with a
//!   random choice of proposals so that some modules use features the
//!   engine has turned off.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let bytes = if selector % 2 == 0 {
        rest.to_vec()
    } else {
        let mut u = Unstructured::new(rest);
        let Ok(mut config) = u.arbitrary::<wasm_smith::Config>() else {
            return;
        };
        config.allow_invalid_funcs = true;
        config.threads_enabled = false;
        config.shared_everything_threads_enabled = false;
        match wasm_smith::Module::new(config, &mut u) {
            Ok(m) => m.to_bytes(),
            Err(_) => return,
        }
    };
    check(selector, &bytes);
});

fn check(selector: u8, bytes: &[u8]) {
    weft_fuzz::debug_print_module(bytes);
    // Half the inputs compile with weft's default features, half with the
    // optional proposals switched by selector bits.
    let mut config = weft::Config::new();
    if selector & 2 != 0 {
        config
            .wasm_simd(selector & 4 != 0)
            .wasm_relaxed_simd(selector & 4 != 0 && selector & 8 != 0)
            .wasm_gc(selector & 16 != 0)
            .wasm_function_references(selector & 16 != 0 || selector & 32 != 0)
            .wasm_memory64(selector & 64 != 0)
            .wasm_tail_call(selector & 128 != 0);
    }
    // Eager translation translates every body here; lazy translation
    // (the default) must accept and reject exactly the same modules.
    config.compilation_mode(weft::CompilationMode::Eager);
    let engine = weft::Engine::new(&config);
    let validated = weft::Module::validate(&engine, bytes);
    let compiled = weft::Module::from_binary(&engine, bytes);
    let lazy_engine =
        weft::Engine::new(config.compilation_mode(weft::CompilationMode::LazyTranslation));
    let lazily = weft::Module::from_binary(&lazy_engine, bytes);
    // (A construct weft cannot translate is found only by eager translation.)
    let untranslatable = matches!(compiled, Err(weft::Error::Unsupported(_)));
    if lazily.is_ok() != compiled.is_ok() && !untranslatable {
        panic!(
            "lazy and eager translation disagree: lazy {:?}, eager {:?}",
            lazily.err(),
            compiled.as_ref().err()
        );
    }
    weft_fuzz::dbg_log!(
        "validate: {validated:?}\nfrom_binary: {:?}",
        compiled.as_ref().err()
    );
    match (&validated, &compiled) {
        (Ok(()), Ok(_)) => {}
        (Ok(()), Err(weft::Error::Unsupported(_))) => {}
        (Ok(()), Err(e)) => panic!("validate accepts the module but from_binary fails: {e}"),
        (Err(e), Ok(_)) => panic!("validate rejects the module ({e}) but from_binary accepts it"),
        (Err(_), Err(weft::Error::Invalid { .. } | weft::Error::Unsupported(_))) => {}
        (Err(v), Err(e)) => {
            panic!(
                "invalid module ({v}) but from_binary fails with an unexpected error kind: {e:?}"
            )
        }
    }
    if let Ok(module) = compiled {
        // The declarations of a compiled module must be describable.
        for import in module.imports() {
            std::hint::black_box(import);
        }
        for export in module.exports() {
            std::hint::black_box(export);
        }
    }
}
