//! Counts kept per district by triggers, beside the per-community rows they count, so
//! that a district's or the city's figures read a row per district where they read a
//! row per community or sorted every row: the members ranked in a half-year
//! (`figures::points`) and the unit organisations reported in (`figures::counting`).
//! Each is filled from the rows already derived, and kept on every insert, delete and
//! change of those rows whoever writes them (a re-derivation, a bench's bulk fill).

/// How many members are ranked per district and half-year
/// (`fig_points_ranked_district`): a ranking of the city or a district, and a member's
/// place in the city, count a row per district instead of one per community
/// (`figures::points`; the city's count read 3,000 rows of `fig_points_ranked` a
/// half-year, 0.35 ms in SQLite and 0.69 ms of PostgreSQL's time, bench city). Kept
/// like `fig_points_ranked`, by triggers of its own on every insert, delete and move of
/// a `fig_member_points` row; a district with nobody ranked in a half-year has no row.
/// Filled here from `fig_points_ranked`.
pub(super) const POINTS_RANKED_DISTRICT_STEP: &str = "CREATE TABLE fig_points_ranked_district (
    period TEXT NOT NULL,
    district TEXT NOT NULL,
    ranked INTEGER NOT NULL,
    PRIMARY KEY (period, district)
) WITHOUT ROWID;
INSERT INTO fig_points_ranked_district (period, district, ranked)
    SELECT period, substr(community, 1, 6), SUM(ranked) FROM fig_points_ranked GROUP BY 1, 2;
CREATE TRIGGER fig_member_points_district_counted AFTER INSERT ON fig_member_points BEGIN
    INSERT INTO fig_points_ranked_district (period, district, ranked)
        VALUES (NEW.period, substr(NEW.community, 1, 6), 1)
        ON CONFLICT (period, district) DO UPDATE SET ranked = ranked + 1;
END;
CREATE TRIGGER fig_member_points_district_uncounted AFTER DELETE ON fig_member_points BEGIN
    UPDATE fig_points_ranked_district SET ranked = ranked - 1
        WHERE period = OLD.period AND district = substr(OLD.community, 1, 6);
    DELETE FROM fig_points_ranked_district
        WHERE period = OLD.period AND district = substr(OLD.community, 1, 6) AND ranked <= 0;
END;
CREATE TRIGGER fig_member_points_district_moved
AFTER UPDATE OF period, community ON fig_member_points
BEGIN
    UPDATE fig_points_ranked_district SET ranked = ranked - 1
        WHERE period = OLD.period AND district = substr(OLD.community, 1, 6);
    DELETE FROM fig_points_ranked_district
        WHERE period = OLD.period AND district = substr(OLD.community, 1, 6) AND ranked <= 0;
    INSERT INTO fig_points_ranked_district (period, district, ranked)
        VALUES (NEW.period, substr(NEW.community, 1, 6), 1)
        ON CONFLICT (period, district) DO UPDATE SET ranked = ranked + 1;
END;";

/// The unit organisations reported in per district (`fig_district_orgs`): each row of
/// `fig_orgs` with a day counted under its district, unit and day, so that a district
/// counts its distinct units reported by a day along its own rows in unit order, with
/// no sort (by community, its 2,500 rows were sorted per request: the city's 15
/// districts 10.2 ms against 4.4 this way, bench city). Kept by triggers on every
/// insert, delete and change of a `fig_orgs` row, as `fig_points_ranked` is; a unit
/// not reported in yet (no day) is not counted. Filled here from `fig_orgs`.
pub(super) const DISTRICT_ORGS_STEP: &str = "CREATE TABLE fig_district_orgs (
    district TEXT NOT NULL,
    id BLOB NOT NULL,
    reported_day INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    PRIMARY KEY (district, id, reported_day)
) WITHOUT ROWID;
INSERT INTO fig_district_orgs (district, id, reported_day, rows)
    SELECT substr(community, 1, 6), id, reported_day, COUNT(*) FROM fig_orgs
    WHERE reported_day IS NOT NULL GROUP BY 1, 2, 3;
CREATE TRIGGER fig_orgs_district_counted AFTER INSERT ON fig_orgs
WHEN NEW.reported_day IS NOT NULL
BEGIN
    INSERT INTO fig_district_orgs (district, id, reported_day, rows)
        VALUES (substr(NEW.community, 1, 6), NEW.id, NEW.reported_day, 1)
        ON CONFLICT (district, id, reported_day) DO UPDATE SET rows = rows + 1;
END;
CREATE TRIGGER fig_orgs_district_uncounted AFTER DELETE ON fig_orgs
WHEN OLD.reported_day IS NOT NULL
BEGIN
    UPDATE fig_district_orgs SET rows = rows - 1
        WHERE district = substr(OLD.community, 1, 6) AND id = OLD.id
            AND reported_day = OLD.reported_day;
    DELETE FROM fig_district_orgs
        WHERE district = substr(OLD.community, 1, 6) AND id = OLD.id
            AND reported_day = OLD.reported_day AND rows <= 0;
END;
CREATE TRIGGER fig_orgs_district_moved AFTER UPDATE OF community, id, reported_day ON fig_orgs
BEGIN
    UPDATE fig_district_orgs SET rows = rows - 1
        WHERE district = substr(OLD.community, 1, 6) AND id = OLD.id
            AND reported_day = OLD.reported_day;
    DELETE FROM fig_district_orgs
        WHERE district = substr(OLD.community, 1, 6) AND id = OLD.id
            AND reported_day = OLD.reported_day AND rows <= 0;
    INSERT INTO fig_district_orgs (district, id, reported_day, rows)
        SELECT substr(NEW.community, 1, 6), NEW.id, NEW.reported_day, 1
        WHERE NEW.reported_day IS NOT NULL
        ON CONFLICT (district, id, reported_day) DO UPDATE SET rows = rows + 1;
END;";
