//! Running prepared statements: single results, full scans through the driver's pager, and
//! lightweight transactions whose answer (`[applied]` plus whatever current values the server
//! chose to return) is read by column name, because Cassandra and ScyllaDB return different sets.

use futures::TryStreamExt;
use scylla::deserialize::row::DeserializeRow;
use scylla::response::query_result::QueryResult;
use scylla::serialize::row::SerializeRow;
use scylla::statement::batch::{Batch, BatchType};
use scylla::statement::prepared::PreparedStatement;
use scylla::value::{CqlValue, MaybeUnset, Row};
use uuid::Uuid;

use super::CqlGeoDb;
use crate::error::{GeoDbError, Result};

/// Conditional writes retried after losing a race, before reporting contention.
pub(super) const MAX_RACES: usize = 5;

pub(super) fn contention(what: &str) -> GeoDbError {
    GeoDbError::Unavailable(format!("{what}: lost {MAX_RACES} races with concurrent writers, retry later"))
}

/// What an absent optional value becomes in a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Absent {
    /// Written as null, clearing what the row had.
    Null,
    /// Left unset: for rows being created, where a null would only add a tombstone that every
    /// later read of the partition has to skip.
    Unset,
}

/// An optional column value for a write.
pub(super) fn cell<T>(value: Option<T>, absent: Absent) -> MaybeUnset<Option<T>> {
    match (value, absent) {
        (None, Absent::Unset) => MaybeUnset::Unset,
        (value, _) => MaybeUnset::Set(value),
    }
}

/// The answer to a lightweight transaction.
#[derive(Debug)]
pub(super) struct Lwt {
    pub applied: bool,
    columns: Vec<(String, Option<CqlValue>)>,
}

impl Lwt {
    fn from_result(result: QueryResult) -> Result<Self> {
        let rows = result.into_rows_result()?;
        let names: Vec<String> = rows.column_specs().iter().map(|c| c.name().to_owned()).collect();
        let row = rows
            .maybe_first_row::<Row>()
            .map_err(|e| GeoDbError::Internal(format!("conditional write answer: {e}")))?
            .ok_or_else(|| GeoDbError::Internal("conditional write returned no row".into()))?;
        let columns: Vec<(String, Option<CqlValue>)> = names.into_iter().zip(row.columns).collect();
        let applied = match columns.iter().find(|(name, _)| name == "[applied]") {
            Some((_, Some(CqlValue::Boolean(applied)))) => *applied,
            _ => {
                return Err(GeoDbError::Internal("conditional write answer has no [applied] column".into()));
            }
        };
        Ok(Self { applied, columns })
    }

    fn value(&self, name: &str) -> Option<&CqlValue> {
        self.columns.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_ref())
    }

    /// A uuid column of the current row; `None` when absent or null (Cassandra returns no
    /// columns at all when the row does not exist).
    pub fn uuid(&self, name: &str) -> Result<Option<Uuid>> {
        match self.value(name) {
            None => Ok(None),
            Some(CqlValue::Uuid(id)) => Ok(Some(*id)),
            Some(other) => Err(GeoDbError::corrupt(format!("{name}: expected uuid, got {other:?}"))),
        }
    }

    pub fn text(&self, name: &str) -> Result<Option<&str>> {
        match self.value(name) {
            None => Ok(None),
            Some(CqlValue::Text(text) | CqlValue::Ascii(text)) => Ok(Some(text)),
            Some(other) => Err(GeoDbError::corrupt(format!("{name}: expected text, got {other:?}"))),
        }
    }
}

impl CqlGeoDb {
    /// Runs a statement whose result is not needed.
    pub(super) async fn run(&self, statement: &PreparedStatement, values: impl SerializeRow) -> Result<()> {
        self.session.execute_unpaged(statement, values).await?;
        Ok(())
    }

    /// All rows of a single-partition (bounded) read.
    pub(super) async fn fetch<R>(&self, statement: &PreparedStatement, values: impl SerializeRow) -> Result<Vec<R>>
    where
        R: for<'f, 'm> DeserializeRow<'f, 'm>,
    {
        let rows = self.session.execute_unpaged(statement, values).await?.into_rows_result()?;
        let out = rows.rows::<R>()?.collect::<Result<Vec<R>, _>>()?;
        Ok(out)
    }

    pub(super) async fn fetch_one<R>(
        &self,
        statement: &PreparedStatement,
        values: impl SerializeRow,
    ) -> Result<Option<R>>
    where
        R: for<'f, 'm> DeserializeRow<'f, 'm>,
    {
        Ok(self.fetch(statement, values).await?.into_iter().next())
    }

    /// All rows, page by page: for table scans and large partitions.
    pub(super) async fn scan<R>(&self, statement: &PreparedStatement, values: impl SerializeRow) -> Result<Vec<R>>
    where
        R: for<'f, 'm> DeserializeRow<'f, 'm>,
    {
        let mut stream = self.session.execute_iter(statement.clone(), values).await?.rows_stream::<R>()?;
        let mut out = Vec::new();
        while let Some(row) = stream.try_next().await? {
            out.push(row);
        }
        Ok(out)
    }

    /// Runs a lightweight transaction (serial consistency from the session profile).
    pub(super) async fn lwt(&self, statement: &PreparedStatement, values: impl SerializeRow) -> Result<Lwt> {
        Lwt::from_result(self.session.execute_unpaged(statement, values).await?)
    }

    /// Applies writes to several partitions all-or-nothing (eventually) through the batch log.
    pub(super) async fn logged_batch<V>(&self, statements: &[&PreparedStatement], values: V) -> Result<()>
    where
        V: scylla::serialize::batch::BatchValues,
    {
        let mut batch = Batch::new(BatchType::Logged);
        for statement in statements {
            batch.append_statement((*statement).clone());
        }
        // Every statement in our batches is an unconditional upsert or delete.
        batch.set_is_idempotent(true);
        self.session.batch(&batch, values).await?;
        Ok(())
    }
}

/// Inserts a row whose unique lookup key (a name, a host, an id) is claimed first with
/// `INSERT … IF NOT EXISTS` on the lookup table. A claim that is already ours (a retry) is
/// kept. The claim is released only when the insert was definitely refused: after a timeout
/// the insert may have happened, and releasing would orphan the row's lookup entry.
pub(super) async fn claimed_insert(
    claim: impl Future<Output = Result<Lwt>>,
    is_ours: impl FnOnce(&Lwt) -> Result<bool>,
    insert: impl Future<Output = Result<Lwt>>,
    release: impl Future<Output = Result<Lwt>>,
    taken: impl FnOnce() -> GeoDbError,
    exists: impl FnOnce() -> GeoDbError,
) -> Result<()> {
    let claim = claim.await?;
    if !claim.applied && !is_ours(&claim)? {
        return Err(taken());
    }
    if insert.await?.applied {
        return Ok(());
    }
    if claim.applied {
        release_claim(release).await;
    }
    Err(exists())
}

/// Releases a lookup claim; a failure only leaves a claim that blocks the key until the same
/// row is inserted again, so it is logged rather than returned.
pub(super) async fn release_claim(release: impl Future<Output = Result<Lwt>>) {
    if let Err(error) = release.await {
        tracing::warn!(%error, "could not release a unique-key claim in geodb");
    }
}
