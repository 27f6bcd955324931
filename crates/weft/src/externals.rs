//! Handles to a store's memories, tables and globals, and what the host can
//! do with them.

use crate::error::{Error, Result};
use crate::store::{AsContext, AsContextMut, GlobalInstance, MemoryInstance, StoreId, StoreInner};
use crate::types::{GlobalType, MemoryType, Mutability, TableType, ValType};
use crate::values::{Ref, Val};

/// A linear memory in a store.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Memory {
    pub(crate) store: StoreId,
    pub(crate) index: u32,
}

/// A table in a store.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub(crate) store: StoreId,
    pub(crate) index: u32,
}

/// A global in a store.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Global {
    pub(crate) store: StoreId,
    pub(crate) index: u32,
}

impl Memory {
    pub(crate) fn from_raw(store: StoreId, index: u32) -> Memory {
        Memory { store, index }
    }

    /// A new memory of type `ty`.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let inner = store.as_context_mut().inner;
        let index = inner.new_memory(ty)?;
        Ok(Memory {
            store: inner.id,
            index,
        })
    }

    fn get<'a>(&self, store: &'a StoreInner) -> Result<&'a MemoryInstance> {
        store.check(self.store)?;
        Ok(&store.memories[self.index as usize])
    }

    fn get_mut<'a>(&self, store: &'a mut StoreInner) -> Result<&'a mut MemoryInstance> {
        store.check(self.store)?;
        Ok(&mut store.memories[self.index as usize])
    }

    #[track_caller]
    fn instance<'a>(&self, store: &'a StoreInner) -> &'a MemoryInstance {
        &store.owning(self.store).memories[self.index as usize]
    }

    /// The memory's type, with its current size as minimum.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        let m = self.instance(store.as_context().inner);
        MemoryType {
            minimum: m.pages(),
            ..m.ty
        }
    }

    /// The current size in pages.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.instance(store.as_context().inner).pages()
    }

    /// The current size in bytes.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn data_size(&self, store: impl AsContext) -> usize {
        self.instance(store.as_context().inner).data.len()
    }

    /// Grows by `delta` pages, returning the old size in pages.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        let inner = store.as_context_mut().inner;
        inner.check(self.store)?;
        match inner.grow_memory(self.index, delta) {
            Ok(Some(old)) => Ok(old),
            _ => Err(Error::usage("failed to grow memory")),
        }
    }

    /// The memory's bytes.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn data<'a, S: AsContext>(&self, store: &'a S) -> &'a [u8] {
        &self.instance(crate::values::store_inner(store)).data
    }

    /// The memory's bytes, mutably.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn data_mut<'a, S: AsContextMut>(&self, store: &'a mut S) -> &'a mut [u8] {
        let inner: &'a mut StoreInner = store.as_context_mut().inner;
        inner.owning(self.store);
        &mut inner.memories[self.index as usize].data
    }

    /// Copies bytes at `offset` into `buf`.
    pub fn read(&self, store: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<()> {
        let cx = store.as_context();
        let m = self.get(cx.inner)?;
        let src = offset
            .checked_add(buf.len())
            .and_then(|end| m.data.get(offset..end))
            .ok_or_else(|| Error::usage("memory read out of bounds"))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    /// Copies `buf` into memory at `offset`.
    pub fn write(&self, mut store: impl AsContextMut, offset: usize, buf: &[u8]) -> Result<()> {
        let cx = store.as_context_mut();
        let m = self.get_mut(cx.inner)?;
        let dst = offset
            .checked_add(buf.len())
            .and_then(|end| m.data.get_mut(offset..end))
            .ok_or_else(|| Error::usage("memory write out of bounds"))?;
        dst.copy_from_slice(buf);
        Ok(())
    }
}

impl Table {
    pub(crate) fn from_raw(store: StoreId, index: u32) -> Table {
        Table { store, index }
    }

    /// A new table of type `ty` filled with `init`.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Ref) -> Result<Table> {
        let inner = store.as_context_mut().inner;
        let cell = ref_cell(inner, init, ty)?;
        let index = inner.new_table(ty, cell)?;
        Ok(Table {
            store: inner.id,
            index,
        })
    }

    /// The table's type, with its current size as minimum.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn ty(&self, store: impl AsContext) -> TableType {
        let cx = store.as_context();
        let t = &cx.inner.owning(self.store).tables[self.index as usize];
        TableType {
            minimum: t.elems.len() as u64,
            ..t.ty
        }
    }

    /// The current number of elements.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn size(&self, store: impl AsContext) -> u64 {
        let cx = store.as_context();
        cx.inner.owning(self.store).tables[self.index as usize]
            .elems
            .len() as u64
    }

    /// The element at `index`, if in bounds.
    pub fn get(&self, store: impl AsContext, index: u64) -> Option<Ref> {
        let cx = store.as_context();
        cx.inner.check(self.store).ok()?;
        let t = &cx.inner.tables[self.index as usize];
        let cell = *t.elems.get(usize::try_from(index).ok()?)?;
        Ref::from_val(Val::from_cell(cell, ValType::Ref(t.ty.element), cx.inner))
    }

    /// Sets the element at `index`.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, value: Ref) -> Result<()> {
        let inner = store.as_context_mut().inner;
        inner.check(self.store)?;
        let ty = inner.tables[self.index as usize].ty;
        let cell = ref_cell(inner, value, ty)?;
        let slot = usize::try_from(index)
            .ok()
            .and_then(|i| inner.tables[self.index as usize].elems.get_mut(i))
            .ok_or_else(|| Error::usage("table index out of bounds"))?;
        *slot = cell;
        Ok(())
    }

    /// Grows by `delta` elements set to `init`, returning the old size.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Ref) -> Result<u64> {
        let inner = store.as_context_mut().inner;
        inner.check(self.store)?;
        let ty = inner.tables[self.index as usize].ty;
        let cell = ref_cell(inner, init, ty)?;
        inner
            .grow_table(self.index, delta, cell)
            .ok()
            .flatten()
            .ok_or_else(|| Error::usage("failed to grow table"))
    }
}

fn ref_cell(store: &StoreInner, r: Ref, ty: TableType) -> Result<u64> {
    let v = Val::from(r);
    if !v.matches(ValType::Ref(ty.element), store) {
        return Err(Error::usage(format!(
            "reference is not of the table's type {}",
            ty.element
        )));
    }
    v.to_cell(store)
}

impl Global {
    pub(crate) fn from_raw(store: StoreId, index: u32) -> Global {
        Global { store, index }
    }

    /// A new global of type `ty` holding `value`.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global> {
        let inner = store.as_context_mut().inner;
        if !value.matches(ty.content, inner) {
            return Err(Error::usage(format!(
                "value is not of the global's type {}",
                ty.content
            )));
        }
        let mut cells = Vec::with_capacity(2);
        value.push_cells(inner, &mut cells)?;
        let global = GlobalInstance {
            value: cells[0],
            hi: cells.get(1).copied().unwrap_or(0),
            ty,
        };
        let index = inner.push_global(global);
        Ok(Global {
            store: inner.id,
            index,
        })
    }

    /// The global's type.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        store.as_context().inner.owning(self.store).globals[self.index as usize].ty
    }

    /// The global's value.
    ///
    /// # Panics
    ///
    /// If the object belongs to another store.
    #[track_caller]
    pub fn get(&self, store: impl AsContext) -> Val {
        let cx = store.as_context();
        let g = &cx.inner.owning(self.store).globals[self.index as usize];
        Val::from_cells(&[g.value, g.hi], g.ty.content, cx.inner).0
    }

    /// Sets the global's value (it must be mutable).
    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<()> {
        let inner = store.as_context_mut().inner;
        inner.check(self.store)?;
        let ty = inner.globals[self.index as usize].ty;
        if ty.mutability != Mutability::Var {
            return Err(Error::usage("cannot set an immutable global"));
        }
        if !value.matches(ty.content, inner) {
            return Err(Error::usage(format!(
                "value is not of the global's type {}",
                ty.content
            )));
        }
        let mut cells = Vec::with_capacity(2);
        value.push_cells(inner, &mut cells)?;
        let g = &mut inner.globals[self.index as usize];
        g.value = cells[0];
        g.hi = cells.get(1).copied().unwrap_or(0);
        Ok(())
    }
}
