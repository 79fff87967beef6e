//! The days wishes waited for their claim and their fulfilment: counted per community
//! and per district, month and number of days (`figures::wait_days`), so that the
//! medians of a city's children read a few thousand counts instead of every wish; and
//! indexed by organisation, so that an organisation's medians read no wish row.

/// `fig_wait_days` counts a community's wishes by the month they were submitted and
/// the whole days they waited: `claims` the wishes whose `claim_days` is `days`,
/// `fulfilments` those whose `fulfil_days` is. `fig_district_wait_days` sums those
/// rows per district (the first six digits), kept like `fig_district_months`: a
/// community's old counts are taken out and its new ones put in when its rollups are
/// rebuilt, and a row that counts nothing any more is deleted. Filled here from the
/// wishes already derived.
pub(super) const WAIT_DAYS_STEP: &str = "
CREATE TABLE fig_wait_days (
    community TEXT NOT NULL,
    month INTEGER NOT NULL,
    days INTEGER NOT NULL,
    claims INTEGER NOT NULL,
    fulfilments INTEGER NOT NULL,
    PRIMARY KEY (community, month, days)
) WITHOUT ROWID;
CREATE TABLE fig_district_wait_days (
    district TEXT NOT NULL,
    month INTEGER NOT NULL,
    days INTEGER NOT NULL,
    claims INTEGER NOT NULL,
    fulfilments INTEGER NOT NULL,
    PRIMARY KEY (district, month, days)
) WITHOUT ROWID;
INSERT INTO fig_wait_days (community, month, days, claims, fulfilments)
    SELECT community, month, days, SUM(claims), SUM(fulfilments) FROM (
        SELECT community, month, claim_days AS days, 1 AS claims, 0 AS fulfilments
            FROM fig_wishes WHERE claim_days IS NOT NULL
        UNION ALL SELECT community, month, fulfil_days, 0, 1
            FROM fig_wishes WHERE fulfil_days IS NOT NULL)
    GROUP BY community, month, days;
INSERT INTO fig_district_wait_days (district, month, days, claims, fulfilments)
    SELECT substr(community, 1, 6), month, days, SUM(claims), SUM(fulfilments)
    FROM fig_wait_days GROUP BY 1, 2, 3;";

/// An organisation's medians of days to claim and to fulfil walk its wishes' days in
/// order (`figures::query`, median_days), as a region's do by community: without these
/// the largest organisation of the bench city (5,141 wishes credited) looked up every
/// one of its wish rows and sorted their days, twice (about 12 ms each).
pub(super) const ORG_WAIT_INDEXES_STEP: &str = "
CREATE INDEX fig_wishes_claim_org ON fig_wishes (credited_org, claim_days, submitted_day)
    WHERE claim_days IS NOT NULL;
CREATE INDEX fig_wishes_fulfil_org ON fig_wishes (credited_org, fulfil_days, submitted_day)
    WHERE fulfil_days IS NOT NULL;";

/// A wide region's medians for a period read its edge days' wishes (`figures::children`,
/// `read_days_waited`) by day: the days waited of the wishes submitted on those days,
/// from the index alone. Read by community instead, a city read every claimed wish of
/// every community to keep those of a few days (7.7 and 5.2 ms of the 40 of the city's
/// children for 2026-03-15..05-10, bench city of 3,000 communities).
pub(super) const EDGE_DAY_INDEXES_STEP: &str = "
CREATE INDEX fig_wishes_claimed_by_day ON fig_wishes (submitted_day, community, claim_days)
    WHERE claim_days IS NOT NULL;
CREATE INDEX fig_wishes_fulfilled_by_day ON fig_wishes (submitted_day, community, fulfil_days)
    WHERE fulfil_days IS NOT NULL;";
