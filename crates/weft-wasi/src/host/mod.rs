//! The host layer, which knows no ABI: the context and its builder (what a
//! guest was granted), standard streams, files and directories beneath
//! cap-std capabilities, and the host clocks. Preview 1 (`crate::p1`) and
//! preview 2 (`crate::p2`) are bindings on top of it, so that a capability
//! is implemented once and both ABIs behave the same.

pub(crate) mod clock;
pub(crate) mod ctx;
pub(crate) mod errno;
pub(crate) mod fs;
pub(crate) mod stdio;
