//! API tokens, keyed by the hash a request presents; `api_tokens_by_id` keeps ids unique and
//! lets a token be deleted by id. Only hashes are stored, and they never reach an error message.

use uuid::Uuid;

use super::CqlGeoDb;
use super::exec::claimed_insert;
use super::rows::{TokenRow, to_timestamp};
use crate::error::{GeoDbError, Result};
use domain::TokenRecord;

impl CqlGeoDb {
    pub(super) async fn token_insert(&self, token: &TokenRecord) -> Result<()> {
        let (id, hash) = (token.id, token.secret_hash.as_str());
        let values = (hash, id, token.name.as_str(), token.role.as_str(), to_timestamp(token.created_at));
        claimed_insert(
            self.lwt(&self.st.token_id_claim, (id, hash)),
            |claim| Ok(claim.text("secret_hash")? == Some(hash)),
            self.lwt(&self.st.token_insert, values),
            self.lwt(&self.st.token_id_release, (id, hash)),
            || GeoDbError::already_exists("token", id),
            || GeoDbError::already_exists("token", "with this secret"),
        )
        .await
    }

    pub(super) async fn token_find(&self, secret_hash: &str) -> Result<Option<TokenRecord>> {
        let row = self.fetch_one::<TokenRow>(&self.st.token_find, (secret_hash,)).await?;
        row.map(TokenRow::into_model).transpose()
    }

    pub(super) async fn token_list(&self) -> Result<Vec<TokenRecord>> {
        let rows = self.scan::<TokenRow>(&self.st.token_all, ()).await?;
        let mut tokens = rows.into_iter().map(TokenRow::into_model).collect::<Result<Vec<_>>>()?;
        tokens.sort_by_key(|t| (t.created_at, t.id));
        Ok(tokens)
    }

    /// The token row goes first, so a half-done delete never leaves a usable token behind.
    pub(super) async fn token_delete(&self, id: Uuid) -> Result<bool> {
        let Some((Some(hash),)) = self.fetch_one::<(Option<String>,)>(&self.st.token_by_id, (id,)).await? else {
            return Ok(false);
        };
        let token_deleted = self.lwt(&self.st.token_delete, (hash.as_str(), id)).await?.applied;
        let index_deleted = self.lwt(&self.st.token_id_delete, (id,)).await?.applied;
        Ok(token_deleted || index_deleted)
    }
}
