//! Runs one workload once on one runtime, for profilers that count
//! instructions (`valgrind --tool=callgrind`), whose figures do not depend
//! on what else the machine is doing:
//!
//! `cargo run --release -p weft-bench --example oneshot -- sieve weft`

use weft_bench::{WORKLOADS, WeftRunner};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(name), Some(runtime)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: oneshot WORKLOAD weft|wasmi [INPUT]");
        std::process::exit(2);
    };
    let Some(workload) = WORKLOADS.iter().find(|w| w.name == name) else {
        eprintln!("unknown workload {name}");
        std::process::exit(2);
    };
    let input = args
        .get(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(workload.bench_input);
    let result = match runtime.as_str() {
        "weft" => WeftRunner::new(workload)
            .and_then(|mut r| r.call(input))
            .expect("weft runs"),
        "wasmi" => wasmi_run(&workload.wasm(), input),
        _ => {
            eprintln!("runtime must be weft or wasmi");
            std::process::exit(2);
        }
    };
    assert_eq!(result, workload.expected(input), "{name} on {runtime}");
    println!("{name}({input}) on {runtime} = {result}");
}

fn wasmi_run(wasm: &[u8], input: i32) -> i64 {
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, wasm).expect("wasmi compiles");
    let mut store = wasmi::Store::new(&engine, ());
    let instance = wasmi::Linker::<()>::new(&engine)
        .instantiate_and_start(&mut store, &module)
        .expect("wasmi instantiates");
    let run = instance
        .get_typed_func::<i32, i64>(&store, weft_bench::EXPORT)
        .expect("the workload export");
    run.call(&mut store, input).expect("wasmi runs")
}
