//! How a column reads as a Rust value ([`FromCell`]) on either database, and the
//! decoding of PostgreSQL's binary columns it needs: its integer types, `NUMERIC`
//! (what a `SUM` of integers answers) and reals, read as SQLite's dynamic types read.

use tokio_postgres::types::{FromSql, Type};

use super::{FromCell, Result, SqlError};

/// An integer column of any of PostgreSQL's integer types, or a `NUMERIC` without a
/// fraction (a `SUM` of integers), or a boolean (as 0 or 1).
struct PgInt(i64);

impl<'a> FromSql<'a> for PgInt {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgInt(match *ty {
            Type::INT8 => i64::from_sql(ty, raw)?,
            Type::INT4 => i64::from(i32::from_sql(ty, raw)?),
            Type::INT2 => i64::from(i16::from_sql(ty, raw)?),
            Type::BOOL => i64::from(bool::from_sql(ty, raw)?),
            Type::NUMERIC => numeric_integer(raw)?,
            _ => return Err(format!("{ty} is not an integer").into()),
        }))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8 | Type::INT4 | Type::INT2 | Type::BOOL | Type::NUMERIC
        )
    }
}

/// A real column: a double, a float, a `NUMERIC` or an integer.
struct PgReal(f64);

impl<'a> FromSql<'a> for PgReal {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgReal(match *ty {
            Type::FLOAT8 => f64::from_sql(ty, raw)?,
            Type::FLOAT4 => f64::from(f32::from_sql(ty, raw)?),
            Type::NUMERIC => numeric_real(raw)?,
            _ => PgInt::from_sql(ty, raw)?.0 as f64,
        }))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::FLOAT8 | Type::FLOAT4) || PgInt::accepts(ty)
    }
}

/// The digits of a binary `NUMERIC`: (sign is negative, weight, base-10000 digits).
fn numeric_digits(
    raw: &[u8],
) -> std::result::Result<(bool, i16, Vec<i16>), Box<dyn std::error::Error + Sync + Send>> {
    let word = |at: usize| -> std::result::Result<[u8; 2], String> {
        raw.get(at..at + 2)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| "a NUMERIC is cut short".to_owned())
    };
    let count = u16::from_be_bytes(word(0)?);
    let weight = i16::from_be_bytes(word(2)?);
    let sign = u16::from_be_bytes(word(4)?);
    if sign == 0xC000 {
        return Err("a NUMERIC is NaN".into());
    }
    let digits = (0..usize::from(count))
        .map(|i| word(8 + 2 * i).map(i16::from_be_bytes))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok((sign == 0x4000, weight, digits))
}

fn numeric_integer(
    raw: &[u8],
) -> std::result::Result<i64, Box<dyn std::error::Error + Sync + Send>> {
    let (negative, weight, digits) = numeric_digits(raw)?;
    let mut value: i64 = 0;
    for (position, digit) in digits.iter().enumerate() {
        let power = i32::from(weight) - position as i32;
        if power < 0 {
            if *digit != 0 {
                return Err("a NUMERIC with a fraction read as an integer".into());
            }
            continue;
        }
        value = value
            .checked_mul(10_000)
            .and_then(|v| v.checked_add(i64::from(*digit)))
            .ok_or("a NUMERIC beyond a 64-bit integer")?;
    }
    // Trailing zero groups are left out of the digits: scale up to the weight.
    let written = digits.len() as i32;
    for _ in written..=i32::from(weight) {
        value = value
            .checked_mul(10_000)
            .ok_or("a NUMERIC beyond a 64-bit integer")?;
    }
    Ok(if negative { -value } else { value })
}

fn numeric_real(raw: &[u8]) -> std::result::Result<f64, Box<dyn std::error::Error + Sync + Send>> {
    let (negative, weight, digits) = numeric_digits(raw)?;
    let value: f64 = digits
        .iter()
        .enumerate()
        .map(|(position, digit)| {
            f64::from(*digit) * 10_000f64.powi(i32::from(weight) - position as i32)
        })
        .sum();
    Ok(if negative { -value } else { value })
}

fn column<'r, T: FromSql<'r>>(row: &'r tokio_postgres::Row, index: usize) -> Result<T> {
    row.try_get(index).map_err(|error| SqlError::ColumnType {
        index,
        found: row.columns().get(index).map_or_else(
            || "no column".to_owned(),
            |c| format!("{} ({error})", c.type_()),
        ),
        wanted: std::any::type_name::<T>(),
    })
}

fn int_column(row: &tokio_postgres::Row, index: usize) -> Result<Option<i64>> {
    Ok(column::<Option<PgInt>>(row, index)?.map(|PgInt(value)| value))
}

fn narrow<T: TryFrom<i64>>(value: i64, wanted: &'static str) -> Result<T> {
    T::try_from(value).map_err(|_| SqlError::OutOfRange {
        value: value.to_string(),
        wanted,
    })
}

fn null(index: usize, wanted: &'static str) -> SqlError {
    SqlError::ColumnType {
        index,
        found: "NULL".to_owned(),
        wanted,
    }
}

macro_rules! int_from_cell {
    ($($t:ty),*) => {$(
        impl FromCell for $t {
            fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
                narrow(super::sqlite::column::<i64>(row, index)?, stringify!($t))
            }
            fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self> {
                let value = int_column(row, index)?.ok_or_else(|| null(index, stringify!($t)))?;
                narrow(value, stringify!($t))
            }
        }
        impl FromCell for Option<$t> {
            fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
                super::sqlite::column::<Option<i64>>(row, index)?
                    .map(|value| narrow(value, stringify!($t)))
                    .transpose()
            }
            fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self> {
                int_column(row, index)?
                    .map(|value| narrow(value, stringify!($t)))
                    .transpose()
            }
        }
    )*};
}
int_from_cell!(i64, i32, i16, u64, u32, u16, u8, usize);

impl FromCell for bool {
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
        super::sqlite::column(row, index)
    }
    fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self> {
        Ok(int_column(row, index)?.ok_or_else(|| null(index, "bool"))? != 0)
    }
}

impl FromCell for Option<bool> {
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
        super::sqlite::column(row, index)
    }
    fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self> {
        Ok(int_column(row, index)?.map(|value| value != 0))
    }
}

impl FromCell for f64 {
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
        super::sqlite::column(row, index)
    }
    fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self> {
        column::<Option<PgReal>>(row, index)?
            .map(|PgReal(value)| value)
            .ok_or_else(|| null(index, "f64"))
    }
}

impl FromCell for Option<f64> {
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
        super::sqlite::column(row, index)
    }
    fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self> {
        Ok(column::<Option<PgReal>>(row, index)?.map(|PgReal(value)| value))
    }
}

macro_rules! plain_from_cell {
    ($($t:ty),*) => {$(
        impl FromCell for $t {
            fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
                super::sqlite::column(row, index)
            }
            fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self> {
                column(row, index)
            }
        }
        impl FromCell for Option<$t> {
            fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
                super::sqlite::column(row, index)
            }
            fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self> {
                column(row, index)
            }
        }
    )*};
}
plain_from_cell!(String, Vec<u8>);

impl<const N: usize> FromCell for [u8; N] {
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
        super::sqlite::column(row, index)
    }
    fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self> {
        let bytes: Vec<u8> = column(row, index)?;
        let length = bytes.len();
        bytes.try_into().map_err(|_| SqlError::ColumnType {
            index,
            found: format!("{length} bytes"),
            wanted: "a fixed number of bytes",
        })
    }
}

impl<const N: usize> FromCell for Option<[u8; N]> {
    fn from_sqlite(row: &rusqlite::Row<'_>, index: usize) -> Result<Self> {
        super::sqlite::column(row, index)
    }
    fn from_postgres(row: &tokio_postgres::Row, index: usize) -> Result<Self> {
        let bytes: Option<Vec<u8>> = column(row, index)?;
        bytes
            .map(|bytes| {
                let length = bytes.len();
                bytes.try_into().map_err(|_| SqlError::ColumnType {
                    index,
                    found: format!("{length} bytes"),
                    wanted: "a fixed number of bytes",
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(negative: bool, weight: i16, digits: &[i16]) -> Vec<u8> {
        let mut raw = Vec::new();
        raw.extend((digits.len() as u16).to_be_bytes());
        raw.extend(weight.to_be_bytes());
        raw.extend(if negative { 0x4000u16 } else { 0 }.to_be_bytes());
        raw.extend(0u16.to_be_bytes());
        for digit in digits {
            raw.extend(digit.to_be_bytes());
        }
        raw
    }

    #[test]
    fn sums_of_integers_read_back_as_integers() {
        assert_eq!(numeric_integer(&numeric(false, 0, &[42])).unwrap(), 42);
        assert_eq!(
            numeric_integer(&numeric(false, 1, &[1, 2])).unwrap(),
            10_002
        );
        // 20000 is stored as one group of 2 with weight 1: trailing zeros are left out.
        assert_eq!(numeric_integer(&numeric(false, 1, &[2])).unwrap(), 20_000);
        assert_eq!(numeric_integer(&numeric(true, 0, &[7])).unwrap(), -7);
        assert_eq!(numeric_integer(&numeric(false, 0, &[])).unwrap(), 0);
        assert!(numeric_integer(&numeric(false, 0, &[1, 5])).is_err());
        assert!(numeric_integer(&numeric(false, 9, &[1])).is_err());
        assert!(numeric_integer(&[0, 1]).is_err());
        assert_eq!(numeric_real(&numeric(false, 0, &[1, 5000])).unwrap(), 1.5);
    }
}
