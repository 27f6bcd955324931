//! The workloads that `benches/execution.rs` runs on weft and on wasmi, with
//! their known-correct results, shared by the benchmarks and the tests; and
//! the sightglass runner ([`sightglass`]) behind `benches/sightglass.rs`.
//!
//! Every execution workload is a WAT module exporting [`EXPORT`] with the
//! signature `(param i32) (result i64)`: the parameter is the problem size
//! and the result is a value a Rust reference implementation can check.

#![warn(missing_docs)]

pub mod sightglass;
pub mod summary;

use std::path::PathBuf;

/// The name of the function every execution workload exports.
pub const EXPORT: &str = "run";

/// One execution workload: a module, the sizes to run it at, and the result
/// it must produce.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// A short name, used as the criterion group name.
    pub name: &'static str,
    /// The module in the WebAssembly text format.
    pub wat: &'static str,
    /// The problem size one benchmark iteration runs.
    pub bench_input: i32,
    /// A small problem size for the tests.
    pub test_input: i32,
    /// Computes in Rust what [`EXPORT`] must return for a problem size.
    pub reference: fn(i32) -> i64,
}

impl Workload {
    /// The module in the binary format.
    ///
    /// # Panics
    ///
    /// If the embedded WAT does not parse (a bug in this crate).
    pub fn wasm(&self) -> Vec<u8> {
        wat::parse_str(self.wat).unwrap_or_else(|e| panic!("workload {}: bad WAT: {e}", self.name))
    }

    /// What [`EXPORT`] must return for problem size `input`.
    pub fn expected(&self, input: i32) -> i64 {
        (self.reference)(input)
    }
}

/// Recursive Fibonacci: `run(n)` returns fib(n); measures calls.
pub static FIB: Workload = Workload {
    name: "fib",
    wat: include_str!("workloads/fib.wat"),
    bench_input: 25,
    test_input: 20,
    reference: fib_reference,
};

/// A counting loop: `run(n)` counts a local up to `n`; measures dispatch.
pub static COUNT: Workload = Workload {
    name: "count_loop",
    wat: include_str!("workloads/count.wat"),
    bench_input: 10_000_000,
    test_input: 1_000,
    reference: count_reference,
};

/// Sieve of Eratosthenes: `run(n)` returns the number of primes below `n`;
/// measures byte loads and stores.
pub static SIEVE: Workload = Workload {
    name: "sieve",
    wat: include_str!("workloads/sieve.wat"),
    bench_input: 1_000_000,
    test_input: 1_000,
    reference: sieve_reference,
};

/// Matrix multiply: `run(n)` multiplies two `n`x`n` f64 matrices and
/// returns the sum of the product's elements; measures f64 arithmetic.
pub static MATMUL: Workload = Workload {
    name: "matmul",
    wat: include_str!("workloads/matmul.wat"),
    bench_input: 100,
    test_input: 10,
    reference: matmul_reference,
};

/// Every execution workload, in the order the benchmarks run them.
pub static WORKLOADS: [&Workload; 4] = [&FIB, &COUNT, &SIEVE, &MATMUL];

/// The sightglass module whose translation is benchmarked, relative to
/// [`sightglass_dir`]: the one with the largest code section (727 KB, 2562
/// functions) among the modules without SIMD (chosen before weft had SIMD).
pub const TRANSLATION_MODULE: &str = "sqlite3/sqlite3.wasm";

/// The sightglass benchmark checkout beside this repository
/// (`../shared/bench/sightglass` from the workspace root).
pub fn sightglass_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/sightglass")
}

/// Reads [`TRANSLATION_MODULE`].
///
/// # Errors
///
/// If the file cannot be read (the sightglass checkout is missing).
pub fn translation_wasm() -> std::io::Result<Vec<u8>> {
    let path = sightglass_dir().join(TRANSLATION_MODULE);
    std::fs::read(&path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

/// A workload instantiated on weft, ready to be called repeatedly.
pub struct WeftRunner {
    store: weft::Store<()>,
    run: weft::TypedFunc<(i32,), i64>,
}

impl WeftRunner {
    /// Compiles and instantiates `workload` in a fresh engine and store.
    ///
    /// # Errors
    ///
    /// If weft rejects the module or it does not export [`EXPORT`] with the
    /// expected signature.
    pub fn new(workload: &Workload) -> weft::Result<WeftRunner> {
        WeftRunner::with_config(workload, &weft::Config::new())
    }

    /// As [`WeftRunner::new`] with `config`; with fuel or epochs on, the
    /// store gets unlimited fuel and no deadline, so only the cost of the
    /// checks is measured.
    ///
    /// # Errors
    ///
    /// As for [`WeftRunner::new`].
    pub fn with_config(workload: &Workload, config: &weft::Config) -> weft::Result<WeftRunner> {
        let engine = weft::Engine::new(config);
        let module = weft::Module::from_binary(&engine, &workload.wasm())?;
        let mut store = weft::Store::new(&engine, ());
        let _ = store.set_fuel(u64::MAX);
        store.set_epoch_deadline(u64::MAX);
        let instance = weft::Linker::new(&engine).instantiate(&mut store, &module)?;
        let run = instance.get_typed_func::<(i32,), i64>(&store, EXPORT)?;
        Ok(WeftRunner { store, run })
    }

    /// Runs the workload at problem size `input`.
    ///
    /// # Errors
    ///
    /// If the call traps.
    pub fn call(&mut self, input: i32) -> weft::Result<i64> {
        self.run.call(&mut self.store, (input,))
    }
}

fn fib_reference(n: i32) -> i64 {
    let (mut a, mut b) = (0i64, 1i64);
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

fn count_reference(n: i32) -> i64 {
    i64::from(n.max(0))
}

fn sieve_reference(n: i32) -> i64 {
    let n = usize::try_from(n).unwrap_or(0);
    let mut composite = vec![false; n];
    let mut count = 0;
    for i in 2..n {
        if !composite[i] {
            count += 1;
            for j in (i * i..n).step_by(i) {
                composite[j] = true;
            }
        }
    }
    count
}

fn matmul_reference(n: i32) -> i64 {
    let n = usize::try_from(n).unwrap_or(0);
    let a = |i: usize, j: usize| ((i + j) % 7) as f64;
    let b = |i: usize, j: usize| ((i * j) % 5) as f64 - 2.0;
    let mut sum = 0.0;
    for i in 0..n {
        for j in 0..n {
            sum += (0..n).map(|k| a(i, k) * b(k, j)).sum::<f64>();
        }
    }
    sum as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `workload` at `input` on wasmi.
    fn wasmi_run(workload: &Workload, input: i32) -> i64 {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, workload.wasm()).unwrap();
        let mut store = wasmi::Store::new(&engine, ());
        let instance = wasmi::Linker::new(&engine)
            .instantiate_and_start(&mut store, &module)
            .unwrap();
        let run = instance.get_typed_func::<i32, i64>(&store, EXPORT).unwrap();
        run.call(&mut store, input).unwrap()
    }

    /// Runs `workload` at `input` on weft, twice on one instance, checking
    /// the second call (which reuses dirty memory) agrees with the first.
    fn weft_run(workload: &Workload, input: i32) -> i64 {
        let mut runner = WeftRunner::new(workload).unwrap();
        let first = runner.call(input).unwrap();
        assert_eq!(
            runner.call(input).unwrap(),
            first,
            "{}: second call",
            workload.name
        );
        first
    }

    #[test]
    fn references_match_known_values() {
        assert_eq!(FIB.expected(20), 6765);
        assert_eq!(FIB.expected(25), 75025);
        assert_eq!(COUNT.expected(1_000), 1_000);
        assert_eq!(SIEVE.expected(1_000), 168);
        assert_eq!(SIEVE.expected(1_000_000), 78_498);
        // Hand-checkable: for n = 2, A = [[0,1],[1,2]], B = [[-2,-2],[-2,-1]],
        // A*B = [[-2,-1],[-6,-4]], which sums to -13.
        assert_eq!(MATMUL.expected(2), -13);
    }

    #[test]
    fn weft_and_wasmi_agree_with_the_reference() {
        for workload in WORKLOADS {
            let input = workload.test_input;
            let expected = workload.expected(input);
            assert_eq!(
                weft_run(workload, input),
                expected,
                "{} on weft",
                workload.name
            );
            assert_eq!(
                wasmi_run(workload, input),
                expected,
                "{} on wasmi",
                workload.name
            );
        }
    }

    #[test]
    fn edge_sizes_agree() {
        for workload in WORKLOADS {
            for input in [0, 1, 2, 3] {
                let expected = workload.expected(input);
                assert_eq!(
                    weft_run(workload, input),
                    expected,
                    "{}({input}) on weft",
                    workload.name
                );
                assert_eq!(
                    wasmi_run(workload, input),
                    expected,
                    "{}({input}) on wasmi",
                    workload.name
                );
            }
        }
    }

    #[test]
    fn both_accept_the_translation_module() {
        let bytes = translation_wasm().unwrap();
        weft::Module::from_binary(&weft::Engine::default(), &bytes).unwrap();
        wasmi::Module::validate(&wasmi::Engine::default(), &bytes).unwrap();
    }
}
