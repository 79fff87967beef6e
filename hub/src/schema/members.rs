//! The members' own table at the hub (issue 12 item 6): which other communities a
//! member has sent a request to from the market (`http::member::elsewhere`), so their
//! page reads those communities' inboxes too and shows every claim with its outcome.
//! Ids only: the member's home community and id, the community asked; nothing personal.

/// The members' steps, in order; frozen once released.
pub(super) const STEPS: [&str; 1] = [FIRST_STEP];

/// The first step: one row per (member, other community), with when it was first asked.
const FIRST_STEP: &str = "CREATE TABLE member_elsewhere (
    home TEXT NOT NULL,
    member BLOB NOT NULL,
    community TEXT NOT NULL,
    first_at INTEGER NOT NULL,
    PRIMARY KEY (home, member, community)
) WITHOUT ROWID;";
