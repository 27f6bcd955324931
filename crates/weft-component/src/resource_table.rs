//! [`ResourceTable`]: where an embedder keeps the data behind its host
//! resources, each entry named by the typed [`Resource<T>`] handle that
//! guests hold. A slab with a free list, like the handle tables.

use crate::handles::Resource;
use std::any::Any;

/// Why a [`ResourceTable`] operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceTableError {
    /// No entry has this representation (never made, or deleted).
    #[error("resource {0} is not in the table")]
    NotPresent(u32),
    /// The entry holds data of another type.
    #[error("resource {0} holds another type than the one asked for")]
    WrongType(u32),
    /// The table holds as many entries as a representation can number.
    #[error("the resource table is full")]
    Full,
}

enum Entry {
    Free { next: u32 },
    Used(Box<dyn Any + Send>),
}

/// The embedder's host resources, by representation.
pub struct ResourceTable {
    /// Entry `i` has representation `i`; entry 0 is never used.
    entries: Vec<Entry>,
    free: u32,
    live: usize,
}

impl Default for ResourceTable {
    fn default() -> Self {
        ResourceTable::new()
    }
}

impl std::fmt::Debug for ResourceTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceTable")
            .field("live", &self.live)
            .finish()
    }
}

impl ResourceTable {
    /// An empty table.
    pub fn new() -> ResourceTable {
        ResourceTable {
            entries: vec![Entry::Free { next: 0 }],
            free: 0,
            live: 0,
        }
    }

    /// How many entries are live.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no entry is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Stores `value`; an own handle to it.
    pub fn push<T: Send + 'static>(&mut self, value: T) -> Result<Resource<T>, ResourceTableError> {
        let entry = Entry::Used(Box::new(value));
        let rep = if self.free != 0 {
            let rep = self.free;
            let Entry::Free { next } = self.entries[rep as usize] else {
                unreachable!("the free list holds only free entries");
            };
            self.free = next;
            self.entries[rep as usize] = entry;
            rep
        } else {
            let rep = u32::try_from(self.entries.len()).map_err(|_| ResourceTableError::Full)?;
            self.entries.push(entry);
            rep
        };
        self.live += 1;
        Ok(Resource::new_own(rep))
    }

    fn any(&self, rep: u32) -> Result<&(dyn Any + Send), ResourceTableError> {
        match self.entries.get(rep as usize) {
            Some(Entry::Used(b)) if rep != 0 => Ok(&**b),
            _ => Err(ResourceTableError::NotPresent(rep)),
        }
    }

    /// The data behind `r`.
    pub fn get<T: 'static>(&self, r: &Resource<T>) -> Result<&T, ResourceTableError> {
        self.any(r.rep())?
            .downcast_ref()
            .ok_or(ResourceTableError::WrongType(r.rep()))
    }

    /// The data behind `r`, mutably.
    pub fn get_mut<T: 'static>(&mut self, r: &Resource<T>) -> Result<&mut T, ResourceTableError> {
        let rep = r.rep();
        match self.entries.get_mut(rep as usize) {
            Some(Entry::Used(b)) if rep != 0 => {
                b.downcast_mut().ok_or(ResourceTableError::WrongType(rep))
            }
            _ => Err(ResourceTableError::NotPresent(rep)),
        }
    }

    /// Removes the entry behind `r`; its data.
    pub fn delete<T: 'static>(&mut self, r: Resource<T>) -> Result<T, ResourceTableError> {
        let rep = r.rep();
        if !self.any(rep)?.is::<T>() {
            return Err(ResourceTableError::WrongType(rep));
        }
        let old = std::mem::replace(
            &mut self.entries[rep as usize],
            Entry::Free { next: self.free },
        );
        self.free = rep;
        self.live -= 1;
        match old {
            Entry::Used(b) => Ok(*b.downcast().expect("checked above")),
            Entry::Free { .. } => unreachable!("checked above"),
        }
    }

    /// Every live entry holding a `T`.
    pub fn iter<T: 'static>(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().filter_map(|e| match e {
            Entry::Used(b) => b.downcast_ref(),
            Entry::Free { .. } => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_typed_and_reused() {
        let mut t = ResourceTable::new();
        let a = t.push(String::from("a")).unwrap();
        let b = t.push(7u32).unwrap();
        assert_eq!((a.rep(), b.rep()), (1, 2));
        assert_eq!(t.get(&a).unwrap(), "a");
        let wrong = Resource::<u32>::new_own(a.rep());
        assert_eq!(t.get(&wrong), Err(ResourceTableError::WrongType(1)));
        assert_eq!(t.delete(a).unwrap(), "a");
        assert_eq!(t.get(&a), Err(ResourceTableError::NotPresent(1)));
        assert_eq!(t.push(1u8).unwrap().rep(), 1, "the freed entry is reused");
        assert_eq!(t.iter::<u32>().copied().collect::<Vec<_>>(), [7]);
        assert_eq!(t.len(), 2);
    }
}
