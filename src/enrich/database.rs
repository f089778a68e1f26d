//! The local advisory database (`pyaudit db import|sync|status`), stored in the cache.
