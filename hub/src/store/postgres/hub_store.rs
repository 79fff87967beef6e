//! `HubStore` for [`PgStore`]: each call a statement (or a transaction) on a pooled
//! connection, the statements those of `store/sql.rs` numbered for PostgreSQL.

#[allow(clippy::wildcard_imports)]
use super::*;

impl HubStore for PgStore {
    fn enroll(
        &self,
        key: PublicKey,
        role: EnrolledRole,
        at: Timestamp,
    ) -> Result<Enrollment, StoreError> {
        let (role_name, community, scope) = super::super::role_columns(&role);
        let enrolled = Enrollment {
            key,
            role,
            enrolled_at: at,
            revoked: None,
        };
        self.in_transaction(async move |transaction| {
            if let Some(existing) = read_enrollment(transaction, &enrolled.key).await? {
                return Err(StoreError::AlreadyEnrolled {
                    key: enrolled.key.short(),
                    role: existing.role.to_string(),
                });
            }
            if let EnrolledRole::Node { community } = &enrolled.role
                && let Some(active) = active_key(transaction, *community).await?
            {
                return Err(StoreError::CommunityTaken {
                    community: *community,
                    key: active.short(),
                });
            }
            transaction
                .execute_typed(
                    &pg(sql::INSERT_ENROLLMENT),
                    &[
                        (&enrolled.key.to_bytes().as_slice(), Type::BYTEA),
                        (&role_name, Type::TEXT),
                        (&community, Type::TEXT),
                        (&scope, Type::TEXT),
                        (&at.as_millis(), Type::INT8),
                    ],
                )
                .await?;
            Ok(enrolled)
        })
    }

    fn revoke(
        &self,
        key: &PublicKey,
        at: Timestamp,
        reason: &str,
    ) -> Result<Enrollment, StoreError> {
        self.in_transaction(async move |transaction| {
            let changed = transaction
                .execute_typed(
                    &pg(sql::REVOKE),
                    &[
                        (&key.to_bytes().as_slice(), Type::BYTEA),
                        (&at.as_millis(), Type::INT8),
                        (&reason, Type::TEXT),
                    ],
                )
                .await?;
            let enrollment = read_enrollment(transaction, key)
                .await?
                .ok_or_else(|| StoreError::NotEnrolled(key.short()))?;
            if changed == 0 && enrollment.revoked.is_none() {
                return Err(StoreError::NotEnrolled(key.short()));
            }
            Ok(enrollment)
        })
    }

    fn enrollment(&self, key: &PublicKey) -> Result<Option<Enrollment>, StoreError> {
        let pooled = self.client()?;
        pooled.conn().call(|client| read_enrollment(client, key))
    }

    fn community_key(&self, community: CommunityCode) -> Result<Option<PublicKey>, StoreError> {
        let pooled = self.client()?;
        pooled.conn().call(|client| active_key(client, community))
    }

    fn enrollments(&self) -> Result<Vec<Enrollment>, StoreError> {
        self.query(
            &format!("{} ORDER BY enrolled_at, key", sql::ENROLLMENTS),
            &[],
        )?
        .iter()
        .map(row_to_enrollment)
        .collect()
    }

    fn doc_bytes(&self, doc: StoredDoc) -> Result<Option<Vec<u8>>, StoreError> {
        let rows = self.query(&pg(sql::CHUNKS), &[(&doc.storage_key(), Type::TEXT)])?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        for row in rows {
            bytes.extend_from_slice(row.try_get::<_, &[u8]>(0)?);
        }
        Ok(Some(bytes))
    }

    fn append_chunk(&self, doc: StoredDoc, bytes: &[u8], at: Timestamp) -> Result<(), StoreError> {
        self.in_transaction(async move |transaction| {
            append_chunk_in(transaction, doc, bytes, at).await
        })
    }

    fn last_bundle_seq(&self, issuer: &PublicKey) -> Result<Option<u64>, StoreError> {
        self.query(
            &pg(sql::BUNDLE_SEQ),
            &[(&issuer.to_bytes().as_slice(), Type::BYTEA)],
        )?
        .first()
        .map(|row| decode_seq(row.try_get(0)?))
        .transpose()
    }

    fn accept_bundle(
        &self,
        doc: StoredDoc,
        chunk: &[u8],
        receipt: &BundleReceipt,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let seq = stored_bundle_seq(receipt)?;
        self.in_transaction(async move |transaction| {
            // As in SQLite's: the seq is raised only if it grows, and a second import
            // that raced past the check rolls back with its chunk.
            let raised = transaction
                .execute_typed(
                    &pg(sql::RAISE_BUNDLE_SEQ),
                    &[
                        (&receipt.issuer.to_bytes().as_slice(), Type::BYTEA),
                        (&seq, Type::INT8),
                        (&receipt.hash.as_slice(), Type::BYTEA),
                        (
                            &receipt.previous.as_ref().map(<[u8; 32]>::as_slice),
                            Type::BYTEA,
                        ),
                        (&at.as_millis(), Type::INT8),
                    ],
                )
                .await?;
            if raised == 0 {
                let last: i64 = transaction
                    .query_typed_one(
                        &pg(sql::BUNDLE_SEQ),
                        &[(&receipt.issuer.to_bytes().as_slice(), Type::BYTEA)],
                    )
                    .await?
                    .try_get(0)?;
                return Err(StoreError::BundleNotNewer {
                    seq: receipt.seq,
                    last: u64::try_from(last).unwrap_or(0),
                });
            }
            if !chunk.is_empty() {
                append_chunk_in(transaction, doc, chunk, at).await?;
            }
            Ok(())
        })
    }

    fn compact(&self, doc: StoredDoc, full_save: &[u8]) -> Result<(), StoreError> {
        self.in_transaction(async move |transaction| compact_in(transaction, doc, full_save).await)
    }

    fn store_merge(&self, merge: &MergeWrite<'_>) -> Result<(), StoreError> {
        let merge = *merge;
        if let (None, None, Some((peer, state))) = (merge.chunk, merge.full_save, merge.sync_state)
        {
            return self.save_sync_state_lazily(peer, merge.doc, state);
        }
        self.in_transaction(async move |transaction| {
            if let Some(chunk) = merge.chunk {
                append_chunk_in(transaction, merge.doc, chunk, merge.at).await?;
            }
            if let Some(full_save) = merge.full_save {
                compact_in(transaction, merge.doc, full_save).await?;
            }
            if let Some((peer, state)) = merge.sync_state {
                save_sync_state_in(transaction, peer, merge.doc, state).await?;
            }
            Ok(())
        })
    }

    fn chunk_stats(&self, doc: StoredDoc) -> Result<ChunkStats, StoreError> {
        let rows = self.query(&pg(sql::CHUNK_STATS), &[(&doc.storage_key(), Type::TEXT)])?;
        let Some(row) = rows.first() else {
            return Ok(ChunkStats::default());
        };
        Ok(ChunkStats::new(row.try_get(0)?, row.try_get(1)?))
    }

    fn communities(&self) -> Result<Vec<CommunityRecord>, StoreError> {
        self.query(&pg(sql::COMMUNITIES), &[])?
            .iter()
            .map(|row| {
                super::super::community_record(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)
            })
            .collect()
    }

    fn record_seen(&self, community: CommunityCode, at: Timestamp) -> Result<(), StoreError> {
        self.execute(
            &pg(sql::NOTE_SEEN),
            &[
                (&community.to_string(), Type::TEXT),
                (&at.as_millis(), Type::INT8),
            ],
        )?;
        Ok(())
    }

    fn sync_state(&self, peer: &PublicKey, doc: StoredDoc) -> Result<Option<Vec<u8>>, StoreError> {
        self.query(
            &pg(sql::SYNC_STATE),
            &[
                (&peer.to_bytes().as_slice(), Type::BYTEA),
                (&doc.storage_key(), Type::TEXT),
            ],
        )?
        .first()
        .map(|row| Ok(row.try_get(0)?))
        .transpose()
    }

    fn save_sync_state(
        &self,
        peer: &PublicKey,
        doc: StoredDoc,
        state: &[u8],
    ) -> Result<(), StoreError> {
        let pooled = self.client()?;
        pooled
            .conn()
            .call(|client| save_sync_state_in(client, peer, doc, state))
    }

    fn record_attestation(
        &self,
        attested: &Attested,
        received_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let signed = attested.signed();
        let json = super::super::signed_heads_json(signed)?;
        let changed = self.execute(
            &pg(sql::UPSERT_ATTESTATION),
            &[
                (&signed.community.to_string(), Type::TEXT),
                (&json, Type::TEXT),
                (&signed.signer.to_bytes().as_slice(), Type::BYTEA),
                (&(signed.seq as i64), Type::INT8),
                (&received_at.as_millis(), Type::INT8),
            ],
        )?;
        Ok(changed > 0)
    }

    fn attestation(&self, community: CommunityCode) -> Result<Option<SignedHeads>, StoreError> {
        self.query(
            &pg(sql::ATTESTATION),
            &[(&community.to_string(), Type::TEXT)],
        )?
        .first()
        .map(|row| super::super::signed_heads_from_json(row.try_get(0)?))
        .transpose()
    }

    fn backup(&self, _path: &Path) -> Result<(), StoreError> {
        Err(StoreError::Unsupported(
            "a hub on PostgreSQL is backed up with pg_dump (see the README), not wishtree-hub backup",
        ))
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.query(&pg(sql::SETTING), &[(&key, Type::TEXT)])?
            .first()
            .map(|row| Ok(row.try_get(0)?))
            .transpose()
    }

    fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.execute(
            &pg(sql::UPSERT_SETTING),
            &[(&key, Type::TEXT), (&value, Type::TEXT)],
        )?;
        Ok(())
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn lock_doc(&self, doc: StoredDoc) -> Result<DocLock, StoreError> {
        self.lock_named(doc.storage_key())
    }

    fn lock_doc_at_seq(&self, doc: StoredDoc) -> Result<(DocLock, u64), StoreError> {
        self.lock_named_at_seq(doc.storage_key())
    }

    fn release_doc_at_seq(&self, lock: DocLock, doc: StoredDoc) -> Result<u64, StoreError> {
        match lock.into_guard::<AdvisoryLock>() {
            Ok(mut guard) => guard.release_at_seq(),
            Err(lock) => {
                let seq = self.doc_seq(doc);
                drop(lock);
                seq
            }
        }
    }

    fn doc_seq(&self, doc: StoredDoc) -> Result<u64, StoreError> {
        let last: Option<i64> = self
            .query(&pg(sql::LAST_SEQ), &[(&doc.storage_key(), Type::TEXT)])?
            .first()
            .map(|row| row.try_get(0))
            .transpose()?
            .flatten();
        decode_seq(last.unwrap_or(0))
    }

    fn chunks_after(&self, doc: StoredDoc, after: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        self.query(
            &pg(sql::CHUNKS_AFTER),
            &[(&doc.storage_key(), Type::TEXT), (&after, Type::INT8)],
        )?
        .iter()
        .map(|row| Ok(row.try_get(0)?))
        .collect()
    }
}
