//! Opaque pagination cursors: the last key of a page, base64url-encoded. Both backends use the
//! same encoding so a client never learns which backend served it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{GeoDbError, Result};

const SEPARATOR: char = '\u{0}';

/// Encodes the key parts of the last item returned.
pub fn encode(parts: &[&str]) -> String {
    URL_SAFE_NO_PAD.encode(parts.join(&SEPARATOR.to_string()))
}

/// Decodes a cursor into exactly `n` key parts.
pub fn decode(cursor: &str, n: usize) -> Result<Vec<String>> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| GeoDbError::InvalidCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| GeoDbError::InvalidCursor)?;
    let parts: Vec<String> = text.split(SEPARATOR).map(str::to_owned).collect();
    if parts.len() == n { Ok(parts) } else { Err(GeoDbError::InvalidCursor) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let c = encode(&["default-1", "user@example.com"]);
        assert_eq!(decode(&c, 2).unwrap(), vec!["default-1", "user@example.com"]);
        assert!(matches!(decode(&c, 1), Err(GeoDbError::InvalidCursor)));
        assert!(matches!(decode("!!!", 1), Err(GeoDbError::InvalidCursor)));
        assert_eq!(decode(&encode(&["", "u"]), 2).unwrap(), vec!["", "u"]);
    }
}
