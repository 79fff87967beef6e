//! The node's web UI (Chinese first, English on request): server-rendered pages for the
//! day's work — the wish apple tree, the intake form, the member ledger, unit
//! organisations and their pairings, service posts with their seats, livelihood projects, activities with sign-up, passbooks, the public
//! board and the half-year report — with every
//! asset embedded in the binary, so it works with no internet.

pub mod board;
pub mod cards;
pub mod checkin;
pub mod closing;
pub mod collate;
pub mod conflicts;
pub mod exports;
pub mod forms;
pub mod groups;
pub mod html;
pub mod ledger;
pub mod orgs;
pub mod pages;
pub mod paging;
pub mod passbook;
pub mod poster;
pub mod posts;
pub mod projects;

pub use routes::ui_router;
pub mod report;
pub mod rounds;
pub mod routes;
pub mod scoring;
pub mod seal;
pub mod streets;
pub mod tree;
pub mod volunteers;

#[cfg(test)]
mod tests {
    use wishtree_protocol::command::{Command, MemberFields, WishFields};
    use wishtree_protocol::id::{MemberId, WishId};
    use wishtree_protocol::model::{Actor, BeneficiaryGroup, EventKind, PostKind, WishKind};
    use wishtree_protocol::names::Language;
    use wishtree_protocol::text::{Detail, Label, Name, Title};
    use wishtree_protocol::view::CommunityView;
    use wishtree_protocol::{CommunityDoc, Timestamp};

    use super::html::StatusBar;

    /// A community with a published and a claimed wish, claimed by 张婷.
    fn view() -> (CommunityView, WishId, WishId, MemberId) {
        let now = Timestamp::from_millis(1_790_000_000_000);
        let worker = Actor::Worker("陈玉萍".into());
        let mut doc =
            CommunityDoc::create("110118001002".parse().unwrap(), "行宫社区", [1; 16], now)
                .unwrap();
        let zhang = MemberId::from_bytes([2; 16]);
        doc.execute(
            &Command::AddMember {
                id: zhang,
                member: MemberFields {
                    name: Name::parse("name", "张婷").unwrap(),
                    work_unit: Label::parse("w", "城关派出所").unwrap(),
                    org: None,
                    position: Label::parse("p", "民警").unwrap(),
                    specialties: vec![],
                    intentions: vec![PostKind::Safety],
                    reported_in: "2026-05-20".parse().unwrap(),
                    branch: None,
                    team: None,
                },
            },
            &worker,
            now,
        )
        .unwrap();
        let mut wish = |n: u8, title: &str| {
            let id = WishId::from_bytes([n; 16]);
            doc.execute(
                &Command::SubmitWish {
                    id,
                    wish: WishFields {
                        title: Title::parse("title", title).unwrap(),
                        detail: Detail::parse("detail", "").unwrap(),
                        kind: WishKind::Goods,
                        group: BeneficiaryGroup::Disabled,
                        resident_label: Name::parse("l", "彭女士").unwrap(),
                        estimated_value: None,
                        round: None,
                    },
                },
                &worker,
                now,
            )
            .unwrap();
            doc.execute(
                &Command::WishEvent {
                    id,
                    kind: EventKind::Publish,
                    by: worker.clone(),
                    note: Detail::parse("n", "").unwrap(),
                },
                &worker,
                now,
            )
            .unwrap();
            id
        };
        let green = wish(3, "希望有一台<微波炉>");
        let red = wish(4, "想要一个新书包");
        doc.execute(
            &Command::WishEvent {
                id: red,
                kind: EventKind::Claim,
                by: Actor::Member(zhang),
                note: Detail::parse("n", "").unwrap(),
            },
            &worker,
            now,
        )
        .unwrap();
        (CommunityView::derive(&doc).unwrap(), green, red, zhang)
    }

    #[test]
    fn the_tree_shows_green_and_red_apples_that_link_to_their_wishes() {
        let (view, green, red, _) = view();
        let html = super::tree::tree_page(
            Language::Chinese,
            &view,
            &StatusBar::default(),
            None,
            crate::api::RoundFilter::Every,
        );
        assert!(html.contains(&format!("id=\"apple-{green}\" data-state=\"published\"")));
        assert!(html.contains(&format!("id=\"apple-{red}\" data-state=\"claimed\"")));
        assert!(html.contains(&format!("href=\"/wishes/{red}\"")));
        assert!(html.contains("希望有一台&lt;微波炉&gt;"));
        assert!(html.contains("data-count=\"0\""));
    }

    #[test]
    fn a_wish_page_names_the_claimant_and_offers_the_next_steps() {
        let (view, _, red, _) = view();
        let html = super::tree::wish_page(
            Language::Chinese,
            &view,
            red,
            Some(&crate::store::ResidentPrivate {
                real_name: "彭程".to_owned(),
                phone: "138".to_owned(),
                address: "幸福里3号楼".to_owned(),
            }),
            &StatusBar::default(),
            None,
        )
        .unwrap();
        assert!(html.contains("张婷"));
        assert!(html.contains("action-fulfil"));
        assert!(html.contains("action-release"));
        assert!(!html.contains("action-publish"));
        assert!(html.contains("彭程"));
        assert!(
            super::tree::wish_page(
                Language::Chinese,
                &view,
                WishId::from_bytes([9; 16]),
                None,
                &StatusBar::default(),
                None
            )
            .is_none()
        );
    }

    #[test]
    fn the_board_and_the_member_page_show_the_claim() {
        let (view, _, _, zhang) = view();
        let board = super::board::board_page(
            Language::Chinese,
            &view,
            &StatusBar::default(),
            crate::api::RoundFilter::Every,
        );
        assert!(board.contains("想要一个新书包"));
        assert!(board.contains("张婷"));
        let member = super::pages::member_page(
            Language::English,
            &view,
            zhang,
            ("", ""),
            &StatusBar::default(),
            super::pages::MemberWrite::None,
            maud::html! {},
        )
        .unwrap();
        assert!(member.contains("想要一个新书包"));
        assert!(member.contains("Love passbook"));
    }
}
