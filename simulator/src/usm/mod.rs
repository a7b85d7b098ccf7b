//! The User-based Security Model (RFC 3414, 3826, 7860): key derivation, authentication and
//! privacy, and the table of users an engine knows with their localized keys.

pub mod auth;
pub mod keys;
pub mod privacy;

use std::collections::HashMap;
use std::fmt;

use zeroize::Zeroizing;

use crate::mib::Access;
use auth::AuthKey;
pub use keys::{AuthProtocol, KeyError};
use privacy::PrivKey;
pub use privacy::PrivProtocol;

/// msgFlags' security level, ordered from weakest to strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecurityLevel {
    NoAuthNoPriv,
    AuthNoPriv,
    AuthPriv,
}

impl SecurityLevel {
    pub fn from_flags(flags: u8) -> Option<SecurityLevel> {
        match flags & 0x03 {
            0 => Some(SecurityLevel::NoAuthNoPriv),
            1 => Some(SecurityLevel::AuthNoPriv),
            3 => Some(SecurityLevel::AuthPriv),
            _ => None, // privacy without authentication (RFC 3412 §7.2 step 5)
        }
    }

    pub fn flags(self) -> u8 {
        match self {
            SecurityLevel::NoAuthNoPriv => 0,
            SecurityLevel::AuthNoPriv => 1,
            SecurityLevel::AuthPriv => 3,
        }
    }
}

/// A password held in memory: zeroed on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(text: impl Into<String>) -> Self {
        Password(Zeroizing::new(text.into()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A user as configured: protocols and passwords, before localisation to an engine.
#[derive(Clone, Debug)]
pub struct UserSpec {
    pub name: String,
    pub auth: Option<(AuthProtocol, Password)>,
    pub privacy: Option<(PrivProtocol, Password)>,
    pub access: Access,
    /// The lowest security level this user may use; requests below it are refused with
    /// authorizationError, as a VACM access entry at that level would. Defaults to the
    /// level the user's keys allow.
    pub min_level: Option<SecurityLevel>,
}

impl UserSpec {
    pub fn key_level(&self) -> SecurityLevel {
        match (&self.auth, &self.privacy) {
            (None, _) => SecurityLevel::NoAuthNoPriv,
            (Some(_), None) => SecurityLevel::AuthNoPriv,
            (Some(_), Some(_)) => SecurityLevel::AuthPriv,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("user {user:?}: authentication password: {source}")]
    AuthPassword { user: String, source: KeyError },
    #[error("user {user:?}: privacy password: {source}")]
    PrivPassword { user: String, source: KeyError },
    #[error("user {user:?}: privacy needs authentication: give an auth protocol and password too")]
    PrivWithoutAuth { user: String },
    #[error("user {user:?} is defined twice: user names must be unique per PDU")]
    Duplicate { user: String },
}

/// A user with keys localized to this engine, ready for the hot path.
pub struct UsmUser {
    pub name: Vec<u8>,
    pub auth: Option<AuthKey>,
    pub privacy: Option<PrivKey>,
    pub access: Access,
    pub min_level: SecurityLevel,
}

impl fmt::Debug for UsmUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsmUser")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("auth", &self.auth.as_ref().map(|k| k.protocol()))
            .field("privacy", &self.privacy.as_ref().map(|k| k.protocol()))
            .field("access", &self.access)
            .finish()
    }
}

impl UsmUser {
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
    pub fn master_key(
        &self,
        proto: AuthProtocol,
        password: &Password,
    ) -> Result<std::sync::Arc<keys::MasterKey>, KeyError> {
        use sha2::Digest;
        let key = (
            proto,
            <[u8; 32]>::from(sha2::Sha256::digest(password.expose().as_bytes())),
        );
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = keys.get(&key) {
            return Ok(found.clone());
        }
        let master =
            std::sync::Arc::new(keys::password_to_key(proto, password.expose().as_bytes())?);
        keys.insert(key, master.clone());
        Ok(master)
    }
}

type MasterKeyRef = std::sync::Arc<keys::MasterKey>;

/// usmUserTable, keyed by user name.
#[derive(Debug, Default)]
pub struct UserTable {
    users: HashMap<Vec<u8>, std::sync::Arc<UsmUser>>,
}

impl UserTable {
    /// Localizes every user's keys to `engine_id` once, at start.
    pub fn new(
        specs: &[UserSpec],
        engine_id: &[u8],
        cache: &MasterKeyCache,
    ) -> Result<UserTable, UserError> {
        let mut users = HashMap::new();
        for spec in specs {
            let user = || spec.name.clone();
            let auth =
                match &spec.auth {
                    Some((proto, password)) => {
                        let master = cache.master_key(*proto, password).map_err(|source| {
                            UserError::AuthPassword {
                                user: user(),
                                source,
                            }
                        })?;
                        Some(AuthKey::new(*proto, &master.localize(engine_id)).map_err(
                            |source| UserError::AuthPassword {
                                user: user(),
                                source,
                            },
                        )?)
                    }
                    None => None,
                };
            let privacy = match (&spec.privacy, &spec.auth) {
                (Some(_), None) => return Err(UserError::PrivWithoutAuth { user: user() }),
                (Some((proto, password)), Some((auth_proto, _))) => {
                    // The privacy key is derived with the authentication protocol's hash.
                    let master = cache.master_key(*auth_proto, password).map_err(|source| {
                        UserError::PrivPassword {
                            user: user(),
                            source,
                        }
                    })?;
                    Some(
                        PrivKey::from_localized(
                            *proto,
                            *auth_proto,
                            &master.localize(engine_id),
                            engine_id,
                        )
                        .map_err(|source| UserError::PrivPassword {
                            user: user(),
                            source,
                        })?,
                    )
                }
                (None, _) => None,
            };
            let usm_user = UsmUser {
                name: spec.name.as_bytes().to_vec(),
                auth,
                privacy,
                access: spec.access,
                min_level: spec.min_level.unwrap_or_else(|| spec.key_level()),
            };
            if users
                .insert(usm_user.name.clone(), std::sync::Arc::new(usm_user))
                .is_some()
            {
                return Err(UserError::Duplicate { user: user() });
            }
        }
        Ok(UserTable { users })
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    pub fn get(&self, name: &[u8]) -> Option<&std::sync::Arc<UsmUser>> {
        self.users.get(name)
    }
}
