//! `wasi:clocks`: the host's monotonic and wall clocks (`host::clock`,
//! which preview 1 reads too), and pollables that are ready at a moment
//! of the monotonic clock.

use super::bindings::wasi::clocks::{monotonic_clock, wall_clock};
use super::io::{Pollable, Wait};
use crate::WasiCtx;
use crate::host::clock::{Clock, now};
use std::time::{Duration, Instant};
use weft::Result;
use weft_component::Resource;

fn clock(c: Clock) -> u64 {
    now(c).unwrap_or(0)
}

impl monotonic_clock::Host for WasiCtx {
    fn now(&mut self) -> Result<u64> {
        Ok(clock(Clock::Monotonic))
    }

    fn resolution(&mut self) -> Result<u64> {
        Ok(1)
    }

    fn subscribe_instant(&mut self, when: u64) -> Result<Resource<Pollable>> {
        let wait = Duration::from_nanos(when.saturating_sub(clock(Clock::Monotonic)));
        self.subscribe_duration(wait.as_nanos() as u64)
    }

    fn subscribe_duration(&mut self, when: u64) -> Result<Resource<Pollable>> {
        let at = Instant::now().checked_add(Duration::from_nanos(when));
        // A deadline past what the host can count is never reached.
        let wait = at.map_or(
            Wait::At(Instant::now() + Duration::from_secs(u32::MAX.into())),
            Wait::At,
        );
        self.push_resource(Pollable { wait })
    }
}

impl wall_clock::Host for WasiCtx {
    fn now(&mut self) -> Result<wall_clock::Datetime> {
        let ns = clock(Clock::Realtime);
        Ok(wall_clock::Datetime {
            seconds: ns / 1_000_000_000,
            nanoseconds: (ns % 1_000_000_000) as u32,
        })
    }

    fn resolution(&mut self) -> Result<wall_clock::Datetime> {
        Ok(wall_clock::Datetime {
            seconds: 0,
            nanoseconds: 1,
        })
    }
}
