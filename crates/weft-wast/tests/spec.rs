//! Conformance: runs every script of the official core test suite and of
//! the Component Model's (from `../shared/testsuite`) and compares each
//! file's passed-assertion count with the checked-in manifests. A file may do better than the manifest,
//! never worse; every file of the groups weft fully supports (base, simd,
//! eh) must pass in full.
//!
//! `WEFT_BLESS=1 cargo test -p weft-wast --test spec` rewrites the manifest
//! with the current counts (it refuses to lower any of them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn testsuite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite")
}

fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec-manifest.txt")
}

fn component_manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/component-manifest.txt")
}

fn read_manifest_at(path: &Path) -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(path).expect("manifest readable");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (file, n) = l.rsplit_once(' ').expect("`FILE COUNT` lines");
            (file.to_string(), n.parse().expect("a count"))
        })
        .collect()
}

fn group(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(testsuite().join("groups").join(name)).expect("group list");
    text.lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn core_suite_meets_manifest() {
    let suite = testsuite();
    let mut files: Vec<String> = std::fs::read_dir(suite.join("core"))
        .expect("core suite present beside the repository")
        .map(|e| format!("core/{}", e.expect("entry").file_name().to_string_lossy()))
        .filter(|f| f.ends_with(".wast"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 257,
        "expected the full core suite, found {} files",
        files.len()
    );
    let full: Vec<String> = ["base.txt", "simd.txt", "eh.txt"]
        .iter()
        .flat_map(|g| group(g))
        .collect();
    let run = run_suite(&files, &manifest_path(), |file, report, problems| {
        if full.iter().any(|f| f == file) && report.failed() > 0 {
            problems.push(format!(
                "{file} (a fully supported group) has {} failures:\n    {}",
                report.failed(),
                first_failures(report)
            ));
        }
    });
    println!(
        "core suite ({} files): {} passed, {} failed, {} skipped",
        files.len(),
        run.passed,
        run.failed,
        run.skipped
    );
    run.bless_or_check(
        &manifest_path(),
        "# Passed assertions per core-suite file; CI fails if any count drops.\n\
         # Regenerate with WEFT_BLESS=1 cargo test -p weft-wast --test spec\n",
    );
}

/// The outcome of running a list of scripts against a manifest.
struct SuiteRun {
    /// Passed directives per file.
    results: BTreeMap<String, usize>,
    /// Regressions and other failures of the test's own rules.
    problems: Vec<String>,
    passed: usize,
    failed: usize,
    skipped: usize,
}

/// Runs `files` (paths below the test suite), comparing each file's passed
/// count with the manifest at `manifest`; `check` adds the test's own
/// rules about a file's report.
fn run_suite(
    files: &[String],
    manifest: &Path,
    mut check: impl FnMut(&str, &weft_wast::Report, &mut Vec<String>),
) -> SuiteRun {
    let suite = testsuite();
    let manifest = read_manifest_at(manifest);
    let mut run = SuiteRun {
        results: BTreeMap::new(),
        problems: Vec::new(),
        passed: 0,
        failed: 0,
        skipped: 0,
    };
    for file in files {
        let report = weft_wast::run_file(&suite.join(file));
        run.passed += report.passed;
        run.failed += report.failed();
        run.skipped += report.skipped();
        let expected = manifest.get(file).copied().unwrap_or(0);
        if report.passed < expected {
            run.problems.push(format!(
                "{file}: {} passed, manifest says {expected}; first failures:\n    {}",
                report.passed,
                first_failures(&report)
            ));
        }
        check(file, &report, &mut run.problems);
        run.results.insert(file.clone(), report.passed);
    }
    run
}

fn first_failures(report: &weft_wast::Report) -> String {
    report
        .failures
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n    ")
}

impl SuiteRun {
    /// Fails on any problem; with `WEFT_BLESS` set (and no problem),
    /// first rewrites the manifest at `path` with the current counts.
    fn bless_or_check(&self, path: &Path, header: &str) {
        if std::env::var_os("WEFT_BLESS").is_some() {
            assert!(
                self.problems.is_empty(),
                "refusing to bless a regression:\n{}",
                self.problems.join("\n")
            );
            let mut out = String::from(header);
            for (file, n) in &self.results {
                out.push_str(&format!("{file} {n}\n"));
            }
            std::fs::write(path, out).expect("write manifest");
        }
        assert!(self.problems.is_empty(), "{}", self.problems.join("\n"));
    }
}

/// Failures of the component-model suite that are not weft's to fix, each
/// with its reason: `(file, line)`.
const KNOWN_COMPONENT_FAILURES: &[(&str, usize, &str)] = &[
    (
        "component-model/validation/kebab.wast",
        4,
        "wasmparser 0.263 still treats `a1` and `a-1` as the same name; the suite's newer rule does not",
    ),
    (
        "component-model/binary/binary.wast",
        974,
        "the suite encodes `subtask.cancel` with the old `cancellable` byte, which wasmparser 0.263 \
         refuses since component-model#716",
    ),
];

/// Conformance of the Component Model: the synchronous scripts (all but
/// `async/`, whose directives are all counted as skipped) meet their
/// manifest of passed directives; no failure but the known ones.
#[test]
fn component_suite_meets_manifest() {
    let suite = testsuite();
    let (mut sync, mut skipped_files) = (Vec::new(), Vec::new());
    for file in group("component-model.txt") {
        if file.starts_with("component-model/async/") {
            skipped_files.push(file);
        } else {
            sync.push(file);
        }
    }
    assert_eq!(sync.len(), 29, "the synchronous component-model scripts");
    let run = run_suite(&sync, &component_manifest_path(), |_, report, problems| {
        for failure in &report.failures {
            let known = KNOWN_COMPONENT_FAILURES
                .iter()
                .any(|(f, line, _)| failure.contains(&format!("{f}:{line}:")));
            if !known {
                problems.push(format!("unexpected failure: {failure}"));
            }
        }
    });
    // Asynchronous components are not run at all: their directives are
    // counted, as skipped.
    let mut async_directives = 0;
    for file in &skipped_files {
        async_directives += weft_wast::count_directives(&suite.join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    println!(
        "component-model suite ({} synchronous files): {} passed, {} failed (known), {} \
         skipped; async ({} files): {async_directives} directives skipped",
        sync.len(),
        run.passed,
        run.failed,
        run.skipped,
        skipped_files.len()
    );
    run.bless_or_check(
        &component_manifest_path(),
        "# Passed directives per synchronous component-model script; CI fails if any\n\
         # count drops. Regenerate with WEFT_BLESS=1 cargo test -p weft-wast --test spec\n",
    );
}

/// Fuel and epoch checks are pure instrumentation: with both on (and
/// unlimited), every base script still passes in full.
#[test]
fn base_group_passes_with_fuel_and_epochs() {
    let mut config = weft::Config::new();
    config.consume_fuel(true).epoch_interruption(true);
    let suite = testsuite();
    let mut problems = Vec::new();
    for file in group("base.txt") {
        let path = suite.join(&file);
        let text = std::fs::read_to_string(&path).expect("script readable");
        let report = weft_wast::run_script(&file, &text, &config);
        if report.failed() > 0 {
            problems.push(format!(
                "{file}: {:?}",
                report.failures.iter().take(3).collect::<Vec<_>>()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The legacy exception instructions (`try`, `catch`, `delegate`,
/// `rethrow`) pass their four scripts with `Config::wasm_legacy_exceptions`.
#[test]
fn legacy_exception_scripts_pass_with_the_switch_on() {
    let mut config = weft::Config::new();
    config.wasm_legacy_exceptions(true);
    let dir = testsuite().join("legacy");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("legacy scripts present")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "wast"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 4, "expected the four legacy scripts");
    let mut problems = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("script readable");
        let name = path.display().to_string();
        let report = weft_wast::run_script(&name, &text, &config);
        if report.failed() > 0 || report.passed == 0 {
            problems.push(format!(
                "{name}: {} passed, {:?}",
                report.passed, report.failures
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
