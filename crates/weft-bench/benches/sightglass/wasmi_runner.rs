//! The wasmi side of the sightglass runner: a benchmark compiled on wasmi
//! 2.0 and run with `wasmi_wasi` under the same contract as on weft
//! (`weft_bench::sightglass::WeftBench`). Also compiled into the tests
//! (`tests/sightglass.rs`), so it lives in its own file.

use std::io::Cursor;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use wasmi_wasi::wasi_common::pipe::{ReadPipe, WritePipe};
use weft_bench::sightglass::{BENCH_MODULE, Benchmark, Exit, Marks, Outcome, START, SeededBytes};

/// The store data of a benchmark run on wasmi.
struct WasmiHost {
    wasi: wasmi_wasi::WasiCtx,
    marks: Marks,
}

/// A benchmark compiled on wasmi (eagerly, so translation stays outside the
/// measured region as weft's does), ready to run in fresh stores.
pub struct WasmiBench {
    module: wasmi::Module,
    linker: wasmi::Linker<WasmiHost>,
}

/// wasmi's value stack limit: weft's default (`Config::max_wasm_stack`, 8
/// MiB for values and frames). wasmi's own default (1 MB, 1000 nested
/// calls) is too small for shootout-ackermann ("call stack exhausted").
pub const WASMI_STACK_BYTES: usize = 8 << 20;

/// A shared in-memory output stream for wasi-common.
type Capture = Arc<RwLock<Cursor<Vec<u8>>>>;

impl WasmiBench {
    /// Compiles `wasm` with wasmi's default configuration, except that
    /// every function is translated now rather than on its first call, and
    /// that the stack limits are weft's ([`WASMI_STACK_BYTES`]).
    pub fn new(wasm: &[u8]) -> Result<WasmiBench, String> {
        let mut config = wasmi::Config::default();
        config
            .compilation_mode(wasmi::CompilationMode::Eager)
            .set_max_stack_height(WASMI_STACK_BYTES)
            .set_max_recursion_depth(WASMI_STACK_BYTES / 64);
        let engine = wasmi::Engine::new(&config);
        let module = wasmi::Module::new(&engine, wasm).map_err(|e| e.to_string())?;
        let mut linker = wasmi::Linker::new(&engine);
        wasmi_wasi::add_to_linker(&mut linker, |h: &mut WasmiHost| &mut h.wasi)
            .map_err(|e| e.to_string())?;
        linker
            .func_wrap(
                BENCH_MODULE,
                "start",
                |mut c: wasmi::Caller<'_, WasmiHost>| {
                    c.data_mut().marks.start();
                },
            )
            .and_then(|l| {
                l.func_wrap(
                    BENCH_MODULE,
                    "end",
                    |mut c: wasmi::Caller<'_, WasmiHost>| {
                        c.data_mut().marks.end();
                    },
                )
            })
            .map_err(|e| e.to_string())?;
        Ok(WasmiBench { module, linker })
    }

    /// Runs `bench` once in a fresh store, as `WeftBench::run` does on weft.
    pub fn run(&self, bench: &Benchmark) -> Outcome {
        let (stdout, stderr): (Capture, Capture) = Default::default();
        let ctx = match wasi_ctx(bench, &stdout, &stderr) {
            Ok(ctx) => ctx,
            Err(e) => return Outcome::failed(e),
        };
        let host = WasmiHost {
            wasi: ctx,
            marks: Marks::default(),
        };
        let mut store = wasmi::Store::new(self.module.engine(), host);
        let result = self
            .linker
            .instantiate_and_start(&mut store, &self.module)
            .and_then(|i| i.get_typed_func::<(), ()>(&store, START))
            .and_then(|f| f.call(&mut store, ()));
        let finished = Instant::now();
        let exit = match result {
            Ok(()) => Exit::Status(0),
            Err(e) => match e.i32_exit_status() {
                Some(status) => Exit::Status(status),
                None => Exit::Error(e.to_string()),
            },
        };
        let marks = store.into_data().marks;
        let take =
            |c: &Capture| std::mem::take(c.write().unwrap_or_else(|e| e.into_inner()).get_mut());
        Outcome {
            exit,
            stdout: take(&stdout),
            stderr: take(&stderr),
            marks,
            finished,
        }
    }
}

/// wasi-common's context for one run of `bench`, writing to the captures.
fn wasi_ctx(
    bench: &Benchmark,
    stdout: &Capture,
    stderr: &Capture,
) -> Result<wasmi_wasi::WasiCtx, String> {
    let mut b = wasmi_wasi::WasiCtxBuilder::new();
    let argv0 = bench
        .wasm
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    b.arg(&argv0).map_err(|e| e.to_string())?;
    b.stdin(Box::new(ReadPipe::from(Vec::new())))
        .stdout(Box::new(WritePipe::from_shared(stdout.clone())))
        .stderr(Box::new(WritePipe::from_shared(stderr.clone())));
    let dir = wasmi_wasi::Dir::open_ambient_dir(&bench.dir, wasmi_wasi::ambient_authority())
        .map_err(|e| format!("cannot open {}: {e}", bench.dir.display()))?;
    b.preopened_dir(dir, ".").map_err(|e| e.to_string())?;
    let ctx = b.build();
    *ctx.random.lock().map_err(|e| e.to_string())? = Box::new(SeededRng::default());
    Ok(ctx)
}

/// [`SeededBytes`] as wasi-common's random source, so wasmi's guests get
/// the same bytes as weft's.
#[derive(Default)]
struct SeededRng(SeededBytes);

impl wasmi_wasi::wasi_common::RngCore for SeededRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.0.fill(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.0.fill(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.fill(dest);
        Ok(())
    }
}
