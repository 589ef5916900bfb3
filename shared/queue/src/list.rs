//! Listing job records newest first from the all-jobs index, filtered by state and kind, with
//! an opaque cursor. No per-state index is kept (it would cost every transition), so a filtered
//! page scans a bounded slice of the index and may come back short with a cursor to go on.

use redis::Value;

use crate::conn::{Retry, pipe};
use crate::error::from_server;
use crate::record::{hash, parse_record};
use crate::{JobRecord, JobState, Queue, QueueError, Result};

/// Index entries read per round trip.
const CHUNK: usize = 500;
/// Index entries examined per call at most: bounds the cost of a filter that matches little.
const SCAN_BUDGET: usize = 5000;
pub const MAX_PAGE: usize = 1000;

/// A position in the index: (created ms, job id). Entries after it, newest first, have a lower
/// score, or the same score and a lower id.
#[derive(Debug, Clone, PartialEq)]
struct Position {
    score: i64,
    id: String,
}

impl Position {
    fn encode(&self) -> String {
        format!("{}.{}", self.score, self.id)
    }

    fn decode(cursor: &str) -> Result<Self> {
        let (score, id) = cursor.split_once('.').ok_or(QueueError::InvalidCursor)?;
        let score = score.parse().map_err(|_| QueueError::InvalidCursor)?;
        if id.is_empty() {
            return Err(QueueError::InvalidCursor);
        }
        Ok(Self { score, id: id.to_owned() })
    }

    fn is_after(&self, score: i64, id: &str) -> bool {
        score < self.score || (score == self.score && id < self.id.as_str())
    }
}

impl Queue {
    /// Newest first; `cursor` is the opaque `next` of the previous page. `next` is `None` only
    /// at the end of the list; with a filter, a page may hold fewer than `limit` records and
    /// still have a `next`.
    pub async fn list(
        &self,
        state: Option<JobState>,
        kind: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<JobRecord>, Option<String>)> {
        let limit = limit.clamp(1, MAX_PAGE);
        let mut from = cursor.map(Position::decode).transpose()?;
        let mut records = Vec::new();
        let mut scanned = 0;
        loop {
            let (chunk, exhausted) = self.index_after(from.as_ref()).await?;
            if chunk.is_empty() {
                return Ok((records, None));
            }
            let ids: Vec<&str> = chunk.iter().map(|p| p.id.as_str()).collect();
            let found = self.records(&ids).await?;
            for (position, record) in chunk.iter().zip(found) {
                scanned += 1;
                let Some(record) = record else { continue };
                if state.is_some_and(|s| s != record.state) || kind.is_some_and(|k| k != record.kind) {
                    continue;
                }
                records.push(record);
                if records.len() == limit {
                    return Ok((records, Some(position.encode())));
                }
            }
            from = chunk.last().cloned();
            if exhausted {
                return Ok((records, None));
            }
            if scanned >= SCAN_BUDGET {
                return Ok((records, from.map(|p| p.encode())));
            }
        }
    }

    /// Up to `CHUNK` index positions after `from`, newest first, and whether the index ends there.
    async fn index_after(&self, from: Option<&Position>) -> Result<(Vec<Position>, bool)> {
        let max = from.map(|p| p.score.to_string()).unwrap_or_else(|| "+inf".into());
        let mut offset = 0;
        loop {
            let mut cmd = redis::cmd("ZREVRANGEBYSCORE");
            cmd.arg(self.keys().jobs()).arg(&max).arg("-inf").arg("WITHSCORES").arg("LIMIT").arg(offset).arg(CHUNK);
            let reply: Vec<(String, f64)> = self.redis().query(&cmd, Retry::Once).await?;
            let full = reply.len() == CHUNK;
            let positions: Vec<Position> = reply
                .into_iter()
                .map(|(id, score)| Position { score: score as i64, id })
                .filter(|p| from.is_none_or(|f| f.is_after(p.score, &p.id)))
                .collect();
            // A whole chunk of ids sharing the cursor's millisecond: read further along.
            if positions.is_empty() && full {
                offset += CHUNK;
                continue;
            }
            return Ok((positions, !full));
        }
    }

    /// The records of `ids` in order (`None` for expired ones, whose index entries are dropped).
    async fn records(&self, ids: &[&str]) -> Result<Vec<Option<JobRecord>>> {
        let mut pipe = pipe();
        for id in ids {
            pipe.cmd("HGETALL").arg(self.keys().job(id));
        }
        let replies = self.redis().pipeline(&pipe, Retry::Once).await?;
        let mut records = Vec::with_capacity(ids.len());
        let mut expired = Vec::new();
        for (id, reply) in ids.iter().zip(replies) {
            if let Value::ServerError(e) = &reply {
                return Err(from_server(e));
            }
            let record = parse_record(&hash(reply)?)?;
            if record.is_none() {
                expired.push(*id);
            }
            records.push(record);
        }
        if !expired.is_empty() {
            let mut cmd = redis::cmd("ZREM");
            cmd.arg(self.keys().jobs()).arg(&expired);
            let _: i64 = self.redis().query(&cmd, Retry::Once).await?;
        }
        Ok(records)
    }
}
