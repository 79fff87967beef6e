//! The figure tables (`fig_*`): what the figures derive from every community's
//! document, and the names of the city's regions.
//!
//! Raw tables hold one row per entity of every community document, with only what
//! figures need: ids (16-byte blobs), dates as day numbers (days since 1970-01-01, Shanghai calendar)
//! and months as `YYYYMM` integers, states, minutes and points, and organisation ids
//! resolved to their citywide form. No names of people, no resident labels, no wish
//! titles: nothing personal is copied to the hub's tables. The one exception is the
//! market's table (`fig_market_wishes`), which holds what `/m/` shows anyone of a
//! published wish — its title and the label the worker chose for the resident — and
//! nothing else.
//!
//! Rollup tables (`fig_months`, `fig_org_months`) hold the additive measures of each
//! community (and each organisation within it) per month, plus an all-time row with
//! `month = 0`; they are keyed by month first, so the all-time rows of a whole city
//! lie together. They are rebuilt from the raw rows of a community in the same
//! transaction that re-derives it, so they can never disagree with the raw rows.

/// The measure columns shared by both rollup tables, in `figures::measure::Measure`
/// order (a test checks that the two lists agree). Part of the figures' first step: a
/// change is a new step. A macro, so that the steps stay constant text.
macro_rules! measure_columns {
    () => {
        "
    members_reported INTEGER NOT NULL DEFAULT 0,
    pairings INTEGER NOT NULL DEFAULT 0,
    wishes_total INTEGER NOT NULL DEFAULT 0,
    wishes_submitted INTEGER NOT NULL DEFAULT 0,
    wishes_published INTEGER NOT NULL DEFAULT 0,
    wishes_claimed INTEGER NOT NULL DEFAULT 0,
    wishes_fulfilled INTEGER NOT NULL DEFAULT 0,
    wishes_rejected INTEGER NOT NULL DEFAULT 0,
    wishes_withdrawn INTEGER NOT NULL DEFAULT 0,
    projects_total INTEGER NOT NULL DEFAULT 0,
    projects_submitted INTEGER NOT NULL DEFAULT 0,
    projects_published INTEGER NOT NULL DEFAULT 0,
    projects_claimed INTEGER NOT NULL DEFAULT 0,
    projects_fulfilled INTEGER NOT NULL DEFAULT 0,
    projects_rejected INTEGER NOT NULL DEFAULT 0,
    projects_withdrawn INTEGER NOT NULL DEFAULT 0,
    activities INTEGER NOT NULL DEFAULT 0,
    participations INTEGER NOT NULL DEFAULT 0,
    service_records INTEGER NOT NULL DEFAULT 0,
    service_minutes INTEGER NOT NULL DEFAULT 0,
    points_earned INTEGER NOT NULL DEFAULT 0,
    points_redeemed INTEGER NOT NULL DEFAULT 0,
    members_with_claimed_wish INTEGER NOT NULL DEFAULT 0"
    };
}

/// The columns every district rollup ends with: its month, how many rows are summed in
/// it (deleted at zero), and the measures.
macro_rules! district_rollup_columns {
    () => {
        concat!(
            "
    month INTEGER NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,",
            measure_columns!()
        )
    };
}

/// The sums of the measure columns, in their order, for a step that fills a district
/// rollup from a community one.
macro_rules! summed_measure_columns {
    () => {
        "
        SUM(members_reported), SUM(pairings), SUM(wishes_total), SUM(wishes_submitted),
        SUM(wishes_published), SUM(wishes_claimed), SUM(wishes_fulfilled),
        SUM(wishes_rejected), SUM(wishes_withdrawn), SUM(projects_total),
        SUM(projects_submitted), SUM(projects_published), SUM(projects_claimed),
        SUM(projects_fulfilled), SUM(projects_rejected), SUM(projects_withdrawn),
        SUM(activities), SUM(participations), SUM(service_records), SUM(service_minutes),
        SUM(points_earned), SUM(points_redeemed), SUM(members_with_claimed_wish)"
    };
}

/// The measure columns, for the test that checks their order.
#[cfg(test)]
pub(crate) const MEASURE_COLUMNS: &str = measure_columns!();

/// The figures' steps, in order. Each is frozen once released: a change is a new step
/// at the end of [`super::STEPS`].
pub(super) const STEPS: [&str; 6] = [
    FIRST_STEP,
    SECOND_STEP,
    THIRD_STEP,
    FOURTH_STEP,
    FIFTH_STEP,
    SIXTH_STEP,
];

/// The sixth step: the market's other offers (`figures::offers`: activities, open
/// posts, published projects, what `/m/` shows anyone of them), and the narrow index
/// the market's count reads instead of the wish rows (`figures::market`). Like the
/// fourth step it re-derives nothing (an upgrade re-derives no figure): an upgraded
/// hub lists a community's offers from the next change to its document.
const SIXTH_STEP: &str = "CREATE TABLE fig_market_offers (
    community TEXT NOT NULL,
    kind TEXT NOT NULL,
    id BLOB NOT NULL,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    day INTEGER,
    PRIMARY KEY (community, kind, id)
) WITHOUT ROWID;
CREATE INDEX fig_market_offers_kind ON fig_market_offers (kind, day, community);
CREATE INDEX fig_market_wishes_filters
    ON fig_market_wishes (community, beneficiary_group, kind);";

/// The fourth step: the citywide market's published wishes, what the market shows of
/// each (title, kind, group, the resident's label the worker chose — what `/m/` shows
/// anyone), so that the market reads one indexed table instead of every document.
const FOURTH_STEP: &str = "CREATE TABLE fig_market_wishes (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    beneficiary_group TEXT NOT NULL,
    resident_label TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE INDEX fig_market_wishes_newest ON fig_market_wishes (published_at DESC, community, id);";

/// The points rankings (积分排名, issue 13): each member's points earned per
/// half-year (`2026H1`), so a ranking of the city reads one index. Filled here from
/// the passbook rows already derived (the same entries, days and voids as
/// `wishtree_protocol::ranking`), so an upgraded hub ranks at once and re-derives
/// nothing.
pub(super) const POINTS_STEP: &str = "CREATE TABLE fig_member_points (
    community TEXT NOT NULL,
    member BLOB NOT NULL,
    period TEXT NOT NULL,
    points INTEGER NOT NULL,
    PRIMARY KEY (community, member, period)
) WITHOUT ROWID;
CREATE INDEX fig_member_points_rank ON fig_member_points (period, points DESC, member, community);
CREATE INDEX fig_member_points_region ON fig_member_points (period, community, points);
INSERT INTO fig_member_points (community, member, period, points)
    SELECT community, member,
           CAST(month / 100 AS TEXT) || CASE WHEN month % 100 <= 6 THEN 'H1' ELSE 'H2' END,
           SUM(points)
    FROM fig_points WHERE kind = 'earn' AND is_voided = 0 AND points > 0
    GROUP BY community, member, 3;";

/// How many members are ranked per community and half-year (`fig_points_ranked`), so
/// that a ranking of a wide region counts a few thousand rows, not every ranked member
/// (`figures::points`). Triggers keep it beside `fig_member_points` on every insert and
/// delete, whoever writes the rows (re-derivation, this step, a bench's bulk fill), so
/// the count can never disagree with the rows; a community with nobody left ranked in
/// a half-year has no row. Filled here from the rows already derived.
pub(super) const POINTS_RANKED_STEP: &str = "CREATE TABLE fig_points_ranked (
    period TEXT NOT NULL,
    community TEXT NOT NULL,
    ranked INTEGER NOT NULL,
    PRIMARY KEY (period, community)
) WITHOUT ROWID;
INSERT INTO fig_points_ranked (period, community, ranked)
    SELECT period, community, COUNT(*) FROM fig_member_points GROUP BY period, community;
CREATE TRIGGER fig_member_points_counted AFTER INSERT ON fig_member_points BEGIN
    INSERT INTO fig_points_ranked (period, community, ranked)
        VALUES (NEW.period, NEW.community, 1)
        ON CONFLICT (period, community) DO UPDATE SET ranked = ranked + 1;
END;
CREATE TRIGGER fig_member_points_uncounted AFTER DELETE ON fig_member_points BEGIN
    UPDATE fig_points_ranked SET ranked = ranked - 1
        WHERE period = OLD.period AND community = OLD.community;
    DELETE FROM fig_points_ranked
        WHERE period = OLD.period AND community = OLD.community AND ranked <= 0;
END;
CREATE TRIGGER fig_member_points_moved AFTER UPDATE OF period, community ON fig_member_points
BEGIN
    UPDATE fig_points_ranked SET ranked = ranked - 1
        WHERE period = OLD.period AND community = OLD.community;
    DELETE FROM fig_points_ranked
        WHERE period = OLD.period AND community = OLD.community AND ranked <= 0;
    INSERT INTO fig_points_ranked (period, community, ranked)
        VALUES (NEW.period, NEW.community, 1)
        ON CONFLICT (period, community) DO UPDATE SET ranked = ranked + 1;
END;";

/// The monthly rollups summed per district (`fig_district_months`): a city's or a
/// district's whole months read a row per district and month instead of one per
/// community and month (3,000 communities × every month for a city's stocks). Kept by
/// `figures::rollups::rebuild_rollups`, which takes a community's old rows out of its
/// district's and puts the new ones in, in the same transaction; `rows` counts the
/// community rows summed, so a district month no community has any more is deleted
/// (a month with a row, even of zeros, is a month the monthly figures show). Filled
/// here from the rollups already built. With it, the index a wide region's projects
/// by stage read (`figures::project_stages`) instead of every project row.
pub(super) const DISTRICT_MONTHS_STEP: &str = concat!(
    r#"CREATE TABLE fig_district_months (
    district TEXT NOT NULL,"#,
    district_rollup_columns!(),
    r#",
    PRIMARY KEY (month, district)
) WITHOUT ROWID;
INSERT INTO fig_district_months
    SELECT substr(community, 1, 6), month, COUNT(*),"#,
    summed_measure_columns!(),
    r#"
    FROM fig_months GROUP BY 1, 2;
CREATE INDEX fig_projects_stages ON fig_projects (submitted_day, community, stage, units);"#
);

/// The raw rows' measures summed per district and day (`fig_district_days`): the edge
/// days of a city's or a district's period (2026-03-15..05-10 cuts two months) read a
/// row per district and day instead of every raw row of those days. Kept like
/// `fig_district_months`: re-deriving a community takes its raw rows' sums out of its
/// district's days before deleting them and puts the new ones in after
/// (`figures::rollups::shift_district_days`, with the one definition of each measure,
/// `SOURCES`); `rows` counts the raw rows that count, so a day none is left in is
/// deleted. Filled here from the raw rows, with the same expressions.
pub(super) const DISTRICT_DAYS_STEP: &str = concat!(
    r#"CREATE TABLE fig_district_days (
    district TEXT NOT NULL,
    day INTEGER NOT NULL,"#,
    district_rollup_columns!(),
    r#",
    PRIMARY KEY (day, district)
) WITHOUT ROWID;
INSERT INTO fig_district_days (district, day, month, rows, members_reported)
    SELECT substr(community, 1, 6), reported_day, month, COUNT(*), COUNT(*) FROM fig_members WHERE 1 GROUP BY 1, 2
    ON CONFLICT (day, district) DO UPDATE SET rows = fig_district_days.rows + excluded.rows, members_reported = fig_district_days.members_reported + excluded.members_reported;
INSERT INTO fig_district_days (district, day, month, rows, pairings)
    SELECT substr(community, 1, 6), signed_day, month, COUNT(*), COUNT(*) FROM fig_pairings WHERE ended_day IS NULL GROUP BY 1, 2
    ON CONFLICT (day, district) DO UPDATE SET rows = fig_district_days.rows + excluded.rows, pairings = fig_district_days.pairings + excluded.pairings;
INSERT INTO fig_district_days (district, day, month, rows, wishes_total, wishes_submitted, wishes_published, wishes_claimed, wishes_fulfilled, wishes_rejected, wishes_withdrawn)
    SELECT substr(community, 1, 6), submitted_day, month, COUNT(*), COUNT(*), SUM(state = 'submitted'), SUM(state = 'published'), SUM(state = 'claimed'), SUM(state = 'fulfilled'), SUM(state = 'rejected'), SUM(state = 'withdrawn') FROM fig_wishes WHERE 1 GROUP BY 1, 2
    ON CONFLICT (day, district) DO UPDATE SET rows = fig_district_days.rows + excluded.rows, wishes_total = fig_district_days.wishes_total + excluded.wishes_total, wishes_submitted = fig_district_days.wishes_submitted + excluded.wishes_submitted, wishes_published = fig_district_days.wishes_published + excluded.wishes_published, wishes_claimed = fig_district_days.wishes_claimed + excluded.wishes_claimed, wishes_fulfilled = fig_district_days.wishes_fulfilled + excluded.wishes_fulfilled, wishes_rejected = fig_district_days.wishes_rejected + excluded.wishes_rejected, wishes_withdrawn = fig_district_days.wishes_withdrawn + excluded.wishes_withdrawn;
INSERT INTO fig_district_days (district, day, month, rows, projects_total, projects_submitted, projects_published, projects_claimed, projects_fulfilled, projects_rejected, projects_withdrawn)
    SELECT substr(community, 1, 6), submitted_day, month, COUNT(*), COUNT(*), SUM(state = 'submitted'), SUM(state = 'published'), SUM(state = 'claimed'), SUM(state = 'fulfilled'), SUM(state = 'rejected'), SUM(state = 'withdrawn') FROM fig_projects WHERE 1 GROUP BY 1, 2
    ON CONFLICT (day, district) DO UPDATE SET rows = fig_district_days.rows + excluded.rows, projects_total = fig_district_days.projects_total + excluded.projects_total, projects_submitted = fig_district_days.projects_submitted + excluded.projects_submitted, projects_published = fig_district_days.projects_published + excluded.projects_published, projects_claimed = fig_district_days.projects_claimed + excluded.projects_claimed, projects_fulfilled = fig_district_days.projects_fulfilled + excluded.projects_fulfilled, projects_rejected = fig_district_days.projects_rejected + excluded.projects_rejected, projects_withdrawn = fig_district_days.projects_withdrawn + excluded.projects_withdrawn;
INSERT INTO fig_district_days (district, day, month, rows, activities)
    SELECT substr(community, 1, 6), day, month, COUNT(*), COUNT(*) FROM fig_activities WHERE 1 GROUP BY 1, 2
    ON CONFLICT (day, district) DO UPDATE SET rows = fig_district_days.rows + excluded.rows, activities = fig_district_days.activities + excluded.activities;
INSERT INTO fig_district_days (district, day, month, rows, participations)
    SELECT substr(community, 1, 6), day, month, COUNT(*), COUNT(*) FROM fig_participations WHERE 1 GROUP BY 1, 2
    ON CONFLICT (day, district) DO UPDATE SET rows = fig_district_days.rows + excluded.rows, participations = fig_district_days.participations + excluded.participations;
INSERT INTO fig_district_days (district, day, month, rows, service_records, service_minutes)
    SELECT substr(community, 1, 6), day, month, COUNT(*), COUNT(*), SUM(minutes) FROM fig_services WHERE is_voided = 0 GROUP BY 1, 2
    ON CONFLICT (day, district) DO UPDATE SET rows = fig_district_days.rows + excluded.rows, service_records = fig_district_days.service_records + excluded.service_records, service_minutes = fig_district_days.service_minutes + excluded.service_minutes;
INSERT INTO fig_district_days (district, day, month, rows, points_earned, points_redeemed)
    SELECT substr(community, 1, 6), day, month, COUNT(*), SUM(CASE WHEN kind = 'earn' THEN points ELSE 0 END), SUM(CASE WHEN kind = 'redeem' THEN points ELSE 0 END) FROM fig_points WHERE is_voided = 0 GROUP BY 1, 2
    ON CONFLICT (day, district) DO UPDATE SET rows = fig_district_days.rows + excluded.rows, points_earned = fig_district_days.points_earned + excluded.points_earned, points_redeemed = fig_district_days.points_redeemed + excluded.points_redeemed;"#
);

/// Each unit's row of a project carries the day the project was submitted, so that the
/// units that took on a project of a period (`figures::counting`, count_claiming_orgs)
/// are counted from one covering index in unit order, without visiting a project row
/// per unit. Filled here from the projects.
pub(super) const PROJECT_UNIT_DAYS_STEP: &str =
    "ALTER TABLE fig_project_units ADD COLUMN submitted_day INTEGER NOT NULL DEFAULT 0;
UPDATE fig_project_units SET submitted_day = COALESCE((SELECT p.submitted_day FROM fig_projects p
    WHERE p.community = fig_project_units.community AND p.id = fig_project_units.project), 0);
CREATE INDEX fig_project_units_day ON fig_project_units (org, submitted_day, community);";

/// The organisations' monthly rollups summed per district (`fig_district_org_months`),
/// kept like `fig_district_months` from `fig_org_months`: the city's ranking of units
/// and a unit's figures in a city or district read a row per unit, district and month
/// instead of one per unit, community and month; a unit's months are read through its
/// own index, as in `fig_org_months`. Filled here from the rollups.
pub(super) const DISTRICT_ORG_MONTHS_STEP: &str = concat!(
    r#"CREATE TABLE fig_district_org_months (
    org BLOB NOT NULL,
    district TEXT NOT NULL,"#,
    district_rollup_columns!(),
    r#",
    PRIMARY KEY (month, org, district)
) WITHOUT ROWID;
INSERT INTO fig_district_org_months
    SELECT org, substr(community, 1, 6), month, COUNT(*),"#,
    summed_measure_columns!(),
    r#"
    FROM fig_org_months GROUP BY 1, 2, 3;
CREATE INDEX fig_district_org_months_org ON fig_district_org_months (org, district, month);"#
);

/// Projects as Guangzhou runs them (issue 14): each project's stage and how many units
/// took it on, and one row per unit and project with its share, so that a joint
/// project counts once for a region and once for each unit. Filled here from the rows
/// already derived by the rule of `wishtree_protocol::project` for projects written
/// before stages (submitted and published are 征集, claimed is 立项 by its one
/// claimant at 100%, fulfilled is 完成, rejected and withdrawn are 终止), so an upgraded
/// hub re-derives nothing.
pub(super) const PROJECT_STAGES_STEP: &str =
    "ALTER TABLE fig_projects ADD COLUMN stage TEXT NOT NULL DEFAULT 'collecting';
ALTER TABLE fig_projects ADD COLUMN units INTEGER NOT NULL DEFAULT 0;
UPDATE fig_projects SET
    stage = CASE state
        WHEN 'submitted' THEN 'collecting'
        WHEN 'published' THEN 'collecting'
        WHEN 'claimed' THEN 'approved'
        WHEN 'fulfilled' THEN 'done'
        ELSE 'terminated' END,
    units = claimant_org IS NOT NULL;
CREATE TABLE fig_project_units (
    community TEXT NOT NULL,
    project BLOB NOT NULL,
    org BLOB NOT NULL,
    share INTEGER NOT NULL,
    PRIMARY KEY (community, project, org)
) WITHOUT ROWID;
CREATE INDEX fig_project_units_org ON fig_project_units (org, community);
INSERT INTO fig_project_units (community, project, org, share)
    SELECT community, id, claimant_org, 100 FROM fig_projects WHERE claimant_org IS NOT NULL;";

/// Volunteers beyond the members (issue 14, item 5), kept apart from every member
/// table: one row per volunteer, per wish a volunteer holds, and per service record of
/// theirs. Nothing to fill: an upgraded hub lists a community's volunteers from its
/// next change, and documents written before volunteers have none.
pub(super) const VOLUNTEERS_STEP: &str = "
CREATE TABLE fig_volunteers (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    registered_day INTEGER NOT NULL,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE TABLE fig_volunteer_wishes (
    community TEXT NOT NULL,
    wish BLOB NOT NULL,
    volunteer BLOB NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    submitted_day INTEGER NOT NULL,
    PRIMARY KEY (community, wish)
) WITHOUT ROWID;
CREATE TABLE fig_volunteer_services (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    volunteer BLOB NOT NULL,
    kind TEXT NOT NULL,
    day INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    is_voided INTEGER NOT NULL,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;";

/// Service posts with their seats, functional branches and service teams (issue 14,
/// item 8; `figures::posts`): one row per post, per seat held, per group and per
/// member's place in a group. Every community is marked for re-derivation, so an
/// upgraded hub counts the posts and groups its documents already hold.
pub(super) const POSTS_GROUPS_STEP: &str = "
CREATE TABLE fig_posts (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    seats INTEGER NOT NULL,
    made_day INTEGER NOT NULL,
    is_withdrawn INTEGER NOT NULL,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE TABLE fig_post_holders (
    community TEXT NOT NULL,
    post BLOB NOT NULL,
    seat INTEGER NOT NULL,
    holder_org BLOB,
    PRIMARY KEY (community, post, seat)
) WITHOUT ROWID;
CREATE INDEX fig_post_holders_org ON fig_post_holders (holder_org, community, post)
    WHERE holder_org IS NOT NULL;
CREATE TABLE fig_groups (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    made_day INTEGER NOT NULL,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE TABLE fig_group_members (
    community TEXT NOT NULL,
    member BLOB NOT NULL,
    kind TEXT NOT NULL,
    group_id BLOB NOT NULL,
    member_org BLOB,
    PRIMARY KEY (community, member, kind)
) WITHOUT ROWID;
CREATE INDEX fig_group_members_group ON fig_group_members (community, group_id, kind);
UPDATE fig_communities SET is_derived = 0;";

/// The organisations a project's figures by state are credited to (issue 14, item
/// 2): its lead claimant and every unit holding it jointly (共同承接), a row each, read
/// for an organisation's figures, its month rollups and the projects campaign instead
/// of `fig_projects.claimant_org`, which names the lead alone. Filled from the rows
/// derived before; every community is marked for one re-derivation so that the
/// organisations' month rollups count the partners too.
pub(super) const PROJECT_CREDITS_STEP: &str = "
CREATE TABLE fig_project_credits (
    community TEXT NOT NULL,
    project BLOB NOT NULL,
    claimant_org BLOB NOT NULL,
    state TEXT NOT NULL,
    submitted_day INTEGER NOT NULL,
    month INTEGER NOT NULL,
    PRIMARY KEY (community, project, claimant_org)
) WITHOUT ROWID;
CREATE INDEX fig_project_credits_org ON fig_project_credits (claimant_org, submitted_day);
INSERT OR IGNORE INTO fig_project_credits
    SELECT community, id, claimant_org, state, submitted_day, month FROM fig_projects
    WHERE claimant_org IS NOT NULL;
INSERT OR IGNORE INTO fig_project_credits
    SELECT p.community, p.id, u.org, p.state, p.submitted_day, p.month
    FROM fig_project_units u JOIN fig_projects p ON p.community = u.community AND p.id = u.project;
UPDATE fig_communities SET is_derived = 0;";

/// The heads each community's figure rows were derived from (`figures/refresh.rs`),
/// written with the rows, so that after a restart a change is still re-derived entity
/// by entity. `version` is the schema version the rows were written under: rows of
/// an older version, or of a community marked for re-derivation (`is_derived = 0`),
/// are derived whole.
pub(super) const DERIVED_FROM_STEP: &str = "
CREATE TABLE fig_derived_from (
    community TEXT PRIMARY KEY,
    heads BLOB NOT NULL,
    hosts_street INTEGER NOT NULL,
    version INTEGER NOT NULL
) WITHOUT ROWID;";

/// The second step: a community whose latest signed heads were made by a key since
/// revoked is flagged (its data is kept).
const SECOND_STEP: &str =
    "ALTER TABLE fig_communities ADD COLUMN signer_revoked INTEGER NOT NULL DEFAULT 0;";

/// The third step: each community's sealed half-years, and how many of its seals do
/// not hold against the roster; the city's campaigns and its directory of units with
/// their declared in-service members, from the city document.
const THIRD_STEP: &str = "ALTER TABLE fig_communities ADD COLUMN seals INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fig_communities ADD COLUMN seals_failed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE fig_campaigns (
    id BLOB PRIMARY KEY,
    title TEXT NOT NULL,
    rule TEXT NOT NULL,
    minimum INTEGER NOT NULL,
    from_day INTEGER NOT NULL,
    to_day INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE fig_directory (
    org BLOB PRIMARY KEY,
    credit_code TEXT NOT NULL,
    name TEXT NOT NULL,
    in_service_members INTEGER
) WITHOUT ROWID;";

/// The fifth step: report-back to the unit (`figures::unit_reports`). Unlike the
/// raw tables these hold what the document says of a unit's members that their unit
/// may read — the member's name and each sealed half-year's report with its
/// evaluation — and are read only behind `Viewer::check_unit_members`. Still nothing
/// the node keeps private (addresses, phones, residents' real names).
const FIFTH_STEP: &str = "
CREATE TABLE fig_unit_members (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    org BLOB NOT NULL,
    name TEXT NOT NULL,
    reported_day INTEGER NOT NULL,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE INDEX fig_unit_members_org ON fig_unit_members (org, community);
CREATE TABLE fig_member_reports (
    community TEXT NOT NULL,
    period TEXT NOT NULL,
    member BLOB NOT NULL,
    org BLOB NOT NULL,
    is_verified INTEGER NOT NULL,
    problem TEXT,
    grade TEXT,
    comment TEXT NOT NULL,
    activities INTEGER NOT NULL,
    service_minutes INTEGER NOT NULL,
    wishes_claimed INTEGER NOT NULL,
    wishes_fulfilled INTEGER NOT NULL,
    posts_held INTEGER NOT NULL,
    points_earned INTEGER NOT NULL,
    amendments INTEGER NOT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (community, period, member)
) WITHOUT ROWID;
CREATE INDEX fig_member_reports_org ON fig_member_reports (org, period);";

/// The step after the project stages: a unit's report-back page of thousands of members reads two index
/// ranges and nothing else. Its members come in page order (community, name) with the
/// day they reported in; its reports come with every figure the list shows, so the
/// wide rows (a report's JSON spills to overflow pages) are never visited for the list.
/// Coverage (a bulletin's units behind) counts each unit's members in a region from
/// an index of (unit, community) alone, not a table row per member.
/// Collection rounds (批次): a wish row keeps its round's name; a row derived before
/// is of a wish written before rounds existed, in no round (NULL), so nothing is
/// re-derived.
pub(super) const ROUNDS_STEP: &str = "
ALTER TABLE fig_wishes ADD COLUMN round TEXT;
CREATE INDEX fig_wishes_round ON fig_wishes (round, community, submitted_day) WHERE round IS NOT NULL;";

pub(super) const REPORT_INDEXES_STEP: &str = "
CREATE INDEX fig_members_org_community ON fig_members (org, community) WHERE org IS NOT NULL;
CREATE INDEX fig_unit_members_page ON fig_unit_members (org, community, name, id, reported_day);
CREATE INDEX fig_member_reports_list ON fig_member_reports (org, period, community, member,
    is_verified, grade, activities, service_minutes, wishes_claimed, wishes_fulfilled,
    posts_held, points_earned, amendments, problem, comment);";

/// The first step. The secondary indexes cover the columns their queries read (a wide
/// region reads by day, an organisation by its id), so that SQLite answers from the
/// index alone.
const FIRST_STEP: &str = concat!(
    r#"
CREATE TABLE fig_communities (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    district TEXT NOT NULL,
    street TEXT NOT NULL,
    last_seen_at INTEGER,
    last_change_at INTEGER,
    changes INTEGER NOT NULL DEFAULT 0,
    attested_changes INTEGER NOT NULL DEFAULT 0,
    malformed INTEGER NOT NULL DEFAULT 0,
    is_derived INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE fig_region_names (
    prefix TEXT PRIMARY KEY,
    name TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE fig_members (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    org BLOB,
    reported_day INTEGER NOT NULL,
    month INTEGER NOT NULL,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE INDEX fig_members_org ON fig_members (org, reported_day) WHERE org IS NOT NULL;
CREATE INDEX fig_members_day ON fig_members (reported_day);

CREATE TABLE fig_orgs (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    credit_code TEXT NOT NULL,
    name TEXT NOT NULL,
    reported_day INTEGER,
    month INTEGER,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE INDEX fig_orgs_id ON fig_orgs (id, reported_day);

CREATE TABLE fig_pairings (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    org BLOB NOT NULL,
    signed_day INTEGER NOT NULL,
    month INTEGER NOT NULL,
    ended_day INTEGER,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE INDEX fig_pairings_org ON fig_pairings (org);

CREATE TABLE fig_wishes (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    beneficiary_group TEXT NOT NULL,
    state TEXT NOT NULL,
    submitted_day INTEGER NOT NULL,
    month INTEGER NOT NULL,
    claimant_member BLOB,
    claimant_org BLOB,
    credited_org BLOB,
    claim_days INTEGER,
    fulfil_days INTEGER,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE INDEX fig_wishes_day ON fig_wishes (submitted_day, state);
CREATE INDEX fig_wishes_credited ON fig_wishes (credited_org, submitted_day, state)
    WHERE credited_org IS NOT NULL;
CREATE INDEX fig_wishes_claimants ON fig_wishes (community, claimant_member, submitted_day)
    WHERE claimant_member IS NOT NULL;
CREATE INDEX fig_wishes_claim_days ON fig_wishes (claim_days, submitted_day)
    WHERE claim_days IS NOT NULL;
CREATE INDEX fig_wishes_claim_region ON fig_wishes (community, claim_days, submitted_day)
    WHERE claim_days IS NOT NULL;
CREATE INDEX fig_wishes_fulfil_days ON fig_wishes (fulfil_days, submitted_day)
    WHERE fulfil_days IS NOT NULL;
CREATE INDEX fig_wishes_fulfil_region ON fig_wishes (community, fulfil_days, submitted_day)
    WHERE fulfil_days IS NOT NULL;

CREATE TABLE fig_projects (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    submitted_day INTEGER NOT NULL,
    month INTEGER NOT NULL,
    claimant_org BLOB,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE INDEX fig_projects_org ON fig_projects (claimant_org, submitted_day, state)
    WHERE claimant_org IS NOT NULL;

CREATE TABLE fig_activities (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    category TEXT NOT NULL,
    day INTEGER NOT NULL,
    month INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    organiser BLOB,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE INDEX fig_activities_day ON fig_activities (day);
CREATE INDEX fig_activities_org ON fig_activities (organiser, day) WHERE organiser IS NOT NULL;

CREATE TABLE fig_participations (
    community TEXT NOT NULL,
    activity BLOB NOT NULL,
    member BLOB NOT NULL,
    member_org BLOB,
    day INTEGER NOT NULL,
    month INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    PRIMARY KEY (community, activity, member)
) WITHOUT ROWID;
CREATE INDEX fig_participations_day ON fig_participations (day);
CREATE INDEX fig_participations_org ON fig_participations (member_org, day) WHERE member_org IS NOT NULL;

CREATE TABLE fig_services (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    member BLOB NOT NULL,
    member_org BLOB,
    day INTEGER NOT NULL,
    month INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    category TEXT NOT NULL,
    activity BLOB,
    is_voided INTEGER NOT NULL,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE INDEX fig_services_day ON fig_services (day, is_voided, minutes);
CREATE INDEX fig_services_org ON fig_services (member_org, day, is_voided, minutes)
    WHERE member_org IS NOT NULL;

CREATE TABLE fig_points (
    community TEXT NOT NULL,
    id BLOB NOT NULL,
    member BLOB NOT NULL,
    member_org BLOB,
    kind TEXT NOT NULL,
    points INTEGER NOT NULL,
    day INTEGER NOT NULL,
    month INTEGER NOT NULL,
    is_voided INTEGER NOT NULL,
    PRIMARY KEY (community, id)
) WITHOUT ROWID;
CREATE INDEX fig_points_day ON fig_points (day, is_voided, kind, points);
CREATE INDEX fig_points_org ON fig_points (member_org, day, is_voided, kind, points)
    WHERE member_org IS NOT NULL;

CREATE TABLE fig_months (
    community TEXT NOT NULL,
    month INTEGER NOT NULL,"#,
    measure_columns!(),
    r#",
    PRIMARY KEY (month, community)
) WITHOUT ROWID;
CREATE INDEX fig_months_community ON fig_months (community, month);

CREATE TABLE fig_org_months (
    org BLOB NOT NULL,
    community TEXT NOT NULL,
    month INTEGER NOT NULL,"#,
    measure_columns!(),
    r#",
    PRIMARY KEY (month, org, community)
) WITHOUT ROWID;
CREATE INDEX fig_org_months_org ON fig_org_months (org, community, month);
CREATE INDEX fig_org_months_community ON fig_org_months (community, month);
"#
);

/// Party organisations under their units (issue 14, item 4): each `fig_orgs` row of a
/// branch keeps the branch's name beside its unit's credit code, and the index by
/// credit code lets a unit's figures read the rows of all its party organisations
/// (`figures::party_orgs`). A row derived before is of a unit's own organisation (no
/// branch existed), which is what a NULL name says: nothing is re-derived.
pub(super) const PARTY_ORGS_STEP: &str = "
ALTER TABLE fig_orgs ADD COLUMN party_org TEXT;
CREATE INDEX fig_orgs_unit ON fig_orgs (credit_code, id);";
