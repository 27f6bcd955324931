//! Integration tests of the `weft` binary: runs it as a process and checks
//! its output and exit status. The WASI tests run real C programs from
//! `crates/weft-wasi/tests/c/`, built with clang for WASI.

#[path = "../../weft-wasi/tests/support/cprog.rs"]
mod cprog;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Exit status of a trap.
const TRAP: i32 = 134;

/// What one run of `weft` produced.
#[derive(Debug)]
struct Run {
    /// The exit status.
    status: i32,
    /// Everything written to stdout.
    stdout: String,
    /// Everything written to stderr.
    stderr: String,
}

/// Runs `weft` with `args` and checks that it did not panic, whatever the
/// outcome: neither Rust's panic message nor weft's own panic hook line.
fn weft<S: AsRef<OsStr>>(args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .output()
        .expect("cannot start weft");
    let run = Run {
        status: out.status.code().expect("weft was killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_no_panic(&run);
    run
}

/// Asserts that `run` shows no sign of a panic.
fn assert_no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked"), "panic: {run:#?}");
    assert!(!run.stderr.contains("internal error"), "panic: {run:#?}");
    assert_ne!(run.status, 101, "the status of a panic: {run:#?}");
}

/// `weft run` with `args`.
fn run<S: AsRef<OsStr>>(args: &[S]) -> Run {
    let mut all: Vec<OsString> = vec!["run".into()];
    all.extend(args.iter().map(|a| a.as_ref().to_owned()));
    weft(&all)
}

/// `weft run --invoke NAME FILE ARGS...` with FILE in `tests/data/`.
fn invoke(file: &str, name: &str, args: &[&str]) -> Run {
    let path = data(file);
    let mut all: Vec<OsString> = vec!["--invoke".into(), name.into(), path.into()];
    all.extend(args.iter().map(OsString::from));
    run(&all)
}

/// The path of a fixture in `tests/data/`.
fn data(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file)
}

/// A fresh scratch directory for one test, under the system's temp dir.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("weft-cli-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("cannot create scratch dir");
    dir
}

/// Asserts a successful run that printed exactly `lines`, one per line.
#[track_caller]
fn assert_prints(run: &Run, lines: &[&str]) {
    assert_eq!(run.status, 0, "{run:#?}");
    let expected: String = lines.iter().map(|l| format!("{l}\n")).collect();
    assert_eq!(run.stdout, expected, "{run:#?}");
    assert_eq!(run.stderr, "", "{run:#?}");
}

/// Asserts a failure reported as one `error:` line containing each of
/// `needles`, with an exit status in 1..=127 and nothing on stdout.
#[track_caller]
fn assert_error(run: &Run, needles: &[&str]) {
    assert!((1..=127).contains(&run.status), "status: {run:#?}");
    assert_ne!(run.status, TRAP, "{run:#?}");
    assert!(run.stderr.starts_with("error: "), "{run:#?}");
    assert_eq!(run.stderr.lines().count(), 1, "not one line: {run:#?}");
    for n in needles {
        assert!(run.stderr.contains(n), "no {n:?} in: {run:#?}");
    }
    assert_eq!(run.stdout, "", "{run:#?}");
}

/// Asserts a trap of `message` whose backtrace lists `frames` (function
/// names, innermost first) right after the `wasm backtrace:` line.
#[track_caller]
fn assert_trap(run: &Run, message: &str, frames: &[&str]) {
    assert_eq!(run.status, TRAP, "{run:#?}");
    assert_eq!(run.stdout, "", "{run:#?}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines[0].contains(&format!("wasm trap: {message}")),
        "{run:#?}"
    );
    assert_eq!(lines.get(1), Some(&"wasm backtrace:"), "{run:#?}");
    assert_eq!(lines.len(), 2 + frames.len(), "{run:#?}");
    for (i, (line, name)) in lines[2..].iter().zip(frames).enumerate() {
        let frame = line.trim_start();
        assert!(frame.starts_with(&format!("{i}: ")), "{line:?}");
        assert!(frame.contains(name), "frame {i} is not {name}: {line:?}");
    }
}

/// The README's example: `fib` of 20 from `examples/fib.wat`.
#[test]
fn fib_example_prints_6765() {
    let fib = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/fib.wat");
    assert_prints(&run(&["--invoke", "fib", fib, "20"]), &["6765"]);
}

/// i32 arguments: signed and unsigned decimal, hex, signs; printed signed.
#[test]
fn i32_arguments_in_every_notation() {
    let cases = [
        ("42", "42"),
        ("-5", "-5"),
        ("+7", "7"),
        ("4294967295", "-1"),
        ("2147483648", "-2147483648"),
        ("-2147483648", "-2147483648"),
        ("0x10", "16"),
        ("0XfF", "255"),
        ("0xffffffff", "-1"),
        ("-0x10", "-16"),
    ];
    for (arg, printed) in cases {
        assert_prints(&invoke("numbers.wat", "i32_id", &[arg]), &[printed]);
    }
}

/// Negative numbers after FILE are arguments, with or without `--`.
#[test]
fn negative_arguments_need_no_double_dash() {
    let path = data("numbers.wat");
    let r = run(&[
        OsStr::new("--invoke"),
        OsStr::new("i64_add"),
        path.as_os_str(),
        OsStr::new("--"),
        OsStr::new("-3"),
        OsStr::new("-4"),
    ]);
    assert_prints(&r, &["-7"]);
    assert_prints(&invoke("numbers.wat", "i64_add", &["-3", "-4"]), &["-7"]);
}

/// i64 arguments use the full 64-bit width, and results print signed.
#[test]
fn i64_parameters_and_results() {
    let cases = [
        (["1", "2"], "3"),
        (["9223372036854775807", "1"], "-9223372036854775808"),
        (["18446744073709551615", "0"], "-1"),
        (["0x7fffffffffffffff", "0"], "9223372036854775807"),
        (["-0x8000000000000000", "0"], "-9223372036854775808"),
        (["4294967296", "0"], "4294967296"),
    ];
    for (args, printed) in cases {
        assert_prints(&invoke("numbers.wat", "i64_add", &args), &[printed]);
    }
}

/// f32 arguments and results, including signed zero, subnormals, infinities and NaNs.
#[test]
fn f32_parameters_and_results() {
    assert_prints(&invoke("numbers.wat", "f32_mul", &["1.5", "-2"]), &["-3"]);
    assert_prints(&invoke("numbers.wat", "f32_mul", &["3e38", "10"]), &["inf"]);
    let cases = [
        ("0.1", "0.1"),
        ("-0", "-0"),
        ("1e-45", "0.000000000000000000000000000000000000000000001"),
        ("inf", "inf"),
        ("-inf", "-inf"),
        ("nan", "nan"),
        ("-nan", "-nan"),
        ("nan:0x1", "nan:0x1"),
    ];
    for (arg, printed) in cases {
        assert_prints(&invoke("numbers.wat", "f32_id", &[arg]), &[printed]);
    }
}

/// f64 arguments and results, printed as the shortest round-tripping decimal.
#[test]
fn f64_parameters_and_results() {
    let cases = [
        (["1", "3"], "0.3333333333333333"),
        (["1", "0"], "inf"),
        (["-1", "0"], "-inf"),
        (["1e300", "1e-300"], "inf"),
        (["0.5", "0.25"], "2"),
    ];
    for (args, printed) in cases {
        assert_prints(&invoke("numbers.wat", "f64_div", &args), &[printed]);
    }
    for (arg, printed) in [
        ("0.1", "0.1"),
        ("nan", "nan"),
        ("nan:0x4000000000000", "nan:0x4000000000000"),
    ] {
        assert_prints(&invoke("numbers.wat", "f64_id", &[arg]), &[printed]);
    }
}

/// What `weft` prints for a float parses back to the same value.
#[test]
fn float_results_round_trip() {
    // What `weft` prints for a value parses back to the same value.
    for arg in ["0.1", "1e-320", "-1.7976931348623157e308", "-nan:0x123"] {
        let first = invoke("numbers.wat", "f64_id", &[arg]);
        let printed = first.stdout.trim_end();
        let second = invoke("numbers.wat", "f64_id", &[printed]);
        assert_prints(&second, &[printed]);
    }
}

/// Each of several results is printed on its own line, in order.
#[test]
fn multiple_results_each_on_its_own_line() {
    let r = invoke("numbers.wat", "reverse", &["-1", "0x100000000", "2.5"]);
    assert_prints(&r, &["2.5", "4294967296", "-1"]);
}

/// A function without results prints nothing and succeeds.
#[test]
fn no_results_print_nothing() {
    assert_prints(&invoke("numbers.wat", "nothing", &[]), &[]);
}

/// `unreachable` exits with 134 and a backtrace of named frames, innermost first.
#[test]
fn unreachable_traps_with_named_backtrace() {
    let r = invoke("traps.wat", "caller", &[]);
    assert_trap(&r, "unreachable", &["traps!crash", "traps!caller"]);
}

/// Integer division by zero traps; the same function without it succeeds.
#[test]
fn integer_divide_by_zero_traps() {
    assert_prints(&invoke("traps.wat", "divide", &["7", "2"]), &["3"]);
    let r = invoke("traps.wat", "divide", &["7", "0"]);
    assert_trap(&r, "integer divide by zero", &["traps!divide"]);
}

/// A load past the end of memory traps; the last in-bounds load does not.
#[test]
fn out_of_bounds_load_traps() {
    assert_prints(&invoke("traps.wat", "load_oob", &["65532"]), &["0"]);
    let r = invoke("traps.wat", "load_oob", &["65533"]);
    assert_trap(&r, "out of bounds memory access", &["traps!load_oob"]);
}

/// A module's start function runs (and can trap) without `--invoke`.
#[test]
fn start_function_runs_when_instantiating() {
    let r = run(&[data("start_trap.wat")]);
    assert_trap(&r, "unreachable", &["boot"]);
}

/// Without `--invoke`, `_start` is called and its result printed.
#[test]
fn underscore_start_runs_by_default() {
    assert_prints(&run(&[data("underscore_start.wat")]), &["42"]);
}

/// Without `--invoke` or `_start`, nothing is called, and arguments are an error.
#[test]
fn without_underscore_start_there_is_nothing_to_run() {
    // `boom` would trap: it must not be called.
    for args in [vec![], vec!["1"]] {
        let mut argv = vec![data("no_start.wat").into_os_string()];
        argv.extend(args.iter().map(OsString::from));
        let r = run(&argv);
        assert_error(&r, &["nothing to run", "`_start`", "`boom`", "--invoke"]);
    }
}

/// A missing file is one error line naming it.
#[test]
fn missing_file() {
    let r = invoke("does-not-exist.wasm", "f", &[]);
    assert_error(&r, &["cannot read", "does-not-exist.wasm"]);
}

/// A directory instead of a module file is an error, not a panic.
#[test]
fn directory_instead_of_file() {
    let dir = data("");
    let r = run(&[OsStr::new("--invoke"), OsStr::new("f"), dir.as_os_str()]);
    assert_error(&r, &["cannot read"]);
}

/// A binary module with garbage after its header: the message has the offset.
#[test]
fn invalid_binary_names_the_offset() {
    let dir = scratch("invalid-binary");
    let file = dir.join("garbage.wasm");
    std::fs::write(&file, b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\x0fgarbage").unwrap();
    let r = run(&[file.as_os_str()]);
    assert_error(&r, &["garbage.wasm", "invalid module", "offset 0x"]);
    let _ = std::fs::remove_dir_all(dir);
}

/// A text module that fails validation: the validator's message and offset.
#[test]
fn invalid_text_module_names_the_offset() {
    let r = invoke("invalid.wat", "f", &[]);
    assert_error(&r, &["invalid.wat", "type mismatch", "offset 0x"]);
}

/// Malformed text is reported on one line, as PATH:LINE:COL.
#[test]
fn malformed_text_names_line_and_column() {
    let r = invoke("syntax_error.wat", "f", &[]);
    assert_error(&r, &["syntax_error.wat:3:35: ", "unknown operator"]);
}

/// A file that is neither a binary module nor UTF-8 text is one error line.
#[test]
fn non_utf8_text_file() {
    let dir = scratch("non-utf8");
    let file = dir.join("latin1.wat");
    std::fs::write(&file, b"(module (func $caf\xe9))").unwrap();
    let r = run(&[file.as_os_str()]);
    assert_error(&r, &["latin1.wat", "utf-8"]);
    let _ = std::fs::remove_dir_all(dir);
}

/// An unknown export is an error that lists the exported functions.
#[test]
fn unknown_export_lists_the_functions() {
    let r = invoke("traps.wat", "nope", &[]);
    assert_error(&r, &["no export named `nope`", "`crash`", "`load_oob`"]);
}

/// Invoking an export that is not a function says what it is.
#[test]
fn export_that_is_not_a_function() {
    let r = invoke("numbers.wat", "memory", &[]);
    assert_error(&r, &["`memory` is a memory, not a function"]);
}

/// Too few or too many arguments: the error names the function and its parameters.
#[test]
fn wrong_argument_count() {
    let r = invoke("numbers.wat", "i64_add", &["1"]);
    assert_error(
        &r,
        &["`i64_add` takes 2 arguments (i64 i64) but 1 was given"],
    );
    let r = invoke("numbers.wat", "i32_id", &["1", "2"]);
    assert_error(&r, &["`i32_id` takes 1 argument (i32) but 2 were given"]);
    let r = invoke("numbers.wat", "nothing", &["0"]);
    assert_error(&r, &["takes 0 arguments"]);
}

/// Arguments that are not values of their type name the argument and the type.
#[test]
fn unparsable_arguments() {
    let cases = [
        ("i32_id", "abc", "cannot parse \"abc\" as i32"),
        ("i32_id", "1.5", "as i32"),
        ("i32_id", "0x", "as i32"),
        ("i32_id", "0x-1", "as i32"),
        ("i32_id", "", "cannot parse \"\" as i32"),
        (
            "i32_id",
            "4294967296",
            "\"4294967296\" is out of range for i32",
        ),
        ("i32_id", "-2147483649", "out of range for i32"),
        ("f32_id", "one", "cannot parse \"one\" as f32"),
        ("f64_id", "1e", "as f64"),
        ("f64_id", "nan:0x0", "NaN payload"),
    ];
    for (func, arg, message) in cases {
        let r = invoke("numbers.wat", func, &[arg]);
        assert_error(&r, &["argument 1 of", message]);
    }
}

/// Odd argument strings (dashes, newlines, non-ASCII digits, emoji) are clean errors.
#[test]
fn unusual_argument_strings_never_panic() {
    let long = "9".repeat(10_000);
    for arg in [
        "-",
        "--",
        "-h1",
        "\n",
        "1\n2",
        "١٢",
        "💥",
        "0x💥",
        "nan:0x💥",
        &long,
    ] {
        for func in ["i32_id", "i64_add", "f32_id", "f64_id"] {
            let args: &[&str] = if func == "i64_add" {
                &[arg, "0"]
            } else {
                &[arg]
            };
            let r = invoke("numbers.wat", func, args);
            // A lone `--` is the end of options: then the count is wrong.
            assert_error(&r, &[func]);
        }
    }
}

/// Numbers beyond the parameter type's range are errors, not wrapped or rounded to infinity.
#[test]
fn numbers_beyond_the_type_are_out_of_range() {
    let long = "9".repeat(10_000);
    for func in ["i32_id", "f32_id", "f64_id"] {
        let r = invoke("numbers.wat", func, &[&long]);
        assert_error(&r, &[func, "is out of range for"]);
    }
    let r = invoke("numbers.wat", "f32_id", &["1e39"]);
    assert_error(&r, &["\"1e39\" is out of range for f32"]);
    let r = invoke("numbers.wat", "f64_id", &["-1e309"]);
    assert_error(&r, &["\"-1e309\" is out of range for f64"]);
    // The largest finite values are in range.
    let r = invoke("numbers.wat", "f32_id", &["3.4028235e38"]);
    assert_prints(&r, &["340282350000000000000000000000000000000"]);
}

/// Non-UTF-8 arguments, export names and paths are clean errors.
#[cfg(unix)]
#[test]
fn non_utf8_arguments_and_paths_never_panic() {
    use std::os::unix::ffi::OsStrExt;
    let bad = OsStr::from_bytes(b"\xff\xfe");
    let numbers = data("numbers.wat");
    let r = run(&[
        OsStr::new("--invoke"),
        OsStr::new("i32_id"),
        numbers.as_os_str(),
        bad,
    ]);
    assert!((1..=127).contains(&r.status), "{r:#?}");
    let r = run(&[OsStr::new("--invoke"), bad, numbers.as_os_str()]);
    assert!((1..=127).contains(&r.status), "{r:#?}");
    let r = run(&[bad]);
    assert_error(&r, &["cannot read"]);
}

/// A stdout closed before the results are printed is no panic.
#[test]
fn closed_stdout_never_panics() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(["run", "--invoke", "reverse"])
        .arg(data("numbers.wat"))
        .args(["1", "2", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start weft");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let run = Run {
        status: out.status.code().expect("weft was killed by a signal"),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_no_panic(&run);
    // 1 if weft wrote after the pipe closed; 0 if it won the race.
    assert!(matches!(run.status, 0 | 1), "{run:#?}");
}

/// A module needing an import is an error naming the import.
#[test]
fn unsatisfied_import_is_named() {
    let r = invoke("needs_import.wat", "now", &[]);
    assert_error(&r, &["needs_import.wat", "`env::clock`"]);
}

/// `weft wast` prints per-file and total counts, and fails if anything failed.
#[test]
fn wast_counts_passes_and_failures() {
    let mixed = data("mixed.wast");
    let r = weft(&[OsStr::new("wast"), mixed.as_os_str()]);
    assert_eq!(r.status, 1, "{r:#?}");
    let shown = mixed.display();
    assert_eq!(
        r.stdout,
        format!("{shown}: 2 passed, 1 failed, 0 skipped\n2 passed, 1 failed, 0 skipped\n")
    );
}

/// `weft wast -v` lists each failed assertion with its location.
#[test]
fn wast_verbose_lists_failures() {
    let mixed = data("mixed.wast");
    let r = weft(&[OsStr::new("wast"), OsStr::new("-v"), mixed.as_os_str()]);
    assert_eq!(r.status, 1, "{r:#?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{r:#?}");
    assert!(
        lines[1].starts_with(&format!("  {}:4:", mixed.display())),
        "{r:#?}"
    );
}

/// `weft wast` sums over files, and succeeds only when nothing failed.
#[test]
fn wast_totals_over_files_and_succeeds_only_without_failures() {
    let pass = data("pass.wast");
    let r = weft(&[OsStr::new("wast"), pass.as_os_str()]);
    assert_eq!(r.status, 0, "{r:#?}");
    let mixed = data("mixed.wast");
    let r = weft(&[OsStr::new("wast"), pass.as_os_str(), mixed.as_os_str()]);
    assert_eq!(r.status, 1, "{r:#?}");
    assert_eq!(
        r.stdout,
        format!(
            "{}: 2 passed, 0 failed, 0 skipped\n{}: 2 passed, 1 failed, 0 skipped\n\
             4 passed, 1 failed, 0 skipped\n",
            pass.display(),
            mixed.display()
        )
    );
}

/// A missing script counts as one failure, and says why on stderr.
#[test]
fn wast_missing_file_is_a_failure() {
    let r = weft(&["wast", "does-not-exist.wast"]);
    assert_eq!(r.status, 1, "{r:#?}");
    assert_eq!(
        r.stdout,
        "does-not-exist.wast: 0 passed, 1 failed, 0 skipped\n0 passed, 1 failed, 0 skipped\n"
    );
    assert!(
        r.stderr
            .starts_with("error: does-not-exist.wast: cannot read: "),
        "{r:#?}"
    );
}

/// A script that does not parse names the place, without `-v`.
#[test]
fn wast_parse_error_says_where() {
    let file = data("unclosed.wast");
    let r = weft(&[OsStr::new("wast"), file.as_os_str()]);
    assert_eq!(r.status, 1, "{r:#?}");
    let want = format!("error: {}:4:2: cannot parse script: ", file.display());
    assert!(r.stderr.starts_with(&want), "want {want:?} in {r:#?}");
}

/// What weft cannot run is skipped, not passed (and so is what uses it: an
/// instance of a component definition, an invoke on it); an unnamed module
/// definition is what `(module instance)` instantiates; a null exnref
/// matches `(ref.null exn)` and `(ref.null)` but not `(ref.null func)`; the
/// uses of a module that failed fail with its cause.
#[test]
fn wast_counts_honestly() {
    let file = data("honest.wast");
    let r = weft(&[OsStr::new("wast"), OsStr::new("-v"), file.as_os_str()]);
    assert_eq!(r.status, 1, "{r:#?}");
    let shown = file.display();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("{shown}: 9 passed, 3 failed, 3 skipped"),
        "{r:#?}"
    );
    let failures = [
        format!("  {shown}:14:"),
        format!("  {shown}:15:"),
        format!("  {shown}:16:2: module at line 15 failed: "),
    ];
    for (line, want) in lines[1..4].iter().zip(&failures) {
        assert!(line.starts_with(want.as_str()), "want {want:?}: {r:#?}");
    }
    for (line, at) in lines[4..7].iter().zip([17, 18, 19]) {
        let want = format!("  skipped: {shown}:{at}:");
        assert!(line.starts_with(&want), "want {want:?}: {r:#?}");
    }
}

/// `weft --help` and `weft run --help` describe the commands and options.
#[test]
fn help_is_informative() {
    let r = weft(&["--help"]);
    assert_eq!(r.status, 0, "{r:#?}");
    for needle in ["run", "wast", "WebAssembly"] {
        assert!(r.stdout.contains(needle), "no {needle:?} in: {r:#?}");
    }
    let r = weft(&["run", "--help"]);
    assert_eq!(r.status, 0, "{r:#?}");
    for needle in [
        "--invoke <NAME>",
        "_start",
        "0x",
        "134",
        "[ARGS]...",
        "component",
        "'NAME(ARGS)'",
        "WAVE",
    ] {
        assert!(r.stdout.contains(needle), "no {needle:?} in: {r:#?}");
    }
}

/// A malformed command line is clap's usage error (status 2), not a panic.
#[test]
fn bad_command_line_is_a_usage_error() {
    let r = weft(&["run"]);
    assert_eq!(r.status, 2, "{r:#?}");
    assert!(r.stderr.starts_with("error: "), "{r:#?}");
    let r = weft(&["frobnicate"]);
    assert_eq!(r.status, 2, "{r:#?}");
}

/// Runs `weft run ARGS` with `stdin` as its standard input.
fn run_with_stdin(args: &[OsString], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("run")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start weft");
    let mut input = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut input, stdin).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    let run = Run {
        status: out.status.code().expect("weft was killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_no_panic(&run);
    run
}

/// A WASI hello world: stdout and stderr reach the terminal's streams.
#[test]
fn wasi_hello_world() {
    let r = run(&[cprog::wasm("hello")]);
    assert_eq!(r.status, 0, "{r:#?}");
    assert_eq!(r.stdout, "hello, world\n");
    assert_eq!(r.stderr, "to stderr\n");
}

/// `--dir`, `--env` and program arguments end to end: argv[0] is FILE as
/// given, ARGS follow (dashes included), and the environment is only what
/// was given.
#[test]
fn wasi_arguments_environment_and_directories() {
    let prog = cprog::wasm("args_env");
    let r = run(&[
        OsStr::new("--env"),
        OsStr::new("GREETING=hello world"),
        OsStr::new("--env=EMPTY="),
        prog.as_os_str(),
        OsStr::new("first"),
        OsStr::new("--second"),
        OsStr::new("-3"),
    ]);
    assert_eq!(r.status, 0, "{r:#?}");
    assert_eq!(
        r.stdout,
        format!(
            "argc=4\nargv[0]={}\nargv[1]=first\nargv[2]=--second\nargv[3]=-3\n\
             env GREETING=hello world\nenv EMPTY=\n",
            prog.display()
        )
    );
    // The files program in a granted directory, from another cwd.
    let dir = scratch("wasi-files");
    std::fs::write(dir.join("input.txt"), "from the host\n").unwrap();
    let mut spec = dir.clone().into_os_string();
    spec.push("::.");
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .current_dir(std::env::temp_dir())
        .arg("run")
        .arg("--dir")
        .arg(&spec)
        .arg(cprog::wasm("files"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.ends_with("all passed\n"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `--inherit-env` passes the host's environment; `--env` overrides it.
#[test]
fn wasi_inherited_environment() {
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .env("WEFT_TEST_VAR", "from host")
        .env("WEFT_TEST_OTHER", "also")
        .args(["run", "--inherit-env", "--env", "WEFT_TEST_VAR=overridden"])
        .arg(cprog::wasm("args_env"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("env WEFT_TEST_VAR=overridden\n"),
        "{stdout}"
    );
    assert!(stdout.contains("env WEFT_TEST_OTHER=also\n"), "{stdout}");
    // Without it, the guest sees nothing of the host's environment.
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .env("WEFT_TEST_VAR", "from host")
        .arg("run")
        .arg(cprog::wasm("args_env"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("env "));
}

/// The guest's exit status becomes weft's, and output before it is kept.
#[test]
fn wasi_exit_status() {
    let prog = cprog::wasm("exit_code");
    for (arg, status) in [("3", 3), ("0", 0), ("42", 42)] {
        let r = run(&[prog.as_os_str(), OsStr::new(arg)]);
        assert_eq!(r.status, status, "{r:#?}");
        assert_eq!(r.stdout, format!("exiting with {status}\n"));
        assert_eq!(r.stderr, "");
    }
}

/// Stdin is the guest's stdin.
#[test]
fn wasi_stdin() {
    let r = run_with_stdin(&[cprog::wasm("stdin_echo").into()], b"some input\n");
    assert_eq!(r.status, 0, "{r:#?}");
    assert_eq!(r.stdout, "SOME INPUT\n11 bytes\n");
}

/// Polling the host's stdin: a poll with a timeout times out while no
/// input has come, and a poll without one wakes when input arrives.
#[test]
fn wasi_poll_on_stdin() {
    use std::io::{BufRead, BufReader, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
        .arg("run")
        .arg(cprog::wasm("stdin_poll"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start weft");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "first poll: 0\n");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"hello\n").unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "second poll: 1 readable=1\nread 6: hello\n");
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// Sandbox escapes through `..` and symlinks are refused under the CLI too.
#[cfg(unix)]
#[test]
fn wasi_escapes_are_refused() {
    let root = scratch("wasi-escape");
    let sandbox = root.join("sandbox");
    std::fs::create_dir_all(sandbox.join("sub")).unwrap();
    std::fs::write(root.join("secret.txt"), "secret\n").unwrap();
    std::fs::write(sandbox.join("inside.txt"), "inside\n").unwrap();
    std::os::unix::fs::symlink("inside.txt", sandbox.join("link_in")).unwrap();
    std::os::unix::fs::symlink(root.join("secret.txt"), sandbox.join("link_out_abs")).unwrap();
    std::os::unix::fs::symlink("../secret.txt", sandbox.join("link_out_rel")).unwrap();
    let mut spec = sandbox.into_os_string();
    spec.push("::.");
    let r = run(&[
        OsString::from("--dir"),
        spec,
        cprog::wasm("escape").into_os_string(),
    ]);
    assert_eq!(r.status, 0, "{r:#?}");
    assert!(r.stdout.ends_with("all refused\n"), "{r:#?}");
    let _ = std::fs::remove_dir_all(root);
}

/// A `--dir` that does not exist is one error line naming it.
#[test]
fn wasi_missing_preopen_directory() {
    let r = run(&[
        OsString::from("--dir"),
        OsString::from("/no/such/dir::."),
        cprog::wasm("hello").into_os_string(),
    ]);
    assert_error(&r, &["/no/such/dir", "--dir"]);
    let r = run(&[
        OsString::from("--dir=::guest"),
        cprog::wasm("hello").into_os_string(),
    ]);
    assert_error(&r, &["invalid --dir"]);
    let r = run(&[
        OsString::from("--env"),
        OsString::from("=x"),
        cprog::wasm("hello").into_os_string(),
    ]);
    assert_error(&r, &["invalid --env"]);
}

/// `-W unknown-imports-default=y` lets imports weft does not know run as
/// functions returning zeros; without it they are an error naming them.
#[test]
fn unknown_imports_default() {
    let file = data("bench_imports.wat");
    let r = run(&[file.as_os_str()]);
    assert_error(&r, &["`bench::start`", "unknown-imports-default"]);
    let r = run(&[
        OsStr::new("-W"),
        OsStr::new("unknown-imports-default=y"),
        file.as_os_str(),
    ]);
    assert_prints(&r, &["measured"]);
    let r = run(&[OsStr::new("-Wunknown-imports-default"), file.as_os_str()]);
    assert_prints(&r, &["measured"]);
    let r = run(&[OsStr::new("-W"), OsStr::new("simd=y"), file.as_os_str()]);
    assert_error(&r, &["unknown -W option `simd`"]);
    let r = run(&[
        OsStr::new("-W"),
        OsStr::new("unknown-imports-default=maybe"),
        file.as_os_str(),
    ]);
    assert_error(&r, &["invalid value `maybe`"]);
}

/// `--invoke` keeps working with WASI available to the module, and a
/// `proc_exit` inside the invoked function is the exit status.
#[test]
fn invoke_with_wasi() {
    assert_prints(
        &invoke("wasi_invoke.wat", "greet", &[]),
        &["greetings", "10"],
    );
    let r = invoke("wasi_invoke.wat", "leave", &["7"]);
    assert_eq!(r.status, 7, "{r:#?}");
    assert_eq!(r.stdout, "");
    // A reactor's `_initialize` runs before the invoked function.
    assert_prints(&invoke("reactor.wat", "ready", &[]), &["1"]);
    // ARGS cannot go to a `_start` that takes parameters.
    let r = run(&[data("wasi_invoke.wat")]);
    assert_error(&r, &["`_start` takes parameters", "--invoke"]);
}

/// `--fuel` stops an endless loop with the fuel trap and status 134.
#[test]
fn fuel_stops_an_endless_loop() {
    let r = run(&[
        OsString::from("--fuel"),
        "100000".into(),
        "--invoke".into(),
        "spin".into(),
        data("limits.wat").into(),
    ]);
    assert_trap(&r, "all fuel consumed", &["limits!spin"]);
}

/// `--timeout` interrupts an endless loop with status 134.
#[test]
fn timeout_interrupts_an_endless_loop() {
    let started = std::time::Instant::now();
    let r = run(&[
        OsString::from("--timeout"),
        "200ms".into(),
        "--invoke".into(),
        "spin".into(),
        data("limits.wat").into(),
    ]);
    assert_trap(&r, "interrupt", &["limits!spin"]);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(200),
        "stopped too early"
    );
}

/// `--max-wasm-stack` makes deep recursion trap cleanly.
#[test]
fn max_wasm_stack_bounds_recursion() {
    let r = run(&[
        OsString::from("--max-wasm-stack"),
        "64K".into(),
        "--invoke".into(),
        "deep".into(),
        data("limits.wat").into(),
        "0".into(),
    ]);
    assert_eq!(r.status, TRAP, "{r:#?}");
    assert!(r.stderr.contains("call stack exhausted"), "{r:#?}");
}

/// `--max-memory-size` makes `memory.grow` past it fail with -1.
#[test]
fn max_memory_size_refuses_growth() {
    let grow = |limit: &str, pages: &str| {
        run(&[
            OsString::from("--max-memory-size"),
            limit.into(),
            "--invoke".into(),
            "grow".into(),
            data("limits.wat").into(),
            pages.into(),
        ])
    };
    assert_prints(&grow("4M", "2"), &["1"]);
    assert_prints(&grow("128K", "2"), &["-1"]);
    assert_prints(&grow("128K", "1"), &["1"]);
}

/// Malformed limit values are clear errors.
#[test]
fn malformed_limits_are_errors() {
    for (flag, value) in [
        ("--fuel", "lots"),
        ("--timeout", "soon"),
        ("--max-memory-size", "big"),
        ("--max-wasm-stack", "-1"),
    ] {
        let r = run(&[
            OsString::from(flag),
            value.into(),
            data("limits.wat").into(),
        ]);
        assert!(
            (1..=127).contains(&r.status) && r.status != TRAP,
            "{flag} {value}: {r:#?}"
        );
        assert!(r.stderr.contains(value), "{flag} {value}: {r:#?}");
    }
}

/// `weft ir` prints the IR of a module's functions: names, handlers,
/// named operands and resolved branch targets.
#[test]
fn ir_prints_the_translated_code() {
    let fib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/fib.wat");
    let r = weft(&[OsStr::new("ir"), fib.as_os_str()]);
    assert_eq!(r.status, 0, "{r:#?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("func 0 \"fib\""), "{r:#?}");
    for needle in [
        "br_cmp<I32LtU",
        "target=@",
        "call<Plain> (call) base=",
        "callee=set",
        "ret1",
    ] {
        assert!(r.stdout.contains(needle), "no {needle:?} in: {r:#?}");
    }
    let r = weft(&[
        OsStr::new("ir"),
        fib.as_os_str(),
        OsStr::new("--func"),
        OsStr::new("fib"),
    ]);
    assert_eq!(r.status, 0, "{r:#?}");
    let r = weft(&[
        OsStr::new("ir"),
        fib.as_os_str(),
        OsStr::new("--func"),
        OsStr::new("nope"),
    ]);
    assert_error(&r, &["no function named `nope`"]);
}

/// `../shared` beside the checkout: real programs and benchmarks.
fn shared(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(path)
}

/// The Kotlin/Wasm program of `../shared/programs` (GC structs and arrays,
/// casts, exceptions with `exnref`, WASI) prints what the reference runtime
/// printed.
#[test]
fn kotlin_program_prints_its_expected_output() {
    let dir = shared("programs/kotlin");
    let r = run(&[dir.join("lists.wasm")]);
    let want = std::fs::read_to_string(dir.join("lists.stdout.expected")).expect("expected output");
    assert_eq!(r.status, 0, "{r:#?}");
    assert_eq!(r.stdout, want);
}

/// Sightglass's splay (a GC-heavy splay tree in Wasm GC, reading its
/// configuration from a preopened file) prints its expected output.
#[test]
fn sightglass_splay_prints_its_expected_output() {
    let dir = shared("bench/sightglass/splay");
    let mut args: Vec<OsString> = vec!["-W".into(), "unknown-imports-default=y".into()];
    args.extend([
        "--dir".into(),
        OsString::from(format!("{}::.", dir.display())),
    ]);
    args.push(dir.join("splay.wasm").into());
    let r = run(&args);
    let want = std::fs::read_to_string(dir.join("splay.stdout.expected")).expect("expected output");
    assert_eq!(r.status, 0, "{r:#?}");
    assert_eq!(r.stdout, want);
}

/// Runs our own Kotlin/Wasm program `NAME.wasm` of `tests/programs/kotlin`
/// and checks that it prints `NAME.stdout.expected` (what the reference
/// runtime printed), nothing on stderr, and exits with status 0.
#[track_caller]
fn assert_kotlin_program(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/kotlin");
    let r = run(&[dir.join(format!("{name}.wasm"))]);
    let want = std::fs::read_to_string(dir.join(format!("{name}.stdout.expected")))
        .expect("expected output");
    assert_eq!(r.status, 0, "{r:#?}");
    assert_eq!(r.stderr, "", "{r:#?}");
    assert_eq!(r.stdout, want);
}

/// Binary trees in Kotlin (millions of short-lived GC structs with
/// nullable fields, deep recursion): the GC benchmark's `kotlin-trees`.
#[test]
fn kotlin_trees_prints_its_expected_output() {
    assert_kotlin_program("trees");
}

/// Kotlin interfaces, sealed classes and casts, data classes, enums,
/// hash maps, sorting, lambdas and generics.
#[test]
fn kotlin_shapes_prints_its_expected_output() {
    assert_kotlin_program("shapes");
}

/// Kotlin exceptions (custom hierarchy, finally, rethrow, through lambdas,
/// recursion and the stdlib, `runCatching`), primitive arrays and chars.
#[test]
fn kotlin_errors_prints_its_expected_output() {
    assert_kotlin_program("errors");
}

/// `weft run --invoke 'CALL' FILE` with FILE in `tests/data/` or elsewhere.
fn invoke_component(file: &Path, call: &str) -> Run {
    run(&[OsStr::new("--invoke"), OsStr::new(call), file.as_os_str()])
}

/// Every kind of component value, passed in WAVE and printed back in WAVE
/// (`tests/data/component.wat`: lifted functions over a core module with a
/// memory and a realloc).
#[test]
fn component_values_in_wave() {
    let component = data("component.wat");
    let cases = [
        (r#"echo("hi", [1, 2])"#, r#"("hi", [1, 2])"#),
        (r#"echo("a\"b\n👋", [])"#, r#"("a\"b\n👋", [])"#),
        ("add-floats(1.5, 2.25)", "3.75"),
        ("add-floats(nan, 1)", "nan"),
        ("next-char('a')", "'b'"),
        (r"next-char('\n')", r"'\u{b}'"),
        ("point-sum({x: 3, y: -4})", "-1"),
        ("mirror({y: 2, x: 1})", "{x: 2, y: 1}"),
        ("area(circle(2))", "12"),
        ("area(square(3))", "9"),
        ("area(empty)", "0"),
        ("maybe-double(some(21))", "some(42)"),
        ("maybe-double(none)", "none"),
        // WAVE lets trailing `option` arguments be left out, and an
        // `option`'s `some` be implied.
        ("maybe-double()", "none"),
        ("maybe-double(4)", "some(8)"),
        ("checked-div(7, 2)", "ok(3)"),
        ("checked-div(7, 0)", r#"err("division by zero")"#),
        ("toggle({read, exec})", "{write}"),
        ("toggle({})", "{read, write, exec}"),
        ("next-color(blue)", "red"),
        ("next-color(%red)", "green"),
        (" echo ( \"x\" , [ ] ) ", r#"("x", [])"#),
    ];
    for (call, printed) in cases {
        let r = invoke_component(&component, call);
        assert_prints(&r, &[printed]);
    }
    // A function without a result prints nothing.
    assert_prints(&invoke_component(&component, "nothing()"), &[]);
}

/// A function in an exported instance is named by its path, by WIT's
/// `iface.func@version`, or by its bare name when only one instance has it.
#[test]
fn component_function_names() {
    let component = data("component.wat");
    for call in [
        "weft:demo/math#add(1, 2)",
        "weft:demo/math.add(1, 2)",
        "weft:demo/more@1.0.0#add(1, 2)",
        "weft:demo/more.add@1.0.0(1, 2)",
    ] {
        assert_prints(&invoke_component(&component, call), &["3"]);
    }
    assert_prints(&invoke_component(&component, "neg(5)"), &["-5"]);
    let r = invoke_component(&component, "add(1, 2)");
    assert_error(
        &r,
        &[
            "several exported instances have a function `add`",
            "`weft:demo/math#add`, `weft:demo/more@1.0.0#add`",
        ],
    );
}

/// Unknown functions, bad argument text and wrong arity are one-line errors
/// with status 1 that say what is wrong and where.
#[test]
fn component_invoke_errors() {
    let component = data("component.wat");
    let cases = [
        (
            "nope()",
            "error: component has no exported function `nope` (its exports: functions `echo`, ",
        ),
        (
            "weft:demo/math#nope()",
            "error: the component's instance `weft:demo/math` exports no function `nope`",
        ),
        (
            "echo(1, [2])",
            "error: argument 1 of `echo` (`s`: string): invalid value type at `1` (column 6)",
        ),
        (
            r#"echo("x", [-1])"#,
            "error: argument 2 of `echo` (`xs`: list<u32>): invalid value at `-1` (column 12)",
        ),
        (
            "area(circle)",
            "error: argument 1 of `area` (`s`: variant { circle(f32), square(u32), empty }): \
             missing payload for \"circle\" case at `circle` (column 6)",
        ),
        ("toggle({read, write, run})", "unknown flag \"run\""),
        ("next-color(pink)", "unknown case \"pink\""),
        (
            r#"echo("x")"#,
            "error: `echo` takes 2 arguments (s: string, xs: list<u32>) but 1 was given",
        ),
        (
            r#"echo("x", [], 3)"#,
            "`echo` takes 2 arguments (s: string, xs: list<u32>) but 3 were given",
        ),
        (
            "maybe-double(1, 2)",
            "`maybe-double` takes 0 to 1 arguments (x: option<u32>) but 2 were given",
        ),
        (
            "echo(\"x\", [1,)",
            "error: --invoke `echo(\"x\", [1,)`: unexpected token: ParenClose at `)` (column 14)",
        ),
        (
            "f(",
            "error: --invoke `f(`: unexpected end of input at the end",
        ),
        (
            "echo",
            "error: --invoke `echo`: a component's function is called as NAME(ARGS), \
             with ARGS in WAVE, e.g. --invoke 'echo()'",
        ),
        ("(1)", "no function name before `(`"),
    ];
    for (call, message) in cases {
        let r = invoke_component(&component, call);
        assert_error(&r, &[message]);
    }
}

/// Odd `--invoke` strings (control characters, emoji, lone brackets) are
/// clean errors on one line.
#[test]
fn unusual_component_calls_never_panic() {
    let component = data("component.wat");
    let long = format!("echo(\"{}\", [{}])", "x".repeat(10_000), "[".repeat(1000));
    for call in [
        "",
        "(",
        ")",
        "()",
        "#()",
        "💥(1)",
        "echo(💥)",
        "echo(\n",
        "echo\n()",
        "a:b/c.(1)",
        "@(",
        "echo(\"\\u{d800}\", [])",
        &long,
    ] {
        let r = invoke_component(&component, call);
        assert_error(&r, &[]);
    }
}

/// An invalid component is named as one, with the validator's offset; a
/// malformed text component gets its line and column.
#[test]
fn invalid_components_say_where() {
    let dir = scratch("invalid_components");
    let invalid = dir.join("invalid.wat");
    std::fs::write(
        &invalid,
        "(component\n  (func (export \"f\") (canon lift (core func 9))))\n",
    )
    .unwrap();
    let r = invoke_component(&invalid, "f()");
    assert_error(
        &r,
        &[
            "invalid.wat: invalid component: unknown core function 9",
            "(at offset 0x",
        ],
    );
    let malformed = dir.join("malformed.wat");
    std::fs::write(&malformed, "(component (frob))").unwrap();
    let r = invoke_component(&malformed, "f()");
    assert_error(&r, &["malformed.wat:1:13: "]);
    let _ = std::fs::remove_dir_all(dir);
}

/// A trap in a component function is reported as a module's trap is.
#[test]
fn component_trap_exits_134() {
    let r = invoke_component(&data("component.wat"), "fail()");
    assert_trap(&r, "unreachable", &["fail"]);
}

/// Without --invoke a component runs its `wasi:cli/run` export: one that
/// has none is refused with that reason; arguments after FILE belong to
/// --invoke's call.
#[test]
fn component_without_run_is_refused() {
    let component = data("component.wat");
    let r = run(&[&component]);
    assert_error(&r, &["exports no `wasi:cli/run@0.2` `run`"]);
    let c = component.as_os_str();
    let nothing = OsStr::new("nothing()");
    let r = run(&["--invoke".as_ref(), nothing, c, "1".as_ref()]);
    assert_error(
        &r,
        &["a component's function takes its arguments inside --invoke"],
    );
}

/// The shared Rust component (wit-bindgen, `weft:test/types`): its list,
/// result and variant functions through --invoke, resources refused, and
/// the import it has no host for trapping when called.
#[test]
fn shared_resources_component_through_invoke() {
    let component = shared("programs/components/resources/resources-guest.wasm");
    let cases = [
        (
            r#"weft:test/types#echo-list(["a", "bc"])"#,
            r#"["BC", "A"]"#,
        ),
        ("divide(1, 0)", r#"err("cannot divide 1 by 0")"#),
        ("weft:test/types.divide(7, 2)", "ok(3)"),
        ("area(rect({x: 2, y: 3}))", "6"),
        ("classify(blue, {read, write})", r#"("blue:3", some(3))"#),
    ];
    for (call, printed) in cases {
        assert_prints(&invoke_component(&component, call), &[printed]);
    }
    let r = invoke_component(&component, "sum-counters([])");
    assert_error(
        &r,
        &[
            "`weft:test/types#sum-counters` takes `cs`: list<borrow<resource>>, and resources have no WAVE form",
        ],
    );
    let r = invoke_component(&component, "weft:test/types#[constructor]counter(1)");
    assert_error(
        &r,
        &["returns own<resource>, and resources have no WAVE form"],
    );
    let r = invoke_component(&component, "run()");
    assert_eq!(r.status, TRAP, "{r:#?}");
    assert!(
        r.stderr.starts_with(
            "error: wasm trap: host error: the unknown import `[constructor]logger` was called"
        ),
        "{r:#?}"
    );
}

#[path = "cli/components.rs"]
mod components;
