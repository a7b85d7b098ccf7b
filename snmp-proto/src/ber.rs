//! The BER layer: tags, definite lengths, INTEGER / OCTET STRING / OBJECT IDENTIFIER contents.
//!
//! [`Reader`] walks a `&'a [u8]` without copying: every TLV it returns is a slice of the input, so
//! octet strings, community and USM fields borrow from the datagram. It accepts the BER of
//! RFC 3417 §8: single-byte tags; definite lengths only, where the long form may use more length
//! octets than needed (`81 26` for 38, as puresnmp writes every length of 127, `82 00 26`), up to
//! [`MAX_LENGTH_OCTETS`] of them, for a value below 4 GiB; INTEGERs with redundant leading
//! 0x00 / 0xFF octets (X.690 §8.3.2 asks senders not to write them) and OID subidentifiers with
//! leading 0x80 octets (X.690 §8.19.2 likewise), both of which still have exactly one value,
//! as net-snmp's agent reads them. Values out of their type's range, empty INTEGERs, truncated
//! elements and indefinite lengths stay errors. What this crate writes is always minimal.
//! Nothing is allocated from a length field before the bytes it announces are known
//! to be present, and every error names the byte offset (within the whole datagram, see
//! [`Reader::with_base`]) where it occurred.
//!
//! The writer half is a set of free functions appending to a caller-owned `Vec<u8>`, plus
//! `*_len` functions computing encoded sizes, so the encoder can write lengths before contents
//! (forward, in one pass, no temporary buffers).

use crate::message::Oid;

/// Universal and SNMP application / context tags, as the single byte found on the wire.
///
/// The application types are those of RFC 2578 §7.1 (SNMPv2-SMI), the exceptions those of
/// RFC 3416 §3. PDU tags (0xA0..=0xA8) are in [`crate::message::PduType::tag`].
pub mod tag {
    /// `UNIVERSAL 2`, INTEGER (and Integer32, RFC 2578 §7.1.1).
    pub const INTEGER: u8 = 0x02;
    /// `UNIVERSAL 3`, BIT STRING: no SNMPv2 type, read into [`crate::message::Value::Other`].
    pub const BIT_STRING: u8 = 0x03;
    /// `UNIVERSAL 4`, OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// `UNIVERSAL 5`, NULL: the value of every varbind in a Get request.
    pub const NULL: u8 = 0x05;
    /// `UNIVERSAL 6`, OBJECT IDENTIFIER.
    pub const OBJECT_IDENTIFIER: u8 = 0x06;
    /// `UNIVERSAL 16`, SEQUENCE (constructed).
    pub const SEQUENCE: u8 = 0x30;
    /// `[APPLICATION 0]` IpAddress: 4 octets, network byte order (RFC 2578 §7.1.5).
    pub const IP_ADDRESS: u8 = 0x40;
    /// `[APPLICATION 1]` Counter32 (RFC 2578 §7.1.6).
    pub const COUNTER32: u8 = 0x41;
    /// `[APPLICATION 2]` Gauge32, also Unsigned32 (RFC 2578 §7.1.7).
    pub const GAUGE32: u8 = 0x42;
    /// `[APPLICATION 3]` TimeTicks: hundredths of a second (RFC 2578 §7.1.8).
    pub const TIME_TICKS: u8 = 0x43;
    /// `[APPLICATION 4]` Opaque: arbitrary BER wrapped in an OCTET STRING (RFC 2578 §7.1.9).
    pub const OPAQUE: u8 = 0x44;
    /// `[APPLICATION 5]` NsapAddress of the first SNMPv2 SMI (RFC 1442), gone from RFC 2578:
    /// read into
    /// [`crate::message::Value::Other`].
    pub const NSAP_ADDRESS: u8 = 0x45;
    /// `[APPLICATION 7]` UInteger32 of the first SNMPv2 SMI (RFC 1442), gone from RFC 2578:
    /// read into [`crate::message::Value::Other`].
    pub const UINTEGER32: u8 = 0x47;
    /// `[APPLICATION 6]` Counter64 (RFC 2578 §7.1.10).
    pub const COUNTER64: u8 = 0x46;
    /// `[0] IMPLICIT NULL`, the noSuchObject exception (RFC 3416 §3).
    pub const NO_SUCH_OBJECT: u8 = 0x80;
    /// `[1] IMPLICIT NULL`, the noSuchInstance exception (RFC 3416 §3).
    pub const NO_SUCH_INSTANCE: u8 = 0x81;
    /// `[2] IMPLICIT NULL`, the endOfMibView exception (RFC 3416 §3).
    pub const END_OF_MIB_VIEW: u8 = 0x82;
}

/// The most length octets accepted after a long-form length byte. RFC 3417 §8 lets a sender use
/// more octets than the value needs (leading zeros); net-snmp's agent accepts up to the size of
/// a C `long`, and so does this reader, for values that fit 32 bits.
pub const MAX_LENGTH_OCTETS: usize = 8;

/// Why a datagram (or a decrypted ScopedPDU) could not be decoded. Offsets are byte indexes
/// into the buffer given to the decoder (absolute, see [`Reader::with_base`]).
///
/// Decoding is syntax only: the caller decides what to count. A malformed datagram is
/// snmpInASNParseErrs (RFC 3418; RFC 3412 §7.2 step 2), an unknown version snmpInBadVersions.
/// None of these is ever a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ends inside a tag, a length field or an OID subidentifier.
    #[error("truncated: the data ends at byte {offset} inside a tag, length or value")]
    Truncated {
        /// Where the missing byte should have been (for an OID, the element's tag byte).
        offset: usize,
    },
    /// A length field announces more contents bytes than the input holds.
    #[error(
        "length of the element at byte {offset} is {length} bytes but only {available} remain"
    )]
    LengthOverrun {
        /// The element's tag byte.
        offset: usize,
        /// The length announced, in bytes.
        length: usize,
        /// The bytes actually left after the length field.
        available: usize,
    },
    /// The indefinite length form (0x80), which RFC 3417 §8 forbids.
    #[error("indefinite length at byte {offset}: only definite lengths are allowed")]
    IndefiniteLength {
        /// The length field's first byte.
        offset: usize,
    },
    /// A long-form length with more than [`MAX_LENGTH_OCTETS`] octets (including the reserved
    /// 0xFF), or a value of 4 GiB or more.
    #[error("length field at byte {offset} has more than 8 octets, uses the reserved 0xFF, or says 4 GiB or more")]
    BadLength {
        /// The length field's first byte.
        offset: usize,
    },
    /// An element longer than its type allows (msgUserName, RFC 3414 §2.4:
    /// `OCTET STRING (SIZE(0..32))`).
    #[error("{what} at byte {offset} has {length} content bytes, at most {max} are allowed")]
    TooLong {
        /// The element's tag byte.
        offset: usize,
        /// What the element is.
        what: &'static str,
        /// Its contents length, in bytes.
        length: usize,
        /// The most contents bytes its type allows.
        max: usize,
    },
    /// The element has another tag than the one the message structure requires here.
    #[error("unexpected tag 0x{found:02X} at byte {offset}: expected {expected}")]
    UnexpectedTag {
        /// The tag byte.
        offset: usize,
        /// What the structure expects here, for the message.
        expected: &'static str,
        /// The tag byte found.
        found: u8,
    },
    /// An INTEGER (or unsigned SMI type) with no contents octets.
    #[error("zero-length INTEGER at byte {offset}")]
    EmptyInteger {
        /// The element's tag byte.
        offset: usize,
    },
    /// An integer too large (or, for unsigned types, negative) for its type.
    #[error("INTEGER at byte {offset} does not fit {ty}")]
    IntegerOverflow {
        /// The element's tag byte.
        offset: usize,
        /// The type it had to fit (`Integer32`, `Counter64`, ...).
        ty: &'static str,
    },
    /// An integer that fits its type but not the field's range (msgMaxSize below 484, ...).
    #[error("{field} at byte {offset} is {value}, outside its allowed range")]
    OutOfRange {
        /// The element's tag byte.
        offset: usize,
        /// The field's name.
        field: &'static str,
        /// The value decoded.
        value: i64,
    },
    /// A fixed-size element (IpAddress, NULL, msgFlags, ...) with the wrong contents length.
    #[error("{what} at byte {offset} has {length} content bytes, expected {expected}")]
    WrongLength {
        /// The element's tag byte.
        offset: usize,
        /// What the element is.
        what: &'static str,
        /// Its contents length, in bytes.
        length: usize,
        /// The contents length its type requires, in bytes.
        expected: usize,
    },
    /// An OBJECT IDENTIFIER with no contents octets.
    #[error("empty OBJECT IDENTIFIER at byte {offset}")]
    EmptyOid {
        /// The element's tag byte.
        offset: usize,
    },
    /// An OBJECT IDENTIFIER with more than [`Oid::MAX_ARCS`] arcs.
    #[error(
        "OBJECT IDENTIFIER at byte {offset} has more than {} arcs",
        Oid::MAX_ARCS
    )]
    TooManyArcs {
        /// The element's tag byte.
        offset: usize,
    },
    /// An OID arc above 4294967295 (RFC 2578 §7.1.3: arcs are 32-bit unsigned).
    #[error("OBJECT IDENTIFIER arc at byte {offset} exceeds 4294967295")]
    ArcOverflow {
        /// The element's tag byte.
        offset: usize,
    },
    /// A VarBindList with more than [`crate::decode::MAX_VARBINDS`] entries.
    #[error("more than {max} varbinds: the one at byte {offset} is one too many")]
    TooManyVarbinds {
        /// The first varbind past the limit.
        offset: usize,
        /// The limit.
        max: usize,
    },
    /// msgVersion is none of 0 (v1), 1 (v2c) or 3 (v3); the agent counts snmpInBadVersions.
    #[error("unsupported SNMP version {0} (only 0 = v1, 1 = v2c and 3 = v3 are known)")]
    UnsupportedVersion(
        /// The msgVersion value received.
        i64,
    ),
    /// Bytes left over after a complete element that must end its container.
    #[error("{count} unexpected trailing bytes at byte {offset}")]
    TrailingBytes {
        /// The first unexpected byte.
        offset: usize,
        /// How many bytes are left over.
        count: usize,
    },
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
            | TooLong { offset, .. }
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

/// The result of every decoding function in this module.
pub type Result<T> = std::result::Result<T, DecodeError>;

/// One element: its tag byte and its contents, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The (single) tag byte, see [`tag`].
    pub tag: u8,
    /// Absolute offset of the tag byte.
    pub offset: usize,
    /// Absolute offset of the first contents byte.
    pub contents_offset: usize,
    /// The contents octets (after tag and length), borrowed from the input.
    pub contents: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// A reader over the contents of a constructed element, keeping absolute offsets.
    pub fn reader(&self) -> Reader<'a> {
        Reader::with_base(self.contents, self.contents_offset)
    }

    /// Fails with [`DecodeError::WrongLength`] (naming `what`) unless the contents are exactly
    /// `expected` bytes long.
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
///
/// Every read either consumes one whole element or fails and leaves the cursor where it was.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    /// Invariant: `pos <= buf.len()`.
    pos: usize,
    /// Invariant: `base + buf.len() <= usize::MAX`, so `base + pos` never wraps.
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over a whole datagram: offsets are indexes into `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_base(buf, 0)
    }

    /// A reader whose reported offsets start at `base` (the slice's position in the datagram).
    /// A `base` so large that offsets would pass `usize::MAX` is lowered until they do not.
    pub fn with_base(buf: &'a [u8], base: usize) -> Self {
        // usize::MAX - buf.len() cannot wrap.
        let base = base.min(usize::MAX.wrapping_sub(buf.len()));
        Reader { buf, pos: 0, base }
    }

    /// Absolute offset of the next unread byte.
    pub fn offset(&self) -> usize {
        // Cannot wrap: pos <= buf.len() and base + buf.len() <= usize::MAX (see `with_base`).
        self.base.wrapping_add(self.pos)
    }

    /// True when every byte has been read.
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
        let Some(&b) = self.buf.get(self.pos) else {
            return Err(DecodeError::Truncated {
                offset: self.offset(),
            });
        };
        // `pos < buf.len() <= isize::MAX` here: the increment cannot wrap.
        self.pos = self.pos.wrapping_add(1);
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
        // RFC 3417 §8: leading zero octets (more octets than needed) are allowed.
        let mut length: u32 = 0;
        for _ in 0..count {
            let b = self.byte()?;
            if length > 0x00FF_FFFF {
                return Err(DecodeError::BadLength { offset: at });
            }
            length = (length << 8) | u32::from(b);
        }
        usize::try_from(length).map_err(|_| DecodeError::BadLength { offset: at })
    }

    /// Reads one element of any tag (single tag byte, definite length of at most
    /// [`MAX_LENGTH_OCTETS`] octets, minimal or not, contents borrowed).
    ///
    /// Errors: [`DecodeError::Truncated`], [`DecodeError::IndefiniteLength`],
    /// [`DecodeError::BadLength`] and [`DecodeError::LengthOverrun`]. On error the reader does not move.
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
        let within = self
            .pos
            .checked_add(length)
            .and_then(|end| Some((self.buf.get(self.pos..end)?, end)));
        let (contents, end) = match within {
            Some(found) => found,
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
        self.pos = end;
        Ok(Tlv {
            tag,
            offset,
            contents_offset,
            contents,
        })
    }

    /// Reads one element, failing before touching its length if the tag is not `expected_tag`.
    ///
    /// Errors: [`DecodeError::UnexpectedTag`] (naming `expected`), [`DecodeError::Truncated`]
    /// at the end of the input, and those of [`Reader::read_tlv`].
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

    /// Reads a SEQUENCE and returns a reader over its contents. Errors: as
    /// [`Reader::read_expected`].
    pub fn read_sequence(&mut self, expected: &'static str) -> Result<Reader<'a>> {
        Ok(self.read_expected(tag::SEQUENCE, expected)?.reader())
    }

    /// Reads an INTEGER that must fit an `i32`. Errors: as [`Reader::read_expected`], then
    /// [`DecodeError::EmptyInteger`], [`DecodeError::IntegerOverflow`].
    pub fn read_i32(&mut self, expected: &'static str) -> Result<i32> {
        let tlv = self.read_expected(tag::INTEGER, expected)?;
        decode_i32(&tlv)
    }

    /// Reads an INTEGER that must lie in `range` (`expected` names the field in the error).
    /// Errors: as [`Reader::read_i32`], then [`DecodeError::OutOfRange`].
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

    /// Reads an OCTET STRING's contents (borrowed). Errors: as [`Reader::read_expected`].
    pub fn read_octet_string(&mut self, expected: &'static str) -> Result<&'a [u8]> {
        Ok(self.read_expected(tag::OCTET_STRING, expected)?.contents)
    }

    /// Reads an OBJECT IDENTIFIER. Errors: as [`Reader::read_expected`], then those of
    /// [`decode_oid`].
    pub fn read_oid(&mut self, expected: &'static str) -> Result<Oid> {
        let tlv = self.read_expected(tag::OBJECT_IDENTIFIER, expected)?;
        decode_oid(tlv.contents, tlv.offset)
    }
}

/// The contents of an INTEGER without redundant leading octets: a 0x00 before an octet whose
/// top bit is clear, or a 0xFF before one whose top bit is set, repeat the sign bit and change
/// nothing about the value (X.690 §8.3.2 asks a sender not to write them; RFC 3417 §8 and
/// net-snmp's agent do not refuse them from a client, and some encoders write fixed-width
/// 4-byte integers).
///
/// Errors: [`DecodeError::EmptyInteger`] for no contents at all.
fn minimal_integer(contents: &[u8], offset: usize) -> Result<&[u8]> {
    let mut digits = contents;
    while let [first, next, ..] = digits {
        let redundant = (*first == 0x00 && *next < 0x80) || (*first == 0xFF && *next >= 0x80);
        if !redundant {
            break;
        }
        digits = digits.get(1..).unwrap_or_default();
    }
    if digits.is_empty() {
        Err(DecodeError::EmptyInteger { offset })
    } else {
        Ok(digits)
    }
}

/// Decodes a signed (two's complement) INTEGER whose value needs at most `max_octets` (≤ 8)
/// octets. Redundant leading 0x00 / 0xFF octets (a non-minimal encoding) are skipped: they do
/// not change the value. `offset` is the element's offset, for errors.
///
/// Errors: [`DecodeError::EmptyInteger`], [`DecodeError::IntegerOverflow`] (a value that needs
/// more than `max_octets` octets, naming `ty`).
pub fn decode_signed(
    contents: &[u8],
    offset: usize,
    max_octets: usize,
    ty: &'static str,
) -> Result<i64> {
    let contents = minimal_integer(contents, offset)?;
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

/// Decodes an INTEGER element that must fit an `i32` (Integer32, RFC 2578 §7.1.1). Errors: as
/// [`decode_signed`].
pub fn decode_i32(tlv: &Tlv<'_>) -> Result<i32> {
    let value = decode_signed(tlv.contents, tlv.offset, 4, "Integer32")?;
    i32::try_from(value).map_err(|_| DecodeError::IntegerOverflow {
        offset: tlv.offset,
        ty: "Integer32",
    })
}

/// Decodes a non-negative integer (Counter32, Gauge32, TimeTicks, Counter64) no greater than
/// `max`: two's complement, so a leading 0x00 is needed when the top bit is set
/// (`41 05 00 FF FF FF FF` is the minimal Counter32 4294967295); redundant leading octets are
/// skipped, as for [`decode_signed`].
///
/// Errors: [`DecodeError::EmptyInteger`], and
/// [`DecodeError::IntegerOverflow`] (naming `ty`) for a negative value or one above `max`.
pub fn decode_unsigned(contents: &[u8], offset: usize, max: u64, ty: &'static str) -> Result<u64> {
    let contents = minimal_integer(contents, offset)?;
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

/// Decodes the contents of a 32-bit unsigned SMI type (Counter32, Gauge32, TimeTicks; `ty`
/// names it in errors). Errors: as [`decode_unsigned`].
pub fn decode_u32(tlv: &Tlv<'_>, ty: &'static str) -> Result<u32> {
    let value = decode_unsigned(tlv.contents, tlv.offset, u64::from(u32::MAX), ty)?;
    u32::try_from(value).map_err(|_| DecodeError::IntegerOverflow {
        offset: tlv.offset,
        ty,
    })
}

/// The largest first subidentifier: `2.4294967295` packs to 80 + 4294967295 (X.690 §8.19.4).
const MAX_FIRST_SUBIDENTIFIER: u64 = u32::MAX as u64 + 80;

/// Decodes OBJECT IDENTIFIER contents (X.690 §8.19): at most [`Oid::MAX_ARCS`] arcs, each at
/// most `u32::MAX`. The first subidentifier gives two arcs. A subidentifier that starts with
/// 0x80 octets (X.690 §8.19.2 asks a sender not to write them; net-snmp's agent reads them)
/// still has one value, which is taken: they add nothing. `offset` is the element's offset,
/// used by every error.
///
/// Errors: [`DecodeError::EmptyOid`], [`DecodeError::ArcOverflow`], [`DecodeError::TooManyArcs`], and [`DecodeError::Truncated`]
/// when the last octet still has its continuation bit set.
pub fn decode_oid(contents: &[u8], offset: usize) -> Result<Oid> {
    if contents.is_empty() {
        return Err(DecodeError::EmptyOid { offset });
    }
    // Bounded by the bytes actually present, and by the arc limit.
    let mut arcs = Vec::with_capacity(contents.len().saturating_add(1).min(Oid::MAX_ARCS));
    let mut value: u64 = 0;
    // True when the last octet ended a subidentifier (its continuation bit clear).
    let mut complete = true;
    let mut first = true;
    for &b in contents {
        // A leading 0x80 adds a zero group: `value` stays 0.
        complete = false;
        value = (value << 7) | u64::from(b & 0x7F);
        // The first subidentifier packs two arcs (X*40 + Y, Y unbounded when X = 2).
        let limit = if first {
            MAX_FIRST_SUBIDENTIFIER
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
                    // Exact: the arms guarantee value >= 40 and value >= 80.
                    40..=79 => (1, value.saturating_sub(40)),
                    _ => (2, value.saturating_sub(80)),
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
            complete = true;
        }
    }
    if !complete {
        // The last octet still had its continuation bit set.
        return Err(DecodeError::Truncated { offset });
    }
    Ok(Oid(arcs))
}

// ---------------------------------------------------------------------------------------------
// Writer

/// Octets taken by a definite length field for `len` contents bytes (minimal form): 1 below
/// 128, else 1 + the bytes of `len` (at most 9).
pub fn length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        // At most 8 + 1: cannot wrap.
        byte_count(len as u64).wrapping_add(1)
    }
}

/// Total size in bytes of an element whose contents are `contents_len` bytes (single-byte tag).
/// Saturates at `usize::MAX`, which no buffer can hold: callers comparing against a size limit
/// (msgMaxSize) then see "too big".
pub fn tlv_len(contents_len: usize) -> usize {
    // Tag and length take at most 1 + 9 bytes (cannot wrap); the contents may be any size.
    contents_len.saturating_add(length_len(contents_len).wrapping_add(1))
}

/// Significant bits of `v`: 0 for 0, at most 64.
fn significant_bits(v: u64) -> usize {
    // leading_zeros() <= 64: the subtraction never saturates.
    (u64::BITS.saturating_sub(v.leading_zeros())) as usize
}

/// Bytes needed for `v` as an unsigned big-endian number (at least 1, at most 8).
fn byte_count(v: u64) -> usize {
    significant_bits(v).div_ceil(8).max(1)
}

/// The last `n` bytes of a big-endian number (all 8 when `n >= 8`).
fn low_bytes(bytes: &[u8; 8], n: usize) -> &[u8] {
    bytes.get(bytes.len().saturating_sub(n)..).unwrap_or(bytes)
}

/// Writes a tag and a minimal definite length (X.690 §8.1.3: short form below 128, else
/// 0x80 | count followed by `count` big-endian length octets).
pub fn write_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    match u8::try_from(len) {
        Ok(short @ 0..=0x7F) => out.extend_from_slice(&[tag, short]),
        _ => {
            let len = len as u64;
            let bytes = len.to_be_bytes();
            let digits = low_bytes(&bytes, byte_count(len));
            // At most 8 digits: the count always fits the 7 bits after 0x80.
            let count = u8::try_from(digits.len()).unwrap_or(8);
            out.extend_from_slice(&[tag, 0x80 | count]);
            out.extend_from_slice(digits);
        }
    }
}

/// Contents octets of a minimal two's complement INTEGER (1 to 8).
pub fn signed_len(v: i64) -> usize {
    // The magnitude's bits plus a sign bit (for a negative v, !v has the bit length that
    // matters). magnitude < 2^63, so the result is at most 8.
    let magnitude = if v < 0 { !v } else { v };
    unsigned_len(magnitude as u64)
}

/// Writes a minimal two's complement INTEGER element with the given tag.
pub fn write_signed(out: &mut Vec<u8>, tag: u8, v: i64) {
    let n = signed_len(v);
    write_header(out, tag, n);
    let bytes = v.to_be_bytes();
    out.extend_from_slice(low_bytes(&bytes, n));
}

/// Contents octets of a non-negative integer: minimal, with a leading 0x00 when the top bit is
/// set (1 to 9).
pub fn unsigned_len(v: u64) -> usize {
    // At most 64 / 8 + 1 = 9: cannot wrap.
    (significant_bits(v) / 8).wrapping_add(1)
}

/// Writes a non-negative integer element (Counter32, Gauge32, TimeTicks, Counter64).
pub fn write_unsigned(out: &mut Vec<u8>, tag: u8, v: u64) {
    let n = unsigned_len(v);
    write_header(out, tag, n);
    if n > 8 {
        // The top bit is set: a 0x00 keeps the value positive.
        out.push(0);
    }
    let bytes = v.to_be_bytes();
    out.extend_from_slice(low_bytes(&bytes, n));
}

/// Writes an element whose contents are `bytes` (OCTET STRING, Opaque, IpAddress...).
pub fn write_octets(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    write_header(out, tag, bytes.len());
    out.extend_from_slice(bytes);
}

/// Octets of `v` in base 128 (1 to 10).
fn base128_len(v: u64) -> usize {
    significant_bits(v).div_ceil(7).max(1)
}

/// Writes `v` in base 128, most significant group first, bit 8 set on all but the last octet
/// (X.690 §8.19.2).
fn write_base128(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push((v & 0x7F) as u8);
        return;
    }
    let groups = base128_len(v);
    for shift in (0..u64::BITS).step_by(7).take(groups).rev() {
        let more = if shift > 0 { 0x80 } else { 0 };
        out.push(((v >> shift) & 0x7F) as u8 | more);
    }
}

/// The first subidentifier (X*40 + Y) and the arcs after it, as net-snmp encodes them:
/// an empty OID is written as `0.0`, a one-arc OID `X` as `X.0`.
fn oid_subidentifiers(arcs: &[u32]) -> (u64, &[u32]) {
    // X*40 + Y < 2^38 for 32-bit arcs: the wrapping operations cannot wrap.
    match arcs {
        [] => (0, &[]),
        [x] => (u64::from(*x).wrapping_mul(40), &[]),
        [x, y, rest @ ..] => (
            u64::from(*x).wrapping_mul(40).wrapping_add(u64::from(*y)),
            rest,
        ),
    }
}

/// Contents octets of an OBJECT IDENTIFIER, as [`write_oid`] writes it.
pub fn oid_len(oid: &Oid) -> usize {
    let (first, rest) = oid_subidentifiers(oid.arcs());
    // A Vec<u32> holds at most isize::MAX / 4 arcs of at most 5 octets each (the first
    // subidentifier at most 6): the total is below usize::MAX and the sum cannot wrap.
    rest.iter().fold(base128_len(first), |len, &arc| {
        len.wrapping_add(base128_len(u64::from(arc)))
    })
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
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
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
        // RFC 3417 §8 allows more length octets than needed: these are fine.
        assert_eq!(
            tlv(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]).map(|t| t.contents),
            Ok(&[1, 2, 3, 4, 5][..])
        );
        assert_eq!(
            tlv(&[0x04, 0x82, 0x00, 0x01, 9]).map(|t| t.contents),
            Ok(&[9][..])
        );
        assert_eq!(
            tlv(&[0x04, 0x82, 0x00, 0x85]),
            Err(DecodeError::LengthOverrun {
                offset: 0,
                length: 0x85,
                available: 0
            })
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

        // An absurd base is lowered so that offsets never wrap.
        let mut far = Reader::with_base(&bytes, usize::MAX);
        assert_eq!(far.offset(), usize::MAX - bytes.len());
        far.read_tlv().unwrap();
        assert_eq!(far.offset(), usize::MAX);
        assert_eq!(
            far.read_tlv(),
            Err(DecodeError::Truncated { offset: usize::MAX })
        );
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
        // Redundant sign octets change nothing (X.690 binds senders, not receivers).
        assert_eq!(d(&[0x00, 0x7F]), Ok(127));
        assert_eq!(d(&[0xFF, 0x80]), Ok(-128));
        assert_eq!(d(&[0x00, 0x00, 0x00, 0x01]), Ok(1));
        assert_eq!(d(&[0xFF, 0xFF, 0xFF, 0xFF]), Ok(-1));
        assert_eq!(d(&[0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05]), Ok(5));
        assert_eq!(d(&[0x00, 0x00]), Ok(0));
        assert_eq!(d(&[0xFF, 0xFF, 0x7F]), Ok(-129));
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
        assert_eq!(d(&[0x00, 0x01]), Ok(1));
        assert_eq!(
            d(&[0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF]),
            Ok(u64::from(u32::MAX))
        );
        // A redundant 0xFF still makes a negative number.
        assert!(matches!(
            d(&[0xFF, 0xFF]),
            Err(DecodeError::IntegerOverflow { .. })
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

    /// The writer's arithmetic at its extremes: lengths past what the reader accepts, the
    /// widest integers, and sizes that saturate instead of wrapping.
    #[test]
    fn writer_extremes() {
        let header = |len: usize| {
            let mut out = Vec::new();
            write_header(&mut out, 0x04, len);
            out
        };
        assert_eq!(header(0x7F), [0x04, 0x7F]);
        assert_eq!(header(0x80), [0x04, 0x81, 0x80]);
        if let Ok(len) = usize::try_from(0x1_0000_0000u64) {
            assert_eq!(header(len), [0x04, 0x85, 1, 0, 0, 0, 0]);
            assert_eq!(length_len(len), 6);
        }
        let width = std::mem::size_of::<usize>();
        let mut max = vec![0x04, 0x80 | u8::try_from(width).unwrap()];
        max.resize(2 + width, 0xFF);
        assert_eq!(header(usize::MAX), max);
        assert_eq!(tlv_len(usize::MAX), usize::MAX);
        assert_eq!(tlv_len(usize::MAX - 3), usize::MAX);

        assert_eq!(signed_len(i64::MIN), 8);
        assert_eq!(signed_len(i64::MAX), 8);
        assert_eq!(signed_len(-1), 1);
        assert_eq!(unsigned_len(u64::MAX), 9);
        assert_eq!(unsigned_len(0), 1);
        for v in [i64::MIN, i64::MAX, i64::MIN + 1, -(1 << 55), 1 << 55] {
            let mut out = Vec::new();
            write_signed(&mut out, tag::INTEGER, v);
            assert_eq!(decode_signed(&out[2..], 0, 8, "t"), Ok(v), "{v}");
        }
        for v in [u64::MAX, 1 << 63, (1 << 63) - 1, 0x80, 0xFF, 0x100] {
            let mut out = Vec::new();
            write_unsigned(&mut out, tag::COUNTER64, v);
            assert_eq!(out.len(), 2 + unsigned_len(v));
            assert_eq!(decode_unsigned(&out[2..], 0, u64::MAX, "t"), Ok(v), "{v}");
        }
        for v in [
            0u64,
            0x7F,
            0x80,
            0x3FFF,
            0x4000,
            u64::from(u32::MAX) + 80,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_base128(&mut out, v);
            assert_eq!(out.len(), base128_len(v), "{v}");
            let (last, groups) = out.split_last().unwrap();
            assert!(
                last & 0x80 == 0 && groups.iter().all(|b| b & 0x80 != 0),
                "{v}"
            );
            let back = out
                .iter()
                .fold(0u128, |acc, b| acc << 7 | u128::from(b & 0x7F));
            assert_eq!(back, u128::from(v));
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
        // Leading 0x80 octets in a subidentifier add nothing: they are read through.
        assert_eq!(decode_oid(&[0x2B, 0x80, 0x01], 0), Ok(Oid::new(&[1, 3, 1])));
        assert_eq!(decode_oid(&[0x80, 0x2B], 0), Ok(Oid::new(&[1, 3])));
        assert_eq!(
            decode_oid(&[0x2B, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x8F, 0x7F], 0),
            Ok(Oid::new(&[1, 3, 0x7FF]))
        );
        assert_eq!(
            decode_oid(&[0x2B, 0x80, 0x80], 0),
            Err(DecodeError::Truncated { offset: 0 })
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
