//! A code section's function bodies validated (and, under eager
//! translation, translated) as one batch, shared among threads when there
//! is enough code to pay for them.
//!
//! Bodies are independent once the module's declarations are known, so the
//! batch is cut into contiguous runs of about equal size in bytes, one per
//! thread. Each run stops at its first invalid body; the error reported is
//! that of the lowest-numbered invalid body, as a sequential pass would
//! report it.

use super::translate_function;
use crate::error::Result;
use crate::ir::CompiledFunc;
use crate::module::ModuleInner;
use std::sync::{Mutex, PoisonError};
use wasmparser::{FuncToValidate, FuncValidatorAllocations, FunctionBody, ValidatorResources};

/// A body the validator handed out, not checked yet.
pub(crate) type PendingBody<'a> = (FuncToValidate<ValidatorResources>, FunctionBody<'a>);

/// Below this many bytes of code one thread checks every body: starting
/// another costs more than it saves.
const PARALLEL_MIN_BYTES: usize = 256 << 10;

/// At most this many threads share a batch.
const MAX_THREADS: usize = 8;

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
    if !parallel || total < PARALLEL_MIN_BYTES {
        return check_run(module, bodies, translate);
    }
    // (Asked only now: finding the core count reads several files.)
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MAX_THREADS)
        .min(bodies.len());
    if threads == 1 {
        return check_run(module, bodies, translate);
    }
    // Each run waits in a slot its thread takes it from; the run of a
    // thread that could not be started is still there afterwards.
    let runs: Vec<Mutex<Option<Vec<PendingBody<'_>>>>> = split(bodies, total, threads)
        .into_iter()
        .map(|run| Mutex::new(Some(run)))
        .collect();
    let take = |i: usize| {
        runs[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_default()
    };
    let results = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..runs.len())
            .map(|i| {
                std::thread::Builder::new()
                    .name("weft-compile".into())
                    .stack_size(THREAD_STACK)
                    .spawn_scoped(scope, move || check_run(module, take(i), translate))
            })
            .collect();
        let mut results = vec![check_run(module, take(0), translate)];
        for (i, helper) in (1..).zip(helpers) {
            results.push(match helper {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(_) => check_run(module, take(i), translate),
            });
        }
        results
    });
    let mut compiled = Vec::new();
    for result in results {
        compiled.extend(result?);
    }
    Ok(compiled)
}

/// Cuts `bodies` into `n` contiguous runs of about `total / n` bytes each.
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
