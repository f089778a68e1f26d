//! The key-value backends behind [`crate::Cache`]: sled on disk, or a map in memory when the disk
//! cache cannot be used. Everything sled-specific apart from opening lives here, so replacing sled
//! (redb, fjall) means rewriting this file and `open.rs`, not the callers.
//!
//! A backend is a set of named trees of byte keys to byte values; it knows nothing of envelopes.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::{PoisonError, RwLock};

/// Bytes read from a backend, borrowed from sled's reference-counted buffer when possible.
pub(crate) enum Value {
    Sled(sled::IVec),
    Owned(Vec<u8>),
}

impl AsRef<[u8]> for Value {
    fn as_ref(&self) -> &[u8] {
        match self {
            Self::Sled(bytes) => bytes,
            Self::Owned(bytes) => bytes,
        }
    }
}

pub(crate) enum Store {
    Sled(SledStore),
    Memory(MemoryStore),
}

pub(crate) struct SledStore {
    db: sled::Db,
    /// Trees already opened, so a read never has to list tree names again and never creates a
    /// tree as a side effect.
    trees: RwLock<HashMap<String, sled::Tree>>,
}

/// One tree in memory: keys to values, ordered like sled's.
type MemoryTree = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Default)]
pub(crate) struct MemoryStore {
    trees: RwLock<BTreeMap<String, MemoryTree>>,
}

fn io_error(error: sled::Error) -> io::Error {
    io::Error::from(error)
}

impl SledStore {
    pub(crate) fn new(db: sled::Db) -> Self {
        Self {
            db,
            trees: RwLock::new(HashMap::new()),
        }
    }

    /// The tree called `name`; `None` when it does not exist and `create` is false.
    fn tree(&self, name: &str, create: bool) -> io::Result<Option<sled::Tree>> {
        if let Some(tree) = self
            .trees
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
        {
            return Ok(Some(tree.clone()));
        }
        if !create
            && !self
                .db
                .tree_names()
                .iter()
                .any(|known| known == name.as_bytes())
        {
            return Ok(None);
        }
        let tree = self.db.open_tree(name).map_err(io_error)?;
        self.trees
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), tree.clone());
        Ok(Some(tree))
    }
}

impl Store {
    pub(crate) fn get(&self, tree: &str, key: &[u8]) -> io::Result<Option<Value>> {
        match self {
            Self::Sled(store) => match store.tree(tree, false)? {
                Some(tree) => Ok(tree.get(key).map_err(io_error)?.map(Value::Sled)),
                None => Ok(None),
            },
            Self::Memory(store) => Ok(store
                .trees
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .get(tree)
                .and_then(|entries| entries.get(key))
                .map(|value| Value::Owned(value.clone()))),
        }
    }

    /// Looks the keys up in one pass, answers in the keys' order.
    pub(crate) fn get_many<K: AsRef<[u8]>>(
        &self,
        tree: &str,
        keys: &[K],
    ) -> io::Result<Vec<Option<Value>>> {
        match self {
            Self::Sled(store) => match store.tree(tree, false)? {
                Some(tree) => keys
                    .iter()
                    .map(|key| Ok(tree.get(key).map_err(io_error)?.map(Value::Sled)))
                    .collect(),
                None => Ok(keys.iter().map(|_| None).collect()),
            },
            Self::Memory(store) => {
                let trees = store.trees.read().unwrap_or_else(PoisonError::into_inner);
                let entries = trees.get(tree);
                Ok(keys
                    .iter()
                    .map(|key| {
                        entries
                            .and_then(|entries| entries.get(key.as_ref()))
                            .map(|value| Value::Owned(value.clone()))
                    })
                    .collect())
            }
        }
    }

    pub(crate) fn insert(&self, tree: &str, key: &[u8], value: Vec<u8>) -> io::Result<()> {
        match self {
            Self::Sled(store) => {
                if let Some(tree) = store.tree(tree, true)? {
                    tree.insert(key, value).map_err(io_error)?;
                }
                Ok(())
            }
            Self::Memory(store) => {
                store
                    .trees
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(tree.to_owned())
                    .or_default()
                    .insert(key.to_vec(), value);
                Ok(())
            }
        }
    }

    pub(crate) fn remove(&self, tree: &str, key: &[u8]) -> io::Result<bool> {
        match self {
            Self::Sled(store) => match store.tree(tree, false)? {
                Some(tree) => Ok(tree.remove(key).map_err(io_error)?.is_some()),
                None => Ok(false),
            },
            Self::Memory(store) => Ok(store
                .trees
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .get_mut(tree)
                .and_then(|entries| entries.remove(key))
                .is_some()),
        }
    }

    /// Replaces the value at `key` with `change(old)` atomically (a compare-and-swap loop in sled,
    /// the write lock in memory), so two fetcher tasks revalidating the same key cannot lose an
    /// update. `change` returning `None` leaves the value as it was. Returns whether it changed.
    pub(crate) fn update(
        &self,
        tree: &str,
        key: &[u8],
        change: impl Fn(&[u8]) -> Option<Vec<u8>>,
    ) -> io::Result<bool> {
        match self {
            Self::Sled(store) => {
                let Some(tree) = store.tree(tree, false)? else {
                    return Ok(false);
                };
                let mut changed = false;
                tree.fetch_and_update(key, |old| {
                    let old = old?;
                    match change(old) {
                        Some(new) => {
                            changed = true;
                            Some(new)
                        }
                        None => {
                            changed = false;
                            Some(old.to_vec())
                        }
                    }
                })
                .map_err(io_error)?;
                Ok(changed)
            }
            Self::Memory(store) => {
                let mut trees = store.trees.write().unwrap_or_else(PoisonError::into_inner);
                let Some(value) = trees.get_mut(tree).and_then(|entries| entries.get_mut(key))
                else {
                    return Ok(false);
                };
                match change(value) {
                    Some(new) => {
                        *value = new;
                        Ok(true)
                    }
                    None => Ok(false),
                }
            }
        }
    }

    /// Calls `visit` with every key and value of `tree`, in key order.
    pub(crate) fn scan(&self, tree: &str, mut visit: impl FnMut(&[u8], &[u8])) -> io::Result<()> {
        match self {
            Self::Sled(store) => {
                if let Some(tree) = store.tree(tree, false)? {
                    for item in tree.iter() {
                        let (key, value) = item.map_err(io_error)?;
                        visit(&key, &value);
                    }
                }
                Ok(())
            }
            Self::Memory(store) => {
                let trees = store.trees.read().unwrap_or_else(PoisonError::into_inner);
                for (key, value) in trees.get(tree).into_iter().flatten() {
                    visit(key, value);
                }
                Ok(())
            }
        }
    }

    /// Removes every entry of `tree` for which `remove` says yes; returns how many went.
    pub(crate) fn remove_where(
        &self,
        tree: &str,
        remove: impl Fn(&[u8]) -> bool,
    ) -> io::Result<usize> {
        match self {
            Self::Sled(store) => {
                let Some(tree) = store.tree(tree, false)? else {
                    return Ok(0);
                };
                let mut doomed = Vec::new();
                for item in tree.iter() {
                    let (key, value) = item.map_err(io_error)?;
                    if remove(&value) {
                        doomed.push(key);
                    }
                }
                let mut batch = sled::Batch::default();
                for key in &doomed {
                    batch.remove(key);
                }
                tree.apply_batch(batch).map_err(io_error)?;
                Ok(doomed.len())
            }
            Self::Memory(store) => {
                let mut trees = store.trees.write().unwrap_or_else(PoisonError::into_inner);
                let Some(entries) = trees.get_mut(tree) else {
                    return Ok(0);
                };
                let before = entries.len();
                entries.retain(|_, value| !remove(value));
                Ok(before - entries.len())
            }
        }
    }

    /// Names of the trees that exist, sorted.
    pub(crate) fn tree_names(&self) -> Vec<String> {
        let mut names: Vec<String> = match self {
            Self::Sled(store) => store
                .db
                .tree_names()
                .iter()
                .filter_map(|name| std::str::from_utf8(name).ok().map(str::to_owned))
                .collect(),
            Self::Memory(store) => store
                .trees
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .keys()
                .cloned()
                .collect(),
        };
        names.sort();
        names
    }

    /// Deletes the tree and everything in it; returns how many entries it held.
    pub(crate) fn drop_tree(&self, tree: &str) -> io::Result<usize> {
        match self {
            Self::Sled(store) => {
                let Some(opened) = store.tree(tree, false)? else {
                    return Ok(0);
                };
                let count = opened.len();
                drop(opened);
                store
                    .trees
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(tree);
                store.db.drop_tree(tree).map_err(io_error)?;
                Ok(count)
            }
            Self::Memory(store) => Ok(store
                .trees
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(tree)
                .map_or(0, |entries| entries.len())),
        }
    }

    pub(crate) fn flush(&self) -> io::Result<()> {
        match self {
            Self::Sled(store) => store.db.flush().map(|_| ()).map_err(io_error),
            Self::Memory(_) => Ok(()),
        }
    }
}
