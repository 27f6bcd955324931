//! The embedder's resource handles: [`ResourceAny`], a handle to a resource
//! of any type that the host holds (an own handle in the store's host
//! table, or a borrow valid during one call), and [`Resource<T>`], a typed
//! handle to a host resource whose data the embedder keeps (for example in
//! a [`ResourceTable`](crate::ResourceTable)).

use crate::resources::{Dropped, ResourceType, ScopeId};
use crate::state::{HostDtor, state};
use std::marker::PhantomData;
use weft::{AsContextMut, Error, Result, StoreContextMut};

/// A handle to a resource of any type, held by the host.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ResourceAny {
    ty: ResourceType,
    handle: Handle,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Handle {
    /// An own handle: its index in the store's host table.
    Own(u32),
    /// A borrow for the call of `scope` (`None`: the host lends its own
    /// resource, valid as long as the host keeps it).
    Borrow { rep: u32, scope: Option<ScopeId> },
}

impl ResourceAny {
    pub(crate) fn own(ty: ResourceType, host_handle: u32) -> ResourceAny {
        ResourceAny {
            ty,
            handle: Handle::Own(host_handle),
        }
    }

    pub(crate) fn borrow(ty: ResourceType, rep: u32, scope: ScopeId) -> ResourceAny {
        ResourceAny {
            ty,
            handle: Handle::Borrow {
                rep,
                scope: Some(scope),
            },
        }
    }

    /// A borrow of a host resource the host itself lends.
    pub(crate) fn host_borrow(ty: ResourceType, rep: u32) -> ResourceAny {
        ResourceAny {
            ty,
            handle: Handle::Borrow { rep, scope: None },
        }
    }

    pub(crate) fn handle(&self) -> Handle {
        self.handle
    }

    /// The resource's type.
    pub fn ty(&self) -> ResourceType {
        self.ty
    }

    /// Whether this handle owns the resource (else it borrows it).
    pub fn owned(&self) -> bool {
        matches!(self.handle, Handle::Own(_))
    }

    /// Drops the resource: for an own handle, runs its destructor (the
    /// guest's `dtor` or the host's); a borrow is simply let go.
    pub fn resource_drop<T: 'static>(self, mut store: impl AsContextMut<Data = T>) -> Result<()> {
        let mut cx = store.as_context_mut();
        let Handle::Own(h) = self.handle else {
            return Ok(());
        };
        let dropped = state(&mut cx)
            .host
            .drop_handle(h, self.ty)
            .map_err(|e| Error::Usage(e.to_string()))?;
        match dropped {
            Dropped::Own { rep } => destroy(&mut cx, self.ty, rep),
            Dropped::Borrow { .. } => Ok(()),
        }
    }
}

/// Runs the destructor of resource `rep` of type `ty`.
pub(crate) fn destroy<T: 'static>(
    cx: &mut StoreContextMut<'_, T>,
    ty: ResourceType,
    rep: u32,
) -> Result<()> {
    let st = state(cx);
    if ty.is_host() {
        let Some(dtor) = st.host_dtors.get(&ty).cloned() else {
            return Ok(());
        };
        let dtor = dtor
            .downcast_ref::<HostDtor<T>>()
            .ok_or_else(|| Error::Usage("a host resource of another store's data type".into()))?
            .clone();
        return dtor(cx.as_context_mut(), rep);
    }
    let dtor = st.guest_dtors.get(&ty).copied();
    match dtor {
        Some(f) => f.call(cx.as_context_mut(), &[weft::Val::I32(rep as i32)], &mut []),
        None => Ok(()),
    }
}

/// A typed handle to a host resource of type `T`: its representation (an
/// index the embedder chose, e.g. into a `ResourceTable`) and whether it
/// owns or borrows.
pub struct Resource<T> {
    rep: u32,
    own: bool,
    _ty: PhantomData<fn() -> T>,
}

impl<T> Clone for Resource<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Resource<T> {}

impl<T> std::fmt::Debug for Resource<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource")
            .field("rep", &self.rep)
            .field("own", &self.own)
            .finish()
    }
}

impl<T> PartialEq for Resource<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.rep, self.own) == (other.rep, other.own)
    }
}

impl<T> Eq for Resource<T> {}

impl<T: 'static> Resource<T> {
    /// An owning handle to the host resource `rep`.
    pub fn new_own(rep: u32) -> Resource<T> {
        Resource {
            rep,
            own: true,
            _ty: PhantomData,
        }
    }

    /// A borrowing handle to the host resource `rep`.
    pub fn new_borrow(rep: u32) -> Resource<T> {
        Resource {
            rep,
            own: false,
            _ty: PhantomData,
        }
    }

    /// The representation.
    pub fn rep(&self) -> u32 {
        self.rep
    }

    /// Whether the handle owns the resource.
    pub fn owned(&self) -> bool {
        self.own
    }

    /// The resource type of `T`.
    pub fn ty() -> ResourceType {
        ResourceType::host::<T>()
    }

    /// The handle as a [`ResourceAny`] (an own handle moves into the
    /// store's host table).
    pub fn try_into_resource_any<D: 'static>(
        self,
        mut store: impl AsContextMut<Data = D>,
    ) -> Result<ResourceAny> {
        if !self.own {
            return Err(Error::Usage(
                "a borrowed host resource becomes a ResourceAny only inside a call".into(),
            ));
        }
        let mut cx = store.as_context_mut();
        let h = state(&mut cx)
            .host
            .new_own(self.rep, Self::ty())
            .map_err(|e| Error::Usage(e.to_string()))?;
        Ok(ResourceAny::own(Self::ty(), h))
    }

    /// The [`ResourceAny`] `any` as a handle to a `T` (an own handle leaves
    /// the store's host table).
    pub fn try_from_resource_any<D: 'static>(
        any: ResourceAny,
        mut store: impl AsContextMut<Data = D>,
    ) -> Result<Resource<T>> {
        let wrong = || {
            Error::Usage(format!(
                "resource of type {} is not a `{}`",
                any.ty,
                std::any::type_name::<T>()
            ))
        };
        if any.ty != Self::ty() {
            return Err(wrong());
        }
        match any.handle {
            Handle::Own(h) => {
                let mut cx = store.as_context_mut();
                let rep = state(&mut cx)
                    .host
                    .lift_own(h, any.ty)
                    .map_err(|e| Error::Usage(e.to_string()))?;
                Ok(Resource::new_own(rep))
            }
            Handle::Borrow { rep, .. } => Ok(Resource::new_borrow(rep)),
        }
    }
}
