//! Personal data (addresses, phones, residents' and volunteers' real names): only in
//! these tables, never in a document.

use std::str::FromStr;

use rusqlite::{OptionalExtension, params};
use wishtree_protocol::id::{MemberId, VolunteerId, WishId};

use super::{Store, StoreError, StoreTransaction};

/// A member's personal data (the two items of 七清楚 that never leave the node).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemberPrivate {
    /// Home address.
    pub address: String,
    /// Phone number.
    pub phone: String,
}

/// A resident's personal data, kept for the wish they ordered.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResidentPrivate {
    /// The resident's real name.
    pub real_name: String,
    /// Phone number.
    pub phone: String,
    /// Address, if the resident gave one (a sealed submission from the poster's form).
    pub address: String,
}

/// A volunteer's personal data: the document carries the worker's label instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct VolunteerPrivate {
    /// The volunteer's real name.
    pub name: String,
    /// Phone number.
    pub phone: String,
}

impl Store {
    /// One member's personal data.
    pub fn member_private(&self, id: MemberId) -> Result<Option<MemberPrivate>, StoreError> {
        self.connection
            .query_row(
                "SELECT address, phone FROM private_members WHERE member_id = ?1",
                [id.to_string()],
                |row| {
                    Ok(MemberPrivate {
                        address: row.get(0)?,
                        phone: row.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    /// Every member's personal data, by member.
    pub fn members_private(
        &self,
    ) -> Result<std::collections::BTreeMap<MemberId, MemberPrivate>, StoreError> {
        self.private_rows(
            "SELECT member_id, address, phone, '' FROM private_members",
            |address, phone, _| MemberPrivate { address, phone },
        )
    }

    /// One resident's personal data, by the wish they ordered.
    pub fn resident_private(&self, wish: WishId) -> Result<Option<ResidentPrivate>, StoreError> {
        self.connection
            .query_row(
                "SELECT real_name, phone, address FROM private_residents WHERE wish_id = ?1",
                [wish.to_string()],
                |row| {
                    Ok(ResidentPrivate {
                        real_name: row.get(0)?,
                        phone: row.get(1)?,
                        address: row.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.error(e))
    }

    /// Every resident's personal data, by wish.
    pub fn residents_private(
        &self,
    ) -> Result<std::collections::BTreeMap<WishId, ResidentPrivate>, StoreError> {
        self.private_rows(
            "SELECT wish_id, real_name, phone, address FROM private_residents",
            |real_name, phone, address| ResidentPrivate {
                real_name,
                phone,
                address,
            },
        )
    }

    /// Every volunteer's personal data, by volunteer.
    pub fn volunteers_private(
        &self,
    ) -> Result<std::collections::BTreeMap<VolunteerId, VolunteerPrivate>, StoreError> {
        self.private_rows(
            "SELECT volunteer_id, name, phone, '' FROM private_volunteers",
            |name, phone, _| VolunteerPrivate { name, phone },
        )
    }

    fn private_rows<K: FromStr + Ord, V>(
        &self,
        sql: &str,
        make: impl Fn(String, String, String) -> V,
    ) -> Result<std::collections::BTreeMap<K, V>, StoreError> {
        let mut statement = self
            .connection
            .prepare_cached(sql)
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                ))
            })
            .map_err(|e| self.error(e))?;
        let mut map = std::collections::BTreeMap::new();
        for row in rows {
            let (key, first, second, third) = row.map_err(|e| self.error(e))?;
            let key = key.parse().map_err(|_| StoreError::Damaged {
                path: self.shown(),
                reason: format!("a personal-data row is keyed by `{key}`, which is not an id"),
            })?;
            map.insert(key, make(first, second, third));
        }
        Ok(map)
    }
}

impl StoreTransaction<'_> {
    /// Stores a member's personal data.
    pub fn put_member_private(
        &self,
        id: MemberId,
        private: &MemberPrivate,
    ) -> Result<(), StoreError> {
        self.put_private(
            "INSERT INTO private_members (member_id, address, phone) VALUES (?1, ?2, ?3)
             ON CONFLICT (member_id) DO UPDATE SET address = excluded.address, phone = excluded.phone",
            params![id.to_string(), private.address, private.phone],
        )
    }

    /// Stores a volunteer's personal data.
    pub fn put_volunteer_private(
        &self,
        id: VolunteerId,
        private: &VolunteerPrivate,
    ) -> Result<(), StoreError> {
        self.put_private(
            "INSERT INTO private_volunteers (volunteer_id, name, phone) VALUES (?1, ?2, ?3)
             ON CONFLICT (volunteer_id) DO UPDATE SET name = excluded.name, phone = excluded.phone",
            params![id.to_string(), private.name, private.phone],
        )
    }

    /// Stores a resident's personal data for the wish they ordered.
    pub fn put_resident_private(
        &self,
        wish: WishId,
        private: &ResidentPrivate,
    ) -> Result<(), StoreError> {
        self.put_private(
            "INSERT INTO private_residents (wish_id, real_name, phone, address) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (wish_id) DO UPDATE SET real_name = excluded.real_name,
                 phone = excluded.phone, address = excluded.address",
            params![wish.to_string(), private.real_name, private.phone, private.address],
        )
    }

    /// Writes one personal-data row (`sql` an upsert of it).
    fn put_private(&self, sql: &str, values: impl rusqlite::Params) -> Result<(), StoreError> {
        self.transaction
            .execute(sql, values)
            .map(drop)
            .map_err(|e| self.error(e))
    }
}
