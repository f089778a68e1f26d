//! The envelope every cached value is stored in: when it was fetched, when it expires, the HTTP
//! validators (ETag, Last-Modified) and the caller's schema version, around the caller's payload.
//!
//! Encoding (all integers little-endian), chosen over serde_json because payloads are already JSON
//! bytes: embedding them in JSON would mean escaping every quote and parsing the whole value twice,
//! while this header is 22 bytes and decoding it is a few bounds checks (see `benches/cache.rs`):
//!
//! ```text
//! offset  size  field
//! 0       1     envelope format (currently 1)
//! 1       4     schema_version, u32
//! 5       8     fetched_at, i64 milliseconds since the Unix epoch
//! 13      8     expires_at, i64 milliseconds since the Unix epoch
//! 21      1     flags: bit 0 = ETag present, bit 1 = Last-Modified present
//! 22      4+n   ETag (u32 length, then UTF-8 bytes), only when flagged
//! ..      4+n   Last-Modified (u32 length, then UTF-8 bytes), only when flagged
//! ..      rest  payload, as given by the caller
//! ```

use crate::Timestamp;

/// The envelope format written by this version; a value with another first byte is unreadable.
const ENVELOPE_FORMAT: u8 = 1;
const HEADER_LENGTH: usize = 22;
const FLAG_ETAG: u8 = 0b01;
const FLAG_LAST_MODIFIED: u8 = 0b10;

/// A decoded envelope; `payload` borrows from the stored bytes so a caller that only needs the
/// timestamps (stats, pruning) never copies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Envelope<'bytes> {
    pub(crate) schema_version: u32,
    pub(crate) fetched_at: Timestamp,
    pub(crate) expires_at: Timestamp,
    pub(crate) etag: Option<&'bytes str>,
    pub(crate) last_modified: Option<&'bytes str>,
    pub(crate) payload: &'bytes [u8],
}

/// Why stored bytes are not an envelope this version can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DecodeError {
    Truncated,
    UnknownFormat(u8),
    InvalidText,
}

impl<'bytes> Envelope<'bytes> {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let text_length = self.etag.map_or(0, |text| 4 + text.len())
            + self.last_modified.map_or(0, |text| 4 + text.len());
        let mut bytes = Vec::with_capacity(HEADER_LENGTH + text_length + self.payload.len());
        bytes.push(ENVELOPE_FORMAT);
        bytes.extend_from_slice(&self.schema_version.to_le_bytes());
        bytes.extend_from_slice(&self.fetched_at.unix_millis().to_le_bytes());
        bytes.extend_from_slice(&self.expires_at.unix_millis().to_le_bytes());
        let mut flags = 0;
        if self.etag.is_some() {
            flags |= FLAG_ETAG;
        }
        if self.last_modified.is_some() {
            flags |= FLAG_LAST_MODIFIED;
        }
        bytes.push(flags);
        for text in [self.etag, self.last_modified].into_iter().flatten() {
            // NOTE: validators are HTTP header values, far below 4 GiB; saturating keeps this total
            // instead of panicking, and such a value would simply fail to decode later.
            let length = u32::try_from(text.len()).unwrap_or(u32::MAX);
            bytes.extend_from_slice(&length.to_le_bytes());
            bytes.extend_from_slice(text.as_bytes());
        }
        bytes.extend_from_slice(self.payload);
        bytes
    }

    pub(crate) fn decode(bytes: &'bytes [u8]) -> Result<Self, DecodeError> {
        let header = bytes.get(..HEADER_LENGTH).ok_or(DecodeError::Truncated)?;
        if header[0] != ENVELOPE_FORMAT {
            return Err(DecodeError::UnknownFormat(header[0]));
        }
        let schema_version = u32::from_le_bytes(array(&header[1..5])?);
        let fetched_at = Timestamp::from_unix_millis(i64::from_le_bytes(array(&header[5..13])?));
        let expires_at = Timestamp::from_unix_millis(i64::from_le_bytes(array(&header[13..21])?));
        let flags = header[21];
        let mut rest = &bytes[HEADER_LENGTH..];
        let etag = if flags & FLAG_ETAG != 0 {
            Some(take_text(&mut rest)?)
        } else {
            None
        };
        let last_modified = if flags & FLAG_LAST_MODIFIED != 0 {
            Some(take_text(&mut rest)?)
        } else {
            None
        };
        Ok(Self {
            schema_version,
            fetched_at,
            expires_at,
            etag,
            last_modified,
            payload: rest,
        })
    }
}

fn array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], DecodeError> {
    bytes.try_into().map_err(|_| DecodeError::Truncated)
}

/// Splits one length-prefixed UTF-8 string off the front of `rest`.
fn take_text<'bytes>(rest: &mut &'bytes [u8]) -> Result<&'bytes str, DecodeError> {
    let length_bytes = rest.get(..4).ok_or(DecodeError::Truncated)?;
    let length = usize::try_from(u32::from_le_bytes(array(length_bytes)?))
        .map_err(|_| DecodeError::Truncated)?;
    let text = rest.get(4..4 + length).ok_or(DecodeError::Truncated)?;
    let text = std::str::from_utf8(text).map_err(|_| DecodeError::InvalidText)?;
    *rest = &rest[4 + length..];
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(etag: Option<&'a str>, last_modified: Option<&'a str>) -> Envelope<'a> {
        Envelope {
            schema_version: 7,
            fetched_at: Timestamp::from_unix_millis(1_700_000_000_123),
            expires_at: Timestamp::from_unix_millis(-5),
            etag,
            last_modified,
            payload: br#"{"id":"PYSEC-1"}"#,
        }
    }

    #[test]
    fn round_trips_with_and_without_validators() {
        for (etag, last_modified) in [
            (None, None),
            (Some("\"abc\""), None),
            (None, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            (Some(""), Some("")),
        ] {
            let envelope = sample(etag, last_modified);
            let bytes = envelope.encode();
            assert_eq!(Envelope::decode(&bytes), Ok(envelope));
        }
    }

    #[test]
    fn empty_payload_round_trips() {
        let mut envelope = sample(Some("e"), None);
        envelope.payload = b"";
        let bytes = envelope.encode();
        assert_eq!(Envelope::decode(&bytes), Ok(envelope));
    }

    #[test]
    fn every_truncation_is_an_error_or_a_shorter_payload() {
        let envelope = sample(Some("etag"), Some("date"));
        let bytes = envelope.encode();
        let payload_start = bytes.len() - envelope.payload.len();
        for cut in 0..payload_start {
            assert!(Envelope::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn unknown_format_and_bad_text_are_rejected() {
        let mut bytes = sample(Some("etag"), None).encode();
        bytes[22 + 4] = 0xff;
        assert_eq!(Envelope::decode(&bytes), Err(DecodeError::InvalidText));
        bytes[0] = 9;
        assert_eq!(Envelope::decode(&bytes), Err(DecodeError::UnknownFormat(9)));
    }
}
