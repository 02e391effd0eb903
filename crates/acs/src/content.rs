//! Request bodies sent with `Content-Encoding: gzip` or `deflate`, which
//! some CPE use for large Informs (cwmp.md §1). Decoding is bounded: a
//! small compressed body must not become an unbounded one.

use std::io::Read;

use flate2::read::{GzDecoder, ZlibDecoder};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Content-Encoding names something we do not decode (415).
    Unsupported(String),
    /// Decoded, the body is larger than the limit (413).
    TooLarge,
    /// The compressed data is corrupt (400).
    Corrupt,
}

/// The body as the engine needs it: decoded per `encoding` (the
/// Content-Encoding header, if any), at most `limit` bytes.
pub(crate) fn decode(
    encoding: Option<&str>,
    body: bytes::Bytes,
    limit: usize,
) -> Result<bytes::Bytes, BodyError> {
    let codings: Vec<String> = encoding
        .unwrap_or_default()
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let mut body = body;
    // Codings are listed in the order they were applied; undo them last
    // first.
    for coding in codings.iter().rev() {
        body = match coding.as_str() {
            "gzip" | "x-gzip" => inflate(GzDecoder::new(&body[..]), limit)?,
            "deflate" => deflate(&body, limit)?,
            other => return Err(BodyError::Unsupported(other.chars().take(40).collect())),
        };
    }
    Ok(body)
}

/// `deflate` is zlib-wrapped per RFC 9110, but some stacks send a raw
/// deflate stream; the zlib header tells them apart.
fn deflate(body: &[u8], limit: usize) -> Result<bytes::Bytes, BodyError> {
    let zlib = match body {
        [cmf, flg, ..] => cmf & 0x0f == 8 && u16::from_be_bytes([*cmf, *flg]) % 31 == 0,
        _ => false,
    };
    if zlib {
        inflate(ZlibDecoder::new(body), limit)
    } else {
        inflate(flate2::read::DeflateDecoder::new(body), limit)
    }
}

fn inflate(decoder: impl Read, limit: usize) -> Result<bytes::Bytes, BodyError> {
    let mut out = Vec::new();
    // One byte past the limit tells "exactly at the limit" from "over".
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    decoder
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| BodyError::Corrupt)?;
    if out.len() > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
    use flate2::Compression;

    use super::*;

    const TEXT: &[u8] = b"<soap-env:Envelope>an Inform</soap-env:Envelope>";

    fn gz(data: &[u8]) -> bytes::Bytes {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap().into()
    }

    #[test]
    fn gzip_zlib_and_raw_deflate_decode() {
        assert_eq!(decode(Some("gzip"), gz(TEXT), 1024).unwrap(), TEXT);
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(TEXT).unwrap();
        let z = z.finish().unwrap();
        assert_eq!(decode(Some("Deflate"), z.into(), 1024).unwrap(), TEXT);
        let mut raw = DeflateEncoder::new(Vec::new(), Compression::default());
        raw.write_all(TEXT).unwrap();
        let raw = raw.finish().unwrap();
        assert_eq!(decode(Some("deflate"), raw.into(), 1024).unwrap(), TEXT);
    }

    #[test]
    fn identity_and_no_encoding_pass_through() {
        let b = bytes::Bytes::from_static(TEXT);
        assert_eq!(decode(None, b.clone(), 10).unwrap(), TEXT);
        assert_eq!(decode(Some("identity"), b, 1024).unwrap(), TEXT);
    }

    #[test]
    fn stacked_codings_are_undone_in_reverse() {
        let twice = gz(&gz(TEXT));
        assert_eq!(decode(Some("gzip, gzip"), twice, 1024).unwrap(), TEXT);
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let bomb = gz(&vec![b'a'; 10 * 1024 * 1024]);
        assert!(bomb.len() < 20 * 1024);
        assert_eq!(
            decode(Some("gzip"), bomb, 1024 * 1024),
            Err(BodyError::TooLarge)
        );
        assert_eq!(
            decode(Some("gzip"), gz(&[b'a'; 100]), 100).unwrap().len(),
            100
        );
    }

    #[test]
    fn corrupt_and_unknown_codings_are_errors() {
        assert_eq!(
            decode(Some("gzip"), bytes::Bytes::from_static(b"not gzip"), 1024),
            Err(BodyError::Corrupt)
        );
        assert_eq!(
            decode(Some("br"), bytes::Bytes::from_static(TEXT), 1024),
            Err(BodyError::Unsupported("br".into()))
        );
    }
}
