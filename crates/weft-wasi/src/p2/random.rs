//! `wasi:random`: bytes from the context's random source (the one
//! preview 1's `random_get` uses), for the secure and insecure interfaces
//! alike; the insecure seed is drawn from it once per context use.

use super::bindings::wasi::random::{insecure, insecure_seed, random};
use crate::WasiCtx;
use weft::{Error, Result};

/// At most this many bytes per call: a guest's request may be any u64.
const MAX_BYTES: u64 = 1 << 26;

impl WasiCtx {
    fn random_bytes(&mut self, len: u64) -> Result<Vec<u8>> {
        if len > MAX_BYTES {
            return Err(weft::__component_hooks::host_trap(format!(
                "{len} random bytes asked for at once (at most {MAX_BYTES})"
            )));
        }
        let mut buf = vec![0; len as usize];
        self.fill_random(&mut buf)
            .map_err(|e| Error::host(std::io::Error::other(e.to_string())))?;
        Ok(buf)
    }

    fn random_u64(&mut self) -> Result<u64> {
        let b = self.random_bytes(8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    }
}

impl random::Host for WasiCtx {
    fn get_random_bytes(&mut self, len: u64) -> Result<Vec<u8>> {
        self.random_bytes(len)
    }

    fn get_random_u64(&mut self) -> Result<u64> {
        self.random_u64()
    }
}

impl insecure::Host for WasiCtx {
    fn get_insecure_random_bytes(&mut self, len: u64) -> Result<Vec<u8>> {
        self.random_bytes(len)
    }

    fn get_insecure_random_u64(&mut self) -> Result<u64> {
        self.random_u64()
    }
}

impl insecure_seed::Host for WasiCtx {
    fn insecure_seed(&mut self) -> Result<(u64, u64)> {
        Ok((self.random_u64()?, self.random_u64()?))
    }
}
