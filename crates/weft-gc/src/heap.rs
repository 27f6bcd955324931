//! The heap: allocation, field access and collection.
//!
//! # Layout of the heap
//!
//! One growable byte vector. Objects start at multiples of 8; offset 0 is
//! never an object, so a reference is its object's offset. Every object
//! begins with an 8-byte header: its engine type index (or, for a free
//! block, its size) as a little-endian `u32`, then its [`Kind`] byte and its
//! mark byte. An array's header has 8 more bytes: its length, then padding,
//! so elements start 16 bytes in; an externref box has its host slot there.
//!
//! # Allocation and collection
//!
//! Allocation bumps through the current free run, else takes a free block
//! of the exact size class, else makes a large free block the run, else
//! bumps the end of the used region, growing the vector up to the limit
//! (and, past what its owner granted, only once the owner agrees). When the
//! bytes allocated since the last collection pass twice the live size of
//! the heap at that collection (at least [`MIN_COLLECT`]), the next
//! allocation collects first: mark from the
//! roots, then one linear sweep that frees every unmarked object (cycles
//! included), coalesces neighbours and rebuilds the free lists. Objects
//! never move, so references held anywhere stay valid.
//!
//! Nothing here trusts the bytes: every header and field is read through
//! bounds-checked slices, so a corrupted heap gives errors, never
//! undefined behaviour.

use crate::GcRef;
use crate::layout::{Layout, StorageType, StructLayout};
use std::any::Any;

/// What a heap object is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A struct.
    Struct,
    /// An array.
    Array,
    /// An externref box holding host data.
    Extern,
}

const FREE: u8 = 0;
const STRUCT: u8 = 1;
const ARRAY: u8 = 2;
const EXTERN: u8 = 3;

const HEADER: usize = 8;
const ARRAY_HEADER: usize = 16;
/// Collect only once at least this many bytes were allocated since the
/// last collection.
pub const MIN_COLLECT: usize = 4 << 20;
/// The heap's bytes grow in steps of this many.
const GROWTH_STEP: usize = 256 << 10;
/// Free blocks up to this size are kept in exact size classes.
const SMALL: usize = 512;

/// Why a heap operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeapError {
    /// The reference is null.
    #[error("null reference")]
    Null,
    /// The reference is an i31 or does not name an object of this heap.
    #[error("not a heap object")]
    NotAnObject,
    /// The object is of another kind or type than required.
    #[error("object of the wrong kind or type")]
    WrongKind,
    /// No layout is registered for this type index.
    #[error("unknown type {0}")]
    UnknownType(u32),
    /// A field index past the struct's fields.
    #[error("no field {0}")]
    NoField(u32),
    /// An array access past its length.
    #[error("out of bounds array access")]
    OutOfBounds,
    /// The heap cannot grow within its limit, even after collecting.
    #[error("GC heap out of memory")]
    OutOfMemory,
    /// The heap's bytes are not a valid sequence of objects.
    #[error("corrupted GC heap")]
    Corrupted,
}

type Result<T> = std::result::Result<T, HeapError>;

/// The live references the collector starts from.
pub trait RootSet {
    /// Calls `visit` with every reference held outside the heap (nulls and
    /// i31s may be included; they are skipped).
    fn for_each_root(&mut self, visit: &mut dyn FnMut(GcRef));
}

/// No roots: everything is garbage.
impl RootSet for () {
    fn for_each_root(&mut self, _: &mut dyn FnMut(GcRef)) {}
}

/// A list of roots.
impl RootSet for Vec<GcRef> {
    fn for_each_root(&mut self, visit: &mut dyn FnMut(GcRef)) {
        self.iter().for_each(|&r| visit(r));
    }
}

/// A fixed list of roots.
impl<const N: usize> RootSet for [GcRef; N] {
    fn for_each_root(&mut self, visit: &mut dyn FnMut(GcRef)) {
        self.iter().for_each(|&r| visit(r));
    }
}

/// Sizes and counts, for tests, benchmarks and heuristics.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes the heap's vector holds.
    pub capacity: usize,
    /// Bytes up to the end of the used region.
    pub used: usize,
    /// Bytes of live objects found by the last collection.
    pub live_after_collection: usize,
    /// The largest `used` ever reached.
    pub peak_used: usize,
    /// Collections so far.
    pub collections: usize,
}

/// A store's GC heap.
pub struct Heap {
    bytes: Vec<u8>,
    /// End of the used region.
    top: usize,
    /// Most bytes the heap may take.
    limit: usize,
    /// Most bytes the heap may take before its owner agrees to more (at
    /// most `limit`; an embedder's resource limiter decides).
    granted: usize,
    /// The size an allocation needed past `granted`, since last taken.
    wanted: Option<usize>,
    /// Free blocks of each small size (index: size / 8).
    small: Vec<Vec<u32>>,
    /// Larger free blocks: (offset, size).
    large: Vec<(u32, u32)>,
    /// The free block allocation bumps through, `run..run_end` (taken from
    /// `large` whole, so small objects are carved off without a header
    /// write or list update each; given back by `retire_run`).
    run: usize,
    run_end: usize,
    layouts: Vec<Option<Layout>>,
    /// Host data of externref boxes, by slot.
    externs: Vec<Option<Box<dyn Any + Send + Sync>>>,
    free_extern_slots: Vec<u32>,
    /// Bytes left to allocate before the next collection is due.
    until_collection: usize,
    /// Whether allocation may collect (off while the embedder cannot yet
    /// name every root).
    auto_collect: bool,
    stats: HeapStats,
}

impl Heap {
    /// An empty heap that may grow to `limit` bytes.
    pub fn new(limit: usize) -> Heap {
        Heap {
            bytes: vec![0; HEADER],
            top: HEADER,
            limit: limit.max(HEADER),
            granted: limit.max(HEADER),
            wanted: None,
            small: vec![Vec::new(); SMALL / 8 + 1],
            large: Vec::new(),
            run: 0,
            run_end: 0,
            layouts: Vec::new(),
            externs: Vec::new(),
            free_extern_slots: Vec::new(),
            until_collection: MIN_COLLECT,
            auto_collect: true,
            stats: HeapStats::default(),
        }
    }

    /// Whether enough was allocated since the last collection that the next
    /// allocation should collect first (what allocation does on its own
    /// with automatic collection on).
    #[inline]
    pub fn should_collect(&self) -> bool {
        self.until_collection == 0
    }

    /// Whether allocation collects when the heap is under pressure (on by
    /// default). Off, the heap only grows, up to its limit: for an embedder
    /// that cannot yet pass every root, so nothing live is freed.
    pub fn set_auto_collect(&mut self, on: bool) {
        self.auto_collect = on;
    }

    /// Lets the heap grow to `bytes` (within its limit) without asking;
    /// growth past it fails with [`HeapError::OutOfMemory`] and is noted
    /// for [`Heap::take_wanted`].
    pub fn set_granted(&mut self, bytes: usize) {
        self.granted = bytes.clamp(HEADER, self.limit);
    }

    /// How far the heap may grow without asking.
    pub fn granted(&self) -> usize {
        self.granted
    }

    /// The most bytes the heap may ever take.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The size the last allocation refused for want of a grant needed,
    /// if one was refused since the last call.
    pub fn take_wanted(&mut self) -> Option<usize> {
        self.wanted.take()
    }

    /// Registers the layout of type index `ty` (an engine-wide type id).
    pub fn define(&mut self, ty: u32, layout: Layout) {
        let i = ty as usize;
        if self.layouts.len() <= i {
            self.layouts.resize(i + 1, None);
        }
        self.layouts[i] = Some(layout);
    }

    /// The layout of type `ty`.
    pub fn layout(&self, ty: u32) -> Result<&Layout> {
        self.layouts
            .get(ty as usize)
            .and_then(Option::as_ref)
            .ok_or(HeapError::UnknownType(ty))
    }

    /// Sizes and counts.
    pub fn stats(&self) -> HeapStats {
        HeapStats {
            capacity: self.bytes.len(),
            used: self.top,
            ..self.stats
        }
    }

    // ----- allocation ----------------------------------------------------

    /// A new struct of type `ty`, every field zero (null).
    pub fn alloc_struct(&mut self, ty: u32, roots: &mut dyn RootSet) -> Result<GcRef> {
        let Layout::Struct(l) = self.layout(ty)? else {
            return Err(HeapError::WrongKind);
        };
        let Ok(words) = u16::try_from(l.size / 8) else {
            // Past what Wasm's field limit allows; the header cannot say it.
            return Err(HeapError::OutOfMemory);
        };
        let size = HEADER + l.size as usize;
        let at = self.allocate(size, roots)?;
        self.write_header_sized(at, ty, STRUCT, words);
        Ok(GcRef(at as u32))
    }

    /// A new struct of type `ty` whose fields, in order, get the low bits
    /// of what `value(index, storage)` gives (`struct.new`: one layout
    /// lookup, and no zeroing of bytes the fields cover).
    pub fn alloc_struct_with(
        &mut self,
        ty: u32,
        roots: &mut dyn RootSet,
        mut value: impl FnMut(u32, StorageType) -> u128,
    ) -> Result<GcRef> {
        let Layout::Struct(l) = self.layout(ty)? else {
            return Err(HeapError::WrongKind);
        };
        let Ok(words) = u16::try_from(l.size / 8) else {
            return Err(HeapError::OutOfMemory);
        };
        let size = HEADER + l.size as usize;
        let at = self.allocate_raw(size, roots)?;
        self.write_header_sized(at, ty, STRUCT, words);
        let Heap { bytes, layouts, .. } = self;
        let Some(Some(Layout::Struct(l))) = layouts.get(ty as usize) else {
            return Err(HeapError::UnknownType(ty));
        };
        let payload = bytes
            .get_mut(at + HEADER..at + size)
            .ok_or(HeapError::Corrupted)?;
        if !l.dense {
            payload.fill(0);
        }
        for (k, f) in l.fields.iter().enumerate() {
            let bits = value(k as u32, f.ty);
            store_le(payload, f.offset as usize, f.ty.size(), bits)?;
        }
        Ok(GcRef(at as u32))
    }

    /// A new array of type `ty` with `len` elements, all zero (null).
    pub fn alloc_array(&mut self, ty: u32, len: u32, roots: &mut dyn RootSet) -> Result<GcRef> {
        let Layout::Array(l) = self.layout(ty)? else {
            return Err(HeapError::WrongKind);
        };
        let payload = u64::from(len) * u64::from(l.elem.size());
        let size = usize::try_from(payload)
            .ok()
            .and_then(|p| p.checked_next_multiple_of(8))
            .and_then(|p| p.checked_add(ARRAY_HEADER))
            .ok_or(HeapError::OutOfMemory)?;
        let at = self.allocate(size, roots)?;
        self.write_header(at, ty, ARRAY);
        self.bytes[at + 8..at + 12].copy_from_slice(&len.to_le_bytes());
        Ok(GcRef(at as u32))
    }

    /// A new externref box owning `data`, dropped when the box is freed.
    /// On failure `data` comes back with the error, so nothing is lost.
    pub fn alloc_extern(
        &mut self,
        data: Box<dyn Any + Send + Sync>,
        roots: &mut dyn RootSet,
    ) -> std::result::Result<GcRef, (HeapError, Box<dyn Any + Send + Sync>)> {
        let at = match self.allocate(ARRAY_HEADER, roots) {
            Ok(at) => at,
            Err(e) => return Err((e, data)),
        };
        let slot = match self.free_extern_slots.pop() {
            Some(s) => {
                self.externs[s as usize] = Some(data);
                s
            }
            None => {
                self.externs.push(Some(data));
                (self.externs.len() - 1) as u32
            }
        };
        self.write_header(at, 0, EXTERN);
        self.bytes[at + 8..at + 12].copy_from_slice(&slot.to_le_bytes());
        Ok(GcRef(at as u32))
    }

    /// The host data in externref box `r`.
    pub fn extern_data(&self, r: GcRef) -> Result<&(dyn Any + Send + Sync)> {
        let at = self.object(r, Kind::Extern)?;
        let slot = self.read_u32(at + 8)?;
        self.externs
            .get(slot as usize)
            .and_then(|d| d.as_deref())
            .ok_or(HeapError::Corrupted)
    }

    /// The host data in externref box `r`, mutably.
    pub fn extern_data_mut(&mut self, r: GcRef) -> Result<&mut (dyn Any + Send + Sync)> {
        let at = self.object(r, Kind::Extern)?;
        let slot = self.read_u32(at + 8)?;
        self.externs
            .get_mut(slot as usize)
            .and_then(|d| d.as_deref_mut())
            .ok_or(HeapError::Corrupted)
    }

    /// Finds `size` bytes (a multiple of 8), collecting or growing as
    /// needed, and zeroes them.
    fn allocate(&mut self, size: usize, roots: &mut dyn RootSet) -> Result<usize> {
        let at = self.allocate_raw(size, roots)?;
        self.bytes[at..at + size].fill(0);
        Ok(at)
    }

    /// As [`Heap::allocate`], leaving the bytes as they were (for a caller
    /// that writes every one of them).
    #[inline(always)]
    fn allocate_raw(&mut self, size: usize, roots: &mut dyn RootSet) -> Result<usize> {
        // The common case, inline in every allocation: room in the run and
        // no collection due.
        if !(self.auto_collect && self.should_collect()) && self.run_end - self.run >= size {
            let at = self.run;
            self.run += size;
            self.until_collection = self.until_collection.saturating_sub(size);
            return Ok(at);
        }
        self.allocate_slow(size, roots)
    }

    /// [`Heap::allocate_raw`] when the run has no room or a collection is
    /// due: free lists, a new run, the end of the heap, collecting.
    #[inline(never)]
    fn allocate_slow(&mut self, size: usize, roots: &mut dyn RootSet) -> Result<usize> {
        debug_assert!(size.is_multiple_of(8) && size >= HEADER);
        if self.auto_collect && self.should_collect() {
            self.collect(roots)?;
        }
        let at = match self.take_free(size) {
            Some(at) => at,
            None => match self.bump(size) {
                Some(at) => at,
                None if self.auto_collect => {
                    self.collect(roots)?;
                    self.take_free(size)
                        .or_else(|| self.bump(size))
                        .ok_or(HeapError::OutOfMemory)?
                }
                None => return Err(HeapError::OutOfMemory),
            },
        };
        self.until_collection = self.until_collection.saturating_sub(size);
        Ok(at)
    }

    /// `size` free bytes when the current run has too few (see
    /// [`Heap::allocate_raw`]): a free block of exactly that size, else the
    /// start of a large block, whose rest becomes the run.
    fn take_free(&mut self, size: usize) -> Option<usize> {
        if size <= SMALL
            && let Some(at) = self.small[size / 8].pop()
        {
            return Some(at as usize);
        }
        // Sizes are multiples of 8, as is a header: any rest is a block.
        let i = self.large.iter().position(|&(_, s)| s as usize >= size)?;
        let (at, s) = self.large.swap_remove(i);
        self.retire_run();
        let at = at as usize;
        (self.run, self.run_end) = (at + size, at + s as usize);
        Some(at)
    }

    /// Gives what is left of the run back as a free block (with the header
    /// the sweep walks by).
    fn retire_run(&mut self) {
        if self.run < self.run_end {
            self.add_free(self.run, self.run_end - self.run);
        }
        (self.run, self.run_end) = (0, 0);
    }

    /// `size` bytes at the end of the used region, growing the vector
    /// within the limit.
    fn bump(&mut self, size: usize) -> Option<usize> {
        let end = self.top.checked_add(size)?;
        if end > self.limit {
            return None;
        }
        if end > self.granted {
            self.wanted = Some(end);
            return None;
        }
        if end > self.bytes.len() {
            if self.bytes.capacity() < self.limit {
                // Reserve the whole limit once: the system commits pages
                // only as they are used, and the heap never moves again (a
                // doubling vector costs a copy of the heap and, while it
                // copies, both buffers at once).
                self.bytes.reserve_exact(self.limit - self.bytes.len());
            }
            let grown = end.next_multiple_of(GROWTH_STEP).min(self.limit);
            self.bytes.resize(grown, 0);
        }
        let at = self.top;
        self.top = end;
        self.stats.peak_used = self.stats.peak_used.max(end);
        Some(at)
    }

    /// Records a free block (its header says so, for the sweep).
    fn add_free(&mut self, at: usize, size: usize) {
        self.write_header(at, size as u32, FREE);
        if size <= SMALL {
            self.small[size / 8].push(at as u32);
        } else {
            self.large.push((at as u32, size as u32));
        }
    }

    // ----- collection ----------------------------------------------------

    /// Frees every object not reachable from `roots`.
    pub fn collect(&mut self, roots: &mut dyn RootSet) -> Result<()> {
        self.retire_run();
        let mut stack = Vec::new();
        roots.for_each_root(&mut |r| {
            if r.is_object() {
                stack.push(r.0 as usize);
            }
        });
        while let Some(at) = stack.pop() {
            self.mark(at, &mut stack);
        }
        self.sweep()?;
        self.stats.collections += 1;
        // Twice the live size: marking costs in proportion to it, so this
        // bounds the collector to about half a byte of marking per byte
        // allocated, for a heap of at most three times the live size.
        self.until_collection = (2 * self.stats.live_after_collection).max(MIN_COLLECT);
        Ok(())
    }

    /// Marks the object at `at` if it looks like one and is unmarked, and
    /// pushes the objects it references.
    fn mark(&mut self, at: usize, stack: &mut Vec<usize>) {
        if !at.is_multiple_of(8) || at < HEADER || at + HEADER > self.top {
            return;
        }
        let Ok((kind, ty)) = self.header(at) else {
            return;
        };
        if kind == FREE || self.bytes[at + 5] != 0 {
            return;
        }
        self.bytes[at + 5] = 1;
        let mut push = |bytes: &[u8], off: usize| {
            if let Some(b) = bytes.get(off..off + 4) {
                let r = GcRef(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                if r.is_object() {
                    stack.push(r.0 as usize);
                }
            }
        };
        match (kind, self.layout(ty)) {
            (STRUCT, Ok(Layout::Struct(l))) => {
                for &off in l.refs.iter() {
                    push(&self.bytes, at + HEADER + off as usize);
                }
            }
            (ARRAY, Ok(Layout::Array(l))) if l.elem == StorageType::Ref => {
                // A corrupted length must not make this loop run long.
                let room = self.top.saturating_sub(at + ARRAY_HEADER) / 4;
                let len = (self.read_u32(at + 8).unwrap_or(0) as usize).min(room);
                for i in 0..len {
                    push(&self.bytes, at + ARRAY_HEADER + 4 * i);
                }
            }
            _ => {}
        }
    }

    /// Frees unmarked objects, clears marks, and rebuilds the free lists
    /// from one walk over the heap, merging neighbouring free blocks.
    fn sweep(&mut self) -> Result<()> {
        self.small.iter_mut().for_each(Vec::clear);
        self.large.clear();
        let mut live = 0;
        let mut free_start: Option<usize> = None;
        let mut at = HEADER;
        while at < self.top {
            let (size, kind) = self.object_size_kind(at)?;
            let marked = kind != FREE && self.bytes[at + 5] != 0;
            if marked {
                self.bytes[at + 5] = 0;
                live += size;
                if let Some(start) = free_start.take() {
                    self.add_free(start, at - start);
                }
            } else {
                if kind == EXTERN {
                    let slot = self.read_u32(at + 8)? as usize;
                    if let Some(data) = self.externs.get_mut(slot).and_then(Option::take) {
                        drop(data);
                        self.free_extern_slots.push(slot as u32);
                    }
                }
                free_start.get_or_insert(at);
            }
            at += size;
        }
        if let Some(start) = free_start {
            // Free space at the end returns to the bump region.
            self.top = start;
        }
        self.stats.live_after_collection = live;
        Ok(())
    }

    // ----- access --------------------------------------------------------

    /// The kind of object `r` names.
    pub fn kind(&self, r: GcRef) -> Result<Kind> {
        let at = self.offset(r)?;
        match self.header(at)?.0 {
            STRUCT => Ok(Kind::Struct),
            ARRAY => Ok(Kind::Array),
            EXTERN => Ok(Kind::Extern),
            _ => Err(HeapError::NotAnObject),
        }
    }

    /// The type index of struct or array `r`.
    pub fn type_index(&self, r: GcRef) -> Result<u32> {
        let at = self.offset(r)?;
        match self.header(at)? {
            (STRUCT | ARRAY, ty) => Ok(ty),
            _ => Err(HeapError::WrongKind),
        }
    }

    /// Field `field` of struct `r`, zero-extended to 128 bits.
    pub fn struct_get(&self, r: GcRef, field: u32) -> Result<u128> {
        let (at, ty) = self.field_of(r, field)?;
        self.read(at, ty)
    }

    /// Field `field` of struct `r`, zero-extended to 128 bits, and how the
    /// field is stored.
    pub fn struct_get_typed(&self, r: GcRef, field: u32) -> Result<(u128, StorageType)> {
        let (at, ty) = self.field_of(r, field)?;
        Ok((self.read(at, ty)?, ty))
    }

    /// The value stored as `ty` at byte `offset` of struct `r`'s payload
    /// (a field offset of its type's layout), zero-extended to 128 bits:
    /// the fast path of `struct.get`, checked against the object's size.
    #[inline]
    pub fn struct_read(&self, r: GcRef, offset: u32, ty: StorageType) -> Result<u128> {
        let at = self.struct_at(r, offset, ty.size())?;
        self.read(at, ty)
    }

    /// The 4 bytes at byte `offset` of struct `r`'s payload, checked like
    /// [`Heap::struct_read`] (for `i32`, `f32` and reference fields).
    #[inline]
    pub fn struct_read_u32(&self, r: GcRef, offset: u32) -> Result<u32> {
        let at = self.struct_at(r, offset, 4)?;
        Ok(u32::from_le_bytes(fixed(&self.bytes, at)?))
    }

    /// The 8 bytes at byte `offset` of struct `r`'s payload (for `i64` and
    /// `f64` fields).
    #[inline]
    pub fn struct_read_u64(&self, r: GcRef, offset: u32) -> Result<u64> {
        let at = self.struct_at(r, offset, 8)?;
        Ok(u64::from_le_bytes(fixed(&self.bytes, at)?))
    }

    /// Stores `value` in the 4 bytes at byte `offset` of struct `r`'s
    /// payload.
    #[inline]
    pub fn struct_write_u32(&mut self, r: GcRef, offset: u32, value: u32) -> Result<()> {
        let at = self.struct_at(r, offset, 4)?;
        store_le(&mut self.bytes, at, 4, u128::from(value))
    }

    /// Stores `value` in the 8 bytes at byte `offset` of struct `r`'s
    /// payload.
    #[inline]
    pub fn struct_write_u64(&mut self, r: GcRef, offset: u32, value: u64) -> Result<()> {
        let at = self.struct_at(r, offset, 8)?;
        store_le(&mut self.bytes, at, 8, u128::from(value))
    }

    /// Stores the low bits of `value` as `ty` at byte `offset` of struct
    /// `r`'s payload: the fast path of `struct.set`.
    #[inline]
    pub fn struct_write(
        &mut self,
        r: GcRef,
        offset: u32,
        ty: StorageType,
        value: u128,
    ) -> Result<()> {
        let at = self.struct_at(r, offset, ty.size())?;
        self.write(at, ty, value)
    }

    /// Sets field `field` of struct `r` to the low bits of `value`.
    pub fn struct_set(&mut self, r: GcRef, field: u32, value: u128) -> Result<()> {
        let (at, ty) = self.field_of(r, field)?;
        self.write(at, ty, value)
    }

    /// The length of array `r`.
    pub fn array_len(&self, r: GcRef) -> Result<u32> {
        let at = self.object(r, Kind::Array)?;
        self.read_u32(at + 8)
    }

    /// Element `i` of array `r`, zero-extended to 128 bits.
    pub fn array_get(&self, r: GcRef, i: u32) -> Result<u128> {
        let (at, ty) = self.element_of(r, i, 1)?;
        self.read(at, ty)
    }

    /// Sets element `i` of array `r` to the low bits of `value`.
    pub fn array_set(&mut self, r: GcRef, i: u32, value: u128) -> Result<()> {
        let (at, ty) = self.element_of(r, i, 1)?;
        self.write(at, ty, value)
    }

    /// Sets `n` elements of array `r` from `start` on to `value`.
    pub fn array_fill(&mut self, r: GcRef, start: u32, value: u128, n: u32) -> Result<()> {
        let (at, ty) = self.element_of(r, start, n)?;
        let size = ty.size() as usize;
        let bytes = &value.to_le_bytes()[..size];
        let end = at + size * n as usize;
        for chunk in self
            .bytes
            .get_mut(at..end)
            .ok_or(HeapError::Corrupted)?
            .chunks_exact_mut(size)
        {
            chunk.copy_from_slice(bytes);
        }
        Ok(())
    }

    /// The storage type of array `r`'s elements.
    pub fn array_elem(&self, r: GcRef) -> Result<StorageType> {
        self.element_of(r, 0, 0).map(|(_, ty)| ty)
    }

    /// Overwrites elements of array `r` from `start` on with `bytes`, the
    /// elements' little-endian encodings back to back (`array.new_data`,
    /// `array.init_data` and the like: one bulk copy).
    pub fn array_write_bytes(&mut self, r: GcRef, start: u32, bytes: &[u8]) -> Result<()> {
        let elem = self.array_elem(r)?.size() as usize;
        let n = u32::try_from(bytes.len() / elem).map_err(|_| HeapError::OutOfBounds)?;
        if !bytes.len().is_multiple_of(elem) {
            return Err(HeapError::WrongKind);
        }
        let (at, _) = self.element_of(r, start, n)?;
        self.bytes
            .get_mut(at..at + bytes.len())
            .ok_or(HeapError::Corrupted)?
            .copy_from_slice(bytes);
        Ok(())
    }

    /// Copies `n` elements of array `src` from `s` on to array `dst` from
    /// `d` on, as if through a temporary (the arrays may be the same).
    pub fn array_copy(&mut self, dst: GcRef, d: u32, src: GcRef, s: u32, n: u32) -> Result<()> {
        let (to, ty) = self.element_of(dst, d, n)?;
        let (from, src_ty) = self.element_of(src, s, n)?;
        if ty.size() != src_ty.size() {
            return Err(HeapError::WrongKind);
        }
        let len = ty.size() as usize * n as usize;
        if from.checked_add(len).is_none_or(|e| e > self.bytes.len())
            || to.checked_add(len).is_none_or(|e| e > self.bytes.len())
        {
            return Err(HeapError::Corrupted);
        }
        self.bytes.copy_within(from..from + len, to);
        Ok(())
    }

    /// The offset of object `r` after checking it is a `kind`.
    fn object(&self, r: GcRef, kind: Kind) -> Result<usize> {
        self.typed_object(r, kind).map(|(at, _)| at)
    }

    /// The offset and type index of object `r` after checking it is a
    /// `kind`, reading its header once.
    fn typed_object(&self, r: GcRef, kind: Kind) -> Result<(usize, u32)> {
        let at = self.offset(r)?;
        let (tag, ty) = self.header(at)?;
        let want = match kind {
            Kind::Struct => STRUCT,
            Kind::Array => ARRAY,
            Kind::Extern => EXTERN,
        };
        if tag == want {
            Ok((at, ty))
        } else if matches!(tag, STRUCT | ARRAY | EXTERN) {
            Err(HeapError::WrongKind)
        } else {
            Err(HeapError::NotAnObject)
        }
    }

    /// Where field `field` of struct `r` is, and how it is stored.
    fn field_of(&self, r: GcRef, field: u32) -> Result<(usize, StorageType)> {
        let (at, ty) = self.typed_object(r, Kind::Struct)?;
        let Layout::Struct(StructLayout { fields, .. }) = self.layout(ty)? else {
            return Err(HeapError::WrongKind);
        };
        let f = fields
            .get(field as usize)
            .ok_or(HeapError::NoField(field))?;
        Ok((at + HEADER + f.offset as usize, f.ty))
    }

    /// Where element `i` of array `r` is, if elements `i .. i + n` exist.
    fn element_of(&self, r: GcRef, i: u32, n: u32) -> Result<(usize, StorageType)> {
        let (at, ty) = self.typed_object(r, Kind::Array)?;
        let Layout::Array(l) = self.layout(ty)? else {
            return Err(HeapError::WrongKind);
        };
        let len = self.read_u32(at + 8)?;
        if u64::from(i) + u64::from(n) > u64::from(len) {
            return Err(HeapError::OutOfBounds);
        }
        Ok((
            at + ARRAY_HEADER + i as usize * l.elem.size() as usize,
            l.elem,
        ))
    }

    /// The offset `r` names, if it could be an object of this heap.
    #[inline]
    fn offset(&self, r: GcRef) -> Result<usize> {
        if r.is_null() {
            return Err(HeapError::Null);
        }
        let at = r.0 as usize;
        if r.is_i31() || !at.is_multiple_of(8) || at < HEADER || at + HEADER > self.top {
            return Err(HeapError::NotAnObject);
        }
        Ok(at)
    }

    /// The kind byte and type (or free size) of the header at `at`.
    fn header(&self, at: usize) -> Result<(u8, u32)> {
        let h = self
            .bytes
            .get(at..at + HEADER)
            .ok_or(HeapError::Corrupted)?;
        Ok((h[4], u32::from_le_bytes([h[0], h[1], h[2], h[3]])))
    }

    fn write_header(&mut self, at: usize, ty: u32, kind: u8) {
        self.write_header_sized(at, ty, kind, 0);
    }

    /// A header with a struct's payload size in words, so field accesses
    /// by offset are checked against the object itself, not its layout.
    fn write_header_sized(&mut self, at: usize, ty: u32, kind: u8, words: u16) {
        let mut h = [0u8; HEADER];
        h[..4].copy_from_slice(&ty.to_le_bytes());
        h[4] = kind;
        h[6..].copy_from_slice(&words.to_le_bytes());
        self.bytes[at..at + HEADER].copy_from_slice(&h);
    }

    /// Where the `n` bytes at `offset` of struct `r`'s payload are, checked
    /// against the object's own size.
    #[inline]
    fn struct_at(&self, r: GcRef, offset: u32, n: u32) -> Result<usize> {
        let at = self.offset(r)?;
        let h = self
            .bytes
            .get(at..at + HEADER)
            .ok_or(HeapError::Corrupted)?;
        if h[4] != STRUCT {
            return Err(if matches!(h[4], ARRAY | EXTERN) {
                HeapError::WrongKind
            } else {
                HeapError::NotAnObject
            });
        }
        let size = usize::from(u16::from_le_bytes([h[6], h[7]])) * 8;
        if offset as usize + n as usize > size {
            return Err(HeapError::NoField(offset));
        }
        Ok(at + HEADER + offset as usize)
    }

    /// The size of the object or free block at `at`, checked to lie in the
    /// used region.
    fn object_size_kind(&self, at: usize) -> Result<(usize, u8)> {
        let (kind, ty) = self.header(at)?;
        let size = match kind {
            FREE => ty as usize,
            // The payload size the header records (written from the layout).
            STRUCT => {
                HEADER
                    + usize::from(u16::from_le_bytes([self.bytes[at + 6], self.bytes[at + 7]])) * 8
            }
            ARRAY => match self.layout(ty) {
                Ok(Layout::Array(l)) => {
                    let len = self.read_u32(at + 8)? as usize;
                    ARRAY_HEADER + (len * l.elem.size() as usize).next_multiple_of(8)
                }
                _ => return Err(HeapError::Corrupted),
            },
            EXTERN => ARRAY_HEADER,
            _ => return Err(HeapError::Corrupted),
        };
        if size < HEADER || !size.is_multiple_of(8) || at + size > self.top {
            return Err(HeapError::Corrupted);
        }
        Ok((size, kind))
    }

    fn read_u32(&self, at: usize) -> Result<u32> {
        let b = self.bytes.get(at..at + 4).ok_or(HeapError::Corrupted)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The value of storage type `ty` at `at`, zero-extended.
    #[inline]
    fn read(&self, at: usize, ty: StorageType) -> Result<u128> {
        load_le(&self.bytes, at, ty.size())
    }

    /// Stores the low bytes of `value` as storage type `ty` at `at`.
    #[inline]
    fn write(&mut self, at: usize, ty: StorageType, value: u128) -> Result<()> {
        store_le(&mut self.bytes, at, ty.size(), value)
    }

    /// The heap's bytes, for tests that corrupt them.
    #[cfg(test)]
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes[..self.top]
    }
}

#[cfg(test)]
mod tests;

/// The `size`-byte little-endian value at `at` of `bytes`, zero-extended.
/// Each size reads a fixed-size array, so no access becomes a `memcpy`
/// call.
#[inline]
fn load_le(bytes: &[u8], at: usize, size: u32) -> Result<u128> {
    Ok(match size {
        1 => u128::from(fixed::<1>(bytes, at)?[0]),
        2 => u128::from(u16::from_le_bytes(fixed(bytes, at)?)),
        4 => u128::from(u32::from_le_bytes(fixed(bytes, at)?)),
        8 => u128::from(u64::from_le_bytes(fixed(bytes, at)?)),
        _ => u128::from_le_bytes(fixed(bytes, at)?),
    })
}

/// The `N` bytes at `at` of `bytes`, checked.
#[inline]
fn fixed<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N]> {
    bytes
        .get(at..at + N)
        .and_then(|b| b.try_into().ok())
        .ok_or(HeapError::Corrupted)
}

/// Stores the low `size` bytes of `value` at `at` of `bytes`, little-endian.
#[inline]
fn store_le(bytes: &mut [u8], at: usize, size: u32, value: u128) -> Result<()> {
    fn put<const N: usize>(bytes: &mut [u8], at: usize, v: [u8; N]) -> Result<()> {
        let b = bytes.get_mut(at..at + N).ok_or(HeapError::Corrupted)?;
        b.copy_from_slice(&v);
        Ok(())
    }
    match size {
        1 => put(bytes, at, [value as u8]),
        2 => put(bytes, at, (value as u16).to_le_bytes()),
        4 => put(bytes, at, (value as u32).to_le_bytes()),
        8 => put(bytes, at, (value as u64).to_le_bytes()),
        _ => put(bytes, at, value.to_le_bytes()),
    }
}
