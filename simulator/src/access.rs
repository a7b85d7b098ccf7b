//! Access control: who may speak to a PDU and what they may do. v1/v2c communities and SNMPv3
//! users (with their localized keys and the lowest securityLevel they may use), each with one
//! [`Access`]. The same type gives an object's MAX-ACCESS in the MIB tree, so "may this principal
//! write this object" is one comparison.
// Code on the path of every network datagram: no panic by overflow, indexing or truncation.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use std::collections::HashMap;
use std::sync::Arc;

use snmp_proto::usm::{
    AuthProtocol, LocalizeError, MasterKeyCache, Password, PrivProtocol, SecurityLevel, UsmUser,
};

/// Read-only or read-write: what a community or user may do, and an object's MAX-ACCESS.
/// In config files: `read-only` (or `ro`, `readonly`) and `read-write` (or `rw`, `readwrite`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// GET, GETNEXT, GETBULK; a SET is refused (noAccess, or noSuchName / readOnly under v1).
    #[serde(alias = "ro", alias = "readonly")]
    ReadOnly,
    /// Reads and SETs.
    #[serde(alias = "rw", alias = "readwrite")]
    ReadWrite,
}

/// A v1/v2c community string and what it may do.
#[derive(Clone, Debug)]
pub struct Community {
    /// The community string: a password in all but name, so the workspace's secret type
    /// (never printed).
    pub name: Password,
    /// What requests under this community may do.
    pub access: Access,
}

/// An SNMPv3 user as configured: protocols and passwords, before localisation to an engine.
#[derive(Clone, Debug)]
pub struct UserSpec {
    /// usmUserName.
    pub name: String,
    /// Authentication protocol and password, or `None` for a noAuthNoPriv user.
    pub auth: Option<(AuthProtocol, Password)>,
    /// Privacy protocol and password (needs `auth`).
    pub privacy: Option<(PrivProtocol, Password)>,
    /// What the user may do.
    pub access: Access,
    /// The lowest security level this user may use; requests below it are refused with
    /// authorizationError, as a VACM access entry at that level would. Defaults to the
    /// level the user's keys allow.
    pub min_level: Option<SecurityLevel>,
}

impl UserSpec {
    /// The strongest level this user's protocols allow.
    pub fn key_level(&self) -> SecurityLevel {
        match (&self.auth, &self.privacy) {
            (None, _) => SecurityLevel::NoAuthNoPriv,
            (Some(_), None) => SecurityLevel::AuthNoPriv,
            (Some(_), Some(_)) => SecurityLevel::AuthPriv,
        }
    }
}

/// Why the user table could not be built.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// A password too short, or privacy without authentication.
    #[error("user {user:?}: {source}")]
    Keys {
        /// The user's name.
        user: String,
        /// What was wrong with the keys.
        source: LocalizeError,
    },
    /// Two users with the same name on one PDU.
    #[error("user {user:?} is defined twice: user names must be unique per PDU")]
    Duplicate {
        /// The user's name.
        user: String,
    },
}

/// A user with keys localized to this engine, ready for the hot path.
#[derive(Debug)]
pub struct User {
    /// The name and localized keys.
    pub usm: UsmUser,
    /// What the user may do.
    pub access: Access,
    /// The lowest securityLevel accepted from this user.
    pub min_level: SecurityLevel,
}

/// usmUserTable of one engine, keyed by user name.
#[derive(Debug, Default)]
pub struct UserTable {
    users: HashMap<Vec<u8>, Arc<User>>,
}

impl UserTable {
    /// Localizes every user's keys to `engine_id` once, at start.
    ///
    /// Errors: a password under 8 characters, privacy without authentication, a name twice.
    pub fn new(
        specs: &[UserSpec],
        engine_id: &[u8],
        cache: &MasterKeyCache,
    ) -> Result<UserTable, UserError> {
        let mut users = HashMap::new();
        for spec in specs {
            let usm = UsmUser::localize(
                spec.name.as_bytes(),
                spec.auth.as_ref().map(|(p, pw)| (*p, pw)),
                spec.privacy.as_ref().map(|(p, pw)| (*p, pw)),
                engine_id,
                cache,
            )
            .map_err(|source| UserError::Keys {
                user: spec.name.clone(),
                source,
            })?;
            let min_level = spec.min_level.unwrap_or_else(|| spec.key_level());
            let user = User {
                usm,
                access: spec.access,
                min_level,
            };
            if users
                .insert(user.usm.name.clone(), Arc::new(user))
                .is_some()
            {
                return Err(UserError::Duplicate {
                    user: spec.name.clone(),
                });
            }
        }
        Ok(UserTable { users })
    }

    /// True when no SNMPv3 user is configured.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The user named `name` (msgUserName), if configured.
    pub fn get(&self, name: &[u8]) -> Option<&Arc<User>> {
        self.users.get(name)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::type_complexity
)]
mod tests {
    use super::*;

    fn spec(name: &str, auth: Option<&str>, privacy: Option<&str>) -> UserSpec {
        UserSpec {
            name: name.into(),
            auth: auth.map(|p| (AuthProtocol::Sha1, Password::from(p))),
            privacy: privacy.map(|p| (PrivProtocol::Aes128, Password::from(p))),
            access: Access::ReadWrite,
            min_level: None,
        }
    }

    #[test]
    fn users_are_localized_with_their_levels() {
        let cache = MasterKeyCache::default();
        let t = UserTable::new(
            &[
                spec("a", Some("authpass1"), Some("privpass1")),
                spec("b", None, None),
            ],
            b"\x80\0\0\0\x01",
            &cache,
        )
        .unwrap();
        assert_eq!(t.get(b"a").unwrap().min_level, SecurityLevel::AuthPriv);
        assert_eq!(t.get(b"b").unwrap().min_level, SecurityLevel::NoAuthNoPriv);
        assert!(t.get(b"c").is_none());
    }

    #[test]
    fn bad_users_are_refused_by_name_without_their_passwords() {
        let cache = MasterKeyCache::default();
        let short = UserTable::new(&[spec("a", Some("short"), None)], b"\x80\0\0\0\x01", &cache)
            .unwrap_err();
        let text = short.to_string();
        assert!(
            text.contains("\"a\"") && text.contains("at least 8") && !text.contains("short"),
            "{text}"
        );
        let twice = UserTable::new(
            &[spec("a", None, None), spec("a", None, None)],
            b"\x80\0\0\0\x01",
            &cache,
        );
        assert!(matches!(twice, Err(UserError::Duplicate { .. })));
        let no_auth = UserTable::new(
            &[spec("p", None, Some("privpass1"))],
            b"\x80\0\0\0\x01",
            &cache,
        );
        assert!(matches!(
            no_auth,
            Err(UserError::Keys {
                source: LocalizeError::PrivWithoutAuth,
                ..
            })
        ));
    }

    #[test]
    fn access_names_parse() {
        // Config files name an access by its serde names and aliases (no second parser).
        let parse = |text: &str| {
            #[derive(serde::Deserialize)]
            struct Entry {
                access: Access,
            }
            toml::from_str::<Entry>(&format!("access = {text:?}"))
                .ok()
                .map(|e| e.access)
        };
        assert_eq!(parse("rw"), Some(Access::ReadWrite));
        assert_eq!(parse("read-only"), Some(Access::ReadOnly));
        assert_eq!(parse("write"), None);
        assert!(!format!(
            "{:?}",
            Community {
                name: "s3cret".into(),
                access: Access::ReadOnly
            }
        )
        .contains("s3cret"));
    }
}
