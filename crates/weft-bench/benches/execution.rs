//! Runs every workload of `weft_bench` on weft and on wasmi in one criterion
//! run, then prints a table of the mean times and their ratios.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkGroup, Criterion, SamplingMode, measurement::WallTime};
use weft_bench::summary::{Row, print_summary};
use weft_bench::{EXPORT, TRANSLATION_MODULE, WORKLOADS, WeftRunner, Workload};

/// The criterion group of the translation workload.
const TRANSLATE_GROUP: &str = "translate";

fn main() {
    let started = SystemTime::now();
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();

    let mut rows = Vec::new();
    for workload in WORKLOADS {
        bench_workload(&mut c, workload);
        rows.push(Row {
            label: format!("{}({})", workload.name, workload.bench_input),
            group: workload.name.to_string(),
            weft: "weft",
            peer: "wasmi",
        });
    }
    bench_translation(&mut c);
    let module = TRANSLATION_MODULE
        .split('/')
        .next()
        .unwrap_or(TRANSLATION_MODULE);
    rows.push(Row {
        label: format!("translate {module}"),
        group: TRANSLATE_GROUP.to_string(),
        weft: "weft",
        peer: "wasmi",
    });
    rows.push(Row {
        label: format!("translate {module} (wasmi lazy, info)"),
        group: TRANSLATE_GROUP.to_string(),
        weft: "weft",
        peer: "wasmi_lazy",
    });

    c.final_summary();
    print_summary(
        &rows,
        started,
        "weft vs wasmi 2.0: criterion mean time per iteration, this run\n\
         (ratio = weft / wasmi; below 1.0 means weft is faster)",
        ("weft", "wasmi"),
    );
    let overhead: Vec<Row> = WORKLOADS
        .iter()
        .flat_map(|w| {
            ["weft_fuel", "weft_epoch"].map(|id| Row {
                label: format!("{}({}) {id}", w.name, w.bench_input),
                group: w.name.to_string(),
                weft: id,
                peer: "weft",
            })
        })
        .collect();
    print_summary(
        &overhead,
        started,
        "weft's interruption checks, enabled vs disabled\n(ratio = with checks / without)",
        ("checked", "plain"),
    );
}

/// Times one call of `workload` at its benchmark size on each runtime.
fn bench_workload(c: &mut Criterion, workload: &Workload) {
    let input = workload.bench_input;
    let expected = workload.expected(input);
    let mut group = c.benchmark_group(workload.name);
    configure(&mut group);

    let mut weft = WeftRunner::new(workload).expect("weft instantiates the workload");
    let got = weft.call(input).expect("weft runs the workload");
    assert_eq!(got, expected, "{} on weft", workload.name);
    group.bench_function("weft", |b| {
        b.iter(|| weft.call(black_box(input)).expect("weft call"));
    });

    // The cost of interruption checks when enabled (issue: report it).
    let mut fuel = weft::Config::new();
    fuel.consume_fuel(true);
    let mut epoch = weft::Config::new();
    epoch.epoch_interruption(true);
    for (id, config) in [("weft_fuel", fuel), ("weft_epoch", epoch)] {
        let mut runner = WeftRunner::with_config(workload, &config).expect("weft instantiates");
        assert_eq!(
            runner.call(input).expect("weft runs"),
            expected,
            "{} on {id}",
            workload.name
        );
        group.bench_function(id, |b| {
            b.iter(|| runner.call(black_box(input)).expect("weft call"));
        });
    }

    let mut wasmi = WasmiRunner::new(workload);
    assert_eq!(wasmi.call(input), expected, "{} on wasmi", workload.name);
    group.bench_function("wasmi", |b| b.iter(|| wasmi.call(black_box(input))));

    group.finish();
}

/// Times `Module` creation (validation and translation) of the sightglass
/// module on weft, on wasmi in eager mode and, for information, on wasmi in
/// its default lazy mode (validation only; bodies translate on first call).
fn bench_translation(c: &mut Criterion) {
    let bytes = weft_bench::translation_wasm().expect("the sightglass checkout");
    let mut group = c.benchmark_group(TRANSLATE_GROUP);
    configure(&mut group);

    let engine = weft::Engine::default();
    group.bench_function("weft", |b| {
        b.iter_custom(|iters| {
            time_each(iters, || {
                weft::Module::from_binary(&engine, black_box(&bytes)).expect("weft compiles")
            })
        });
    });

    for (id, mode) in [
        ("wasmi", wasmi::CompilationMode::Eager),
        ("wasmi_lazy", wasmi::CompilationMode::LazyTranslation),
    ] {
        let mut config = wasmi::Config::default();
        config.compilation_mode(mode);
        let engine = wasmi::Engine::new(&config);
        group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                time_each(iters, || {
                    wasmi::Module::new(&engine, black_box(&bytes)).expect("wasmi compiles")
                })
            });
        });
    }
    group.finish();
}

/// The shared settings: few, long samples keep the whole run short.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sampling_mode(SamplingMode::Flat);
}

/// Total time of `iters` runs of `f`, excluding dropping its results.
fn time_each<T>(iters: u64, mut f: impl FnMut() -> T) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        let out = f();
        total += start.elapsed();
        drop(black_box(out));
    }
    total
}

/// A workload instantiated on wasmi, ready to be called repeatedly.
struct WasmiRunner {
    store: wasmi::Store<()>,
    run: wasmi::TypedFunc<i32, i64>,
}

impl WasmiRunner {
    fn new(workload: &Workload) -> WasmiRunner {
        let engine = wasmi::Engine::default();
        let module = wasmi::Module::new(&engine, workload.wasm()).expect("wasmi compiles");
        let mut store = wasmi::Store::new(&engine, ());
        let instance = wasmi::Linker::new(&engine)
            .instantiate_and_start(&mut store, &module)
            .expect("wasmi instantiates");
        let run = instance
            .get_typed_func::<i32, i64>(&store, EXPORT)
            .expect("wasmi export");
        WasmiRunner { store, run }
    }

    fn call(&mut self, input: i32) -> i64 {
        self.run.call(&mut self.store, input).expect("wasmi call")
    }
}
