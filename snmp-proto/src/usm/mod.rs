//! The User-based Security Model (RFC 3414, 3826, 7860): key derivation ([`keys`]),
//! authentication ([`auth`]), privacy ([`privacy`]), a user's localized keys ([`UsmUser`]), and
//! the protection of whole messages for either side of an exchange ([`protect`]).

pub mod auth;
pub mod keys;
pub mod privacy;
pub mod protect;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

pub use auth::AuthKey;
pub use keys::{AuthProtocol, KeyError};
pub use privacy::{PrivKey, PrivProtocol};

/// securityLevel (RFC 3411 §3.4.3), as msgFlags carries it, ordered from weakest to strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SecurityLevel {
    /// noAuthNoPriv: msgFlags auth and priv bits clear.
    NoAuthNoPriv,
    /// authNoPriv: authenticated, not encrypted.
    AuthNoPriv,
    /// authPriv: authenticated and encrypted.
    AuthPriv,
}

impl SecurityLevel {
    /// Every level, weakest first.
    pub const ALL: [SecurityLevel; 3] = [
        SecurityLevel::NoAuthNoPriv,
        SecurityLevel::AuthNoPriv,
        SecurityLevel::AuthPriv,
    ];

    /// The level msgFlags' two low bits give; `None` for privacy without authentication,
    /// which RFC 3412 §7.2 step 5 drops (snmpInvalidMsgs).
    pub fn from_flags(flags: u8) -> Option<SecurityLevel> {
        match flags & 0x03 {
            0 => Some(SecurityLevel::NoAuthNoPriv),
            1 => Some(SecurityLevel::AuthNoPriv),
            3 => Some(SecurityLevel::AuthPriv),
            _ => None,
        }
    }

    /// The auth and priv bits of msgFlags for this level (without the reportable bit).
    pub fn flags(self) -> u8 {
        match self {
            SecurityLevel::NoAuthNoPriv => 0,
            SecurityLevel::AuthNoPriv => 1,
            SecurityLevel::AuthPriv => 3,
        }
    }

    /// The RFC 3411 name, as net-snmp's `-l` takes it: `noAuthNoPriv`, `authNoPriv`, `authPriv`.
    pub const fn name(self) -> &'static str {
        match self {
            SecurityLevel::NoAuthNoPriv => "noAuthNoPriv",
            SecurityLevel::AuthNoPriv => "authNoPriv",
            SecurityLevel::AuthPriv => "authPriv",
        }
    }
}

impl fmt::Display for SecurityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A security level name that is none of `noAuthNoPriv`, `authNoPriv`, `authPriv`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a security level: use noAuthNoPriv, authNoPriv or authPriv")]
pub struct SecurityLevelParseError(pub String);

impl FromStr for SecurityLevel {
    type Err = SecurityLevelParseError;
    /// Case-insensitive RFC 3411 names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SecurityLevel::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| SecurityLevelParseError(s.to_string()))
    }
}

/// The one secret type of this workspace: passwords, localized-key sources and community
/// strings, from the `secrecy` crate. Zeroed on drop, printed as `[REDACTED]` by `Debug`, no
/// `Display`; read it only through [`ExposeSecret::expose_secret`] where the text is needed
/// (key derivation, the community field of a message).
pub type Password = SecretString;
pub use secrecy::{ExposeSecret, SecretString};
/// A user's keys localized to one authoritative engine: what USM needs to protect and check the
/// messages of one usmUserEntry (RFC 3414 §2.1, §5). Used by both sides: an agent holds one per
/// configured user for its own engine ID; a manager makes one for each agent it talks to, after
/// discovering that agent's engine ID.
pub struct UsmUser {
    /// usmUserName (also the securityName), as sent in msgUserName.
    pub name: Vec<u8>,
    /// The keyed HMAC, or `None` for a noAuthNoPriv-only user.
    pub auth: Option<AuthKey>,
    /// The privacy key, or `None` when the user has no privacy protocol.
    pub privacy: Option<PrivKey>,
}

impl fmt::Debug for UsmUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsmUser")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("auth", &self.auth.as_ref().map(|k| k.protocol()))
            .field("privacy", &self.privacy.as_ref().map(|k| k.protocol()))
            .finish()
    }
}

/// Why a user's keys could not be made (RFC 3414 §2.6, §11.2).
#[derive(Debug, thiserror::Error)]
pub enum LocalizeError {
    /// The authentication password is too short (or the key has the wrong length).
    #[error("authentication password: {0}")]
    AuthPassword(KeyError),
    /// The privacy password is too short (or the key has the wrong length).
    #[error("privacy password: {0}")]
    PrivPassword(KeyError),
    /// A privacy protocol without an authentication protocol: USM has no authPriv without auth.
    #[error("privacy needs authentication: give an auth protocol and password too")]
    PrivWithoutAuth,
}

impl UsmUser {
    /// Derives and localizes a user's keys to `engine_id` (RFC 3414 A.2 password-to-key, then
    /// §2.6 localisation; the privacy key uses the authentication protocol's hash, RFC 3826
    /// §1.2). Master keys come from `cache`, so many engines sharing one password hash the
    /// megabyte once.
    ///
    /// Errors: a password under 8 characters ([`keys::MIN_PASSWORD_LEN`]), or privacy without
    /// authentication.
    pub fn localize(
        name: &[u8],
        auth: Option<(AuthProtocol, &Password)>,
        privacy: Option<(PrivProtocol, &Password)>,
        engine_id: &[u8],
        cache: &MasterKeyCache,
    ) -> Result<UsmUser, LocalizeError> {
        let auth_key = match auth {
            Some((proto, password)) => {
                let master = cache
                    .master_key(proto, password)
                    .map_err(LocalizeError::AuthPassword)?;
                Some(
                    AuthKey::new(proto, &master.localize(engine_id))
                        .map_err(LocalizeError::AuthPassword)?,
                )
            }
            None => None,
        };
        let priv_key = match (privacy, auth) {
            (Some(_), None) => return Err(LocalizeError::PrivWithoutAuth),
            (Some((proto, password)), Some((auth_proto, _))) => {
                let master = cache
                    .master_key(auth_proto, password)
                    .map_err(LocalizeError::PrivPassword)?;
                Some(
                    PrivKey::from_localized(
                        proto,
                        auth_proto,
                        &master.localize(engine_id),
                        engine_id,
                    )
                    .map_err(LocalizeError::PrivPassword)?,
                )
            }
            (None, _) => None,
        };
        Ok(UsmUser {
            name: name.to_vec(),
            auth: auth_key,
            privacy: priv_key,
        })
    }

    /// The strongest level this user's keys allow.
    pub fn key_level(&self) -> SecurityLevel {
        match (&self.auth, &self.privacy) {
            (None, _) => SecurityLevel::NoAuthNoPriv,
            (Some(_), None) => SecurityLevel::AuthNoPriv,
            (Some(_), Some(_)) => SecurityLevel::AuthPriv,
        }
    }
}

/// Master keys (Ku) by protocol and password. Turning a password into Ku hashes a megabyte, so
/// a process with thousands of PDUs sharing credentials does it once per credential, not once
/// per PDU; localising Ku to each engine is cheap.
#[derive(Default)]
pub struct MasterKeyCache {
    // Keyed by a digest of the password, so the cache holds no password copies.
    keys: std::sync::Mutex<HashMap<(AuthProtocol, [u8; 32]), MasterKeyRef>>,
}

impl fmt::Debug for MasterKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKeyCache(<redacted>)")
    }
}

impl MasterKeyCache {
    /// Ku for `password` under `proto`'s hash (RFC 3414 A.2), computed once per pair.
    ///
    /// Errors: [`KeyError::PasswordTooShort`] under 8 characters.
    pub fn master_key(
        &self,
        proto: AuthProtocol,
        password: &Password,
    ) -> Result<std::sync::Arc<keys::MasterKey>, KeyError> {
        use sha2::Digest;
        let key = (
            proto,
            <[u8; 32]>::from(sha2::Sha256::digest(password.expose_secret().as_bytes())),
        );
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = keys.get(&key) {
            return Ok(found.clone());
        }
        let master = std::sync::Arc::new(keys::password_to_key(
            proto,
            password.expose_secret().as_bytes(),
        )?);
        keys.insert(key, master.clone());
        Ok(master)
    }
}

type MasterKeyRef = std::sync::Arc<keys::MasterKey>;
