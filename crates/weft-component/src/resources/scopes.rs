//! Call scopes: one per lifted call in progress (host→guest or guest→guest
//! through the Canonical ABI), nested as the calls are. A scope counts the
//! borrow handles given to its callee, which must all be dropped before the
//! call returns, and lists the own handles lent for it, which get their
//! lend back when it ends.

use super::ResourceError;

/// Names one open call scope. Scopes at the same depth get different ids,
/// so an id kept past its call's end is refused, not confused with a
/// later call's.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScopeId {
    depth: u32,
    serial: u64,
}

#[derive(Debug)]
struct Scope {
    serial: u64,
    /// Borrow handles given to the callee and not yet dropped.
    borrows: u32,
    /// Own handles lent for this call: (table, handle).
    lends: Vec<(u32, u32)>,
}

/// The stack of open call scopes of one store. Closed scopes keep their
/// storage for the next call at their depth, so calls allocate nothing.
#[derive(Debug, Default)]
pub struct CallScopes {
    /// The open scopes are `stack[..depth]`.
    stack: Vec<Scope>,
    depth: usize,
    serial: u64,
}

impl CallScopes {
    /// No call in progress.
    pub fn new() -> CallScopes {
        CallScopes::default()
    }

    /// Opens the scope of a call that is starting.
    pub fn enter(&mut self) -> ScopeId {
        self.serial += 1;
        let scope = Scope {
            serial: self.serial,
            borrows: 0,
            lends: Vec::new(),
        };
        match self.stack.get_mut(self.depth) {
            Some(old) => {
                old.serial = scope.serial;
                old.borrows = 0;
                old.lends.clear();
            }
            None => self.stack.push(scope),
        }
        self.depth += 1;
        ScopeId {
            depth: (self.depth - 1) as u32,
            serial: self.serial,
        }
    }

    fn scope(&mut self, id: ScopeId) -> Result<&mut Scope, ResourceError> {
        match self.stack[..self.depth].get_mut(id.depth as usize) {
            Some(s) if s.serial == id.serial => Ok(s),
            _ => Err(ResourceError::NoScope),
        }
    }

    /// Counts a borrow handle given to the call of `id`.
    pub fn add_borrow(&mut self, id: ScopeId) -> Result<(), ResourceError> {
        let s = self.scope(id)?;
        s.borrows = s
            .borrows
            .checked_add(1)
            .ok_or(ResourceError::TooManyLends)?;
        Ok(())
    }

    /// Counts a borrow handle of the call of `id` dropped.
    pub fn remove_borrow(&mut self, id: ScopeId) -> Result<(), ResourceError> {
        let s = self.scope(id)?;
        s.borrows = s.borrows.checked_sub(1).ok_or(ResourceError::NoScope)?;
        Ok(())
    }

    /// Records that own handle `handle` of table `table` was lent for the
    /// call of `id`.
    pub fn record_lend(
        &mut self,
        id: ScopeId,
        table: u32,
        handle: u32,
    ) -> Result<(), ResourceError> {
        self.scope(id)?.lends.push((table, handle));
        Ok(())
    }

    /// Closes the scope of the call that is returning, which must be the
    /// innermost one: gives back each own handle lent for it through
    /// `unlend(table, handle)`, then fails with `BorrowsRemain` if the
    /// callee kept a borrow (the call traps).
    pub fn exit(
        &mut self,
        id: ScopeId,
        mut unlend: impl FnMut(u32, u32) -> Result<(), ResourceError>,
    ) -> Result<(), ResourceError> {
        if id.depth as usize + 1 != self.depth {
            return Err(ResourceError::NoScope);
        }
        self.scope(id)?;
        self.depth -= 1;
        let s = &self.stack[self.depth];
        for &(table, handle) in &s.lends {
            unlend(table, handle)?;
        }
        if s.borrows == 0 {
            Ok(())
        } else {
            Err(ResourceError::BorrowsRemain)
        }
    }

    /// Whether the call of `id` is still in progress.
    pub fn is_open(&self, id: ScopeId) -> bool {
        self.stack[..self.depth]
            .get(id.depth as usize)
            .is_some_and(|s| s.serial == id.serial)
    }

    /// How many calls are in progress.
    pub fn depth(&self) -> usize {
        self.depth
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_borrow_fails_the_call_and_lends_come_back() {
        let mut scopes = CallScopes::new();
        let outer = scopes.enter();
        let inner = scopes.enter();
        scopes.add_borrow(inner).unwrap();
        scopes.record_lend(inner, 0, 5).unwrap();
        let ok = |_, _| Ok(());
        assert_eq!(
            scopes.exit(outer, ok),
            Err(ResourceError::NoScope),
            "not innermost"
        );
        let mut lends = Vec::new();
        let done = scopes.exit(inner, |t, h| {
            lends.push((t, h));
            Ok(())
        });
        assert_eq!(lends, [(0, 5)]);
        assert_eq!(done, Err(ResourceError::BorrowsRemain));
        assert_eq!(
            ResourceError::BorrowsRemain.to_string(),
            "borrow handles still remain at the end of the call"
        );
        // The inner id is stale now, even once another call takes its depth.
        let again = scopes.enter();
        assert_ne!(again, inner);
        assert_eq!(scopes.add_borrow(inner), Err(ResourceError::NoScope));
        scopes.add_borrow(again).unwrap();
        scopes.remove_borrow(again).unwrap();
        assert_eq!(
            scopes.remove_borrow(again),
            Err(ResourceError::NoScope),
            "no underflow"
        );
        assert_eq!(scopes.exit(again, ok), Ok(()));
        assert_eq!(scopes.exit(outer, ok), Ok(()));
        assert_eq!(scopes.depth(), 0);
    }
}
