//! Naming the city, its districts and its streets for the dashboard
//! (`wishtree-hub region name` and `region import`); a community's name comes from its
//! own document instead.
//!
//! A name is checked against the hub's city before anything is written, and a CSV file
//! is checked whole: one bad row, and nothing of the file is written, so that an
//! operator never has to work out which half of a file went in.

use std::collections::HashMap;
use std::io::Read;

use wishtree_protocol::text::{Name, TextError};
use wishtree_protocol::{RegionLevel, RegionPrefix};

use crate::figure_store::FigureStore;
use crate::figures::{self, FiguresError};

/// A name for a region of the hub's city: the city itself, a district or a street.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionName {
    /// The region, at city, district or street level, inside the hub's city.
    pub region: RegionPrefix,
    /// What the dashboard shows for it.
    pub name: Name,
}

/// Why a code and name cannot be a [`RegionName`].
#[derive(Debug, thiserror::Error)]
pub enum RegionNameError {
    /// The code does not parse as a region code.
    #[error(
        "`{code}` is not a region code ({reason}); give a district (6 digits) or street (9 digits)"
    )]
    BadCode {
        /// The code as given.
        code: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The code names a community, whose name is its node's to give.
    #[error(
        "{code} is a community: its name comes from its node (`wishtree-node init --name`); name districts and streets here"
    )]
    Community {
        /// The community's code.
        code: String,
    },
    /// The code is not the city, a district or a street of the hub's city.
    #[error(
        "{code} is not a district (6 digits) or street (9 digits) of city {city}; give a code that starts with {city}"
    )]
    OutsideCity {
        /// The code as given.
        code: String,
        /// The hub's city.
        city: String,
    },
    /// The name is empty, too long or holds an invisible character.
    #[error("the name of {code}: {source}")]
    BadName {
        /// The region being named.
        code: String,
        /// What is wrong with the name.
        source: TextError,
    },
}

/// Why a CSV file of region names was not taken. Nothing of it was written.
#[derive(Debug, thiserror::Error)]
pub enum RegionCsvError {
    /// A row is not a code and a name, or the code or the name is bad.
    #[error(
        "line {line}: {problem}; nothing was written: correct the line and import the file again"
    )]
    BadRow {
        /// The row's line in the file, counting from 1.
        line: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// The file is not CSV text (e.g. not UTF-8, as some spreadsheets save by default).
    #[error("the file cannot be read as CSV ({0}); save it as UTF-8 CSV with `code,name` rows")]
    Unreadable(String),
    /// The file names no region.
    #[error("the file holds no `code,name` row; nothing was written")]
    Empty,
}

/// Why names could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum RegionStoreError {
    /// Writing the names failed; none of them was stored.
    #[error("cannot store the region names (none was stored): {0}")]
    Write(#[from] FiguresError),
}

impl RegionName {
    /// Checks `code` against the hub's `city` and `name` as a name: the city's own
    /// 4 digits, a district's 6 or a street's 9 (or a 12-digit code padded with zeros).
    pub fn parse(city: &RegionPrefix, code: &str, name: &str) -> Result<Self, RegionNameError> {
        let region: RegionPrefix = code.parse().map_err(|error| RegionNameError::BadCode {
            code: code.trim().to_owned(),
            reason: format!("{error}"),
        })?;
        let shown = region.as_str().to_owned();
        match region.level() {
            Some(RegionLevel::Community) => {
                return Err(RegionNameError::Community { code: shown });
            }
            Some(RegionLevel::City | RegionLevel::District | RegionLevel::Street)
                if city.covers(&region) => {}
            _ => {
                return Err(RegionNameError::OutsideCity {
                    code: code.trim().to_owned(),
                    city: city.as_str().to_owned(),
                });
            }
        }
        let name = Name::parse("name", name).map_err(|source| RegionNameError::BadName {
            code: shown,
            source,
        })?;
        Ok(Self { region, name })
    }
}

/// Reads `code,name` rows of regions of `city`. A first row `code,name` is a header and
/// skipped; blank lines are skipped. Every row is checked, and the first bad one is the
/// error, by its line; a code named twice is an error too, since one of the two names
/// would be lost without a word.
pub fn read_csv(city: &RegionPrefix, input: impl Read) -> Result<Vec<RegionName>, RegionCsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let mut names = Vec::new();
    let mut first_line = HashMap::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|error| RegionCsvError::Unreadable(error.to_string()))?;
        let line = record.position().map_or(index as u64 + 1, |at| at.line());
        let bad = |problem: String| RegionCsvError::BadRow { line, problem };
        let fields: Vec<&str> = record.iter().collect();
        if index == 0
            && fields
                .first()
                .is_some_and(|first| first.eq_ignore_ascii_case("code"))
        {
            continue;
        }
        let [code, name] = fields.as_slice() else {
            return Err(bad(format!(
                "{} fields where `code,name` are two (quote a name that holds a comma)",
                fields.len()
            )));
        };
        let named = RegionName::parse(city, code, name).map_err(|error| bad(error.to_string()))?;
        if let Some(earlier) = first_line.insert(named.region.clone(), line) {
            return Err(bad(format!(
                "{} is named again (first on line {earlier}); keep one of the two",
                named.region.as_str()
            )));
        }
        names.push(named);
    }
    if names.is_empty() {
        return Err(RegionCsvError::Empty);
    }
    Ok(names)
}

/// Stores the names in one transaction, replacing any earlier name of the same
/// regions; the dashboard shows them on its next page (every process's, on figures
/// the hub's processes share). The store's open made the figure tables.
pub fn store_names(into: &FigureStore, names: &[RegionName]) -> Result<(), RegionStoreError> {
    into.write(|db| {
        for named in names {
            figures::set_region_name(db, &named.region, named.name.as_str())?;
        }
        Ok::<_, FiguresError>(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn city() -> RegionPrefix {
        "1309".parse().expect("a city code")
    }

    #[test]
    fn codes_of_the_city_its_districts_and_streets_are_taken() {
        for (code, level) in [
            ("1309", RegionLevel::City),
            ("130903", RegionLevel::District),
            ("130903001", RegionLevel::Street),
            ("130903001000", RegionLevel::Street),
        ] {
            let named = RegionName::parse(&city(), code, " 运河区 ").expect(code);
            assert_eq!(named.region.level(), Some(level), "{code}");
            assert_eq!(named.name.as_str(), "运河区");
        }
    }

    #[test]
    fn codes_elsewhere_communities_and_bad_names_are_refused() {
        let refusal = |code: &str, name: &str| {
            RegionName::parse(&city(), code, name)
                .expect_err(code)
                .to_string()
        };
        assert!(refusal("130803", "x").contains("of city 1309"));
        assert!(refusal("13", "x").contains("of city 1309"));
        assert!(refusal("1309030", "x").contains("not a region code"));
        assert!(refusal("130903001001", "x").contains("comes from its node"));
        assert!(refusal("130903", "  ").contains("the name of 130903"));
    }

    #[test]
    fn a_csv_file_is_taken_whole_or_its_first_bad_line_is_named() {
        let good = "code,name\n130903,运河区\n\n130903001,\"水月寺街道\"\n";
        let names = read_csv(&city(), good.as_bytes()).expect("a good file");
        let codes: Vec<&str> = names.iter().map(|named| named.region.as_str()).collect();
        assert_eq!(codes, ["130903", "130903001"]);

        for (file, line, problem) in [
            ("130903,运河区\n130902\n", 2, "1 fields"),
            ("130903,运河区\n130902,新华区,x\n", 2, "3 fields"),
            ("130903,运河区\n140902,新华区\n", 2, "of city 1309"),
            (
                "code,name\n130903,运河区\n130903,新华区\n",
                3,
                "first on line 2",
            ),
        ] {
            let error = read_csv(&city(), file.as_bytes()).expect_err(file);
            let message = error.to_string();
            assert!(
                message.starts_with(&format!("line {line}: ")) && message.contains(problem),
                "{file:?}: {message}"
            );
        }
        assert!(matches!(
            read_csv(&city(), "code,name\n".as_bytes()),
            Err(RegionCsvError::Empty)
        ));
        assert!(matches!(
            read_csv(&city(), b"130903,\xd4\xcb\xba\xd3\xc7\xf8\n".as_slice()),
            Err(RegionCsvError::Unreadable(_))
        ));
    }
}
