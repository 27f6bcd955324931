//! The WASI side of `weft run`: the `--dir`, `--env`, `--inherit-env` and
//! `-W` options, checked and turned into the guest's `WasiCtx`.

use weft_wasi::{WasiCtx, WasiCtxBuilder};

/// One `--dir HOST[::GUEST]`: a host directory and the name the guest sees.
#[derive(Debug, PartialEq, Eq)]
pub struct Preopen {
    /// The directory on the host.
    pub host: String,
    /// Its name for the guest (the host path if none was given).
    pub guest: String,
}

/// Parses `--dir HOST[::GUEST]`.
pub fn parse_dir(spec: &str) -> Result<Preopen, String> {
    let (host, guest) = match spec.split_once("::") {
        Some((host, guest)) => (host, guest),
        None => (spec, spec),
    };
    if host.is_empty() || guest.is_empty() {
        return Err(format!(
            "invalid --dir `{spec}`: expected HOST or HOST::GUEST with both non-empty"
        ));
    }
    Ok(Preopen {
        host: host.to_string(),
        guest: guest.to_string(),
    })
}

/// Parses `--env NAME=VALUE`; a bare `NAME` takes the host's value of it
/// (and is skipped if the host has none).
pub fn parse_env(spec: &str) -> Result<Option<(String, String)>, String> {
    let (name, value) = match spec.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (spec, None),
    };
    if name.is_empty() {
        return Err(format!("invalid --env `{spec}`: expected NAME=VALUE"));
    }
    let value = match value {
        Some(v) => v.to_string(),
        None => match std::env::var(name) {
            Ok(v) => v,
            Err(_) => return Ok(None),
        },
    };
    Ok(Some((name.to_string(), value)))
}

/// The `-W` options weft knows.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct WasmOptions {
    /// `-W unknown-imports-default=y`: every function import nothing
    /// defines becomes a function returning zeros.
    pub unknown_imports_default: bool,
    /// `-W unknown-imports-trap=y`: every function import nothing defines
    /// becomes a function that traps when called.
    pub unknown_imports_trap: bool,
    /// `-W eager-translation=y`: translate every function body before
    /// running (instead of each on its first call).
    pub eager_translation: bool,
}

/// An option's key and the switch of `T` it sets.
type Switch<T> = (&'static str, fn(&mut T) -> &mut bool);

/// Parses `-FLAG KEY[=y|n]` options (a bare KEY means `y`): each key of
/// `known` names the switch it sets in `T`.
fn parse_switches<T: Default>(
    flag: char,
    specs: &[String],
    known: &[Switch<T>],
) -> Result<T, String> {
    let mut out = T::default();
    for spec in specs {
        let (key, value) = spec.split_once('=').unwrap_or((spec, "y"));
        let on = match value {
            "y" | "yes" | "true" => true,
            "n" | "no" | "false" => false,
            _ => {
                return Err(format!(
                    "invalid value `{value}` for -{flag} {key}: expected y or n"
                ));
            }
        };
        let Some((_, field)) = known.iter().find(|(k, _)| *k == key) else {
            let names: Vec<&str> = known.iter().map(|(k, _)| *k).collect();
            return Err(format!(
                "unknown -{flag} option `{key}` (known: {})",
                names.join(", ")
            ));
        };
        *field(&mut out) = on;
    }
    Ok(out)
}

/// Parses the `-W KEY[=VALUE]` options.
pub fn parse_wasm_options(specs: &[String]) -> Result<WasmOptions, String> {
    parse_switches(
        'W',
        specs,
        &[
            ("unknown-imports-default", |o: &mut WasmOptions| {
                &mut o.unknown_imports_default
            }),
            ("unknown-imports-trap", |o: &mut WasmOptions| {
                &mut o.unknown_imports_trap
            }),
            ("eager-translation", |o: &mut WasmOptions| {
                &mut o.eager_translation
            }),
        ],
    )
}

/// The networking a guest is granted (`-S`): none unless asked.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Network {
    /// `inherit-network`: everything.
    pub inherit: bool,
    /// `tcp`: TCP sockets.
    pub tcp: bool,
    /// `udp`: UDP sockets.
    pub udp: bool,
    /// `allow-ip-name-lookup`: name resolution.
    pub lookup: bool,
}

/// Parses the `-S KEY[=VALUE]` options.
pub fn parse_wasi_options(specs: &[String]) -> Result<Network, String> {
    parse_switches(
        'S',
        specs,
        &[
            ("inherit-network", |n: &mut Network| &mut n.inherit),
            ("tcp", |n: &mut Network| &mut n.tcp),
            ("udp", |n: &mut Network| &mut n.udp),
            ("allow-ip-name-lookup", |n: &mut Network| &mut n.lookup),
        ],
    )
}

/// What the guest gets: its argv, environment and directories.
pub struct GuestSetup<'a> {
    /// `argv`, from the program's name on.
    pub argv: Vec<String>,
    /// Whether the whole host environment is passed on.
    pub inherit_env: bool,
    /// The `--env` variables, applied after the inherited ones.
    pub env: Vec<(String, String)>,
    /// The `--dir` directories.
    pub dirs: &'a [Preopen],
    /// The networking granted (`-S`).
    pub network: Network,
}

/// Builds the guest's context with the host's stdio. A directory that
/// cannot be opened is an error naming it.
pub fn build_ctx(setup: &GuestSetup<'_>) -> Result<WasiCtx, String> {
    let mut b = WasiCtxBuilder::new();
    b.args(&setup.argv).inherit_stdio();
    if setup.inherit_env {
        b.inherit_env();
    }
    b.envs(setup.env.iter().map(|(k, v)| (k, v)));
    if setup.network.inherit {
        b.inherit_network();
    }
    let net = setup.network;
    b.allow_tcp(net.inherit || net.tcp)
        .allow_udp(net.inherit || net.udp)
        .allow_ip_name_lookup(net.inherit || net.lookup);
    for dir in setup.dirs {
        b.preopened_dir(&dir.host, &dir.guest)
            .map_err(|e| format!("cannot open directory `{}` given to --dir: {e}", dir.host))?;
    }
    Ok(b.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_specs() {
        let p = |host: &str, guest: &str| Preopen {
            host: host.into(),
            guest: guest.into(),
        };
        assert_eq!(parse_dir("data"), Ok(p("data", "data")));
        assert_eq!(parse_dir("/tmp/x::."), Ok(p("/tmp/x", ".")));
        assert!(parse_dir("::.").is_err());
        assert!(parse_dir("x::").is_err());
    }

    #[test]
    fn env_specs() {
        assert_eq!(parse_env("A=1=2"), Ok(Some(("A".into(), "1=2".into()))));
        assert_eq!(parse_env("A="), Ok(Some(("A".into(), String::new()))));
        assert!(parse_env("=1").is_err());
        assert_eq!(parse_env("WEFT_SURELY_UNSET_VARIABLE"), Ok(None));
    }

    #[test]
    fn wasm_options() {
        let on = WasmOptions {
            unknown_imports_default: true,
            ..WasmOptions::default()
        };
        for spec in ["unknown-imports-default", "unknown-imports-default=y"] {
            assert_eq!(parse_wasm_options(&[spec.into()]), Ok(on));
        }
        let trap = parse_wasm_options(&["unknown-imports-trap".into()]).unwrap();
        assert!(trap.unknown_imports_trap && !trap.unknown_imports_default);
        assert_eq!(
            parse_wasm_options(&["unknown-imports-default=n".into()]),
            Ok(WasmOptions::default())
        );
        assert!(parse_wasm_options(&["unknown-imports-default=maybe".into()]).is_err());
        assert!(parse_wasm_options(&["simd=y".into()]).is_err());
    }
}
