//! The third step of the PostgreSQL store: every table of the hub's SQLite file that
//! the store's and the accounts' steps do not hold — the figures' (`fig_*`,
//! `schema/figures.rs`, `streets.rs`, `wait_days.rs`), the members' elsewhere
//! (`schema/members.rs`) and the bulletins' (`schema/bulletins.rs`) — so that several
//! hub processes share one set of figures (issue 15).
//!
//! Each table is in its final shape in SQLite (after every `ALTER`), read from a freshly
//! migrated file's `sqlite_master`, with its columns in SQLite's order (the figures copy
//! rows with `INSERT … SELECT *`) and its indexes under SQLite's names (a query's
//! `INDEXED BY` names one). The types: integers, 0/1 flags included, are `BIGINT` (the
//! figures bind every integer as `INT8` and compare flags with `= 0`); blobs `BYTEA`;
//! text `TEXT COLLATE "C"`, so that a region's range of codes (`code >= '3101' AND code
//! < '3101:'`) and every ordering compare bytes as SQLite does, whatever the database's
//! locale. `WITHOUT ROWID` has no counterpart and is dropped; SQLite's rowid key of
//! `bulletins` is an identity column. `hub/tests/figure_tables_postgres.rs` checks
//! these tables against SQLite's, so that the two schemas cannot drift apart: a new
//! step of the figures (`schema/mod.rs`) needs its twin at the end of `STEPS`.
//!
//! Frozen once released, as every step: a change is a new step.

/// Creates the tables, their indexes and the triggers that keep `fig_points_ranked`.
pub(super) const STEP: &str = r#"
CREATE TABLE fig_communities (
    code TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    district TEXT COLLATE "C" NOT NULL,
    street TEXT COLLATE "C" NOT NULL,
    last_seen_at BIGINT,
    last_change_at BIGINT,
    changes BIGINT NOT NULL DEFAULT 0,
    attested_changes BIGINT NOT NULL DEFAULT 0,
    malformed BIGINT NOT NULL DEFAULT 0,
    is_derived BIGINT NOT NULL DEFAULT 0,
    signer_revoked BIGINT NOT NULL DEFAULT 0,
    seals BIGINT NOT NULL DEFAULT 0,
    seals_failed BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE fig_region_names (
    prefix TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL
);

CREATE TABLE fig_members (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    org BYTEA,
    reported_day BIGINT NOT NULL,
    month BIGINT NOT NULL,
    PRIMARY KEY (community, id)
);
CREATE INDEX fig_members_org_community ON fig_members (org, community)
    WHERE org IS NOT NULL;
CREATE INDEX fig_members_day ON fig_members (reported_day);
CREATE INDEX fig_members_org ON fig_members (org, reported_day)
    WHERE org IS NOT NULL;

CREATE TABLE fig_orgs (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    credit_code TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    reported_day BIGINT,
    month BIGINT,
    street TEXT COLLATE "C",
    party_org TEXT COLLATE "C",
    PRIMARY KEY (community, id)
);
CREATE INDEX fig_orgs_unit ON fig_orgs (credit_code, id);
CREATE INDEX fig_orgs_id ON fig_orgs (id, reported_day);

CREATE TABLE fig_pairings (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    org BYTEA NOT NULL,
    signed_day BIGINT NOT NULL,
    month BIGINT NOT NULL,
    ended_day BIGINT,
    street TEXT COLLATE "C",
    PRIMARY KEY (community, id)
);
CREATE INDEX fig_pairings_org ON fig_pairings (org);

CREATE TABLE fig_wishes (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    beneficiary_group TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    submitted_day BIGINT NOT NULL,
    month BIGINT NOT NULL,
    claimant_member BYTEA,
    claimant_org BYTEA,
    credited_org BYTEA,
    claim_days BIGINT,
    fulfil_days BIGINT,
    round TEXT COLLATE "C",
    PRIMARY KEY (community, id)
);
CREATE INDEX fig_wishes_fulfil_org ON fig_wishes (credited_org, fulfil_days, submitted_day)
    WHERE fulfil_days IS NOT NULL;
CREATE INDEX fig_wishes_claim_org ON fig_wishes (credited_org, claim_days, submitted_day)
    WHERE claim_days IS NOT NULL;
CREATE INDEX fig_wishes_round ON fig_wishes (round, community, submitted_day)
    WHERE round IS NOT NULL;
CREATE INDEX fig_wishes_fulfil_region ON fig_wishes (community, fulfil_days, submitted_day)
    WHERE fulfil_days IS NOT NULL;
CREATE INDEX fig_wishes_fulfil_days ON fig_wishes (fulfil_days, submitted_day)
    WHERE fulfil_days IS NOT NULL;
CREATE INDEX fig_wishes_claim_region ON fig_wishes (community, claim_days, submitted_day)
    WHERE claim_days IS NOT NULL;
CREATE INDEX fig_wishes_claim_days ON fig_wishes (claim_days, submitted_day)
    WHERE claim_days IS NOT NULL;
CREATE INDEX fig_wishes_claimants ON fig_wishes (community, claimant_member, submitted_day)
    WHERE claimant_member IS NOT NULL;
CREATE INDEX fig_wishes_credited ON fig_wishes (credited_org, submitted_day, state)
    WHERE credited_org IS NOT NULL;
CREATE INDEX fig_wishes_day ON fig_wishes (submitted_day, state);

CREATE TABLE fig_projects (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    submitted_day BIGINT NOT NULL,
    month BIGINT NOT NULL,
    claimant_org BYTEA,
    stage TEXT COLLATE "C" NOT NULL DEFAULT 'collecting',
    units BIGINT NOT NULL DEFAULT 0,
    street TEXT COLLATE "C",
    PRIMARY KEY (community, id)
);
CREATE INDEX fig_projects_stages ON fig_projects (submitted_day, community, stage, units);
CREATE INDEX fig_projects_org ON fig_projects (claimant_org, submitted_day, state)
    WHERE claimant_org IS NOT NULL;

CREATE TABLE fig_activities (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    category TEXT COLLATE "C" NOT NULL,
    day BIGINT NOT NULL,
    month BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    organiser BYTEA,
    PRIMARY KEY (community, id)
);
CREATE INDEX fig_activities_org ON fig_activities (organiser, day)
    WHERE organiser IS NOT NULL;
CREATE INDEX fig_activities_day ON fig_activities (day);

CREATE TABLE fig_participations (
    community TEXT COLLATE "C" NOT NULL,
    activity BYTEA NOT NULL,
    member BYTEA NOT NULL,
    member_org BYTEA,
    day BIGINT NOT NULL,
    month BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (community, activity, member)
);
CREATE INDEX fig_participations_org ON fig_participations (member_org, day)
    WHERE member_org IS NOT NULL;
CREATE INDEX fig_participations_day ON fig_participations (day);

CREATE TABLE fig_services (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    member BYTEA NOT NULL,
    member_org BYTEA,
    day BIGINT NOT NULL,
    month BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    category TEXT COLLATE "C" NOT NULL,
    activity BYTEA,
    is_voided BIGINT NOT NULL,
    PRIMARY KEY (community, id)
);
CREATE INDEX fig_services_org ON fig_services (member_org, day, is_voided, minutes)
    WHERE member_org IS NOT NULL;
CREATE INDEX fig_services_day ON fig_services (day, is_voided, minutes);

CREATE TABLE fig_points (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    member BYTEA NOT NULL,
    member_org BYTEA,
    kind TEXT COLLATE "C" NOT NULL,
    points BIGINT NOT NULL,
    day BIGINT NOT NULL,
    month BIGINT NOT NULL,
    is_voided BIGINT NOT NULL,
    PRIMARY KEY (community, id)
);
CREATE INDEX fig_points_org ON fig_points (member_org, day, is_voided, kind, points)
    WHERE member_org IS NOT NULL;
CREATE INDEX fig_points_day ON fig_points (day, is_voided, kind, points);

CREATE TABLE fig_months (
    community TEXT COLLATE "C" NOT NULL,
    month BIGINT NOT NULL,
    members_reported BIGINT NOT NULL DEFAULT 0,
    pairings BIGINT NOT NULL DEFAULT 0,
    wishes_total BIGINT NOT NULL DEFAULT 0,
    wishes_submitted BIGINT NOT NULL DEFAULT 0,
    wishes_published BIGINT NOT NULL DEFAULT 0,
    wishes_claimed BIGINT NOT NULL DEFAULT 0,
    wishes_fulfilled BIGINT NOT NULL DEFAULT 0,
    wishes_rejected BIGINT NOT NULL DEFAULT 0,
    wishes_withdrawn BIGINT NOT NULL DEFAULT 0,
    projects_total BIGINT NOT NULL DEFAULT 0,
    projects_submitted BIGINT NOT NULL DEFAULT 0,
    projects_published BIGINT NOT NULL DEFAULT 0,
    projects_claimed BIGINT NOT NULL DEFAULT 0,
    projects_fulfilled BIGINT NOT NULL DEFAULT 0,
    projects_rejected BIGINT NOT NULL DEFAULT 0,
    projects_withdrawn BIGINT NOT NULL DEFAULT 0,
    activities BIGINT NOT NULL DEFAULT 0,
    participations BIGINT NOT NULL DEFAULT 0,
    service_records BIGINT NOT NULL DEFAULT 0,
    service_minutes BIGINT NOT NULL DEFAULT 0,
    points_earned BIGINT NOT NULL DEFAULT 0,
    points_redeemed BIGINT NOT NULL DEFAULT 0,
    members_with_claimed_wish BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, community)
);
CREATE INDEX fig_months_community ON fig_months (community, month);

CREATE TABLE fig_org_months (
    org BYTEA NOT NULL,
    community TEXT COLLATE "C" NOT NULL,
    month BIGINT NOT NULL,
    members_reported BIGINT NOT NULL DEFAULT 0,
    pairings BIGINT NOT NULL DEFAULT 0,
    wishes_total BIGINT NOT NULL DEFAULT 0,
    wishes_submitted BIGINT NOT NULL DEFAULT 0,
    wishes_published BIGINT NOT NULL DEFAULT 0,
    wishes_claimed BIGINT NOT NULL DEFAULT 0,
    wishes_fulfilled BIGINT NOT NULL DEFAULT 0,
    wishes_rejected BIGINT NOT NULL DEFAULT 0,
    wishes_withdrawn BIGINT NOT NULL DEFAULT 0,
    projects_total BIGINT NOT NULL DEFAULT 0,
    projects_submitted BIGINT NOT NULL DEFAULT 0,
    projects_published BIGINT NOT NULL DEFAULT 0,
    projects_claimed BIGINT NOT NULL DEFAULT 0,
    projects_fulfilled BIGINT NOT NULL DEFAULT 0,
    projects_rejected BIGINT NOT NULL DEFAULT 0,
    projects_withdrawn BIGINT NOT NULL DEFAULT 0,
    activities BIGINT NOT NULL DEFAULT 0,
    participations BIGINT NOT NULL DEFAULT 0,
    service_records BIGINT NOT NULL DEFAULT 0,
    service_minutes BIGINT NOT NULL DEFAULT 0,
    points_earned BIGINT NOT NULL DEFAULT 0,
    points_redeemed BIGINT NOT NULL DEFAULT 0,
    members_with_claimed_wish BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, org, community)
);
CREATE INDEX fig_org_months_community ON fig_org_months (community, month);
CREATE INDEX fig_org_months_org ON fig_org_months (org, community, month);

CREATE TABLE fig_campaigns (
    id BYTEA PRIMARY KEY,
    title TEXT COLLATE "C" NOT NULL,
    rule TEXT COLLATE "C" NOT NULL,
    minimum BIGINT NOT NULL,
    from_day BIGINT NOT NULL,
    to_day BIGINT NOT NULL
);

CREATE TABLE fig_directory (
    org BYTEA PRIMARY KEY,
    credit_code TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    in_service_members BIGINT
);

CREATE TABLE fig_member_points (
    community TEXT COLLATE "C" NOT NULL,
    member BYTEA NOT NULL,
    period TEXT COLLATE "C" NOT NULL,
    points BIGINT NOT NULL,
    PRIMARY KEY (community, member, period)
);
CREATE INDEX fig_member_points_region ON fig_member_points (period, community, points);
CREATE INDEX fig_member_points_rank ON fig_member_points (period, points DESC, member, community);

CREATE TABLE bulletins (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    region TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('month', 'half')),
    period TEXT COLLATE "C" NOT NULL,
    first_day BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    issued_by TEXT COLLATE "C" NOT NULL,
    data TEXT COLLATE "C" NOT NULL,
    UNIQUE (region, period)
);
CREATE INDEX bulletins_by_kind ON bulletins (region, kind, first_day);

CREATE TABLE fig_market_wishes (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    title TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    beneficiary_group TEXT COLLATE "C" NOT NULL,
    resident_label TEXT COLLATE "C" NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (community, id)
);
CREATE INDEX fig_market_wishes_filters ON fig_market_wishes (community, beneficiary_group, kind);
CREATE INDEX fig_market_wishes_newest ON fig_market_wishes (published_at DESC, community, id);

CREATE TABLE fig_unit_members (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    org BYTEA NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    reported_day BIGINT NOT NULL,
    PRIMARY KEY (community, id)
);
CREATE INDEX fig_unit_members_page ON fig_unit_members (org, community, name, id, reported_day);
CREATE INDEX fig_unit_members_org ON fig_unit_members (org, community);

CREATE TABLE fig_member_reports (
    community TEXT COLLATE "C" NOT NULL,
    period TEXT COLLATE "C" NOT NULL,
    member BYTEA NOT NULL,
    org BYTEA NOT NULL,
    is_verified BIGINT NOT NULL,
    problem TEXT COLLATE "C",
    grade TEXT COLLATE "C",
    comment TEXT COLLATE "C" NOT NULL,
    activities BIGINT NOT NULL,
    service_minutes BIGINT NOT NULL,
    wishes_claimed BIGINT NOT NULL,
    wishes_fulfilled BIGINT NOT NULL,
    posts_held BIGINT NOT NULL,
    points_earned BIGINT NOT NULL,
    amendments BIGINT NOT NULL,
    report TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (community, period, member)
);
CREATE INDEX fig_member_reports_list ON fig_member_reports (org, period, community, member, is_verified, grade, activities, service_minutes, wishes_claimed, wishes_fulfilled, posts_held, points_earned, amendments, problem, comment);
CREATE INDEX fig_member_reports_org ON fig_member_reports (org, period);

CREATE TABLE fig_market_offers (
    community TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    title TEXT COLLATE "C" NOT NULL,
    category TEXT COLLATE "C" NOT NULL,
    day BIGINT,
    PRIMARY KEY (community, kind, id)
);
CREATE INDEX fig_market_offers_kind ON fig_market_offers (kind, day, community);

CREATE TABLE member_elsewhere (
    home TEXT COLLATE "C" NOT NULL,
    member BYTEA NOT NULL,
    community TEXT COLLATE "C" NOT NULL,
    first_at BIGINT NOT NULL,
    PRIMARY KEY (home, member, community)
);

CREATE TABLE fig_project_units (
    community TEXT COLLATE "C" NOT NULL,
    project BYTEA NOT NULL,
    org BYTEA NOT NULL,
    share BIGINT NOT NULL,
    submitted_day BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (community, project, org)
);
CREATE INDEX fig_project_units_day ON fig_project_units (org, submitted_day, community);
CREATE INDEX fig_project_units_org ON fig_project_units (org, community);

CREATE TABLE fig_volunteers (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    registered_day BIGINT NOT NULL,
    PRIMARY KEY (community, id)
);

CREATE TABLE fig_volunteer_wishes (
    community TEXT COLLATE "C" NOT NULL,
    wish BYTEA NOT NULL,
    volunteer BYTEA NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    submitted_day BIGINT NOT NULL,
    PRIMARY KEY (community, wish)
);

CREATE TABLE fig_volunteer_services (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    volunteer BYTEA NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    day BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    is_voided BIGINT NOT NULL,
    PRIMARY KEY (community, id)
);

CREATE TABLE fig_points_ranked (
    period TEXT COLLATE "C" NOT NULL,
    community TEXT COLLATE "C" NOT NULL,
    ranked BIGINT NOT NULL,
    PRIMARY KEY (period, community)
);

CREATE TABLE fig_district_months (
    district TEXT COLLATE "C" NOT NULL,
    month BIGINT NOT NULL,
    rows BIGINT NOT NULL DEFAULT 0,
    members_reported BIGINT NOT NULL DEFAULT 0,
    pairings BIGINT NOT NULL DEFAULT 0,
    wishes_total BIGINT NOT NULL DEFAULT 0,
    wishes_submitted BIGINT NOT NULL DEFAULT 0,
    wishes_published BIGINT NOT NULL DEFAULT 0,
    wishes_claimed BIGINT NOT NULL DEFAULT 0,
    wishes_fulfilled BIGINT NOT NULL DEFAULT 0,
    wishes_rejected BIGINT NOT NULL DEFAULT 0,
    wishes_withdrawn BIGINT NOT NULL DEFAULT 0,
    projects_total BIGINT NOT NULL DEFAULT 0,
    projects_submitted BIGINT NOT NULL DEFAULT 0,
    projects_published BIGINT NOT NULL DEFAULT 0,
    projects_claimed BIGINT NOT NULL DEFAULT 0,
    projects_fulfilled BIGINT NOT NULL DEFAULT 0,
    projects_rejected BIGINT NOT NULL DEFAULT 0,
    projects_withdrawn BIGINT NOT NULL DEFAULT 0,
    activities BIGINT NOT NULL DEFAULT 0,
    participations BIGINT NOT NULL DEFAULT 0,
    service_records BIGINT NOT NULL DEFAULT 0,
    service_minutes BIGINT NOT NULL DEFAULT 0,
    points_earned BIGINT NOT NULL DEFAULT 0,
    points_redeemed BIGINT NOT NULL DEFAULT 0,
    members_with_claimed_wish BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, district)
);

CREATE TABLE fig_district_days (
    district TEXT COLLATE "C" NOT NULL,
    day BIGINT NOT NULL,
    month BIGINT NOT NULL,
    rows BIGINT NOT NULL DEFAULT 0,
    members_reported BIGINT NOT NULL DEFAULT 0,
    pairings BIGINT NOT NULL DEFAULT 0,
    wishes_total BIGINT NOT NULL DEFAULT 0,
    wishes_submitted BIGINT NOT NULL DEFAULT 0,
    wishes_published BIGINT NOT NULL DEFAULT 0,
    wishes_claimed BIGINT NOT NULL DEFAULT 0,
    wishes_fulfilled BIGINT NOT NULL DEFAULT 0,
    wishes_rejected BIGINT NOT NULL DEFAULT 0,
    wishes_withdrawn BIGINT NOT NULL DEFAULT 0,
    projects_total BIGINT NOT NULL DEFAULT 0,
    projects_submitted BIGINT NOT NULL DEFAULT 0,
    projects_published BIGINT NOT NULL DEFAULT 0,
    projects_claimed BIGINT NOT NULL DEFAULT 0,
    projects_fulfilled BIGINT NOT NULL DEFAULT 0,
    projects_rejected BIGINT NOT NULL DEFAULT 0,
    projects_withdrawn BIGINT NOT NULL DEFAULT 0,
    activities BIGINT NOT NULL DEFAULT 0,
    participations BIGINT NOT NULL DEFAULT 0,
    service_records BIGINT NOT NULL DEFAULT 0,
    service_minutes BIGINT NOT NULL DEFAULT 0,
    points_earned BIGINT NOT NULL DEFAULT 0,
    points_redeemed BIGINT NOT NULL DEFAULT 0,
    members_with_claimed_wish BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, district)
);

CREATE TABLE fig_district_org_months (
    org BYTEA NOT NULL,
    district TEXT COLLATE "C" NOT NULL,
    month BIGINT NOT NULL,
    rows BIGINT NOT NULL DEFAULT 0,
    members_reported BIGINT NOT NULL DEFAULT 0,
    pairings BIGINT NOT NULL DEFAULT 0,
    wishes_total BIGINT NOT NULL DEFAULT 0,
    wishes_submitted BIGINT NOT NULL DEFAULT 0,
    wishes_published BIGINT NOT NULL DEFAULT 0,
    wishes_claimed BIGINT NOT NULL DEFAULT 0,
    wishes_fulfilled BIGINT NOT NULL DEFAULT 0,
    wishes_rejected BIGINT NOT NULL DEFAULT 0,
    wishes_withdrawn BIGINT NOT NULL DEFAULT 0,
    projects_total BIGINT NOT NULL DEFAULT 0,
    projects_submitted BIGINT NOT NULL DEFAULT 0,
    projects_published BIGINT NOT NULL DEFAULT 0,
    projects_claimed BIGINT NOT NULL DEFAULT 0,
    projects_fulfilled BIGINT NOT NULL DEFAULT 0,
    projects_rejected BIGINT NOT NULL DEFAULT 0,
    projects_withdrawn BIGINT NOT NULL DEFAULT 0,
    activities BIGINT NOT NULL DEFAULT 0,
    participations BIGINT NOT NULL DEFAULT 0,
    service_records BIGINT NOT NULL DEFAULT 0,
    service_minutes BIGINT NOT NULL DEFAULT 0,
    points_earned BIGINT NOT NULL DEFAULT 0,
    points_redeemed BIGINT NOT NULL DEFAULT 0,
    members_with_claimed_wish BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, org, district)
);
CREATE INDEX fig_district_org_months_org ON fig_district_org_months (org, district, month);

CREATE TABLE fig_posts (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    seats BIGINT NOT NULL,
    made_day BIGINT NOT NULL,
    is_withdrawn BIGINT NOT NULL,
    PRIMARY KEY (community, id)
);

CREATE TABLE fig_post_holders (
    community TEXT COLLATE "C" NOT NULL,
    post BYTEA NOT NULL,
    seat BIGINT NOT NULL,
    holder_org BYTEA,
    PRIMARY KEY (community, post, seat)
);
CREATE INDEX fig_post_holders_org ON fig_post_holders (holder_org, community, post)
    WHERE holder_org IS NOT NULL;

CREATE TABLE fig_groups (
    community TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    made_day BIGINT NOT NULL,
    PRIMARY KEY (community, id)
);

CREATE TABLE fig_group_members (
    community TEXT COLLATE "C" NOT NULL,
    member BYTEA NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    group_id BYTEA NOT NULL,
    member_org BYTEA,
    PRIMARY KEY (community, member, kind)
);
CREATE INDEX fig_group_members_group ON fig_group_members (community, group_id, kind);

CREATE TABLE fig_project_credits (
    community TEXT COLLATE "C" NOT NULL,
    project BYTEA NOT NULL,
    claimant_org BYTEA NOT NULL,
    state TEXT COLLATE "C" NOT NULL,
    submitted_day BIGINT NOT NULL,
    month BIGINT NOT NULL,
    PRIMARY KEY (community, project, claimant_org)
);
CREATE INDEX fig_project_credits_org ON fig_project_credits (claimant_org, submitted_day);

CREATE TABLE fig_wait_days (
    community TEXT COLLATE "C" NOT NULL,
    month BIGINT NOT NULL,
    days BIGINT NOT NULL,
    claims BIGINT NOT NULL,
    fulfilments BIGINT NOT NULL,
    PRIMARY KEY (community, month, days)
);

CREATE TABLE fig_district_wait_days (
    district TEXT COLLATE "C" NOT NULL,
    month BIGINT NOT NULL,
    days BIGINT NOT NULL,
    claims BIGINT NOT NULL,
    fulfilments BIGINT NOT NULL,
    PRIMARY KEY (district, month, days)
);

CREATE TABLE fig_derived_from (
    community TEXT COLLATE "C" PRIMARY KEY,
    heads BYTEA NOT NULL,
    hosts_street BIGINT NOT NULL,
    version BIGINT NOT NULL
);

-- fig_points_ranked counts the rows of fig_member_points per half-year and community,
-- kept by triggers whoever writes the rows, as SQLite's three (same names) do.
CREATE FUNCTION fig_points_ranked_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE fig_points_ranked SET ranked = ranked - 1
            WHERE period = OLD.period AND community = OLD.community;
        DELETE FROM fig_points_ranked
            WHERE period = OLD.period AND community = OLD.community AND ranked <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO fig_points_ranked (period, community, ranked)
            VALUES (NEW.period, NEW.community, 1)
            ON CONFLICT (period, community)
            DO UPDATE SET ranked = fig_points_ranked.ranked + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER fig_member_points_counted AFTER INSERT ON fig_member_points
    FOR EACH ROW EXECUTE FUNCTION fig_points_ranked_keep();
CREATE TRIGGER fig_member_points_uncounted AFTER DELETE ON fig_member_points
    FOR EACH ROW EXECUTE FUNCTION fig_points_ranked_keep();
CREATE TRIGGER fig_member_points_moved AFTER UPDATE OF period, community ON fig_member_points
    FOR EACH ROW EXECUTE FUNCTION fig_points_ranked_keep();
"#;

/// How many members are ranked per district and half-year, kept by triggers beside
/// `fig_points_ranked` (SQLite's version 32, `schema/district_counts.rs`).
pub(super) const POINTS_RANKED_DISTRICT_STEP: &str = r#"
CREATE TABLE fig_points_ranked_district (
    period TEXT COLLATE "C" NOT NULL,
    district TEXT COLLATE "C" NOT NULL,
    ranked BIGINT NOT NULL,
    PRIMARY KEY (period, district)
);
INSERT INTO fig_points_ranked_district (period, district, ranked)
    SELECT period, substr(community, 1, 6), SUM(ranked) FROM fig_points_ranked GROUP BY 1, 2;
CREATE FUNCTION fig_points_ranked_district_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE fig_points_ranked_district SET ranked = ranked - 1
            WHERE period = OLD.period AND district = substr(OLD.community, 1, 6);
        DELETE FROM fig_points_ranked_district
            WHERE period = OLD.period AND district = substr(OLD.community, 1, 6)
                AND ranked <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO fig_points_ranked_district (period, district, ranked)
            VALUES (NEW.period, substr(NEW.community, 1, 6), 1)
            ON CONFLICT (period, district)
            DO UPDATE SET ranked = fig_points_ranked_district.ranked + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER fig_member_points_district_counted AFTER INSERT ON fig_member_points
    FOR EACH ROW EXECUTE FUNCTION fig_points_ranked_district_keep();
CREATE TRIGGER fig_member_points_district_uncounted AFTER DELETE ON fig_member_points
    FOR EACH ROW EXECUTE FUNCTION fig_points_ranked_district_keep();
CREATE TRIGGER fig_member_points_district_moved
    AFTER UPDATE OF period, community ON fig_member_points
    FOR EACH ROW EXECUTE FUNCTION fig_points_ranked_district_keep();
"#;

/// The unit organisations reported in per district, unit and day, kept by triggers on
/// `fig_orgs` (SQLite's version 33, `schema/district_counts.rs`).
pub(super) const DISTRICT_ORGS_STEP: &str = r#"
CREATE TABLE fig_district_orgs (
    district TEXT COLLATE "C" NOT NULL,
    id BYTEA NOT NULL,
    reported_day BIGINT NOT NULL,
    rows BIGINT NOT NULL,
    PRIMARY KEY (district, id, reported_day)
);
INSERT INTO fig_district_orgs (district, id, reported_day, rows)
    SELECT substr(community, 1, 6), id, reported_day, COUNT(*) FROM fig_orgs
    WHERE reported_day IS NOT NULL GROUP BY 1, 2, 3;
CREATE FUNCTION fig_district_orgs_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A row without a day is not counted: an UPDATE or DELETE matches nothing for it.
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE fig_district_orgs SET rows = rows - 1
            WHERE district = substr(OLD.community, 1, 6) AND id = OLD.id
                AND reported_day = OLD.reported_day;
        DELETE FROM fig_district_orgs
            WHERE district = substr(OLD.community, 1, 6) AND id = OLD.id
                AND reported_day = OLD.reported_day AND rows <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO fig_district_orgs (district, id, reported_day, rows)
            SELECT substr(NEW.community, 1, 6), NEW.id, NEW.reported_day, 1
            WHERE NEW.reported_day IS NOT NULL
            ON CONFLICT (district, id, reported_day)
            DO UPDATE SET rows = fig_district_orgs.rows + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER fig_orgs_district_counted AFTER INSERT ON fig_orgs
    FOR EACH ROW EXECUTE FUNCTION fig_district_orgs_keep();
CREATE TRIGGER fig_orgs_district_uncounted AFTER DELETE ON fig_orgs
    FOR EACH ROW EXECUTE FUNCTION fig_district_orgs_keep();
CREATE TRIGGER fig_orgs_district_moved AFTER UPDATE OF community, id, reported_day ON fig_orgs
    FOR EACH ROW EXECUTE FUNCTION fig_district_orgs_keep();
"#;
