//! A code section's function bodies validated (and, under eager
//! translation, translated) as one batch, shared among threads when there
//! is enough code to pay for them.
//!
//! Bodies are independent once the module's declarations are known, so the
//! batch is cut into contiguous chunks of about equal size in bytes, which
//! the threads take in order, each the next one left, until none is. A
//! helper starts before anything else is done (asking how many cores there
//! are reads several files: the first helper is already working by then),
//! and no thread waits for a share fixed in advance. Each chunk stops at
//! its first invalid body; the error reported is that of the
//! lowest-numbered invalid body, as a sequential pass would report it.

use super::translate_function;
use crate::error::Result;
use crate::ir::CompiledFunc;
use crate::module::ModuleInner;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use wasmparser::{FuncToValidate, FuncValidatorAllocations, FunctionBody, ValidatorResources};

/// A body the validator handed out, not checked yet.
pub(crate) type PendingBody<'a> = (FuncToValidate<ValidatorResources>, FunctionBody<'a>);

/// Below this many bytes of code one thread checks every body: starting
/// another costs more than it saves.
const PARALLEL_MIN_BYTES: usize = 256 << 10;

/// At most this many threads share a batch.
const MAX_THREADS: usize = 8;

/// How many chunks a batch is cut into per thread that may share it: a
/// thread that finishes early takes another instead of waiting.
const CHUNKS_PER_THREAD: usize = 4;

/// The stack of each helper thread: as much as the main thread's, as the
/// validator and translator run there the same way.
const THREAD_STACK: usize = 8 << 20;

/// Validates every body of `bodies` (in the order given: function index
/// order), translating each when `translate`, on one thread per available
/// core when `parallel`. Returns the translations in the same order (none
/// unless `translate`).
pub(crate) fn check_bodies(
    module: &ModuleInner,
    bodies: Vec<PendingBody<'_>>,
    translate: bool,
    parallel: bool,
) -> Result<Vec<CompiledFunc>> {
    let total: usize = bodies.iter().map(|(_, b)| size(b)).sum();
    if !parallel || total < PARALLEL_MIN_BYTES || bodies.len() < 2 {
        return check_run(module, bodies, translate);
    }
    let chunks = split(bodies, total, MAX_THREADS * CHUNKS_PER_THREAD);
    let batch = Batch {
        chunks: chunks.into_iter().map(|c| Mutex::new(Some(c))).collect(),
        results: Default::default(),
        next: AtomicUsize::new(0),
        failed: AtomicUsize::new(usize::MAX),
    };
    let batch = &batch;
    let helper = || {
        std::thread::Builder::new()
            .name("weft-compile".into())
            .stack_size(THREAD_STACK)
    };
    std::thread::scope(|scope| {
        let first = helper().spawn_scoped(scope, move || batch.work(module, translate));
        // (Asked only now, with the first helper at work: finding the core
        // count reads several files.)
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, MAX_THREADS);
        let more: Vec<_> = (2..threads)
            .map(|_| helper().spawn_scoped(scope, move || batch.work(module, translate)))
            .collect();
        batch.work(module, translate);
        // A helper that could not start left its chunks to the others.
        for handle in std::iter::once(first).chain(more).flatten() {
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    let mut results = batch.results.lock().unwrap_or_else(PoisonError::into_inner);
    results.sort_by_key(|(i, _)| *i);
    let mut compiled = Vec::new();
    for (_, result) in results.drain(..) {
        compiled.extend(result?);
    }
    Ok(compiled)
}

/// A batch being shared: chunks, each taken once in order, and what
/// checking each gave.
struct Batch<'a> {
    chunks: Vec<Mutex<Option<Vec<PendingBody<'a>>>>>,
    /// By chunk index, in the order they finished.
    results: Mutex<Vec<(usize, Result<Vec<CompiledFunc>>)>>,
    /// The next chunk to take.
    next: AtomicUsize,
    /// The lowest chunk found invalid so far: later ones need no checking.
    failed: AtomicUsize,
}

impl Batch<'_> {
    /// Takes and checks chunks until none is left (or the rest come after
    /// an invalid one).
    fn work(&self, module: &ModuleInner, translate: bool) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.chunks.len() || i > self.failed.load(Ordering::Relaxed) {
                return;
            }
            let chunk = self.chunks[i]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
                .unwrap_or_default();
            let result = check_run(module, chunk, translate);
            if result.is_err() {
                self.failed.fetch_min(i, Ordering::Relaxed);
            }
            self.results
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((i, result));
        }
    }
}

/// Cuts `bodies` into `n` contiguous runs of about `total / n` bytes each
/// (fewer if there are fewer bodies).
fn split(bodies: Vec<PendingBody<'_>>, total: usize, n: usize) -> Vec<Vec<PendingBody<'_>>> {
    let mut runs = vec![Vec::new()];
    let mut done = 0;
    for body in bodies {
        // Start the next run once this one holds its share.
        if done * n >= total * runs.len() && runs.len() < n {
            runs.push(Vec::new());
        }
        done += size(&body.1);
        runs.last_mut().expect("at least one run").push(body);
    }
    runs
}

/// Checks one run of bodies in order, stopping at the first invalid one.
fn check_run(
    module: &ModuleInner,
    bodies: Vec<PendingBody<'_>>,
    translate: bool,
) -> Result<Vec<CompiledFunc>> {
    let mut allocs = FuncValidatorAllocations::default();
    let mut compiled = Vec::with_capacity(if translate { bodies.len() } else { 0 });
    for (to_validate, body) in bodies {
        let mut fv = to_validate.into_validator(std::mem::take(&mut allocs));
        if translate {
            let index = fv.index();
            compiled.push(translate_function(module, index, &mut fv, &body)?);
        } else {
            fv.validate(&body)?;
        }
        allocs = fv.into_allocations();
    }
    Ok(compiled)
}

/// A body's size in bytes.
fn size(body: &FunctionBody<'_>) -> usize {
    let r = body.range();
    (r.end - r.start) as usize
}
