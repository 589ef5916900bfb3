//! Stub replaced by the SQLite backend.
use crate::{GeoDbError, Result, SqliteOptions};
#[derive(Debug)]
pub struct SqliteGeoDb;
impl SqliteGeoDb {
    pub async fn open(_o: SqliteOptions) -> Result<Self> {
        Err(GeoDbError::Internal("unimplemented".into()))
    }
}
