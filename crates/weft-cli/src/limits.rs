//! The limits `weft run` puts on the program: fuel, a timeout (through the
//! engine's epoch, advanced by a timer thread), and a cap on memory size;
//! and parsing the values of those options.

use std::time::Duration;
use weft::{Store, StoreLimitsBuilder};

/// Applies the limits to a new store (its engine was configured for fuel
/// and epochs when those options were given).
pub fn apply<T: 'static>(
    store: &mut Store<T>,
    fuel: Option<u64>,
    timeout: Option<Duration>,
    max_memory_size: Option<usize>,
) -> weft::Result<()> {
    if let Some(fuel) = fuel {
        store.set_fuel(fuel)?;
    }
    if let Some(timeout) = timeout {
        // The deadline is the next epoch; the timer advances it once. The
        // thread is detached: the process ends with the program.
        store.set_epoch_deadline(1);
        let engine = store.engine().clone();
        std::thread::spawn(move || {
            std::thread::sleep(timeout);
            engine.increment_epoch();
        });
    }
    if let Some(bytes) = max_memory_size {
        store.limiter(StoreLimitsBuilder::new().memory_size(bytes).build());
    }
    Ok(())
}

/// Parses a duration: a number with a unit (`ms`, `s`, `m`, `h`), or
/// seconds without one; fractions allowed (`1.5s`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (e.g. 500ms, 10s, 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{s}` (use ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{s}` is not a valid duration"))
}

/// Parses a size in bytes, with an optional K, M or G suffix (powers of
/// 1024).
pub fn parse_bytes(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let (number, shift) = match s.as_bytes().last() {
        Some(b'K' | b'k') => (&s[..s.len() - 1], 10),
        Some(b'M' | b'm') => (&s[..s.len() - 1], 20),
        Some(b'G' | b'g') => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(1usize << shift))
        .ok_or_else(|| format!("`{s}` is not a size in bytes (e.g. 65536, 64K, 16M)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_bytes("65536"), Ok(65536));
        assert_eq!(parse_bytes("64K"), Ok(65536));
        assert_eq!(parse_bytes("16M"), Ok(16 << 20));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("99999999999999999999G").is_err());
    }
}
