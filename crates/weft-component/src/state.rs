//! The component runtime's state in one store: a handle table and the
//! may-enter/may-leave flags of every component instance, the host's own
//! table of handles it holds, the open call scopes, and what each resource
//! type needs to be destroyed. weft keeps it in the store for us
//! (`weft::__component_hooks::component_state`).

use crate::resources::{CallScopes, HandleTable, ResourceError, ResourceType};
use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;
use weft::StoreContextMut;

/// The table id of the host's own handles in call scopes' lend lists.
pub(crate) const HOST_TABLE: u32 = u32::MAX;

/// The slots of task-local storage.
pub(crate) const CONTEXT_SLOTS: usize = 2;

/// One component instance's runtime state.
#[derive(Debug)]
pub(crate) struct InstanceState {
    pub table: HandleTable,
    /// Cleared while the instance must not call out (while a value is
    /// lowered into it, or its post-return runs).
    pub may_leave: bool,
    /// Cleared while the instance calls out, so it is not re-entered.
    pub may_enter: bool,
    /// The `backpressure.inc`/`dec` counter (it delays nothing in
    /// synchronous calls, but its bounds are checked).
    pub backpressure: u32,
}

/// A host resource type's destructor: a `HostDtor<T>` for the store's `T`.
pub(crate) type AnyDtor = Arc<dyn Any + Send + Sync>;

/// A host resource type's destructor for stores of data `T`.
pub(crate) type HostDtor<T> =
    Arc<dyn Fn(StoreContextMut<'_, T>, u32) -> weft::Result<()> + Send + Sync>;

/// The component runtime's state in a store.
#[derive(Default)]
pub(crate) struct State {
    pub instances: Vec<InstanceState>,
    /// The own handles the host holds (`ResourceAny`).
    pub host: HandleTable,
    pub scopes: CallScopes,
    /// The task-local storage (`context.get`/`set`) of each lifted call in
    /// progress, innermost last.
    pub contexts: Vec<[u32; CONTEXT_SLOTS]>,
    /// The `dtor` of each guest resource type that has one.
    pub guest_dtors: HashMap<ResourceType, weft::Func>,
    pub host_dtors: HashMap<ResourceType, AnyDtor>,
}

impl State {
    /// A new component instance's state; its id.
    pub fn new_instance(&mut self) -> u32 {
        self.instances.push(InstanceState {
            table: HandleTable::new(),
            may_leave: true,
            may_enter: true,
            backpressure: 0,
        });
        self.instances.len() as u32 - 1
    }

    /// Closes call scope `scope`: gives back the lends made for it, and
    /// fails if the callee kept a borrow.
    pub fn exit_scope(&mut self, scope: crate::resources::ScopeId) -> Result<(), ResourceError> {
        let (instances, host) = (&mut self.instances, &mut self.host);
        self.scopes.exit(scope, |table, handle| {
            if table == HOST_TABLE {
                host.unlend(handle)
            } else {
                instances[table as usize].table.unlend(handle)
            }
        })
    }
}

/// The component state of the store behind `cx`, made on first use.
pub(crate) fn state<'a, T>(cx: &'a mut StoreContextMut<'_, T>) -> &'a mut State {
    let slot = weft::__component_hooks::component_state(cx);
    if slot.as_ref().is_none_or(|s| !s.is::<State>()) {
        *slot = Some(Box::new(State::default()));
    }
    slot.as_mut()
        .and_then(|s| s.downcast_mut::<State>())
        .expect("made above")
}
