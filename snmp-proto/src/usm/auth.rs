//! Message authentication: HMAC-MD5-96 and HMAC-SHA-96 (RFC 3414 §6, §7)
//! and the HMAC-SHA-2 family (RFC 7860 §4), truncated to `mac_len` bytes.

use std::fmt;

use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Sha224, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

use super::keys::{AuthProtocol, KeyError, LocalizedKey};

/// Longest truncated MAC (HMAC-SHA-512 → 48 bytes, RFC 7860).
pub const MAX_MAC_LEN: usize = 48;

/// An HMAC already keyed with the user's localized key. Keying computes the
/// inner and outer pad states once; each message clones them, so signing
/// costs only the hashing of the message itself.
#[derive(Clone)]
enum KeyedHmac {
    Md5(Hmac<Md5>),
    Sha1(Hmac<Sha1>),
    Sha224(Hmac<Sha224>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

impl KeyedHmac {
    /// HMAC accepts keys of any length, so this only fails if the hmac crate
    /// changes its contract.
    fn new(proto: AuthProtocol, key: &[u8]) -> Result<Self, hmac::digest::InvalidLength> {
        Ok(match proto {
            AuthProtocol::Md5 => KeyedHmac::Md5(Hmac::new_from_slice(key)?),
            AuthProtocol::Sha1 => KeyedHmac::Sha1(Hmac::new_from_slice(key)?),
            AuthProtocol::Sha224 => KeyedHmac::Sha224(Hmac::new_from_slice(key)?),
            AuthProtocol::Sha256 => KeyedHmac::Sha256(Hmac::new_from_slice(key)?),
            AuthProtocol::Sha384 => KeyedHmac::Sha384(Hmac::new_from_slice(key)?),
            AuthProtocol::Sha512 => KeyedHmac::Sha512(Hmac::new_from_slice(key)?),
        })
    }

    /// The full, untruncated HMAC of `msg`, written into `out`; returns its length.
    fn full_tag(&self, msg: &[u8], out: &mut [u8; 64]) -> usize {
        fn run<M: Mac + Clone>(keyed: &M, msg: &[u8], out: &mut [u8; 64]) -> usize {
            let tag = keyed.clone().chain_update(msg).finalize().into_bytes();
            let mut n = 0;
            for (slot, byte) in out.iter_mut().zip(tag.iter()) {
                *slot = *byte;
                n += 1;
            }
            n
        }
        match self {
            KeyedHmac::Md5(m) => run(m, msg, out),
            KeyedHmac::Sha1(m) => run(m, msg, out),
            KeyedHmac::Sha224(m) => run(m, msg, out),
            KeyedHmac::Sha256(m) => run(m, msg, out),
            KeyedHmac::Sha384(m) => run(m, msg, out),
            KeyedHmac::Sha512(m) => run(m, msg, out),
        }
    }
}

/// A user's authentication key, ready to sign and verify whole messages.
///
/// The localized key itself is not kept. The precomputed HMAC pad states are
/// key-equivalent but live inside RustCrypto types that this crate cannot
/// zeroize (hmac 0.12 has no zeroize support).
#[derive(Clone)]
pub struct AuthKey {
    proto: AuthProtocol,
    keyed: KeyedHmac,
}

impl AuthKey {
    /// Keys the HMAC with a localized key, which must be exactly
    /// `proto.digest_len()` bytes long (RFC 3414 §6.2, §7.2; RFC 7860 §4.1).
    pub fn new(proto: AuthProtocol, key: &LocalizedKey) -> Result<Self, KeyError> {
        if key.len() != proto.digest_len() {
            return Err(KeyError::WrongKeyLength {
                proto,
                expected: proto.digest_len(),
                got: key.len(),
            });
        }
        let keyed =
            KeyedHmac::new(proto, key.as_bytes()).map_err(|_| KeyError::WrongKeyLength {
                proto,
                expected: proto.digest_len(),
                got: key.len(),
            })?;
        Ok(AuthKey { proto, keyed })
    }

    /// password -> Ku -> Kul -> keyed HMAC.
    pub fn from_password(
        proto: AuthProtocol,
        password: &[u8],
        engine_id: &[u8],
    ) -> Result<Self, KeyError> {
        let kul = LocalizedKey::from_password(proto, password, engine_id)?;
        Self::new(proto, &kul)
    }

    pub fn protocol(&self) -> AuthProtocol {
        self.proto
    }

    /// Length of msgAuthenticationParameters for this protocol.
    pub fn mac_len(&self) -> usize {
        self.proto.mac_len()
    }

    /// The truncated MAC for a whole message whose msgAuthenticationParameters
    /// are already `mac_len` zero bytes (RFC 3414 §6.3.1 steps 1–3).
    pub fn sign(&self, whole_message: &[u8]) -> Vec<u8> {
        let mut full = [0u8; 64];
        let n = self.keyed.full_tag(whole_message, &mut full);
        full.iter().take(n.min(self.mac_len())).copied().collect()
    }

    /// Checks a received MAC in constant time (RFC 3414 §6.3.2). The message
    /// must have its msgAuthenticationParameters replaced by zeros. A MAC of
    /// the wrong length is rejected outright.
    pub fn verify(&self, whole_message: &[u8], received_mac: &[u8]) -> bool {
        if received_mac.len() != self.mac_len() {
            return false;
        }
        let expected = self.sign(whole_message);
        expected.ct_eq(received_mac).into()
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthKey({}, <redacted>)", self.proto)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).expect("test vector is hex")
    }

    /// Full HMAC with an arbitrary key, to check the keyed-state machinery
    /// against the RFC 2202 / RFC 4231 vectors (whose keys are not digest-sized).
    fn full_hmac(proto: AuthProtocol, key: &[u8], data: &[u8]) -> Vec<u8> {
        let keyed = KeyedHmac::new(proto, key).expect("hmac takes any key");
        let mut out = [0u8; 64];
        let n = keyed.full_tag(data, &mut out);
        out[..n].to_vec()
    }

    #[test]
    fn rfc2202_hmac_md5_and_sha1() {
        // RFC 2202 test cases 1 and 2.
        assert_eq!(
            full_hmac(AuthProtocol::Md5, &[0x0b; 16], b"Hi There"),
            unhex("9294727a3638bb1c13f48ef8158bfc9d")
        );
        assert_eq!(
            full_hmac(AuthProtocol::Md5, b"Jefe", b"what do ya want for nothing?"),
            unhex("750c783e6ab0b503eaa86e310a5db738")
        );
        assert_eq!(
            full_hmac(AuthProtocol::Sha1, &[0x0b; 20], b"Hi There"),
            unhex("b617318655057264e28bc0b6fb378c8ef146be00")
        );
        assert_eq!(
            full_hmac(AuthProtocol::Sha1, b"Jefe", b"what do ya want for nothing?"),
            unhex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
    }

    #[test]
    fn rfc4231_hmac_sha2_case_2() {
        let data = b"what do ya want for nothing?";
        let cases = [
            (
                AuthProtocol::Sha224,
                "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
            ),
            (
                AuthProtocol::Sha256,
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                AuthProtocol::Sha384,
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e
                 8e2240ca5e69e2c78b3239ecfab21649",
            ),
            (
                AuthProtocol::Sha512,
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            ),
        ];
        for (proto, want) in cases {
            assert_eq!(full_hmac(proto, b"Jefe", data), unhex(want), "{proto}");
        }
    }

    /// `sign` is the RFC HMAC truncated to mac_len: RFC 4231 test case 1
    /// (key 0x0b * 20) for SHA-2 and RFC 2202 test case 1 for MD5/SHA-1.
    /// The keys are not digest-sized, so the AuthKey is built directly.
    #[test]
    fn sign_truncates_rfc_vectors() {
        let cases = [
            (AuthProtocol::Md5, 16, "9294727a3638bb1c13f48ef8158bfc9d"),
            (
                AuthProtocol::Sha1,
                20,
                "b617318655057264e28bc0b6fb378c8ef146be00",
            ),
            (
                AuthProtocol::Sha224,
                20,
                "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
            ),
            (
                AuthProtocol::Sha256,
                20,
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                AuthProtocol::Sha384,
                20,
                "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c
                 faea9ea9076ede7f4af152e8b2fa9cb6",
            ),
            (
                AuthProtocol::Sha512,
                20,
                "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde
                 daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
            ),
        ];
        for (proto, key_len, full) in cases {
            let keyed = KeyedHmac::new(proto, &vec![0x0b; key_len]).expect("any key");
            let key = AuthKey { proto, keyed };
            let full = unhex(full);
            let mac = key.sign(b"Hi There");
            assert_eq!(mac.len(), proto.mac_len(), "{proto}");
            assert_eq!(mac, full[..proto.mac_len()], "{proto}");
            assert!(key.verify(b"Hi There", &full[..proto.mac_len()]), "{proto}");
            // The untruncated HMAC is not a valid msgAuthenticationParameters.
            assert!(!key.verify(b"Hi There", &full), "{proto}");
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let engine = unhex("80001f8880c0ffee0001");
        let msg = b"0\x81\x80 pretend this is a whole SNMPv3 message with zeroed auth params";
        for proto in AuthProtocol::ALL {
            let key = AuthKey::from_password(proto, b"authpass1", &engine).expect("valid");
            let mac = key.sign(msg);
            assert_eq!(mac.len(), proto.mac_len());
            assert!(key.verify(msg, &mac), "{proto}");

            let mut flipped = mac.clone();
            flipped[0] ^= 1;
            assert!(!key.verify(msg, &flipped), "{proto}");
            assert!(!key.verify(&msg[1..], &mac), "{proto}");
            assert!(!key.verify(msg, &mac[..mac.len() - 1]), "{proto}");
            assert!(!key.verify(msg, &[]), "{proto}");

            let other = AuthKey::from_password(proto, b"authpass2", &engine).expect("valid");
            assert!(!other.verify(msg, &mac), "{proto}");
            // Signing twice with the same precomputed state gives the same tag.
            assert_eq!(key.sign(msg), mac);
        }
    }

    #[test]
    fn key_length_must_match_protocol() {
        let kul = LocalizedKey::from_bytes(&[7; 20]);
        assert!(AuthKey::new(AuthProtocol::Sha1, &kul).is_ok());
        let err = AuthKey::new(AuthProtocol::Md5, &kul).expect_err("must be refused");
        assert_eq!(
            err,
            KeyError::WrongKeyLength {
                proto: AuthProtocol::Md5,
                expected: 16,
                got: 20
            }
        );
    }

    #[test]
    fn debug_is_redacted() {
        let key = AuthKey::new(AuthProtocol::Sha256, &LocalizedKey::from_bytes(&[0xab; 32]))
            .expect("right length");
        assert_eq!(format!("{key:?}"), "AuthKey(SHA-256, <redacted>)");
    }
}
