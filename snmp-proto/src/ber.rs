//! The BER layer: tags, definite lengths, INTEGER / OCTET STRING / OBJECT IDENTIFIER contents.
//!
//! [`Reader`] walks a `&'a [u8]` without copying: every TLV it returns is a slice of the input, so
//! octet strings, community and USM fields borrow from the datagram. It accepts only the strict
//! subset of BER that SNMP peers actually send (DER-like): single-byte tags, definite and minimal
//! lengths of at most 4 length octets, minimal INTEGERs, minimal OID arcs. Nothing is allocated
//! from a length field before the bytes it announces are known to be present, and every error
//! names the byte offset (within the whole datagram, see [`Reader::with_base`]) where it occurred.
//!
//! The writer half is a set of free functions appending to a caller-owned `Vec<u8>`, plus
//! `*_len` functions computing encoded sizes, so the encoder can write lengths before contents
//! (forward, in one pass, no temporary buffers).

use crate::message::Oid;

/// Universal and SNMP application / context tags, as the single byte found on the wire.
pub mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const OCTET_STRING: u8 = 0x04;
    pub const NULL: u8 = 0x05;
    pub const OBJECT_IDENTIFIER: u8 = 0x06;
    pub const SEQUENCE: u8 = 0x30;
    pub const IP_ADDRESS: u8 = 0x40;
    pub const COUNTER32: u8 = 0x41;
    pub const GAUGE32: u8 = 0x42;
    pub const TIME_TICKS: u8 = 0x43;
    pub const OPAQUE: u8 = 0x44;
    pub const COUNTER64: u8 = 0x46;
    pub const NO_SUCH_OBJECT: u8 = 0x80;
    pub const NO_SUCH_INSTANCE: u8 = 0x81;
    pub const END_OF_MIB_VIEW: u8 = 0x82;
}

/// The most length octets accepted after a long-form length byte (4 → lengths below 4 GiB).
pub const MAX_LENGTH_OCTETS: usize = 4;

/// Why a datagram (or a decrypted ScopedPDU) could not be decoded. Offsets are byte indexes
/// into the buffer given to the decoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("truncated: the data ends at byte {offset} inside a tag, length or value")]
    Truncated { offset: usize },
    #[error(
        "length of the element at byte {offset} is {length} bytes but only {available} remain"
    )]
    LengthOverrun {
        offset: usize,
        length: usize,
        available: usize,
    },
    #[error("indefinite length at byte {offset}: only definite lengths are allowed")]
    IndefiniteLength { offset: usize },
    #[error("length field at byte {offset} is longer than 4 octets (or uses the reserved 0xFF)")]
    BadLength { offset: usize },
    #[error("non-minimal encoding at byte {offset}")]
    NonMinimal { offset: usize },
    #[error("unexpected tag 0x{found:02X} at byte {offset}: expected {expected}")]
    UnexpectedTag {
        offset: usize,
        expected: &'static str,
        found: u8,
    },
    #[error("zero-length INTEGER at byte {offset}")]
    EmptyInteger { offset: usize },
    #[error("INTEGER at byte {offset} does not fit {ty}")]
    IntegerOverflow { offset: usize, ty: &'static str },
    #[error("{field} at byte {offset} is {value}, outside its allowed range")]
    OutOfRange {
        offset: usize,
        field: &'static str,
        value: i64,
    },
    #[error("{what} at byte {offset} has {length} content bytes, expected {expected}")]
    WrongLength {
        offset: usize,
        what: &'static str,
        length: usize,
        expected: usize,
    },
    #[error("empty OBJECT IDENTIFIER at byte {offset}")]
    EmptyOid { offset: usize },
    #[error(
        "OBJECT IDENTIFIER at byte {offset} has more than {} arcs",
        Oid::MAX_ARCS
    )]
    TooManyArcs { offset: usize },
    #[error("OBJECT IDENTIFIER arc at byte {offset} exceeds 4294967295")]
    ArcOverflow { offset: usize },
    #[error("more than {max} varbinds: the one at byte {offset} is one too many")]
    TooManyVarbinds { offset: usize, max: usize },
    #[error("unsupported SNMP version {0} (only 0 = v1, 1 = v2c and 3 = v3 are known)")]
    UnsupportedVersion(i64),
    #[error("{count} unexpected trailing bytes at byte {offset}")]
    TrailingBytes { offset: usize, count: usize },
}

impl DecodeError {
    /// The byte offset the error refers to, when it has one.
    pub fn offset(&self) -> Option<usize> {
        use DecodeError::*;
        match *self {
            Truncated { offset }
            | LengthOverrun { offset, .. }
            | IndefiniteLength { offset }
            | BadLength { offset }
            | NonMinimal { offset }
            | UnexpectedTag { offset, .. }
            | EmptyInteger { offset }
            | IntegerOverflow { offset, .. }
            | OutOfRange { offset, .. }
            | WrongLength { offset, .. }
            | EmptyOid { offset }
            | TooManyArcs { offset }
            | ArcOverflow { offset }
            | TooManyVarbinds { offset, .. }
            | TrailingBytes { offset, .. } => Some(offset),
            UnsupportedVersion(_) => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, DecodeError>;

/// One element: its tag byte and its contents, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    /// Absolute offset of the tag byte.
    pub offset: usize,
    /// Absolute offset of the first contents byte.
    pub contents_offset: usize,
    pub contents: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// A reader over the contents of a constructed element, keeping absolute offsets.
    pub fn reader(&self) -> Reader<'a> {
        Reader::with_base(self.contents, self.contents_offset)
    }

    /// Fails unless the contents are exactly `expected` bytes long.
    pub fn expect_len(&self, what: &'static str, expected: usize) -> Result<()> {
        if self.contents.len() == expected {
            Ok(())
        } else {
            Err(DecodeError::WrongLength {
                offset: self.offset,
                what,
                length: self.contents.len(),
                expected,
            })
        }
    }
}

/// A forward cursor over BER elements in a byte slice.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_base(buf, 0)
    }

    /// A reader whose reported offsets start at `base` (the slice's position in the datagram).
    pub fn with_base(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    /// Absolute offset of the next unread byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The unread bytes.
    pub fn remaining(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// The next tag byte, without consuming it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Fails with [`DecodeError::TrailingBytes`] unless everything was read.
    pub fn finish(&self) -> Result<()> {
        let count = self.remaining().len();
        if count == 0 {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes {
                offset: self.offset(),
                count,
            })
        }
    }

    fn byte(&mut self) -> Result<u8> {
        let b = self
            .buf
            .get(self.pos)
            .copied()
            .ok_or(DecodeError::Truncated {
                offset: self.offset(),
            })?;
        self.pos += 1;
        Ok(b)
    }

    fn read_length(&mut self) -> Result<usize> {
        let at = self.offset();
        let first = self.byte()?;
        if first < 0x80 {
            return Ok(usize::from(first));
        }
        if first == 0x80 {
            return Err(DecodeError::IndefiniteLength { offset: at });
        }
        let count = usize::from(first & 0x7F);
        if count > MAX_LENGTH_OCTETS {
            return Err(DecodeError::BadLength { offset: at });
        }
        let mut length: u32 = 0;
        for i in 0..count {
            let b = self.byte()?;
            if i == 0 && b == 0 {
                return Err(DecodeError::NonMinimal { offset: at });
            }
            length = (length << 8) | u32::from(b);
        }
        if length < 0x80 {
            return Err(DecodeError::NonMinimal { offset: at });
        }
        usize::try_from(length).map_err(|_| DecodeError::BadLength { offset: at })
    }

    /// Reads one element of any tag.
    pub fn read_tlv(&mut self) -> Result<Tlv<'a>> {
        let offset = self.offset();
        let start = self.pos;
        let tag = self.byte()?;
        let length = match self.read_length() {
            Ok(length) => length,
            Err(e) => {
                self.pos = start;
                return Err(e);
            }
        };
        let available = self.buf.len().saturating_sub(self.pos);
        let contents = match self.buf.get(self.pos..).and_then(|rest| rest.get(..length)) {
            Some(contents) => contents,
            None => {
                self.pos = start;
                return Err(DecodeError::LengthOverrun {
                    offset,
                    length,
                    available,
                });
            }
        };
        let contents_offset = self.offset();
        self.pos += length;
        Ok(Tlv {
            tag,
            offset,
            contents_offset,
            contents,
        })
    }

    /// Reads one element, failing before touching its length if the tag is not `expected_tag`.
    pub fn read_expected(&mut self, expected_tag: u8, expected: &'static str) -> Result<Tlv<'a>> {
        let offset = self.offset();
        match self.peek_tag() {
            None => Err(DecodeError::Truncated { offset }),
            Some(found) if found != expected_tag => Err(DecodeError::UnexpectedTag {
                offset,
                expected,
                found,
            }),
            Some(_) => self.read_tlv(),
        }
    }

    /// Reads a SEQUENCE and returns a reader over its contents.
    pub fn read_sequence(&mut self, expected: &'static str) -> Result<Reader<'a>> {
        Ok(self.read_expected(tag::SEQUENCE, expected)?.reader())
    }

    /// Reads an INTEGER that must fit an `i32`.
    pub fn read_i32(&mut self, expected: &'static str) -> Result<i32> {
        let tlv = self.read_expected(tag::INTEGER, expected)?;
        decode_i32(&tlv)
    }

    /// Reads an INTEGER that must lie in `range` (`expected` names the field in the error).
    pub fn read_i32_in(
        &mut self,
        expected: &'static str,
        range: std::ops::RangeInclusive<i32>,
    ) -> Result<i32> {
        let offset = self.offset();
        let value = self.read_i32(expected)?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(DecodeError::OutOfRange {
                offset,
                field: expected,
                value: i64::from(value),
            })
        }
    }

    /// Reads an OCTET STRING's contents.
    pub fn read_octet_string(&mut self, expected: &'static str) -> Result<&'a [u8]> {
        Ok(self.read_expected(tag::OCTET_STRING, expected)?.contents)
    }

    /// Reads an OBJECT IDENTIFIER.
    pub fn read_oid(&mut self, expected: &'static str) -> Result<Oid> {
        let tlv = self.read_expected(tag::OBJECT_IDENTIFIER, expected)?;
        decode_oid(tlv.contents, tlv.offset)
    }
}

fn check_minimal_integer(contents: &[u8], offset: usize) -> Result<()> {
    match contents {
        [] => Err(DecodeError::EmptyInteger { offset }),
        [0x00, next, ..] if *next < 0x80 => Err(DecodeError::NonMinimal { offset }),
        [0xFF, next, ..] if *next >= 0x80 => Err(DecodeError::NonMinimal { offset }),
        _ => Ok(()),
    }
}

/// Decodes a signed (two's complement) INTEGER of at most `max_octets` (≤ 8) contents octets.
/// `offset` is the element's offset, for errors.
pub fn decode_signed(
    contents: &[u8],
    offset: usize,
    max_octets: usize,
    ty: &'static str,
) -> Result<i64> {
    check_minimal_integer(contents, offset)?;
    if contents.len() > max_octets.min(8) {
        return Err(DecodeError::IntegerOverflow { offset, ty });
    }
    let negative = contents.first().is_some_and(|b| b & 0x80 != 0);
    let mut value: i64 = if negative { -1 } else { 0 };
    for &b in contents {
        value = (value << 8) | i64::from(b);
    }
    Ok(value)
}

/// Decodes an INTEGER element that must fit an `i32`.
pub fn decode_i32(tlv: &Tlv<'_>) -> Result<i32> {
    let value = decode_signed(tlv.contents, tlv.offset, 4, "Integer32")?;
    i32::try_from(value).map_err(|_| DecodeError::IntegerOverflow {
        offset: tlv.offset,
        ty: "Integer32",
    })
}

/// Decodes a non-negative integer (Counter32, Gauge32, TimeTicks, Counter64) no greater than
/// `max`: minimal two's complement, so a leading 0x00 appears exactly when the top bit is set.
pub fn decode_unsigned(contents: &[u8], offset: usize, max: u64, ty: &'static str) -> Result<u64> {
    check_minimal_integer(contents, offset)?;
    let digits = match contents.split_first() {
        Some((&first, _)) if first & 0x80 != 0 => {
            return Err(DecodeError::IntegerOverflow { offset, ty });
        }
        Some((&0, rest)) => rest,
        _ => contents,
    };
    if digits.len() > 8 {
        return Err(DecodeError::IntegerOverflow { offset, ty });
    }
    let value = digits.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
    if value > max {
        return Err(DecodeError::IntegerOverflow { offset, ty });
    }
    Ok(value)
}

/// Decodes the contents of a 32-bit unsigned SMI type.
pub fn decode_u32(tlv: &Tlv<'_>, ty: &'static str) -> Result<u32> {
    let value = decode_unsigned(tlv.contents, tlv.offset, u64::from(u32::MAX), ty)?;
    u32::try_from(value).map_err(|_| DecodeError::IntegerOverflow {
        offset: tlv.offset,
        ty,
    })
}

/// Decodes OBJECT IDENTIFIER contents: at most [`Oid::MAX_ARCS`] arcs, each at most `u32::MAX`,
/// each subidentifier minimal (no leading 0x80 octet). `offset` is the element's offset.
pub fn decode_oid(contents: &[u8], offset: usize) -> Result<Oid> {
    if contents.is_empty() {
        return Err(DecodeError::EmptyOid { offset });
    }
    // Bounded by the bytes actually present, and by the arc limit.
    let mut arcs = Vec::with_capacity((contents.len() + 1).min(Oid::MAX_ARCS));
    let mut value: u64 = 0;
    let mut at_start = true;
    let mut first = true;
    for &b in contents {
        if at_start {
            if b == 0x80 {
                return Err(DecodeError::NonMinimal { offset });
            }
            at_start = false;
        }
        value = (value << 7) | u64::from(b & 0x7F);
        // The first subidentifier packs two arcs (X*40 + Y, Y unbounded when X = 2).
        let limit = if first {
            u64::from(u32::MAX) + 80
        } else {
            u64::from(u32::MAX)
        };
        if value > limit {
            return Err(DecodeError::ArcOverflow { offset });
        }
        if b & 0x80 == 0 {
            if first {
                let (x, y) = match value {
                    0..=39 => (0, value),
                    40..=79 => (1, value - 40),
                    _ => (2, value - 80),
                };
                let y = u32::try_from(y).map_err(|_| DecodeError::ArcOverflow { offset })?;
                arcs.push(x);
                arcs.push(y);
                first = false;
            } else {
                if arcs.len() >= Oid::MAX_ARCS {
                    return Err(DecodeError::TooManyArcs { offset });
                }
                let arc = u32::try_from(value).map_err(|_| DecodeError::ArcOverflow { offset })?;
                arcs.push(arc);
            }
            value = 0;
            at_start = true;
        }
    }
    if !at_start {
        // The last octet still had its continuation bit set.
        return Err(DecodeError::Truncated { offset });
    }
    Ok(Oid(arcs))
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Octets taken by a definite length field for `len` contents bytes (minimal form).
pub fn length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        1 + byte_count(len as u64)
    }
}

/// Total size of an element whose contents are `contents_len` bytes (single-byte tag).
pub fn tlv_len(contents_len: usize) -> usize {
    1 + length_len(contents_len) + contents_len
}

fn byte_count(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits.div_ceil(8).max(1)
}

/// Writes a tag and a minimal definite length.
pub fn write_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let n = byte_count(len as u64);
        out.push(0x80 | n as u8);
        for i in (0..n).rev() {
            out.push(((len as u64) >> (8 * i)) as u8);
        }
    }
}

/// Contents octets of a minimal two's complement INTEGER.
pub fn signed_len(v: i64) -> usize {
    let mut n = 1;
    let mut x = v;
    while !(-128..=127).contains(&x) {
        x >>= 8;
        n += 1;
    }
    n
}

/// Writes a minimal two's complement INTEGER element with the given tag.
pub fn write_signed(out: &mut Vec<u8>, tag: u8, v: i64) {
    let n = signed_len(v);
    write_header(out, tag, n);
    for i in (0..n).rev() {
        out.push((v >> (8 * i)) as u8);
    }
}

/// Contents octets of a non-negative integer: minimal, with a leading 0x00 when the top bit is set.
pub fn unsigned_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits / 8 + 1
}

/// Writes a non-negative integer element (Counter32, Gauge32, TimeTicks, Counter64).
pub fn write_unsigned(out: &mut Vec<u8>, tag: u8, v: u64) {
    let n = unsigned_len(v);
    write_header(out, tag, n);
    for i in (0..n).rev() {
        out.push(v.checked_shr(8 * i as u32).unwrap_or(0) as u8);
    }
}

/// Writes an element whose contents are `bytes` (OCTET STRING, Opaque, IpAddress...).
pub fn write_octets(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    write_header(out, tag, bytes.len());
    out.extend_from_slice(bytes);
}

fn base128_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

fn write_base128(out: &mut Vec<u8>, v: u64) {
    let n = base128_len(v);
    for i in (0..n).rev() {
        let more = if i > 0 { 0x80 } else { 0 };
        out.push(((v >> (7 * i)) & 0x7F) as u8 | more);
    }
}

/// The first subidentifier (X*40 + Y) and the arcs after it, as net-snmp encodes them:
/// an empty OID is written as `0.0`, a one-arc OID `X` as `X.0`.
fn oid_subidentifiers(arcs: &[u32]) -> (u64, &[u32]) {
    match arcs {
        [] => (0, &[]),
        [x] => (u64::from(*x) * 40, &[]),
        [x, y, rest @ ..] => (u64::from(*x) * 40 + u64::from(*y), rest),
    }
}

/// Contents octets of an OBJECT IDENTIFIER.
pub fn oid_len(oid: &Oid) -> usize {
    let (first, rest) = oid_subidentifiers(oid.arcs());
    base128_len(first)
        + rest
            .iter()
            .map(|&a| base128_len(u64::from(a)))
            .sum::<usize>()
}

/// Writes an OBJECT IDENTIFIER element. OIDs that BER cannot represent (a first arc above 2,
/// or a second arc of 40 or more under 0 and 1) are written as net-snmp's arithmetic gives
/// and will not decode to the same arcs.
pub fn write_oid(out: &mut Vec<u8>, oid: &Oid) {
    write_header(out, tag::OBJECT_IDENTIFIER, oid_len(oid));
    let (first, rest) = oid_subidentifiers(oid.arcs());
    write_base128(out, first);
    for &arc in rest {
        write_base128(out, u64::from(arc));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tlv(bytes: &[u8]) -> Result<Tlv<'_>> {
        Reader::new(bytes).read_tlv()
    }

    #[test]
    fn reads_short_and_long_lengths() {
        let t = tlv(&[0x04, 0x02, b'h', b'i']).unwrap();
        assert_eq!(
            (t.tag, t.offset, t.contents_offset, t.contents),
            (0x04, 0, 2, &b"hi"[..])
        );

        let mut long = vec![0x04, 0x81, 0x80];
        long.extend_from_slice(&[7; 0x80]);
        let t = tlv(&long).unwrap();
        assert_eq!(t.contents.len(), 0x80);
        assert_eq!(t.contents_offset, 3);

        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend_from_slice(&[7; 0x100]);
        assert_eq!(tlv(&long).unwrap().contents.len(), 0x100);
    }

    #[test]
    fn rejects_bad_lengths() {
        assert_eq!(
            tlv(&[0x30, 0x80, 0, 0]),
            Err(DecodeError::IndefiniteLength { offset: 1 })
        );
        assert_eq!(
            tlv(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]),
            Err(DecodeError::NonMinimal { offset: 1 })
        );
        assert_eq!(
            tlv(&[0x04, 0x82, 0x00, 0x85]),
            Err(DecodeError::NonMinimal { offset: 1 })
        );
        assert_eq!(
            tlv(&[0x04, 0x85, 1, 0, 0, 0, 0]),
            Err(DecodeError::BadLength { offset: 1 })
        );
        assert_eq!(
            tlv(&[0x04, 0xFF]),
            Err(DecodeError::BadLength { offset: 1 })
        );
        assert_eq!(
            tlv(&[0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0]),
            Err(DecodeError::LengthOverrun {
                offset: 0,
                length: 0x7FFF_FFFF,
                available: 1
            })
        );
        assert_eq!(
            tlv(&[0x04, 0x03, 1]),
            Err(DecodeError::LengthOverrun {
                offset: 0,
                length: 3,
                available: 1
            })
        );
        assert_eq!(tlv(&[0x04]), Err(DecodeError::Truncated { offset: 1 }));
        assert_eq!(
            tlv(&[0x04, 0x82, 0x01]),
            Err(DecodeError::Truncated { offset: 3 })
        );
        assert_eq!(tlv(&[]), Err(DecodeError::Truncated { offset: 0 }));
    }

    #[test]
    fn offsets_are_absolute_with_a_base() {
        let bytes = [0x30, 0x03, 0x02, 0x01, 0x05];
        let outer = Reader::with_base(&bytes, 100).read_tlv().unwrap();
        assert_eq!(outer.offset, 100);
        let mut inner = outer.reader();
        assert_eq!(inner.offset(), 102);
        assert_eq!(inner.read_i32("x").unwrap(), 5);
        assert!(inner.is_empty());
        assert_eq!(inner.finish(), Ok(()));
    }

    #[test]
    fn unexpected_tag_is_reported_before_length() {
        let mut r = Reader::new(&[0x04, 0x80]);
        assert_eq!(
            r.read_expected(tag::SEQUENCE, "SEQUENCE"),
            Err(DecodeError::UnexpectedTag {
                offset: 0,
                expected: "SEQUENCE",
                found: 0x04
            })
        );
    }

    #[test]
    fn signed_integers() {
        let d = |c: &[u8]| decode_signed(c, 0, 4, "Integer32");
        assert_eq!(d(&[0x00]), Ok(0));
        assert_eq!(d(&[0x7F]), Ok(127));
        assert_eq!(d(&[0x00, 0x80]), Ok(128));
        assert_eq!(d(&[0xFF]), Ok(-1));
        assert_eq!(d(&[0x80]), Ok(-128));
        assert_eq!(d(&[0xFF, 0x7F]), Ok(-129));
        assert_eq!(d(&[0x80, 0, 0, 0]), Ok(i64::from(i32::MIN)));
        assert_eq!(d(&[0x7F, 0xFF, 0xFF, 0xFF]), Ok(i64::from(i32::MAX)));
        assert_eq!(d(&[]), Err(DecodeError::EmptyInteger { offset: 0 }));
        assert_eq!(d(&[0x00, 0x7F]), Err(DecodeError::NonMinimal { offset: 0 }));
        assert_eq!(d(&[0xFF, 0x80]), Err(DecodeError::NonMinimal { offset: 0 }));
        assert_eq!(
            d(&[0x00, 0x80, 0, 0, 0]),
            Err(DecodeError::IntegerOverflow {
                offset: 0,
                ty: "Integer32"
            })
        );
    }

    #[test]
    fn unsigned_integers() {
        let d = |c: &[u8]| decode_unsigned(c, 0, u64::from(u32::MAX), "Counter32");
        assert_eq!(d(&[0x00]), Ok(0));
        assert_eq!(d(&[0x00, 0x80]), Ok(128));
        assert_eq!(d(&[0x00, 0xFF, 0xFF, 0xFF, 0xFF]), Ok(u64::from(u32::MAX)));
        assert!(matches!(
            d(&[0x01, 0x00, 0x00, 0x00, 0x00]),
            Err(DecodeError::IntegerOverflow { .. })
        ));
        assert!(matches!(
            d(&[0xFF]),
            Err(DecodeError::IntegerOverflow { .. })
        ));
        assert!(matches!(
            d(&[0x80]),
            Err(DecodeError::IntegerOverflow { .. })
        ));
        assert!(matches!(
            d(&[0x00, 0x01]),
            Err(DecodeError::NonMinimal { .. })
        ));
        let d64 = |c: &[u8]| decode_unsigned(c, 0, u64::MAX, "Counter64");
        assert_eq!(
            d64(&[0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            Ok(u64::MAX)
        );
        assert!(matches!(
            d64(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(DecodeError::IntegerOverflow { .. })
        ));
        assert!(matches!(
            d64(&[0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(DecodeError::IntegerOverflow { .. })
        ));
    }

    #[test]
    fn integer_writer_is_minimal() {
        let enc = |v: i64| {
            let mut out = Vec::new();
            write_signed(&mut out, tag::INTEGER, v);
            out
        };
        assert_eq!(enc(0), [2, 1, 0]);
        assert_eq!(enc(127), [2, 1, 0x7F]);
        assert_eq!(enc(128), [2, 2, 0, 0x80]);
        assert_eq!(enc(-128), [2, 1, 0x80]);
        assert_eq!(enc(-129), [2, 2, 0xFF, 0x7F]);
        assert_eq!(enc(i64::from(i32::MIN)), [2, 4, 0x80, 0, 0, 0]);
        let uenc = |v: u64| {
            let mut out = Vec::new();
            write_unsigned(&mut out, tag::COUNTER64, v);
            out
        };
        assert_eq!(uenc(0), [0x46, 1, 0]);
        assert_eq!(uenc(0x80), [0x46, 2, 0, 0x80]);
        assert_eq!(
            uenc(u64::MAX),
            [0x46, 9, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        for v in [
            0i64,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            32767,
            32768,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        ] {
            let e = enc(v);
            assert_eq!(e.len(), 2 + signed_len(v));
            assert_eq!(decode_signed(&e[2..], 0, 8, "t"), Ok(v));
        }
    }

    #[test]
    fn header_lengths() {
        for len in [
            0usize, 1, 127, 128, 255, 256, 65535, 65536, 0xFF_FFFF, 0x100_0000,
        ] {
            let mut out = Vec::new();
            write_header(&mut out, 0x04, len);
            assert_eq!(out.len(), 1 + length_len(len), "len {len}");
            let mut r = Reader::new(&out);
            r.pos = 1;
            assert_eq!(r.read_length(), Ok(len));
        }
    }

    #[test]
    fn oids() {
        let enc = |arcs: &[u32]| {
            let mut out = Vec::new();
            write_oid(&mut out, &Oid::new(arcs));
            out
        };
        assert_eq!(
            enc(&[1, 3, 6, 1, 2, 1, 1, 1, 0]),
            hex_bytes("06082b06010201010100")
        );
        assert_eq!(enc(&[2, 999, 3]), [6, 3, 0x88, 0x37, 3]);
        assert_eq!(
            enc(&[1, 3, 6, 1, u32::MAX, 2]),
            hex_bytes("06092b06018fffffff7f02")
        );
        assert_eq!(enc(&[]), [6, 1, 0]);
        for arcs in [
            &[0u32, 0][..],
            &[0, 39],
            &[1, 39, 1],
            &[2, 999, 3],
            &[2, u32::MAX],
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2, 1, 3, 1],
            &[1, 3, u32::MAX, 0x80, 0x3FFF, 0x4000],
        ] {
            let e = enc(arcs);
            assert_eq!(e.len(), 2 + oid_len(&Oid::new(arcs)));
            assert_eq!(decode_oid(&e[2..], 0), Ok(Oid::new(arcs)), "{arcs:?}");
        }
    }

    #[test]
    fn rejects_bad_oids() {
        assert_eq!(decode_oid(&[], 3), Err(DecodeError::EmptyOid { offset: 3 }));
        assert_eq!(
            decode_oid(&[0x2B, 0x80, 0x01], 0),
            Err(DecodeError::NonMinimal { offset: 0 })
        );
        assert_eq!(
            decode_oid(&[0x80, 0x2B], 0),
            Err(DecodeError::NonMinimal { offset: 0 })
        );
        assert_eq!(
            decode_oid(&[0x2B, 0x86], 0),
            Err(DecodeError::Truncated { offset: 0 })
        );
        // 2^32 as an arc.
        assert_eq!(
            decode_oid(&[0x2B, 0x90, 0x80, 0x80, 0x80, 0x00], 0),
            Err(DecodeError::ArcOverflow { offset: 0 })
        );
        // A long run of continuation octets cannot overflow the accumulator.
        let mut long = vec![0x2B];
        long.extend_from_slice(&[0xFF; 50]);
        long.push(0x01);
        assert_eq!(
            decode_oid(&long, 0),
            Err(DecodeError::ArcOverflow { offset: 0 })
        );
        // First subidentifier 2.(2^32) overflows.
        let mut e = Vec::new();
        write_base128(&mut e, u64::from(u32::MAX) + 81);
        assert_eq!(
            decode_oid(&e, 0),
            Err(DecodeError::ArcOverflow { offset: 0 })
        );
        // 128 arcs pass, 129 fail.
        let mut ok = vec![0x2B];
        ok.extend_from_slice(&[1; 126]);
        assert_eq!(decode_oid(&ok, 0).unwrap().arcs().len(), 128);
        ok.push(1);
        assert_eq!(
            decode_oid(&ok, 0),
            Err(DecodeError::TooManyArcs { offset: 0 })
        );
    }

    fn hex_bytes(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
