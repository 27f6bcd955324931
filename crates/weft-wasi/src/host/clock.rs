//! The host clocks: wall-clock time, the monotonic clock and CPU time, in
//! nanoseconds, for preview 1's `clock_*`/`poll_oneoff` and preview 2's
//! `wasi:clocks`.

use std::io;
use std::time::{Duration, SystemTime};

/// A host clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Clock {
    /// Wall-clock time since the Unix epoch.
    Realtime,
    /// The host's monotonic clock.
    Monotonic,
    /// CPU time of the process.
    ProcessCpu,
    /// CPU time of the calling thread (the guest runs on it).
    ThreadCpu,
}

/// Nanoseconds of a `Duration`, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The current time of `clock` in nanoseconds. The monotonic and CPU-time
/// clocks are the host's own; CPU time is `Unsupported` on hosts without
/// it.
pub(crate) fn now(clock: Clock) -> io::Result<u64> {
    match clock {
        Clock::Realtime => Ok(SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(nanos)
            .unwrap_or(0)),
        Clock::Monotonic => Ok(monotonic()),
        Clock::ProcessCpu | Clock::ThreadCpu => cpu_time(clock),
    }
}

/// The host's monotonic clock in nanoseconds.
#[cfg(unix)]
fn monotonic() -> u64 {
    timespec(rustix::time::clock_gettime(
        rustix::time::ClockId::Monotonic,
    ))
}

/// The host's monotonic clock in nanoseconds (from the first use).
#[cfg(not(unix))]
fn monotonic() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    nanos(START.get_or_init(std::time::Instant::now).elapsed())
}

/// Nanoseconds of a POSIX `timespec`.
#[cfg(unix)]
fn timespec(t: rustix::time::Timespec) -> u64 {
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let nsecs = u64::try_from(t.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nsecs)
}

/// CPU time of the process or the calling thread.
#[cfg(unix)]
fn cpu_time(clock: Clock) -> io::Result<u64> {
    use rustix::time::{ClockId, clock_gettime};
    let id = if clock == Clock::ProcessCpu {
        ClockId::ProcessCPUTime
    } else {
        ClockId::ThreadCPUTime
    };
    Ok(timespec(clock_gettime(id)))
}

/// CPU time clocks are not available on this host.
#[cfg(not(unix))]
fn cpu_time(_clock: Clock) -> io::Result<u64> {
    Err(io::ErrorKind::Unsupported.into())
}
