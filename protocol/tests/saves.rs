//! What a node stores and reports after its writes: the changes after some heads are
//! counted (`changes_after`, the status bar's "not at the hub") and saved
//! (`save_after`, the chunk a write appends), a replica that had those heads loads the
//! chunk into the same document, and reads after a save find every entity.

#![allow(clippy::unwrap_used)]

mod support;

use automerge::ChangeHash;
use wishtree_protocol::model::{Member, Wish};

use support::*;

#[test]
fn the_changes_after_some_heads_are_counted_and_saved_and_reads_after_a_save_find_them() {
    let mut ids = Ids::new(35);
    let mut doc = new_doc(&mut ids);
    let created = doc.heads();
    let first = add_member(&mut doc, &mut ids, "张卫国");
    let mut at_first = doc.clone();
    let after_first = doc.heads();
    let wish = submit_wish(&mut doc, &mut ids, "给独居老人买一台微波炉");
    let second = add_member(&mut doc, &mut ids, "李秀兰");
    let now = doc.heads();

    assert_eq!(doc.changes_after(&after_first), 2);
    assert_eq!(doc.changes_after(&created), 3);
    assert_eq!(doc.changes_after(&now), 0);
    // A hash the document does not hold is passed over, as a hub's heads from before a
    // restore would be.
    let unknown = ChangeHash([7; 32]);
    assert_eq!(doc.changes_after(&[unknown]), doc.changes_after(&[]));
    assert_eq!(doc.changes_after(&[unknown, after_first[0]]), 2);

    let chunk = doc.save_after(&after_first);
    assert!(doc.save_after(&now).is_empty());
    at_first.load_incremental(&chunk).unwrap();
    assert_eq!(at_first.heads(), now);

    for replica in [&doc, &at_first] {
        assert!(replica.entity::<Member>(first).unwrap().is_some());
        assert!(replica.entity::<Member>(second).unwrap().is_some());
        assert!(replica.contains::<Wish>(wish).unwrap());
    }
    // An id never written reads as none.
    let never = wishtree_protocol::id::MemberId::from_bytes(ids.bytes());
    assert!(doc.entity::<Member>(never).unwrap().is_none());
}
