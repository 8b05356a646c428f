//! Sheet identity (docs/decisions.md D22): which batch, store and agent a
//! sheet belongs to and which leads it holds, with a MAC keyed by the
//! database's own secret, so a returned file cannot speak for another
//! agent's leads.

use diesel::prelude::*;
use hmac::{Hmac, Mac};
use la_schema::schema::lead_assignment_secrets as las;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hidden, read-only form field that carries the identity.
pub const IDENTITY_FIELD: &str = "sheet_identity";

/// The secret's row in `lead_assignment_secrets`.
const KEY_NAME: &str = "sheet_mac_key";

/// The identity format's version.
const VERSION: u8 = 1;

/// The key that signs and verifies sheet identities.
#[derive(Clone)]
pub struct SheetKey(Vec<u8>);

impl std::fmt::Debug for SheetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SheetKey(..)")
    }
}

impl SheetKey {
    /// Reads the database's key (made by the migrations).
    pub fn load(conn: &mut PgConnection) -> Result<SheetKey, IdentityError> {
        las::table
            .find(KEY_NAME)
            .select(las::value)
            .first::<Vec<u8>>(conn)
            .optional()?
            .filter(|k| k.len() >= 16)
            .map(SheetKey)
            .ok_or(IdentityError::NoKey)
    }

    /// A key from bytes (tests and tools).
    pub fn from_bytes(bytes: &[u8]) -> SheetKey {
        SheetKey(bytes.to_vec())
    }

    fn mac(&self) -> Result<Hmac<Sha256>, IdentityError> {
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0).map_err(|_| IdentityError::NoKey)
    }
}

/// Which sheet a file is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetIdentity {
    pub batch_id: i64,
    pub store_code: String,
    pub agent_id: i64,
    pub agent_code: String,
    /// How many leads the sheet holds.
    pub leads: usize,
    /// SHA-256 (hex) of the sheet's lead codes, sorted, one per line.
    pub codes: String,
}

/// The identity as stored: the fields plus version and MAC.
#[derive(Serialize, Deserialize)]
struct Signed {
    v: u8,
    #[serde(flatten)]
    identity: SheetIdentity,
    mac: String,
}

/// Why an identity cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the database has no sheet key: run `leads-assignment migrate`")]
    NoKey,
    #[error("reading the sheet key: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("the sheet identity is unreadable: {0}")]
    Malformed(String),
    #[error("the sheet identity does not verify: the file was altered, or it was made for another database")]
    BadMac,
}

impl SheetIdentity {
    /// The identity of a sheet holding `codes`.
    pub fn new<'a>(
        batch_id: i64,
        store_code: &str,
        agent_id: i64,
        agent_code: &str,
        codes: impl IntoIterator<Item = &'a str>,
    ) -> SheetIdentity {
        let mut codes: Vec<&str> = codes.into_iter().collect();
        codes.sort_unstable();
        SheetIdentity {
            batch_id,
            store_code: store_code.to_string(),
            agent_id,
            agent_code: agent_code.to_string(),
            leads: codes.len(),
            codes: hex(&Sha256::digest(codes.join("\n").as_bytes())),
        }
    }

    /// The field value: the identity as JSON with its MAC.
    pub fn sign(&self, key: &SheetKey) -> Result<String, IdentityError> {
        let mut mac = key.mac()?;
        mac.update(&self.message());
        let signed = Signed {
            v: VERSION,
            identity: self.clone(),
            mac: hex(&mac.finalize().into_bytes()),
        };
        serde_json::to_string(&signed).map_err(|e| IdentityError::Malformed(e.to_string()))
    }

    /// Reads a field value and checks its MAC.
    pub fn verify(value: &str, key: &SheetKey) -> Result<SheetIdentity, IdentityError> {
        let signed: Signed =
            serde_json::from_str(value).map_err(|e| IdentityError::Malformed(e.to_string()))?;
        if signed.v != VERSION {
            return Err(IdentityError::Malformed(format!(
                "version {} is not known",
                signed.v
            )));
        }
        let tag = unhex(&signed.mac).ok_or(IdentityError::BadMac)?;
        let mut mac = key.mac()?;
        mac.update(&signed.identity.message());
        mac.verify_slice(&tag).map_err(|_| IdentityError::BadMac)?;
        Ok(signed.identity)
    }

    /// The bytes the MAC covers: every field, unambiguously separated.
    fn message(&self) -> Vec<u8> {
        serde_json::to_vec(&(
            VERSION,
            self.batch_id,
            &self.store_code,
            self.agent_id,
            &self.agent_code,
            self.leads,
            &self.codes,
        ))
        .unwrap_or_default()
    }
}

/// docs/decisions.md D22: `sheet` (agent `agent_id`'s) gets its signed identity.
pub fn sign_sheet(
    sheet: &mut crate::sheet::Sheet,
    agent_id: i64,
    key: &SheetKey,
) -> Result<(), IdentityError> {
    let h = &sheet.header;
    let identity = SheetIdentity::new(
        h.batch_id,
        &h.store_code,
        agent_id,
        &h.agent_code,
        sheet.rows.iter().map(|r| r.lead_assignment_code.as_str()),
    );
    sheet.identity = Some(identity.sign(key)?);
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> SheetIdentity {
        SheetIdentity::new(7, "S1", 3, "0001", ["L2501290001-0002", "L2501290001-0001"])
    }

    #[test]
    fn signed_identity_verifies_with_its_key_only() {
        let key = SheetKey::from_bytes(&[7; 32]);
        let value = identity().sign(&key).unwrap_or_default();
        assert_eq!(SheetIdentity::verify(&value, &key).ok(), Some(identity()));
        let other = SheetKey::from_bytes(&[8; 32]);
        assert!(matches!(
            SheetIdentity::verify(&value, &other),
            Err(IdentityError::BadMac)
        ));
    }

    #[test]
    fn any_edit_breaks_the_mac() {
        let key = SheetKey::from_bytes(&[7; 32]);
        let value = identity().sign(&key).unwrap_or_default();
        for (from, to) in [
            ("\"agent_id\":3", "\"agent_id\":4"),
            ("\"batch_id\":7", "\"batch_id\":8"),
            ("\"store_code\":\"S1\"", "\"store_code\":\"S2\""),
            ("\"leads\":2", "\"leads\":3"),
        ] {
            assert!(value.contains(from), "{value}");
            let edited = value.replace(from, to);
            assert!(
                matches!(
                    SheetIdentity::verify(&edited, &key),
                    Err(IdentityError::BadMac)
                ),
                "{from} -> {to}"
            );
        }
        assert!(matches!(
            SheetIdentity::verify("not json", &key),
            Err(IdentityError::Malformed(_))
        ));
    }

    #[test]
    fn code_order_does_not_matter() {
        let a = SheetIdentity::new(1, "S", 1, "A", ["b", "a"]);
        let b = SheetIdentity::new(1, "S", 1, "A", ["a", "b"]);
        assert_eq!(a, b);
    }
}
