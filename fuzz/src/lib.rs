//! Helpers shared by weft's fuzz targets: wasm-smith configurations, the
//! weft engine configuration that matches them, import definitions and
//! argument generation.
//!
//! Each target is a thin `fuzz_target!` around a function here, so a
//! finding can also be replayed from a plain test or a debugger.

use arbitrary::{Result as ArbResult, Unstructured};

/// How a fuzz input chose to run one module in weft.
#[derive(Debug, Clone)]
pub struct ExecKnobs {
    /// Fuel given before instantiation and refilled before each call.
    pub fuel: u64,
    /// `Config::max_wasm_stack` in bytes (`None`: weft's default).
    pub max_wasm_stack: Option<usize>,
    /// `StoreLimitsBuilder::memory_size` in bytes.
    pub memory_limit: usize,
    /// `StoreLimitsBuilder::table_elements`.
    pub table_limit: usize,
    /// `StoreLimitsBuilder::trap_on_grow_failure`.
    pub trap_on_grow_failure: bool,
    /// Turn on `Config::epoch_interruption`; `Some(ticks)` is the deadline
    /// given before every call (0 interrupts at the first check).
    pub epoch_deadline: Option<u64>,
    /// Translate every body in `Module::new` (`CompilationMode::Eager`)
    /// instead of on first call, so both modes are fuzzed.
    pub eager_translation: bool,
}

impl ExecKnobs {
    pub fn arbitrary(u: &mut Unstructured<'_>) -> ArbResult<ExecKnobs> {
        let fuel = *u.choose(&[100, 1_000, 10_000, 100_000, 300_000])?;
        let max_wasm_stack = match u.int_in_range(0u8..=7)? {
            0 => Some(4096),
            1 => Some(16 << 10),
            2 => Some(64 << 10),
            3 => Some(u.int_in_range(4096usize..=(256 << 10))?),
            _ => None,
        };
        let memory_limit = *u.choose(&[0, 64 << 10, 1 << 20, 4 << 20, 16 << 20])?;
        let table_limit = *u.choose(&[0, 10, 1_000, 10_000])?;
        let trap_on_grow_failure = u.ratio(1, 4)?;
        let epoch_deadline = match u.int_in_range(0u8..=7)? {
            0 => Some(0),
            1 => Some(1),
            2 => Some(u64::MAX / 2),
            _ => None,
        };
        let eager_translation = u.arbitrary::<bool>()?;
        Ok(ExecKnobs {
            fuel,
            max_wasm_stack,
            memory_limit,
            table_limit,
            trap_on_grow_failure,
            epoch_deadline,
            eager_translation,
        })
    }
}

/// Limits shared by every wasm-smith configuration here: small enough that
/// one input runs in milliseconds, large enough to reach every construct.
fn base_smith_config() -> wasm_smith::Config {
    wasm_smith::Config {
        max_types: 30,
        max_funcs: 30,
        max_imports: 8,
        max_exports: 30,
        max_globals: 20,
        max_tables: 4,
        max_memories: 3,
        max_element_segments: 10,
        max_elements: 30,
        max_data_segments: 10,
        max_instructions: 300,
        max_table_elements: 1_000,
        // 16 pages of 64 KiB; the store's limiter bounds growth beyond.
        max_memory32_bytes: 16 << 16,
        max_memory64_bytes: 16 << 16,
        max_nesting_depth: 10,
        min_uleb_size: 1,
        // Proposals weft does not execute, or that no runtime here has.
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        exceptions_enabled: false,
        compact_imports_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        custom_descriptors_enabled: false,
        multibyte_array_access_enabled: false,
        acquire_release_atomics_enabled: false,
        gc_enabled: false,
        // What weft executes.
        bulk_memory_enabled: true,
        reference_types_enabled: true,
        multi_value_enabled: true,
        memory64_enabled: true,
        tail_call_enabled: true,
        simd_enabled: true,
        relaxed_simd_enabled: true,
        extended_const_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        ..wasm_smith::Config::default()
    }
}

/// The wasm-smith configuration for the `execute` target: every feature
/// weft executes, with some variation chosen by the input.
///
/// wasm-smith ties typed function references to its GC switch, so a
/// quarter of the inputs turn GC on (without GC's struct/array
/// instructions) to reach `call_ref`, `br_on_null` and friends; those
/// modules may still contain `ref.test`/`ref.cast`/`ref.eq`, which weft
/// rejects with `Error::Unsupported`.
pub fn execute_smith_config(u: &mut Unstructured<'_>) -> ArbResult<wasm_smith::Config> {
    let mut c = base_smith_config();
    c.gc_enabled = u.ratio(1, 2)?;
    c.disallow_traps = u.ratio(1, 4)?;
    c.canonicalize_nans = u.ratio(1, 8)?;
    c.min_funcs = 1;
    c.min_exports = 1;
    c.export_everything = u.ratio(1, 2)?;
    Ok(c)
}

/// The wasm-smith configuration for the `differential` target: only what
/// weft and wasmi 2.0 (with its `simd` feature) both execute, and nothing
/// whose result the specification leaves open.
pub fn differential_smith_config(_u: &mut Unstructured<'_>) -> ArbResult<wasm_smith::Config> {
    let mut c = base_smith_config();
    // wasmi 2.0 has no typed function references or GC.
    c.gc_enabled = false;
    // Relaxed SIMD results are implementation-defined.
    c.relaxed_simd_enabled = false;
    // NaN payloads are nondeterministic; canonicalize arithmetic results.
    c.canonicalize_nans = true;
    // wasm-smith avoids traps by guarding each division with a select that
    // wasmi 2.0 evaluates wrongly (README, "Known disagreements"): let
    // divisions trap instead, which both runtimes must agree on.
    c.disallow_traps = false;
    c.min_funcs = 1;
    c.min_exports = 1;
    c.export_everything = true;
    Ok(c)
}

/// A weft configuration with every proposal the wasm-smith configurations
/// above can produce turned on, so a generated module is always valid.
pub fn weft_config(knobs: &ExecKnobs) -> weft::Config {
    let mut config = weft::Config::new();
    config
        .wasm_bulk_memory(true)
        .wasm_reference_types(true)
        .wasm_multi_value(true)
        .wasm_multi_memory(true)
        .wasm_memory64(true)
        .wasm_tail_call(true)
        .wasm_simd(true)
        .wasm_relaxed_simd(true)
        .wasm_extended_const(true)
        .wasm_function_references(true)
        .wasm_gc(true)
        .consume_fuel(true)
        .epoch_interruption(knobs.epoch_deadline.is_some())
        // Fuel bounds instructions, not what one `array.new` allocates:
        // keep GC heaps far below libFuzzer's memory limit.
        .max_gc_heap_size(64 << 20);
    if let Some(bytes) = knobs.max_wasm_stack {
        config.max_wasm_stack(bytes);
    }
    config.compilation_mode(if knobs.eager_translation {
        weft::CompilationMode::Eager
    } else {
        weft::CompilationMode::LazyTranslation
    });
    config
}

/// Makes a store with the knobs' fuel and limiter.
pub fn weft_store(engine: &weft::Engine, knobs: &ExecKnobs) -> weft::Store<()> {
    let mut store = weft::Store::new(engine, ());
    store.limiter(
        weft::StoreLimitsBuilder::new()
            .memory_size(knobs.memory_limit)
            .table_elements(knobs.table_limit)
            .trap_on_grow_failure(knobs.trap_on_grow_failure)
            .build(),
    );
    store.set_fuel(knobs.fuel).expect("fuel is enabled");
    store
}

/// A linker that satisfies every import of `module`: functions return
/// default values (`define_unknown_imports_as_default_values`); memories,
/// tables and globals are created at their minimum size with default
/// contents. Creating one may fail (the limiter, a non-nullable table
/// element type): such imports are left undefined and instantiation then
/// fails with a link error.
pub fn weft_linker(store: &mut weft::Store<()>, module: &weft::Module) -> weft::Linker<()> {
    let mut linker = weft::Linker::new(store.engine());
    linker.allow_shadowing(true);
    for import in module.imports() {
        let item: Option<weft::Extern> = match &import.ty {
            weft::ExternType::Memory(ty) => {
                weft::Memory::new(&mut *store, *ty).ok().map(Into::into)
            }
            weft::ExternType::Table(ty) => {
                match weft::Val::default_for(weft::ValType::Ref(ty.element))
                    .and_then(weft::Ref::from_val)
                {
                    Some(init) => weft::Table::new(&mut *store, *ty, init)
                        .ok()
                        .map(Into::into),
                    None => None,
                }
            }
            weft::ExternType::Global(ty) => match weft::Val::default_for(ty.content) {
                Some(v) => weft::Global::new(&mut *store, *ty, v).ok().map(Into::into),
                None => None,
            },
            _ => None,
        };
        if let Some(item) = item {
            linker
                .define(&mut *store, &import.module, &import.name, item)
                .expect("shadowing is allowed");
        }
    }
    linker
        .define_unknown_imports_as_default_values(module)
        .expect("defining host functions cannot fail");
    linker
}

/// Arguments for a function of type `params`: arbitrary numbers and
/// vectors, null references. `None` if a parameter has no value the
/// harness can make (a non-nullable reference).
pub fn weft_args(u: &mut Unstructured<'_>, params: &[weft::ValType]) -> Option<Vec<weft::Val>> {
    params
        .iter()
        .map(|t| {
            Some(match t {
                weft::ValType::I32 => weft::Val::I32(interesting_u32(u) as i32),
                weft::ValType::I64 => weft::Val::I64(interesting_u64(u) as i64),
                weft::ValType::F32 => weft::Val::F32(interesting_f32(u)),
                weft::ValType::F64 => weft::Val::F64(interesting_f64(u)),
                weft::ValType::V128 => weft::Val::V128(u.arbitrary::<u128>().unwrap_or_default()),
                weft::ValType::Ref(_) => weft::Val::default_for(*t)?,
            })
        })
        .collect()
}

/// An `i32` argument: often a small or boundary value, sometimes any.
pub fn interesting_u32(u: &mut Unstructured<'_>) -> u32 {
    match u.int_in_range(0u8..=3).unwrap_or(0) {
        0 => u.int_in_range(0u32..=16).unwrap_or(0),
        1 => *u
            .choose(&[
                u32::MAX,
                0x8000_0000,
                0x7fff_ffff,
                0xffff,
                0x1_0000,
                65535 * 16,
            ])
            .unwrap_or(&0),
        _ => u.arbitrary().unwrap_or(0),
    }
}

/// An `i64` argument, as [`interesting_u32`].
pub fn interesting_u64(u: &mut Unstructured<'_>) -> u64 {
    match u.int_in_range(0u8..=3).unwrap_or(0) {
        0 => u.int_in_range(0u64..=16).unwrap_or(0),
        1 => *u
            .choose(&[
                u64::MAX,
                1 << 63,
                (1 << 63) - 1,
                1 << 32,
                u64::from(u32::MAX),
            ])
            .unwrap_or(&0),
        _ => u.arbitrary().unwrap_or(0),
    }
}

/// An `f32` argument's bits (canonical NaN rather than arbitrary payloads
/// half the time, so differential runs are not dominated by NaN noise).
pub fn interesting_f32(u: &mut Unstructured<'_>) -> u32 {
    match u.int_in_range(0u8..=3).unwrap_or(0) {
        0 => (u.int_in_range(-8i32..=8).unwrap_or(0) as f32).to_bits(),
        1 => *u
            .choose(&[
                0x7fc0_0000,
                0x8000_0000,
                f32::INFINITY.to_bits(),
                f32::NEG_INFINITY.to_bits(),
                2147483648f32.to_bits(),
                4294967296f32.to_bits(),
                (-2147483904f32).to_bits(),
                f32::MIN_POSITIVE.to_bits(),
                1,
            ])
            .unwrap_or(&0),
        _ => u.arbitrary().unwrap_or(0),
    }
}

/// An `f64` argument's bits, as [`interesting_f32`].
pub fn interesting_f64(u: &mut Unstructured<'_>) -> u64 {
    match u.int_in_range(0u8..=3).unwrap_or(0) {
        0 => (u.int_in_range(-8i32..=8).unwrap_or(0) as f64).to_bits(),
        1 => *u
            .choose(&[
                0x7ff8_0000_0000_0000,
                0x8000_0000_0000_0000,
                f64::INFINITY.to_bits(),
                f64::NEG_INFINITY.to_bits(),
                9223372036854775808f64.to_bits(),
                (-9223372036854777856f64).to_bits(),
                2147483648f64.to_bits(),
                (-2147483649f64).to_bits(),
                f64::MIN_POSITIVE.to_bits(),
                1,
            ])
            .unwrap_or(&0),
        _ => u.arbitrary().unwrap_or(0),
    }
}

/// Whether `e` is an acceptable way for a call into Wasm to fail: a trap
/// (any kind, including fuel, epoch and stack exhaustion). Anything else
/// (a usage error after the harness passed well-typed arguments, a link
/// error at call time) is a weft bug.
pub fn is_clean_call_error(e: &weft::Error) -> bool {
    matches!(e, weft::Error::Trap(_))
}

/// Prints the module as text when `WEFT_FUZZ_PRINT` is set (used when
/// reproducing a finding with `cargo fuzz run TARGET ARTIFACT`).
pub fn debug_print_module(bytes: &[u8]) {
    if std::env::var_os("WEFT_FUZZ_PRINT").is_some() {
        match wasmprinter_text(bytes) {
            Some(text) => eprintln!("{text}"),
            None => eprintln!("(module bytes: {bytes:02x?})"),
        }
        if let Ok(dir) = std::env::var("WEFT_FUZZ_SAVE") {
            let path = format!("{dir}/case.wasm");
            let _ = std::fs::write(&path, bytes);
            eprintln!("saved {path}");
        }
    }
}

fn wasmprinter_text(bytes: &[u8]) -> Option<String> {
    wasmprinter::print_bytes(bytes).ok()
}

pub fn debug_enabled() -> bool {
    std::env::var_os("WEFT_FUZZ_PRINT").is_some()
}

#[macro_export]
macro_rules! dbg_log {
    ($($t:tt)*) => {
        if $crate::debug_enabled() {
            eprintln!($($t)*);
        }
    };
}

/// Runs `f` on a fresh thread with a 2 GiB stack (reserved, committed only
/// as used) and propagates its panic.
///
/// weft's executor relies on LLVM turning each handler's call of the next
/// handler into a jump. Under cargo-fuzz's sanitizer-coverage
/// instrumentation that no longer happens for the memory load/store
/// handlers (and a few SIMD ones), so every executed load or store costs a
/// host stack frame (~100 bytes) and a long loop overflows libFuzzer's
/// 8 MiB main-thread stack. Normal (uninstrumented) builds do not have the
/// problem. Fuel bounds the number of instructions per call, so 2 GiB is
/// always enough.
pub fn with_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .stack_size(2 << 30)
            .spawn_scoped(s, f)
            .expect("spawn a thread for the fuzz input");
        match handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Decisions for `weft_testgen`'s generators, read from fuzzer input
/// (zero once the input runs out).
pub struct InputChoices<'a, 'b>(pub &'a mut Unstructured<'b>);

impl weft_testgen::Choose for InputChoices<'_, '_> {
    fn below(&mut self, n: u32) -> u32 {
        self.0.int_in_range(0..=n - 1).unwrap_or(0)
    }
}
