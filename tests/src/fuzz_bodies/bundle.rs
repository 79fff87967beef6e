//! Bundles (the USB stick between districts, `wishtree_protocol::bundle`), the changes
//! payload they carry, and a community document loaded from outside bytes.

use wishtree_protocol::bundle::{Bundle, BundleKind, InMemoryState, Limits, Receiver, wire};
use wishtree_protocol::keys::SigningContext;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityDoc, RegionPrefix, Timestamp};

use super::{fixed_key, hub_key, node_key, split_selector};

/// Limits small enough that the fuzzer reaches them.
pub(super) fn limits() -> Limits {
    Limits {
        max_bytes: 1 << 20,
        max_heads: 16,
        max_changes: 64,
    }
}

/// The receiver's clock in the target: the seeds are issued at this time.
pub(super) const NOW_MS: i64 = 1_780_000_000_000;

/// First byte 0: a bundle; 1: a changes payload alone; 2: a community document.
pub(super) fn bundle(data: &[u8]) {
    match split_selector(data, 3) {
        Some((0, bytes)) => whole_bundle(bytes),
        Some((1, bytes)) => {
            if let Ok(changes) = wire::decode_changes(bytes, &limits()) {
                assert!(changes.len() <= limits().max_changes);
            }
        }
        Some((_, bytes)) => {
            if let Ok(mut doc) = CommunityDoc::load(bytes, None, [7; 16]) {
                let again = CommunityDoc::load(&doc.save(), None, [7; 16]);
                assert!(again.is_ok(), "a loaded document does not reload");
                // The hub derives its figures from whatever it loads.
                let _ = CommunityView::derive(&doc);
            }
        }
        None => {}
    }
}

/// A bundle is decoded, then verified by the hub (for bundles to it) with the node's
/// key enrolled for the whole country; one that verifies was signed by the node key.
fn whole_bundle(bytes: &[u8]) {
    let Ok(bundle) = Bundle::decode(bytes, &limits()) else {
        return;
    };
    assert_eq!(
        bundle.len(),
        bytes.len() as u64,
        "a bundle is its bytes exactly"
    );
    let header = bundle.header().clone();
    let mut state = InMemoryState::new();
    state.enrol(node_key().public(), RegionPrefix::everywhere());
    let receiver = Receiver::new(hub_key().public(), Timestamp::from_millis(NOW_MS));
    let Ok(verified) = bundle.verify(&receiver, &state) else {
        return;
    };
    let payload = verified.payload();
    let Some(signed_len) = bytes.len().checked_sub(payload.len() + 64) else {
        panic!("a verified bundle is shorter than its payload and signature");
    };
    let Some(key) = fixed_key(&header.issuer) else {
        panic!("a bundle verified from a key that is not enrolled");
    };
    let made = key.sign(SigningContext::Bundle, &bytes[..signed_len]);
    assert_eq!(
        made.to_bytes().as_slice(),
        &bytes[bytes.len() - 64..],
        "a bundle the key did not sign verified"
    );
    if let Some(heads) = &header.attestation {
        super::frames::signed_heads(heads);
    }
    match header.kind {
        BundleKind::Changes => {
            let _ = wire::decode_changes(payload, &limits());
        }
        BundleKind::Roster => {
            if let Ok(roster) = verified.roster() {
                super::frames::roster(&roster.to_bytes());
            }
        }
        BundleKind::Figures => {}
    }
}
