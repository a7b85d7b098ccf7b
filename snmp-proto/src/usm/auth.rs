//! Message authentication: HMAC-MD5-96 and HMAC-SHA-96 (RFC 3414 §6, §7)
//! and the HMAC-SHA-2 family (RFC 7860 §4), truncated to `mac_len` bytes.
//!
//! The HMAC itself (RFC 2104) is checked against the RFC 2202 and RFC 4231
//! known answers in this module's tests; the USM use of it against net-snmp
//! traffic in [`super::privacy`]'s tests.

use std::fmt;

use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Sha224, Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

use super::keys::{AuthProtocol, KeyError, LocalizedKey};

/// Longest truncated MAC in bytes (usmHMAC384SHA512AuthProtocol: 48, RFC 7860 §4.2.1).
pub const MAX_MAC_LEN: usize = 48;

/// Longest untruncated HMAC in bytes (SHA-512's output).
pub(crate) const MAX_DIGEST_LEN: usize = 64;

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
    fn full_tag(&self, msg: &[u8], out: &mut [u8; MAX_DIGEST_LEN]) -> usize {
        fn run<M: Mac + Clone>(keyed: &M, msg: &[u8], out: &mut [u8; MAX_DIGEST_LEN]) -> usize {
            let tag = keyed.clone().chain_update(msg).finalize().into_bytes();
            for (slot, byte) in out.iter_mut().zip(tag.iter()) {
                *slot = *byte;
            }
            tag.len().min(out.len())
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

/// A user's authentication key (usmUserAuthKeyChange's result, RFC 3414 §5), ready to sign and
/// verify whole messages.
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
    ///
    /// Errors: [`KeyError::WrongKeyLength`] for a key of another length.
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

    /// password -> Ku -> Kul -> keyed HMAC (RFC 3414 A.2 and §2.6, then [`AuthKey::new`]).
    /// Hashes a megabyte: use [`super::MasterKeyCache`] when many engines share a password.
    ///
    /// Errors: [`KeyError::PasswordTooShort`] under 8 characters.
    pub fn from_password(
        proto: AuthProtocol,
        password: &[u8],
        engine_id: &[u8],
    ) -> Result<Self, KeyError> {
        let kul = LocalizedKey::from_password(proto, password, engine_id)?;
        Self::new(proto, &kul)
    }

    /// The authentication protocol the key is for.
    pub fn protocol(&self) -> AuthProtocol {
        self.proto
    }

    /// Length in bytes of msgAuthenticationParameters for this protocol (12 to 48).
    pub fn mac_len(&self) -> usize {
        self.proto.mac_len()
    }

    /// The truncated MAC (`mac_len` bytes) for a whole message whose
    /// msgAuthenticationParameters are already `mac_len` zero bytes
    /// (RFC 3414 §6.3.1 steps 1–3, §7.3.1; RFC 7860 §4.2.1).
    pub fn sign(&self, whole_message: &[u8]) -> Vec<u8> {
        let mut full = [0u8; MAX_DIGEST_LEN];
        self.mac(whole_message, &mut full).to_vec()
    }

    /// [`AuthKey::sign`] without allocating: the truncated MAC, in `full`.
    pub(crate) fn mac<'f>(
        &self,
        whole_message: &[u8],
        full: &'f mut [u8; MAX_DIGEST_LEN],
    ) -> &'f [u8] {
        let n = self.keyed.full_tag(whole_message, full);
        let len = n.min(self.mac_len());
        full.get(..len).unwrap_or_default()
    }

    /// Checks a received MAC in constant time (RFC 3414 §6.3.2, §7.3.2). The
    /// message must have its msgAuthenticationParameters replaced by zeros. A
    /// MAC of the wrong length is rejected outright.
    pub fn verify(&self, whole_message: &[u8], received_mac: &[u8]) -> bool {
        if received_mac.len() != self.mac_len() {
            return false;
        }
        let mut full = [0u8; MAX_DIGEST_LEN];
        self.mac(whole_message, &mut full)
            .ct_eq(received_mac)
            .into()
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthKey({}, <redacted>)", self.proto)
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

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).expect("test vector is hex")
    }

    /// Full HMAC with an arbitrary key, to check the keyed-state machinery
    /// against the RFC 2202 / RFC 4231 vectors (whose keys are not digest-sized).
    fn full_hmac(proto: AuthProtocol, key: &[u8], data: &[u8]) -> Vec<u8> {
        let keyed = KeyedHmac::new(proto, key).expect("hmac takes any key");
        let mut out = [0u8; MAX_DIGEST_LEN];
        let n = keyed.full_tag(data, &mut out);
        out[..n].to_vec()
    }

    /// The key and data of RFC 2202 §2/§3 test cases 1–7 (HMAC-MD5 and HMAC-SHA-1 use the
    /// same data; the 0x0b, 0xaa and 0x0c keys of cases 1, 3 and 5 are one digest long).
    fn rfc2202_case(case: usize, digest_len: usize) -> (Vec<u8>, Vec<u8>) {
        match case {
            1 => (vec![0x0b; digest_len], b"Hi There".to_vec()),
            2 => (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec()),
            3 => (vec![0xaa; digest_len], vec![0xdd; 50]),
            4 => ((0x01..=0x19).collect(), vec![0xcd; 50]),
            5 => (vec![0x0c; digest_len], b"Test With Truncation".to_vec()),
            6 => (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            ),
            7 => (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"
                    .to_vec(),
            ),
            _ => unreachable!("RFC 2202 has 7 test cases"),
        }
    }

    /// RFC 2202 §2 (HMAC-MD5) and §3 (HMAC-SHA-1), all seven test cases, through the keyed
    /// HMAC state that `AuthKey` signs with.
    #[test]
    fn rfc2202_hmac_md5_and_sha1() {
        let md5 = [
            "9294727a3638bb1c13f48ef8158bfc9d",
            "750c783e6ab0b503eaa86e310a5db738",
            "56be34521d144c88dbb8c733f0e8b3f6",
            "697eaf0aca3a3aea3a75164746ffaa79",
            "56461ef2342edc00f9bab995690efd4c",
            "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd",
            "6f630fad67cda0ee1fb1f562db3aa53e",
        ];
        let sha1 = [
            "b617318655057264e28bc0b6fb378c8ef146be00",
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
            "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
            "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
        ];
        for (proto, digests) in [(AuthProtocol::Md5, md5), (AuthProtocol::Sha1, sha1)] {
            for (case, want) in (1..).zip(digests) {
                let (key, data) = rfc2202_case(case, proto.digest_len());
                assert_eq!(
                    hex::encode(full_hmac(proto, &key, &data)),
                    want,
                    "RFC 2202 HMAC-{proto} test case {case}"
                );
            }
        }
    }

    /// RFC 2202 test case 5 also gives the 96-bit truncation, which is exactly what
    /// HMAC-MD5-96 and HMAC-SHA-96 send (RFC 3414 §6.3.1, §7.3.1).
    #[test]
    fn rfc2202_digest_96_is_the_usm_mac() {
        for (proto, digest_96) in [
            (AuthProtocol::Md5, "56461ef2342edc00f9bab995"),
            (AuthProtocol::Sha1, "4c1a03424b55e07fe7f27be1"),
        ] {
            let (key, data) = rfc2202_case(5, proto.digest_len());
            let keyed = KeyedHmac::new(proto, &key).expect("any key");
            let key = AuthKey { proto, keyed };
            assert_eq!(hex::encode(key.sign(&data)), digest_96, "{proto}");
            assert!(key.verify(&data, &unhex(digest_96)), "{proto}");
        }
    }

    /// The key and data of RFC 4231 §4.2–§4.8 test cases 1–7.
    fn rfc4231_case(case: usize) -> (Vec<u8>, Vec<u8>) {
        match case {
            1 => (vec![0x0b; 20], b"Hi There".to_vec()),
            2 => (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec()),
            3 => (vec![0xaa; 20], vec![0xdd; 50]),
            4 => ((0x01..=0x19).collect(), vec![0xcd; 50]),
            5 => (vec![0x0c; 20], b"Test With Truncation".to_vec()),
            6 => (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
            ),
            7 => (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than \
                  block-size data. The key needs to be hashed before being used by the \
                  HMAC algorithm."
                    .to_vec(),
            ),
            _ => unreachable!("RFC 4231 has 7 test cases"),
        }
    }

    /// RFC 4231 §4.2–§4.8: all seven test cases for HMAC-SHA-224/256/384/512. Test case 5
    /// publishes only the first 128 bits of each HMAC, so only those are compared.
    #[test]
    fn rfc4231_hmac_sha2() {
        let cases: [(AuthProtocol, [&str; 7]); 4] = [
            (
                AuthProtocol::Sha224,
                [
                    "896fb1128abbdf196832107cd49df33f47b4b1169912ba4f53684b22",
                    "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
                    "7fb3cb3588c6c1f6ffa9694d7d6ad2649365b0c1f65d69d1ec8333ea",
                    "6c11506874013cac6a2abc1bb382627cec6a90d86efc012de7afec5a",
                    "0e2aea68a90c8d37c988bcdb9fca6fa8",
                    "95e9a0db962095adaebe9b2d6f0dbce2d499f112f2d2b7273fa6870e",
                    "3a854166ac5d9f023f54d517d0b39dbd946770db9c2b95c9f6f565d1",
                ],
            ),
            (
                AuthProtocol::Sha256,
                [
                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
                    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
                    "a3b6167473100ee06e0c796c2955552b",
                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
                ],
            ),
            (
                AuthProtocol::Sha384,
                [
                    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c
                     faea9ea9076ede7f4af152e8b2fa9cb6",
                    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e
                     8e2240ca5e69e2c78b3239ecfab21649",
                    "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b
                     2a5ab39dc13814b94e3ab6e101a34f27",
                    "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e
                     6801dd23c4a7d679ccf8a386c674cffb",
                    "3abf34c3503b2a23a46efc619baef897",
                    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6
                     0c2ef6ab4030fe8296248df163f44952",
                    "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5
                     a678cc31e799176d3860e6110c46523e",
                ],
            ),
            (
                AuthProtocol::Sha512,
                [
                    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde
                     daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
                    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554
                     9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                    "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39
                     bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb",
                    "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db
                     a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd",
                    "415fad6271580a531d4179bc891d87a6",
                    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352
                     6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
                    "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944
                     b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58",
                ],
            ),
        ];
        for (proto, digests) in cases {
            for (case, want) in (1..).zip(digests) {
                let (key, data) = rfc4231_case(case);
                let want = unhex(want);
                let got = full_hmac(proto, &key, &data);
                assert_eq!(got.len(), proto.digest_len(), "{proto} test case {case}");
                assert_eq!(
                    got[..want.len()],
                    want[..],
                    "RFC 4231 HMAC-{proto} test case {case}"
                );
            }
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
