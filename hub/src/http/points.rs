//! Names for the members of a points ranking: read from the community documents the
//! hub holds, one member entity at a time, because the figure tables keep no names.

use std::collections::BTreeMap;

use wishtree_protocol::frame::DocId;
use wishtree_protocol::model::Member;
use wishtree_protocol::{CommunityCode, CommunityDoc};

use crate::figures::MemberPoints;
use crate::state::Hub;

/// Fills in each member's name from their community's document, on the caller's
/// (blocking) thread; a member whose document the hub cannot read keeps an empty name.
pub(crate) fn name_members(hub: Option<&Hub>, members: &mut [MemberPoints]) {
    let Some(hub) = hub else {
        return;
    };
    let mut by_community: BTreeMap<CommunityCode, Vec<usize>> = BTreeMap::new();
    for (index, member) in members.iter().enumerate() {
        by_community
            .entry(member.community)
            .or_default()
            .push(index);
    }
    for (code, indexes) in by_community {
        let Ok(held) = hub.snapshot(DocId::Community(code)) else {
            continue;
        };
        let Ok(doc) = CommunityDoc::from_automerge(held, Some(code), [0; 16]) else {
            continue;
        };
        for index in indexes {
            if let Ok(Some(member)) = doc.entity::<Member>(members[index].member) {
                members[index].name = member.name;
            }
        }
    }
}
