//! USM key material: authentication protocols, password-to-key (RFC 3414
//! A.2) and key localisation (RFC 3414 §2.6), for HMAC-MD5/SHA-1 (RFC 3414)
//! and HMAC-SHA-2 (RFC 7860).
//!
//! Keys are secrets: every type holding one zeroizes it on drop and prints
//! only its length in `Debug`.

use std::fmt;
use std::str::FromStr;

use md5::Md5;
use sha1::{Digest, Sha1};
use sha2::{Sha224, Sha256, Sha384, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The shortest password accepted, in bytes: RFC 3414 §11.2 asks for at least 8 octets.
pub const MIN_PASSWORD_LEN: usize = 8;

/// RFC 3414 A.2: the password is repeated to fill one megabyte before hashing.
const EXPANDED_PASSWORD_LEN: usize = 1024 * 1024;

/// usmUserAuthProtocol values that this crate implements (RFC 3414 §6, §7; RFC 7860 §4).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum AuthProtocol {
    /// usmHMACMD5AuthProtocol (RFC 3414).
    Md5,
    /// usmHMACSHAAuthProtocol (RFC 3414).
    Sha1,
    /// usmHMAC128SHA224AuthProtocol (RFC 7860).
    Sha224,
    /// usmHMAC192SHA256AuthProtocol (RFC 7860).
    Sha256,
    /// usmHMAC256SHA384AuthProtocol (RFC 7860).
    Sha384,
    /// usmHMAC384SHA512AuthProtocol (RFC 7860).
    Sha512,
}

impl AuthProtocol {
    /// Every protocol, in the order net-snmp lists them.
    pub const ALL: [AuthProtocol; 6] = [
        AuthProtocol::Md5,
        AuthProtocol::Sha1,
        AuthProtocol::Sha224,
        AuthProtocol::Sha256,
        AuthProtocol::Sha384,
        AuthProtocol::Sha512,
    ];

    /// Output length of the hash in bytes (16 to 64), which is also the localized key length
    /// (RFC 3414 §2.6, RFC 7860 §4.1).
    pub const fn digest_len(self) -> usize {
        match self {
            AuthProtocol::Md5 => 16,
            AuthProtocol::Sha1 => 20,
            AuthProtocol::Sha224 => 28,
            AuthProtocol::Sha256 => 32,
            AuthProtocol::Sha384 => 48,
            AuthProtocol::Sha512 => 64,
        }
    }

    /// Length of msgAuthenticationParameters in bytes (12 to 48): the HMAC truncated per
    /// RFC 3414 §6.3.1 / §7.3.1 and RFC 7860 §4.2.1.
    pub const fn mac_len(self) -> usize {
        match self {
            AuthProtocol::Md5 | AuthProtocol::Sha1 => 12,
            AuthProtocol::Sha224 => 16,
            AuthProtocol::Sha256 => 24,
            AuthProtocol::Sha384 => 32,
            AuthProtocol::Sha512 => 48,
        }
    }

    /// The name net-snmp uses on its command line (`-a`); [`FromStr`] accepts it back.
    pub const fn name(self) -> &'static str {
        match self {
            AuthProtocol::Md5 => "MD5",
            AuthProtocol::Sha1 => "SHA",
            AuthProtocol::Sha224 => "SHA-224",
            AuthProtocol::Sha256 => "SHA-256",
            AuthProtocol::Sha384 => "SHA-384",
            AuthProtocol::Sha512 => "SHA-512",
        }
    }

    /// H(parts[0] || parts[1] || ...), zeroized when dropped because every
    /// caller hashes key material.
    pub(crate) fn hash(self, parts: &[&[u8]]) -> SecretBytes {
        match self {
            AuthProtocol::Md5 => hash_parts::<Md5>(parts),
            AuthProtocol::Sha1 => hash_parts::<Sha1>(parts),
            AuthProtocol::Sha224 => hash_parts::<Sha224>(parts),
            AuthProtocol::Sha256 => hash_parts::<Sha256>(parts),
            AuthProtocol::Sha384 => hash_parts::<Sha384>(parts),
            AuthProtocol::Sha512 => hash_parts::<Sha512>(parts),
        }
    }
}

impl fmt::Display for AuthProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Case-insensitive: `md5`, `sha` (`sha1`, `sha-1`), `sha224` (`sha-224`), `sha256`
/// (`sha-256`), `sha384` (`sha-384`), `sha512` (`sha-512`). Anything else is
/// [`ProtocolParseError::Auth`].
impl FromStr for AuthProtocol {
    type Err = ProtocolParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let proto = match s.to_ascii_lowercase().as_str() {
            "md5" => AuthProtocol::Md5,
            "sha" | "sha1" | "sha-1" => AuthProtocol::Sha1,
            "sha224" | "sha-224" => AuthProtocol::Sha224,
            "sha256" | "sha-256" => AuthProtocol::Sha256,
            "sha384" | "sha-384" => AuthProtocol::Sha384,
            "sha512" | "sha-512" => AuthProtocol::Sha512,
            _ => return Err(ProtocolParseError::Auth(s.to_owned())),
        };
        Ok(proto)
    }
}

/// A protocol name in a config file or on a command line was not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolParseError {
    /// Not an authentication protocol name; holds the text given.
    #[error(
        "unknown authentication protocol {0:?}: use one of md5, sha (also sha1, sha-1), \
         sha224 (sha-224), sha256 (sha-256), sha384 (sha-384), sha512 (sha-512)"
    )]
    Auth(String),
    /// Not a privacy protocol name; holds the text given.
    #[error(
        "unknown privacy protocol {0:?}: use one of des, 3des, aes (also aes128, aes-128), \
         aes192 (aes-192), aes256 (aes-256), aes192-cisco (aes192c), aes256-cisco (aes256c)"
    )]
    Priv(String),
}

/// Why a key could not be derived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The password is shorter than [`MIN_PASSWORD_LEN`] (RFC 3414 §11.2).
    #[error(
        "password is {len} characters long; SNMPv3 passwords must be at least \
         {MIN_PASSWORD_LEN} characters (RFC 3414 section 11.2): choose a longer one"
    )]
    PasswordTooShort {
        /// The password's length in bytes.
        len: usize,
    },
    /// A localized authentication key whose length is not the protocol's digest length.
    #[error(
        "a localized {proto} key must be {expected} bytes, this one is {got}: \
         check that the key was localized with {proto}"
    )]
    WrongKeyLength {
        /// The protocol the key was given for.
        proto: AuthProtocol,
        /// Its digest length in bytes.
        expected: usize,
        /// The key's length in bytes.
        got: usize,
    },
    /// The localized privacy key is too short for the cipher and its protocol does not extend
    /// keys (DES or AES-128 with a key under 16 bytes, which only a hand-made
    /// [`LocalizedKey::from_bytes`] key can be); otherwise only reachable through a bug in key
    /// extension. Reported rather than panicking.
    #[error("derived key material is {got} bytes, the cipher needs {needed}")]
    KeyMaterialTooShort {
        /// Bytes needed up to the end of the part that is missing: the key, or the 8-byte
        /// pre-IV after it for DES and 3DES.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
}

/// Owned secret bytes: zeroized on drop, redacted in `Debug`.
// No PartialEq: comparing secrets with `==` would not be constant-time.
#[derive(Clone)]
pub(crate) struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub(crate) fn with_capacity(n: usize) -> Self {
        SecretBytes(Vec::with_capacity(n))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Appends without reallocating when the capacity was reserved up front,
    /// so no unzeroized copy of the key is left behind by a move.
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        if self.0.spare_capacity_mut().len() < bytes.len() {
            let mut bigger = Vec::with_capacity(self.0.len().saturating_add(bytes.len()));
            bigger.extend_from_slice(&self.0);
            self.0.zeroize();
            self.0 = bigger;
        }
        self.0.extend_from_slice(bytes);
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.0.len() {
            // Vec::truncate leaves the tail in the allocation: wipe it first.
            if let Some(tail) = self.0.get_mut(len..) {
                tail.zeroize();
            }
            self.0.truncate(len);
        }
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for SecretBytes {}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0.len())
    }
}

fn hash_parts<D: Digest>(parts: &[&[u8]]) -> SecretBytes {
    let mut hasher = D::new();
    for part in parts {
        hasher.update(part);
    }
    let mut out = hasher.finalize();
    let bytes = SecretBytes(out.to_vec());
    out.as_mut_slice().zeroize();
    bytes
}

/// Ku: the user's master key, derived from a password (RFC 3414 A.2).
/// Not bound to any engine; localize it before use.
// No PartialEq: comparing secrets with `==` would not be constant-time.
#[derive(Clone)]
pub struct MasterKey {
    proto: AuthProtocol,
    bytes: SecretBytes,
}

impl MasterKey {
    /// The protocol whose hash derived the key.
    pub fn protocol(&self) -> AuthProtocol {
        self.proto
    }

    /// The key bytes (`protocol().digest_len()` of them). Secret: never log them.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_bytes()
    }

    /// Kul for the given authoritative snmpEngineID (RFC 3414 §2.6, see [`localize_key`]).
    pub fn localize(&self, engine_id: &[u8]) -> LocalizedKey {
        localize_key(self.proto, self.as_bytes(), engine_id)
    }
}

impl ZeroizeOnDrop for MasterKey {}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MasterKey({}, <redacted>, {} bytes)",
            self.proto,
            self.bytes.len()
        )
    }
}

/// Kul: a key localized to one authoritative snmpEngineID (RFC 3414 §2.6).
// No PartialEq: comparing secrets with `==` would not be constant-time.
#[derive(Clone)]
pub struct LocalizedKey {
    bytes: SecretBytes,
}

impl LocalizedKey {
    /// Wraps an already localized key, e.g. one configured in hex the way
    /// net-snmp's `createUser -l` accepts it.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut secret = SecretBytes::with_capacity(bytes.len());
        secret.extend_from_slice(bytes);
        LocalizedKey { bytes: secret }
    }

    /// password -> Ku -> Kul in one step (RFC 3414 A.2, then §2.6). Hashes a megabyte.
    ///
    /// Errors: [`KeyError::PasswordTooShort`] under [`MIN_PASSWORD_LEN`] bytes.
    pub fn from_password(
        proto: AuthProtocol,
        password: &[u8],
        engine_id: &[u8],
    ) -> Result<Self, KeyError> {
        Ok(password_to_key(proto, password)?.localize(engine_id))
    }

    /// The key bytes. Secret: never log them.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_bytes()
    }

    /// The key length in bytes (the digest length of the protocol that localized it).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True for a zero-length key (never produced by localisation).
    pub fn is_empty(&self) -> bool {
        self.bytes.len() == 0
    }
}

impl ZeroizeOnDrop for LocalizedKey {}

impl fmt::Debug for LocalizedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LocalizedKey(<redacted>, {} bytes)", self.bytes.len())
    }
}

/// RFC 3414 A.2 password-to-key: hash one megabyte (1048576 bytes) of the password repeated,
/// with the authentication protocol's hash (RFC 7860 §9.3 for SHA-2). The result is Ku, not yet
/// bound to an engine.
///
/// Errors: [`KeyError::PasswordTooShort`] under [`MIN_PASSWORD_LEN`] bytes.
pub fn password_to_key(proto: AuthProtocol, password: &[u8]) -> Result<MasterKey, KeyError> {
    if password.len() < MIN_PASSWORD_LEN {
        return Err(KeyError::PasswordTooShort {
            len: password.len(),
        });
    }
    Ok(MasterKey {
        proto,
        bytes: expand_and_hash(proto, password),
    })
}

/// The A.2 algorithm without the length check; the Reeder key extension runs
/// it on a localized key (always at least 16 bytes, so never short anyway).
pub(crate) fn expand_and_hash(proto: AuthProtocol, password: &[u8]) -> SecretBytes {
    match proto {
        AuthProtocol::Md5 => expand_and_hash_with::<Md5>(password),
        AuthProtocol::Sha1 => expand_and_hash_with::<Sha1>(password),
        AuthProtocol::Sha224 => expand_and_hash_with::<Sha224>(password),
        AuthProtocol::Sha256 => expand_and_hash_with::<Sha256>(password),
        AuthProtocol::Sha384 => expand_and_hash_with::<Sha384>(password),
        AuthProtocol::Sha512 => expand_and_hash_with::<Sha512>(password),
    }
}

fn expand_and_hash_with<D: Digest>(password: &[u8]) -> SecretBytes {
    let mut hasher = D::new();
    // Feed the repeated password 64 bytes at a time, as the RFC's reference code does, instead
    // of materialising the whole megabyte: block i is the window of the endless repetition that
    // starts at (64 * i) mod len, so one buffer of len + 64 bytes holds every block.
    // An empty password (callers never pass one) hashes nothing rather than looping forever.
    const BLOCK: usize = 64;
    let window = password.len().saturating_add(BLOCK);
    let mut pattern = SecretBytes::with_capacity(window);
    while pattern.len() < window && !password.is_empty() {
        let take = window.saturating_sub(pattern.len()).min(password.len());
        pattern.extend_from_slice(password.get(..take).unwrap_or_default());
    }
    let mut offset: usize = 0;
    for _ in 0..EXPANDED_PASSWORD_LEN / BLOCK {
        // offset < password.len(), so offset + BLOCK <= window: the block is always there.
        let end = offset.saturating_add(BLOCK);
        if let Some(block) = pattern.as_bytes().get(offset..end) {
            hasher.update(block);
        }
        offset = end.checked_rem(password.len()).unwrap_or(0);
    }
    let mut out = hasher.finalize();
    let bytes = SecretBytes(out.to_vec());
    out.as_mut_slice().zeroize();
    bytes
}

/// RFC 3414 §2.6 key localisation: Kul = H(Ku || snmpEngineID || Ku), with `proto`'s hash
/// (RFC 7860 §9.3 for SHA-2). `key` is Ku (any length is hashed as given).
pub fn localize_key(proto: AuthProtocol, key: &[u8], engine_id: &[u8]) -> LocalizedKey {
    LocalizedKey {
        bytes: proto.hash(&[key, engine_id, key]),
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
mod tests {
    use super::*;

    /// RFC 3414 A.3 engine ID.
    const RFC_ENGINE: &str = "000000000000000000000002";

    fn kul_hex(proto: AuthProtocol, password: &str, engine_hex: &str) -> (String, String) {
        let engine = hex::decode(engine_hex).expect("test engine id is hex");
        let ku = password_to_key(proto, password.as_bytes()).expect("password long enough");
        let kul = ku.localize(&engine);
        (hex::encode(ku.as_bytes()), hex::encode(kul.as_bytes()))
    }

    #[test]
    fn rfc3414_a_3_1_md5() {
        let (ku, kul) = kul_hex(AuthProtocol::Md5, "maplesyrup", RFC_ENGINE);
        assert_eq!(ku, "9faf3283884e92834ebc9847d8edd963");
        assert_eq!(kul, "526f5eed9fcce26f8964c2930787d82b");
    }

    #[test]
    fn rfc3414_a_3_2_sha1() {
        let (ku, kul) = kul_hex(AuthProtocol::Sha1, "maplesyrup", RFC_ENGINE);
        assert_eq!(ku, "9fb5cc0381497b3793528939ff788d5d79145211");
        assert_eq!(kul, "6695febc9288e36282235fc7151f128497b38f3f");
    }

    /// RFC 7860 publishes no vectors. These were computed independently with
    /// Python's hashlib (the RFC 3414 A.2 loop written out by hand):
    ///
    /// ```text
    /// ku  = H((pw * (1048576 // len(pw) + 1))[:1048576]).digest()
    /// kul = H(ku + engine + ku).hexdigest()
    /// ```
    ///
    /// and agree with the HMAC keys net-snmp 5.9.3 uses: the snmpd capture
    /// tests in `auth.rs` verify net-snmp's MACs with keys derived here.
    #[test]
    fn sha2_localized_keys_match_hashlib() {
        let cases = [
            (
                AuthProtocol::Sha224,
                "282a5867ee9aac639ad59df9572c7d3ac0fbc13a905b6df07dbbf00b",
                "0bd8827c6e29f8065e08e09237f177e410f69b90e1782be682075674",
            ),
            (
                AuthProtocol::Sha256,
                "ab51014d1e077f6017df2b12bee5f5aa72993177e9bb569c4dff5a4ca0b4afac",
                "8982e0e549e866db361a6b625d84cccc11162d453ee8ce3a6445c2d6776f0f8b",
            ),
            (
                AuthProtocol::Sha384,
                "e06eccdf2c68a06ed034723c9c26e0db3b669e1e2efed49150b55377a2e98f38\
                 3c86fb836857444654b287c93f51ff64",
                "3b298f16164a11184279d5432bf169e2d2a48307de02b3d3f7e2b4f36eb6f045\
                 5a53689a3937eea07319a633d2ccba78",
            ),
            (
                AuthProtocol::Sha512,
                "7e4396de5aadc77be853819b98c9406265b3a9c37cc3176569847a4e4f6fba63\
                 dd3a73d04924d31a63f95a601f9385af6be4ed1b37f87d040f7c6ed6f8d38a91",
                "22a5a36cedfcc085807a128d7bc6c2382167ad6c0dbc5fdff856740f3d84c099\
                 ad1ea87a8db096714d9788bd544047c9021e4229ce27e4c0a69250adfcffbb0b",
            ),
        ];
        for (proto, ku, kul) in cases {
            let (got_ku, got_kul) = kul_hex(proto, "maplesyrup", RFC_ENGINE);
            assert_eq!(got_ku, ku, "{proto} Ku");
            assert_eq!(got_kul, kul, "{proto} Kul");
        }
    }

    #[test]
    fn short_and_empty_passwords_are_refused() {
        for pw in ["", "1234567"] {
            let err =
                password_to_key(AuthProtocol::Sha1, pw.as_bytes()).expect_err("must be refused");
            assert_eq!(err, KeyError::PasswordTooShort { len: pw.len() });
            assert!(err.to_string().contains("at least 8 characters"), "{err}");
        }
        assert!(password_to_key(AuthProtocol::Md5, b"12345678").is_ok());
    }

    #[test]
    fn protocol_lengths() {
        let lens: Vec<_> = AuthProtocol::ALL
            .iter()
            .map(|p| (p.digest_len(), p.mac_len()))
            .collect();
        assert_eq!(
            lens,
            [(16, 12), (20, 12), (28, 16), (32, 24), (48, 32), (64, 48)]
        );
        for p in AuthProtocol::ALL {
            let kul = LocalizedKey::from_password(p, b"maplesyrup", b"x").expect("long enough");
            assert_eq!(kul.len(), p.digest_len());
        }
    }

    #[test]
    fn parse_names() {
        let ok = [
            ("md5", AuthProtocol::Md5),
            ("MD5", AuthProtocol::Md5),
            ("sha", AuthProtocol::Sha1),
            ("SHA1", AuthProtocol::Sha1),
            ("sha-1", AuthProtocol::Sha1),
            ("sha224", AuthProtocol::Sha224),
            ("SHA-224", AuthProtocol::Sha224),
            ("sha256", AuthProtocol::Sha256),
            ("Sha-256", AuthProtocol::Sha256),
            ("sha384", AuthProtocol::Sha384),
            ("sha-384", AuthProtocol::Sha384),
            ("sha512", AuthProtocol::Sha512),
            ("SHA-512", AuthProtocol::Sha512),
        ];
        for (name, proto) in ok {
            assert_eq!(name.parse::<AuthProtocol>(), Ok(proto), "{name}");
        }
        for p in AuthProtocol::ALL {
            assert_eq!(p.name().parse::<AuthProtocol>(), Ok(p));
        }
        let err = "sha3".parse::<AuthProtocol>().expect_err("must be refused");
        let msg = err.to_string();
        assert!(msg.contains("\"sha3\"") && msg.contains("sha-512") && msg.contains("md5"));
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let ku = password_to_key(AuthProtocol::Md5, b"maplesyrup").expect("long enough");
        let kul = ku.localize(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(format!("{kul:?}"), "LocalizedKey(<redacted>, 16 bytes)");
        assert_eq!(format!("{ku:?}"), "MasterKey(MD5, <redacted>, 16 bytes)");
        let dbg = format!("{kul:?} {ku:?} {:?}", kul.bytes);
        assert_eq!(format!("{:?}", kul.bytes), "<redacted, 16 bytes>");
        for secret in [kul.as_bytes(), ku.as_bytes()] {
            assert!(!dbg.contains(&hex::encode(secret)), "{dbg}");
            assert!(!dbg.contains(&format!("{:?}", secret)), "{dbg}");
        }
    }
}
