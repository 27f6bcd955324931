//! Preview 1's time, randomness and waiting: `clock_res_get`,
//! `clock_time_get`, `random_get`, `poll_oneoff` and `sched_yield`, over
//! the host clocks (`host::clock`) and the context's random source.

use crate::host::clock::{Clock, now as host_now};
use crate::host::ctx::{Handle, WasiCtx};
use crate::host::errno::Errno;
use crate::host::stdio::{Readiness, wait_for_stdin};
use crate::p1::abi::{clockid, eventrwflags, eventtype, size, subclockflags};
use crate::p1::memory::GuestMemory;
use std::time::{Duration, Instant};

/// The host clock of preview-1 clock `id` (`EINVAL` for unknown clocks).
fn clock(id: u32) -> Result<Clock, Errno> {
    Ok(match id {
        clockid::REALTIME => Clock::Realtime,
        clockid::MONOTONIC => Clock::Monotonic,
        clockid::PROCESS_CPUTIME_ID => Clock::ProcessCpu,
        clockid::THREAD_CPUTIME_ID => Clock::ThreadCpu,
        _ => return Err(Errno::Inval),
    })
}

/// The current time of clock `id` in nanoseconds (`EINVAL` for unknown
/// clocks, `ENOTSUP` for CPU time on hosts without it).
fn now(id: u32) -> Result<u64, Errno> {
    Ok(host_now(clock(id)?)?)
}

/// `clock_res_get(id, resolution_ptr)`.
pub fn clock_res_get(
    _ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    ptr: u32,
) -> Result<(), Errno> {
    let res = match id {
        clockid::REALTIME | clockid::MONOTONIC => 1_000,
        clockid::PROCESS_CPUTIME_ID | clockid::THREAD_CPUTIME_ID => {
            now(id)?;
            1_000
        }
        _ => return Err(Errno::Inval),
    };
    mem.write_u64(ptr, res)
}

/// `clock_time_get(id, precision, time_ptr)`.
pub fn clock_time_get(
    _ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    _precision: u64,
    ptr: u32,
) -> Result<(), Errno> {
    mem.check_array(ptr, 1, 8)?;
    let t = now(id)?;
    mem.write_u64(ptr, t)
}

/// `random_get(buf, buf_len)`: bytes from the host's secure random source,
/// or from the embedder's [`RandomSource`](crate::RandomSource).
pub fn random_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    buf: u32,
    len: u32,
) -> Result<(), Errno> {
    let buf = mem.slice_mut(buf, len)?;
    ctx.fill_random(buf).map_err(|_| Errno::Io)
}

/// `sched_yield()`.
pub fn sched_yield(_ctx: &mut WasiCtx) -> Result<(), Errno> {
    std::thread::yield_now();
    Ok(())
}

/// One subscription of `poll_oneoff`.
enum Subscription {
    /// Fires at `deadline` (or already failed with an error).
    Clock { deadline: Result<Instant, Errno> },
    /// Waits for `fd` to be readable or writable.
    Fd { fd: u32, read: bool },
}

/// An event to report.
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    nbytes: u64,
    hangup: bool,
}

/// When a clock subscription fires, as a host instant.
fn deadline(id: u32, timeout: u64, flags: u16) -> Result<Instant, Errno> {
    let now_instant = Instant::now();
    let relative = if flags & subclockflags::SUBSCRIPTION_CLOCK_ABSTIME != 0 {
        timeout.saturating_sub(now(id)?)
    } else {
        now(id)?;
        timeout
    };
    // A timeout beyond what the host can represent is "never" in practice.
    Ok(now_instant
        .checked_add(Duration::from_nanos(relative))
        .unwrap_or_else(|| now_instant + Duration::from_secs(100 * 365 * 86_400)))
}

/// Reads the subscription at `ptr`.
fn read_subscription(mem: &GuestMemory<'_>, ptr: u32) -> Result<(u64, Subscription), Errno> {
    let userdata = mem.read_u64(ptr)?;
    let tag = mem.read_u8(ptr + 8)?;
    let sub = match tag {
        eventtype::CLOCK => {
            let id = mem.read_u32(ptr + 16)?;
            let timeout = mem.read_u64(ptr + 24)?;
            let flags = mem.read_u16(ptr + 40)?;
            let deadline = if flags & !subclockflags::SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                Err(Errno::Inval)
            } else {
                deadline(id, timeout, flags)
            };
            Subscription::Clock { deadline }
        }
        eventtype::FD_READ | eventtype::FD_WRITE => Subscription::Fd {
            fd: mem.read_u32(ptr + 16)?,
            read: tag == eventtype::FD_READ,
        },
        _ => return Err(Errno::Inval),
    };
    Ok((userdata, sub))
}

/// The readiness of `fd` for reading or writing: `Some(nbytes, hangup)`
/// when an operation would not block, `None` when it would, or the error
/// to report for it.
fn fd_ready(ctx: &WasiCtx, fd: u32, read: bool) -> Result<Option<(u64, bool)>, Errno> {
    let d = ctx.get(fd)?;
    d.require(crate::p1::abi::rights::POLL_FD_READWRITE)?;
    Ok(match (&d.handle, read) {
        (Handle::Input(input), true) => match input.readiness() {
            Readiness::Ready { nbytes, hangup } => Some((nbytes, hangup)),
            Readiness::Pending => None,
        },
        (Handle::File(f), true) => {
            let size = f.metadata()?.len();
            let mut f = f;
            let pos = std::io::Seek::stream_position(&mut f)?;
            Some((size.saturating_sub(pos), false))
        }
        (Handle::File(_), false) | (Handle::Output(_), false) => Some((0, false)),
        (Handle::Listener(_) | Handle::Stream(_), _) => Some((0, false)),
        (Handle::Dir(_), _) => return Err(Errno::Isdir),
        (Handle::Input(_), false) | (Handle::Output(_), true) => return Err(Errno::Badf),
    })
}

/// `poll_oneoff(in, out, nsubscriptions, nevents_ptr)`: waits until at
/// least one subscription fires: a clock reaching its time, or a
/// descriptor being ready (files and output streams always are; stdin is
/// when it has data or has ended). Reports every subscription that fired.
pub fn poll_oneoff(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    input: u32,
    output: u32,
    nsubs: u32,
    nevents: u32,
) -> Result<(), Errno> {
    if nsubs == 0 {
        return Err(Errno::Inval);
    }
    mem.check_array(input, nsubs, size::SUBSCRIPTION)?;
    mem.check_array(output, nsubs, size::EVENT)?;
    mem.check_array(nevents, 1, 4)?;
    let subs = (0..nsubs)
        .map(|i| read_subscription(mem, input + i * size::SUBSCRIPTION))
        .collect::<Result<Vec<_>, Errno>>()?;
    let events = loop {
        let mut events = Vec::new();
        let mut next: Option<Instant> = None;
        let mut waits_stdin = false;
        let now = Instant::now();
        for (userdata, sub) in &subs {
            let userdata = *userdata;
            match sub {
                Subscription::Clock { deadline } => match deadline {
                    Err(e) => events.push(Event::error(userdata, *e, eventtype::CLOCK)),
                    Ok(d) if *d <= now => {
                        events.push(Event::ok(userdata, eventtype::CLOCK, 0, false))
                    }
                    Ok(d) => next = Some(next.map_or(*d, |n| n.min(*d))),
                },
                Subscription::Fd { fd, read } => {
                    let kind = if *read {
                        eventtype::FD_READ
                    } else {
                        eventtype::FD_WRITE
                    };
                    match fd_ready(ctx, *fd, *read) {
                        Ok(Some((nbytes, hangup))) => {
                            events.push(Event::ok(userdata, kind, nbytes, hangup))
                        }
                        Ok(None) => waits_stdin = true,
                        Err(e) => events.push(Event::error(userdata, e, kind)),
                    }
                }
            }
        }
        if !events.is_empty() {
            break events;
        }
        if waits_stdin {
            wait_for_stdin(next);
        } else if let Some(d) = next {
            std::thread::sleep(d.saturating_duration_since(Instant::now()));
        }
    };
    for (i, e) in events.iter().enumerate() {
        let mut b = [0u8; size::EVENT as usize];
        b[0..8].copy_from_slice(&e.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&(e.error as u16).to_le_bytes());
        b[10] = e.kind;
        b[16..24].copy_from_slice(&e.nbytes.to_le_bytes());
        let flags = if e.hangup {
            eventrwflags::FD_READWRITE_HANGUP
        } else {
            0
        };
        b[24..26].copy_from_slice(&flags.to_le_bytes());
        mem.write_bytes(output + i as u32 * size::EVENT, &b)?;
    }
    mem.write_u32(nevents, events.len() as u32)
}

impl Event {
    fn ok(userdata: u64, kind: u8, nbytes: u64, hangup: bool) -> Event {
        Event {
            userdata,
            error: Errno::Success,
            kind,
            nbytes,
            hangup,
        }
    }

    fn error(userdata: u64, error: Errno, kind: u8) -> Event {
        Event {
            userdata,
            error,
            kind,
            nbytes: 0,
            hangup: false,
        }
    }
}
