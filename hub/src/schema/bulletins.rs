//! The bulletins' table (`bulletins`): each issued bulletin (通报) of a region and a
//! month or half-year, its data the JSON it was issued with, never rewritten.

/// The bulletins' steps, in order. Each is frozen once released: a change is a new
/// step at the end of [`super::STEPS`].
pub(super) const STEPS: [&str; 1] = [r#"
CREATE TABLE bulletins (
    id INTEGER PRIMARY KEY,
    region TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('month', 'half')),
    period TEXT NOT NULL,
    first_day INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    issued_by TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (region, period)
);
CREATE INDEX bulletins_by_kind ON bulletins (region, kind, first_day);
"#];
