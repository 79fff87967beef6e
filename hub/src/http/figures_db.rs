//! The HTTP side's way to the figures' database: a small pool of read-only
//! connections to the hub's SQLite file, one writing connection beside them, or the
//! PostgreSQL the hub's processes share (`HubHttpState::with_figures`). Handlers hand
//! their work a `&dyn Db` and run it on a blocking thread.

use std::sync::Arc;

use rusqlite::Connection;

use super::{ApiError, HubHttpState};
use crate::sql::{Db, SqlError};

/// How many idle read connections the pool keeps.
const POOL_SIZE: usize = 4;

impl HubHttpState {
    /// Runs `work` in one transaction of the figures' database on a blocking thread.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Db) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let writer = Arc::clone(&self.writer);
        let shared = self.shared_figures.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(store) = shared {
                return store.in_db_transaction(work);
            }
            // A panic while writing leaves a connection that is still usable: the
            // transaction it held was rolled back when it was dropped.
            let mut connection = writer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let transaction = connection.transaction().map_err(SqlError::from)?;
            let value = work(&transaction)?;
            transaction.commit().map_err(SqlError::from)?;
            Ok(value)
        })
        .await
        .map_err(|error| ApiError::internal(format!("a write task failed: {error}")))?
    }

    /// Runs `work` on the figures' database on a blocking thread: a pooled read
    /// connection to the hub's file, or one of the shared PostgreSQL's.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Db) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(store) = &state.shared_figures {
                return store.with_db(work);
            }
            let connection = state.take_connection()?;
            let result = work(&connection);
            state.return_connection(connection);
            result
        })
        .await
        .map_err(|error| ApiError::internal(format!("a query task failed: {error}")))?
    }

    fn take_connection(&self) -> Result<Connection, ApiError> {
        if let Some(connection) = self.lock_pool().pop() {
            return Ok(connection);
        }
        let open = || -> rusqlite::Result<Connection> {
            let connection = Connection::open(&self.database)?;
            connection.set_prepared_statement_cache_capacity(crate::store::STATEMENTS_KEPT);
            connection.busy_timeout(std::time::Duration::from_secs(5))?;
            connection.pragma_update(None, "query_only", true)?;
            Ok(connection)
        };
        open().map_err(|error| {
            ApiError::internal(format!(
                "the hub database {} cannot be opened: {error}",
                self.database.display()
            ))
        })
    }

    fn return_connection(&self, connection: Connection) {
        let mut pool = self.lock_pool();
        if pool.len() < POOL_SIZE {
            pool.push(connection);
        }
    }

    fn lock_pool(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic while holding the pool leaves a list of connections, still usable.
        self.pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
