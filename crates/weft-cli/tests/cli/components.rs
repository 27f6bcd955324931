//! `weft run COMPONENT`: real components built by real toolchains, run
//! with WASI 0.2, each printing exactly its expected output.

use super::*;

/// A copy of `dir` (one level of files and folders) in a scratch folder,
/// for programs that change the directory they are given.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `wasi-probe` (Rust, wasm32-wasip2): arguments, environment, stdin,
/// stderr, files in a preopened directory, refused escapes, clocks, and
/// `exit(3)` seen as status 1 (`wasi:cli/exit` carries only ok/err).
#[test]
fn wasi_probe_prints_its_expected_output() {
    let program = shared("programs/components/wasi-probe");
    let dir = scratch("wasi-probe");
    copy_tree(&program.join("run"), &dir);
    let mut preopen = dir.clone().into_os_string();
    preopen.push("::.");
    let args: Vec<OsString> = vec![
        "--dir".into(),
        preopen,
        "--env".into(),
        "GREETING=hi".into(),
        program.join("wasi-probe.wasm").into(),
        "a".into(),
        "b".into(),
    ];
    let r = run_with_stdin(&args, b"hello stdin");
    let expected = std::fs::read_to_string(program.join("stdout.expected")).unwrap();
    assert_eq!(r.stdout, expected, "{r:#?}");
    assert_eq!(r.stderr, "to stderr\n", "{r:#?}");
    assert_eq!(r.status, 1, "{r:#?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The sightglass components, with the `bench` instance they import
/// stubbed as the sightglass runner stubs it for modules.
#[test]
fn sightglass_components_print_their_expected_output() {
    for name in ["cm-online-stats", "kotlin-richards"] {
        let dir = shared("bench/sightglass").join(name);
        let mut preopen = dir.clone().into_os_string();
        preopen.push("::.");
        let r = run(&[
            OsString::from("-W"),
            "unknown-imports-default=y".into(),
            "--dir".into(),
            preopen,
            dir.join(format!("{name}.wasm")).into(),
        ]);
        let stdout = std::fs::read_to_string(dir.join(format!("{name}.stdout.expected"))).unwrap();
        let stderr = std::fs::read_to_string(dir.join(format!("{name}.stderr.expected"))).unwrap();
        assert_eq!(
            (r.status, &r.stdout, &r.stderr),
            (0, &stdout, &stderr),
            "{name}: {r:#?}"
        );
    }
}

/// `py-cli` (componentize-py: CPython in an 18 MB component): argv, env,
/// a CSV file in the preopened directory, and a refused `..` path.
#[test]
fn py_cli_prints_its_expected_output() {
    let program = shared("programs/components/py-cli");
    let dir = scratch("py-cli");
    copy_tree(&program.join("run"), &dir);
    let mut preopen = dir.clone().into_os_string();
    preopen.push("::.");
    let r = run(&[
        OsString::from("--dir"),
        preopen,
        "--env".into(),
        "GREETING=hi".into(),
        program.join("py-cli.wasm").into(),
        "one".into(),
        "two".into(),
    ]);
    let expected = std::fs::read_to_string(program.join("stdout.expected")).unwrap();
    assert_eq!((r.status, &r.stdout), (0, &expected), "{r:#?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `tcp-echo` (Rust, wasi:sockets): with TCP granted it binds port 0 on
/// 127.0.0.1, connects to itself and echoes; without (the default) every
/// socket is refused with `access-denied` and it exits with status 1.
#[test]
fn tcp_echo_runs_when_granted_and_is_denied_by_default() {
    let program = shared("programs/components/tcp-echo");
    let wasm = program.join("tcp-echo.wasm");
    let expected = |f: &str| std::fs::read_to_string(program.join(f)).unwrap();
    for grant in ["inherit-network", "tcp"] {
        let r = run(&[OsStr::new("-S"), OsStr::new(grant), wasm.as_os_str()]);
        assert_eq!(
            (r.status, &r.stdout),
            (0, &expected("stdout.expected")),
            "-S {grant}: {r:#?}"
        );
    }
    let r = run(&[&wasm]);
    assert_eq!(
        (r.status, &r.stdout),
        (1, &expected("stdout-denied.expected")),
        "{r:#?}"
    );
    let r = run(&[OsStr::new("-S"), OsStr::new("sockets"), wasm.as_os_str()]);
    assert_error(&r, &["unknown -S option `sockets`"]);
}
