//! A member's requests in other communities (issue 12 item 6). A claim of another
//! community's wish goes to that community's inbox, not the member's own, so the
//! member's page would not find it. The hub keeps a small index, `member_elsewhere`
//! (home community, member, the community asked), written before the entry is
//! appended, so an entry is never without its row; the page reads each of those
//! communities' inboxes and documents as it reads its own, and shows the member's
//! entries there with what that community's node did with them.
//!
//! The index lives in the hub's local SQLite file, beside the figures: with several
//! hub processes on PostgreSQL, a member's page shows the claims made through the
//! process that serves it.

use wishtree_protocol::id::MemberId;
use wishtree_protocol::{CommunityCode, Timestamp};

use super::Held;
use crate::http::{ApiError, HubHttpState};
use crate::sql::{Db, DbExt, Result, params};

/// The other communities a member's page reads at most, the most recently asked first:
/// enough for any member, and a bound on what one page load reads.
const ELSEWHERE_LIMIT: usize = 20;

/// Records that `member` of `home` asks `community` now, if not recorded before.
pub(super) async fn remember(
    state: &HubHttpState,
    home: CommunityCode,
    member: MemberId,
    community: CommunityCode,
) -> Result<(), String> {
    let now = state.now();
    state
        .write(move |connection| {
            record(connection, home, member, community, now)
                .map_err(|error| ApiError::internal(error.to_string()))
        })
        .await
        .map_err(|error| error.message().to_owned())
}

/// What the hub holds of each other community `member` of `home` asked, with its code;
/// a community it holds no document of is left out.
pub(super) async fn elsewhere(
    state: &HubHttpState,
    home: CommunityCode,
    member: MemberId,
) -> Result<Vec<Held>, String> {
    let asked = state
        .read(move |connection| {
            asked(connection, home, member).map_err(|error| ApiError::internal(error.to_string()))
        })
        .await
        .map_err(|error| error.message().to_owned())?;
    let Some(hub) = state.hub().cloned() else {
        return Ok(Vec::new());
    };
    tokio::task::spawn_blocking(move || {
        let mut held = Vec::new();
        for community in asked {
            held.extend(Held::load(&hub, community)?);
        }
        Ok(held)
    })
    .await
    .map_err(|error| error.to_string())?
}

fn record(
    db: &dyn Db,
    home: CommunityCode,
    member: MemberId,
    community: CommunityCode,
    now: Timestamp,
) -> Result<()> {
    db.execute(
        "INSERT INTO member_elsewhere (home, member, community, first_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        params![
            home.as_str(),
            member.as_bytes().as_slice(),
            community.as_str(),
            now.as_millis()
        ],
    )?;
    Ok(())
}

fn asked(db: &dyn Db, home: CommunityCode, member: MemberId) -> Result<Vec<CommunityCode>> {
    let mut found = Vec::new();
    db.for_each(
        "SELECT community FROM member_elsewhere WHERE home = ?1 AND member = ?2
         ORDER BY first_at DESC LIMIT ?3",
        params![
            home.as_str(),
            member.as_bytes().as_slice(),
            ELSEWHERE_LIMIT as i64
        ],
        |row| {
            // A code that does not read cannot name a community the hub holds.
            found.extend(row.get::<String>(0)?.parse::<CommunityCode>().ok());
            Ok(())
        },
    )?;
    Ok(found)
}
