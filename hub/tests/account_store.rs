//! The accounts' store (`AccountStore`): every operation of the accounts, sessions,
//! tokens, the audit log, the units' annual texts, the cookie key and the throttles'
//! failures, against both
//! stores (`on_both_stores!`: `<test>::sqlite` and `<test>::postgres`, the latter in a
//! database of its own in the cluster of `scripts/with-test-pg`).

#![allow(clippy::unwrap_used)]

use wishtree_hub::accounts::{
    Account, AccountError, AccountStore, ApiToken, NewAccount, SessionCookie,
};
use wishtree_hub::store::{PgStore, SqliteStore};
use wishtree_protocol::Timestamp;
use wishtree_protocol::id::OrgId;
use wishtree_testkit::postgres::TestDatabase;

fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(millis)
}

/// A viewer of the district 130903 in the city 1309 (or of a street under it).
fn viewer(role: &str, scope: &str, name: &str) -> NewAccount {
    NewAccount::parse(&"1309".parse().unwrap(), role, scope, name).unwrap()
}

fn add(store: &dyn AccountStore, name: &str, now: i64) -> Account {
    store
        .add_account(
            &viewer("district", "130903", name),
            "$argon2id$hash",
            at(now),
        )
        .unwrap()
}

fn names(accounts: &[Account]) -> Vec<&str> {
    accounts
        .iter()
        .map(|account| account.name.as_str())
        .collect()
}

/// Each named test body (`fn name(open: &dyn Fn() -> Box<dyn AccountStore>)`, which
/// opens the same store again each time it is called) as two tests, one per store.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("hub.sqlite");
                super::$name(&|| Box::new(super::SqliteStore::open(&path).unwrap()));
            }

            #[test]
            fn postgres() {
                let Some(database) = super::TestDatabase::create(concat!(
                    "account store test ",
                    stringify!($name)
                )) else {
                    return;
                };
                super::$name(&|| Box::new(super::PgStore::open(database.url()).unwrap()));
            }
        }
    )*};
}

on_both_stores!(
    a_name_is_taken_once_and_accounts_list_by_name,
    a_revocation_ends_sessions_and_tokens_at_once,
    a_session_lives_until_it_expires_or_closes,
    the_audit_log_reads_in_order_by_account_and_day,
    a_units_text_is_replaced_per_year,
    every_store_opened_on_one_database_signs_with_one_key,
    throttle_failures_count_per_kind_and_key_and_are_swept,
);

fn a_name_is_taken_once_and_accounts_list_by_name(open: &dyn Fn() -> Box<dyn AccountStore>) {
    let store = open();
    assert!(store.list_accounts().unwrap().is_empty());
    let yunhe = add(store.as_ref(), "yunhe", 1);
    assert_eq!(yunhe.created_at, at(1));
    assert!(yunhe.is_active());
    let street = store
        .add_account(
            &viewer("street", "130903001", "shuiyuesi"),
            "$argon2id$other",
            at(2),
        )
        .unwrap();
    assert_ne!(street.id, yunhe.id);
    assert!(matches!(
        store.add_account(&viewer("district", "130902", "yunhe"), "x", at(3)),
        Err(AccountError::Exists(_))
    ));
    // Revoked names stay taken, so that the audit log keeps meaning one person.
    store.revoke_account("shuiyuesi", at(4)).unwrap();
    assert!(matches!(
        store.add_account(&viewer("street", "130903001", "shuiyuesi"), "x", at(5)),
        Err(AccountError::Exists(_))
    ));
    // Another process (another store on the same database) sees the same accounts.
    let listed = open().list_accounts().unwrap();
    assert_eq!(names(&listed), ["shuiyuesi", "yunhe"]);
    assert_eq!(listed[1], yunhe);
    assert_eq!(listed[0].revoked_at, Some(at(4)));
    assert_eq!(listed[0].scope.code(), "130903001");

    let (found, hash) = store.login_candidate("yunhe").unwrap().unwrap();
    assert_eq!((found, hash.as_str()), (yunhe, "$argon2id$hash"));
    let (revoked, _) = store.login_candidate("shuiyuesi").unwrap().unwrap();
    assert!(
        !revoked.is_active(),
        "a revoked candidate is the caller's to refuse"
    );
    assert!(store.login_candidate("nobody").unwrap().is_none());
}

fn a_revocation_ends_sessions_and_tokens_at_once(open: &dyn Fn() -> Box<dyn AccountStore>) {
    let store = open();
    let yunhe = add(store.as_ref(), "yunhe", 1);
    let other = add(store.as_ref(), "other", 1);
    let token = ApiToken::hash_of("wt_yunhe");
    let other_token = ApiToken::hash_of("wt_other");
    assert_eq!(store.add_token("yunhe", &token, at(2)).unwrap(), yunhe);
    store.add_token("other", &other_token, at(2)).unwrap();
    store
        .open_session(&yunhe, &[1; 16], at(3), at(1_000))
        .unwrap();
    store
        .open_session(&other, &[2; 16], at(3), at(1_000))
        .unwrap();
    assert_eq!(
        store.session_account(&[1; 16], at(4)).unwrap(),
        Some(yunhe.clone())
    );
    assert_eq!(store.account_by_token(&token).unwrap(), Some(yunhe.clone()));
    assert_eq!(
        store.account_by_token(&ApiToken::hash_of("wt_")).unwrap(),
        None
    );

    // Revoked through another store on the same database, as `account revoke` is.
    let revoked = open().revoke_account("yunhe", at(5)).unwrap();
    assert_eq!(revoked.revoked_at, Some(at(5)));
    assert_eq!(store.session_account(&[1; 16], at(6)).unwrap(), None);
    assert_eq!(store.account_by_token(&token).unwrap(), None);
    // The other account's session and token are untouched.
    assert_eq!(
        store.session_account(&[2; 16], at(6)).unwrap(),
        Some(other.clone())
    );
    assert_eq!(store.account_by_token(&other_token).unwrap(), Some(other));

    assert!(matches!(
        store.revoke_account("yunhe", at(7)),
        Err(AccountError::Revoked(_))
    ));
    assert!(matches!(
        store.add_token("yunhe", &ApiToken::hash_of("wt_again"), at(7)),
        Err(AccountError::Revoked(_))
    ));
    assert!(matches!(
        store.revoke_account("nobody", at(7)),
        Err(AccountError::NotFound(_))
    ));
    assert!(matches!(
        store.add_token("nobody", &ApiToken::hash_of("wt_none"), at(7)),
        Err(AccountError::NotFound(_))
    ));
}

fn a_session_lives_until_it_expires_or_closes(open: &dyn Fn() -> Box<dyn AccountStore>) {
    let store = open();
    let yunhe = add(store.as_ref(), "yunhe", 1);
    store
        .open_session(&yunhe, &[1; 16], at(10), at(100))
        .unwrap();
    store
        .open_session(&yunhe, &[2; 16], at(10), at(500))
        .unwrap();
    assert_eq!(
        store.session_account(&[1; 16], at(99)).unwrap(),
        Some(yunhe.clone())
    );
    assert_eq!(
        store.session_account(&[1; 16], at(100)).unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.session_account(&[9; 16], at(10)).unwrap(),
        None,
        "unknown"
    );
    // A login after the first ran out sweeps it; the live one stays.
    store
        .open_session(&yunhe, &[3; 16], at(200), at(900))
        .unwrap();
    assert_eq!(
        store.session_account(&[1; 16], at(50)).unwrap(),
        None,
        "swept"
    );
    assert_eq!(
        store.session_account(&[2; 16], at(201)).unwrap(),
        Some(yunhe.clone())
    );
    open().close_session(&[2; 16]).unwrap();
    assert_eq!(
        store.session_account(&[2; 16], at(202)).unwrap(),
        None,
        "closed"
    );
    assert_eq!(
        store.session_account(&[3; 16], at(202)).unwrap(),
        Some(yunhe)
    );
}

fn the_audit_log_reads_in_order_by_account_and_day(open: &dyn Fn() -> Box<dyn AccountStore>) {
    let (one, two) = (open(), open());
    add(one.as_ref(), "yunhe", 1);
    one.audit(at(20), "yunhe", "view", "/orgs/1").unwrap();
    two.audit(at(30), "-", "login-failed", "from 127.0.0.1")
        .unwrap();
    two.audit(at(40), "yunhe", "export", "/api/figures.csv")
        .unwrap();
    one.add_token("yunhe", &ApiToken::hash_of("wt_a"), at(50))
        .unwrap();
    let line = |entry: &wishtree_hub::accounts::AuditEntry| {
        format!(
            "{} {} {} {}",
            entry.at.as_millis(),
            entry.account,
            entry.action,
            entry.what
        )
    };
    let all: Vec<String> = two
        .audit_entries(None, None)
        .unwrap()
        .iter()
        .map(line)
        .collect();
    assert_eq!(
        all,
        [
            "1 operator account-add yunhe district 130903",
            "20 yunhe view /orgs/1",
            "30 - login-failed from 127.0.0.1",
            "40 yunhe export /api/figures.csv",
            "50 operator account-token yunhe",
        ]
    );
    let yunhe_since: Vec<String> = one
        .audit_entries(Some(at(30)), Some("yunhe"))
        .unwrap()
        .iter()
        .map(line)
        .collect();
    assert_eq!(yunhe_since, ["40 yunhe export /api/figures.csv"]);
    assert!(one.audit_entries(Some(at(51)), None).unwrap().is_empty());
}

fn a_units_text_is_replaced_per_year(open: &dyn Fn() -> Box<dyn AccountStore>) {
    let store = open();
    let (unit, other) = (OrgId::from_bytes([1; 16]), OrgId::from_bytes([2; 16]));
    assert_eq!(store.annual_text(unit, 2026).unwrap(), None);
    store
        .save_annual_text(unit, 2026, "初稿", at(1), "unit")
        .unwrap();
    open()
        .save_annual_text(unit, 2026, "定稿：全部报到", at(2), "unit-b")
        .unwrap();
    store
        .save_annual_text(unit, 2025, "去年", at(3), "unit")
        .unwrap();
    let text = store.annual_text(unit, 2026).unwrap().unwrap();
    assert_eq!(
        (
            text.text.as_str(),
            text.updated_at,
            text.updated_by.as_str()
        ),
        ("定稿：全部报到", at(2), "unit-b")
    );
    assert_eq!(store.annual_text(unit, 2025).unwrap().unwrap().text, "去年");
    assert_eq!(store.annual_text(other, 2026).unwrap(), None);
}

fn every_store_opened_on_one_database_signs_with_one_key(open: &dyn Fn() -> Box<dyn AccountStore>) {
    let (one, two) = (open(), open());
    let cookie = SessionCookie {
        id: [7; 16],
        expires_at: at(1_000),
    };
    let signed = one.session_key().unwrap().session_cookie(&cookie);
    assert_eq!(
        two.session_key()
            .unwrap()
            .read_session_cookie(&signed, at(1)),
        Ok(cookie),
        "a cookie one process signed is taken by another"
    );
    assert_eq!(
        one.session_key().unwrap().session_cookie(&cookie),
        signed,
        "the key is drawn once"
    );
}

fn throttle_failures_count_per_kind_and_key_and_are_swept(
    open: &dyn Fn() -> Box<dyn AccountStore>,
) {
    let (one, two) = (open(), open());
    let keys = ["name:yunhe", "client:192.0.2.1"];
    let take = |store: &dyn AccountStore, kind: &str, keys: &[&str], millis: i64| {
        let limited: Vec<(&str, usize)> = keys.iter().map(|key| (*key, 100)).collect();
        assert!(store.take_try(kind, &limited, at(millis), at(0)).unwrap());
    };
    // Three at one process, two at the other, two of them at the same instant.
    for (store, millis) in [(&one, 10), (&one, 20), (&two, 20), (&one, 30), (&two, 40)] {
        take(store.as_ref(), "login", &keys, millis);
    }
    take(
        two.as_ref(),
        "login",
        &["name:xinhua", "client:192.0.2.1"],
        50,
    );
    take(one.as_ref(), "card", &["name:yunhe"], 60);
    for store in [&one, &two] {
        assert_eq!(
            store.failures_after("login", &keys, at(0)).unwrap(),
            [5, 6],
            "every process counts every failure of the name and of the address"
        );
    }
    // Later than `after`, not at it: the window ends at its instant.
    assert_eq!(one.failures_after("login", &keys, at(20)).unwrap(), [2, 3]);
    assert_eq!(
        one.failures_after("card", &["name:yunhe", "name:nobody"], at(0))
            .unwrap(),
        [1, 0]
    );
    assert_eq!(
        one.failures_after("login", &[], at(0)).unwrap(),
        Vec::<usize>::new()
    );

    // A try is refused, and takes nothing, once any of its keys is at its limit within
    // the window; the name's 5 failures after 0 are at a limit of 5, the 3 after 20 not.
    let yunhe = [("name:yunhe", 5), ("client:203.0.113.1", 5)];
    assert!(!two.take_try("login", &yunhe, at(70), at(0)).unwrap());
    assert_eq!(
        one.failures_after("login", &["client:203.0.113.1"], at(0))
            .unwrap(),
        [0],
        "a refused try takes nothing"
    );
    assert!(
        !one.take_try(
            "login",
            &[("name:nobody", 5), ("client:192.0.2.1", 6)],
            at(70),
            at(0)
        )
        .unwrap()
    );
    assert!(two.take_try("login", &yunhe, at(70), at(20)).unwrap());
    assert_eq!(one.failures_after("login", &keys[..1], at(0)).unwrap(), [6]);
    // Taken back: one row of each key at that instant, at whichever process.
    one.forget_try("login", &["name:yunhe", "client:203.0.113.1"], at(70))
        .unwrap();
    assert_eq!(
        two.failures_after("login", &["name:yunhe", "client:203.0.113.1"], at(0))
            .unwrap(),
        [5, 0]
    );
    // Of the two rows at 20, one is forgotten; forgetting a try never taken is nothing.
    two.forget_try("login", &keys, at(20)).unwrap();
    two.forget_try("login", &["name:nobody"], at(20)).unwrap();
    assert_eq!(one.failures_after("login", &keys, at(10)).unwrap(), [3, 4]);

    // At or before: those at 10 and 20 (two rows of each key), of every kind.
    assert_eq!(two.sweep_failures(at(20)).unwrap(), 4);
    assert_eq!(one.failures_after("login", &keys, at(0)).unwrap(), [2, 3]);
    assert_eq!(two.sweep_failures(at(1_000)).unwrap(), 7);
    assert_eq!(one.failures_after("login", &keys, at(0)).unwrap(), [0, 0]);
    assert_eq!(
        one.failures_after("card", &["name:yunhe"], at(0)).unwrap(),
        [0]
    );
}
