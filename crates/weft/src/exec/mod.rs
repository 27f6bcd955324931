//! The executor: runs translated code with threaded dispatch on weft's own
//! stacks.
//!
//! Every instruction's handler finishes by tail-calling the next one's, so
//! with optimisation on a Wasm function body runs as a chain of jumps. A
//! Wasm call pushes a [`Frame`] on weft's frame stack and continues in the
//! same chain: nothing recurses on the host stack, and exceeding the
//! configured stack is the trap "call stack exhausted". Handlers leave the
//! chain (returning an [`Exit`]) only to finish, to trap, or to call the host.
//!
//! This is the only module with `unsafe` code. Its invariants are set up by
//! the translator (every slot operand is below the function's frame size,
//! every branch lands on an instruction, operand types match) and by the
//! store (runtime objects never move or die while the store lives). The
//! `checked` feature checks every slot access against the frame and every
//! decoded instruction against the guard word the translator wrote.

mod backtrace;
mod context;
mod control;
mod dispatch;
mod driver;
mod exception;
mod follow;
mod forms;
mod gc;
mod memory;
mod numeric;
mod reference;
mod roots;
mod simd;
mod state;

pub(crate) use context::{Ctx, HostCall, raise};
pub(crate) use control::*;
pub(crate) use dispatch::{NextIp, SlotIndex, decode, decode_at, get, next, set, trap};
pub(crate) use driver::invoke;
pub(crate) use exception::*;
pub(crate) use follow::*;
pub(crate) use forms::*;
pub(crate) use gc::*;
pub(crate) use memory::*;
pub(crate) use numeric::*;
pub(crate) use reference::*;
pub(crate) use roots::collect_from_host;
pub(crate) use simd::*;
pub(crate) use state::{ExecState, Frame, InstanceRt, register_instance};

/// Why a handler left the dispatch chain.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Exit {
    /// The entry function returned.
    Done,
    /// A trap; the kind is in [`Ctx::trap`].
    Trap,
    /// A call to a host function, described in [`Ctx::host`].
    HostCall,
    /// An exception no frame of this activation catches, in [`Ctx::thrown`].
    Throw,
}

/// Instruction pointer: the first word of the current instruction.
pub(crate) type Ip = *const u64;
/// Frame pointer: slot 0 of the current frame.
pub(crate) type Fp = *mut u64;

/// The signature every handler shares, so each can tail-call the next.
pub(crate) type RawHandler = unsafe fn(Ip, Fp, *mut u8, usize, &mut Ctx, u64) -> Exit;
