//! Stub replaced by the SQLite backend.
use crate::{GeoDbError, Result, CqlOptions};
#[derive(Debug)]
pub struct CqlGeoDb;
impl CqlGeoDb {
    pub async fn connect(_o: CqlOptions) -> Result<Self> {
        Err(GeoDbError::Internal("unimplemented".into()))
    }
}
