//! Preview 1's bounds-checked access to a guest's linear memory.
//!
//! Every pointer and length a guest passes is untrusted: each access checks
//! `ptr + len` against the memory's size in 64-bit arithmetic, and anything
//! outside it is `EFAULT`, never a host panic.

use crate::host::errno::Errno;

/// A guest's linear memory, borrowed for the duration of one WASI call.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

/// One `iovec`/`ciovec`: a buffer in guest memory.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct IoVec {
    /// Guest address of the buffer.
    pub ptr: u32,
    /// Length of the buffer in bytes.
    pub len: u32,
}

impl<'a> GuestMemory<'a> {
    /// Wraps the bytes of a linear memory. Only the first 4 GiB are
    /// addressable by WASI's 32-bit pointers; capping the view there also
    /// keeps every checked `ptr + offset` inside `u32`.
    pub fn new(bytes: &'a mut [u8]) -> GuestMemory<'a> {
        let len = bytes
            .len()
            .min(usize::try_from(1u64 << 32).unwrap_or(usize::MAX));
        GuestMemory {
            bytes: &mut bytes[..len],
        }
    }

    /// The host range of `len` bytes at guest address `ptr`, or `EFAULT`.
    fn range(&self, ptr: u32, len: u32) -> Result<std::ops::Range<usize>, Errno> {
        let end = u64::from(ptr) + u64::from(len);
        if end > self.bytes.len() as u64 {
            return Err(Errno::Fault);
        }
        Ok(ptr as usize..end as usize)
    }

    /// The `len` bytes at `ptr`.
    pub fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&self.bytes[r])
    }

    /// The `len` bytes at `ptr`, mutably.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.bytes[r])
    }

    /// Checks that `count` elements of `size` bytes fit at `ptr`
    /// (`EFAULT` if not, including when the total overflows).
    pub fn check_array(&self, ptr: u32, count: u32, size: u32) -> Result<(), Errno> {
        let total = u64::from(count) * u64::from(size);
        let total = u32::try_from(total).map_err(|_| Errno::Fault)?;
        self.range(ptr, total).map(|_| ())
    }

    /// Reads `N` bytes at `ptr`.
    fn read_array<const N: usize>(&self, ptr: u32) -> Result<[u8; N], Errno> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.slice(ptr, N as u32)?);
        Ok(out)
    }

    /// Reads a byte.
    pub fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.read_array::<1>(ptr)?[0])
    }

    /// Reads a little-endian `u16`.
    pub fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        Ok(u16::from_le_bytes(self.read_array(ptr)?))
    }

    /// Reads a little-endian `u32`.
    pub fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(self.read_array(ptr)?))
    }

    /// Reads a little-endian `u64`.
    pub fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        Ok(u64::from_le_bytes(self.read_array(ptr)?))
    }

    /// Writes `data` at `ptr`.
    pub fn write_bytes(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::Fault)?;
        self.slice_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    /// Writes a little-endian `u16`.
    pub fn write_u16(&mut self, ptr: u32, v: u16) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u32`.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u64`.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// The UTF-8 string of `len` bytes at `ptr` (`EFAULT` out of bounds,
    /// `EILSEQ` if it is not UTF-8).
    pub fn read_str(&self, ptr: u32, len: u32) -> Result<&str, Errno> {
        std::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::Ilseq)
    }

    /// The `count` iovecs of the array at `ptr`: `EFAULT` if the array or
    /// any buffer is out of bounds, `EINVAL` if their total length does not
    /// fit the 32-bit `size` a transfer is reported in.
    pub fn iovecs(&self, ptr: u32, count: u32) -> Result<Vec<IoVec>, Errno> {
        self.check_array(ptr, count, crate::p1::abi::size::IOVEC)?;
        let iovs = (0..count)
            .map(|i| {
                let at = ptr + i * crate::p1::abi::size::IOVEC;
                let iov = IoVec {
                    ptr: self.read_u32(at)?,
                    len: self.read_u32(at + 4)?,
                };
                // Check every buffer up front, so a bad one fails the call
                // before anything is read or written.
                self.range(iov.ptr, iov.len)?;
                Ok(iov)
            })
            .collect::<Result<Vec<_>, Errno>>()?;
        total_len(&iovs)?;
        Ok(iovs)
    }
}

/// The total length of `iovs`, or `EINVAL` when the sum does not fit the
/// 32-bit `size` the result is reported in.
fn total_len(iovs: &[IoVec]) -> Result<u32, Errno> {
    iovs.iter()
        .try_fold(0u32, |acc, v| acc.checked_add(v.len))
        .ok_or(Errno::Inval)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_bounds_is_efault() {
        let mut bytes = vec![0u8; 16];
        let mut m = GuestMemory::new(&mut bytes);
        assert_eq!(m.read_u32(12), Ok(0));
        assert_eq!(m.read_u32(13), Err(Errno::Fault));
        assert_eq!(m.read_u64(u32::MAX), Err(Errno::Fault));
        assert_eq!(m.slice(16, 0).map(<[u8]>::len), Ok(0));
        assert_eq!(m.slice(17, 0), Err(Errno::Fault));
        assert_eq!(m.write_u16(15, 1), Err(Errno::Fault));
        assert_eq!(m.check_array(0, u32::MAX, 8), Err(Errno::Fault));
        assert_eq!(m.iovecs(0, 2), Ok(vec![IoVec { ptr: 0, len: 0 }; 2]));
        m.write_u32(4, 100).unwrap();
        assert_eq!(m.iovecs(0, 1), Err(Errno::Fault));
    }
}
