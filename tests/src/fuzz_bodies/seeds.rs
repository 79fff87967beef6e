//! The seed corpus: real encodings made by the code itself, so the fuzzer starts from
//! inputs that pass each decoder's first checks. `fuzz-seeds` (tests/src/bin) writes
//! them to `fuzz/corpus/<target>/`; the fuzzer then grows and minimises the corpus.

use automerge::sync::SyncDoc;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::bundle::{Audience, Envelope, NewBundle};
use wishtree_protocol::card::{CardSecret, MemberCard};
use wishtree_protocol::checkin::{CheckInCode, Direction};
use wishtree_protocol::frame::{
    DocHeads, DocId, Frame, Hello, PROTOCOL_VERSION, Refuse, Role, Scope,
};
use wishtree_protocol::id::{ActivityId, CardId, CheckInCodeId, InboxEntryId, MemberId, WishId};
use wishtree_protocol::inbox::{InboxDoc, InboxEntry, InboxRequest};
use wishtree_protocol::model::{BeneficiaryGroup, EventKind, WishKind};
use wishtree_protocol::roster::{KeyRotation, Roster, RosterEntry, SignedRoster};
use wishtree_protocol::submission::{
    EncryptionKeyPair, ReceiptCode, ResidentDetails, SignedEncryptionKey, Submission,
};
use wishtree_protocol::text::Title;
use wishtree_protocol::{CommunityCode, CommunityDoc, Date, Timestamp};
use wishtree_testkit::community::{Writer, worker};

use super::bundle::NOW_MS;
use super::signed::COMMUNITY;
use super::{city_key, hub_key, node_key};

/// Every target's seeds, by target name.
pub fn all() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    vec![
        ("frames", frames()),
        ("bundle", bundle()),
        ("signed", signed()),
        ("config", config()),
        ("http", http()),
    ]
}

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(NOW_MS - 86_400_000 + minutes * 60_000)
}

fn community() -> CommunityCode {
    COMMUNITY
        .parse()
        .expect("the seeds' community code is valid")
}

/// A small community document: two members, a wish published and claimed.
fn writer() -> Writer {
    let mut writer = Writer::new(community(), "幸福里社区", 7, at(0));
    let reported: Date = "2026-05-20".parse().expect("a date");
    let member = writer.add_member(None, reported, at(1));
    writer.add_member(None, reported, at(2));
    let wish = writer.submit_wish(at(3));
    writer.wish_event(wish, EventKind::Publish, worker(), at(4));
    writer.wish_event(
        wish,
        EventKind::Claim,
        wishtree_protocol::model::Actor::Member(member),
        at(5),
    );
    writer
}

fn roster() -> SignedRoster {
    Roster {
        city: "1309".parse().expect("a region"),
        version: 3,
        issued_at: at(0),
        entries: vec![
            RosterEntry {
                key: node_key().public(),
                role: wishtree_protocol::roster::Role::Node {
                    community: community(),
                },
                enrolled_at: at(0),
            },
            RosterEntry {
                key: hub_key().public(),
                role: wishtree_protocol::roster::Role::Hub {
                    scope: "1309".parse().expect("a region"),
                },
                enrolled_at: at(0),
            },
        ],
        revoked: Vec::new(),
    }
    .sign(&city_key())
}

fn signed_heads(writer: &mut Writer) -> SignedHeads {
    SignedHeads::sign(&node_key(), community(), &writer.doc.heads(), 4, at(6))
}

fn frames() -> Vec<Vec<u8>> {
    let mut writer = writer();
    let heads = writer.doc.heads();
    let mut state = automerge::sync::State::new();
    let message = writer
        .doc
        .automerge_mut()
        .sync()
        .generate_sync_message(&mut state)
        .expect("a first sync message")
        .encode();
    let frames = [
        Frame::Hello(Hello {
            version: PROTOCOL_VERSION,
            role: Role::Node,
            scope: Scope::Community(community()),
            docs: vec![
                DocHeads {
                    doc: DocId::Community(community()),
                    heads,
                },
                DocHeads {
                    doc: DocId::City,
                    heads: Vec::new(),
                },
            ],
        }),
        Frame::Hello(Hello {
            version: PROTOCOL_VERSION,
            role: Role::Hub,
            scope: Scope::Region("1309".parse().expect("a region")),
            docs: vec![DocHeads {
                doc: DocId::Inbox(community()),
                heads: Vec::new(),
            }],
        }),
        Frame::Refuse(Refuse {
            reason: "社区未登记 not enrolled".to_owned(),
        }),
        Frame::Sync {
            doc: DocId::Community(community()),
            msg: message,
        },
        Frame::Attest(Box::new(signed_heads(&mut writer))),
        Frame::Roster(roster().to_bytes()),
        Frame::Bye,
    ];
    let payloads: Vec<Vec<u8>> = frames.iter().map(Frame::encode).collect();
    let mut seeds = payloads.clone();
    // The same frames as a stream: each prefixed, and all of them in one.
    let framed = |payload: &[u8]| wishtree_net::frame::encode(payload).expect("a small frame");
    seeds.extend(payloads.iter().map(|payload| framed(payload)));
    seeds.push(
        payloads
            .iter()
            .flat_map(|payload| framed(payload))
            .collect(),
    );
    seeds
}

fn envelope(seq: u64, audience: Audience) -> Envelope {
    Envelope {
        audience,
        seq,
        previous: None,
        issued_at: at(10),
        expires_at: Timestamp::from_millis(NOW_MS + 30 * 86_400_000),
    }
}

fn bundle() -> Vec<Vec<u8>> {
    let mut writer = writer();
    let attestation = signed_heads(&mut writer);
    let to_hub = Audience::Key(hub_key().public());
    let changes = NewBundle::changes(&mut writer.doc, &[], Some(attestation), envelope(1, to_hub))
        .sign(&node_key());
    let roster =
        NewBundle::roster(&roster(), envelope(2, Audience::AnyRosterHolder)).sign(&node_key());
    let figures = NewBundle::figures(
        community().as_region(),
        b"{\"members\":2}".to_vec(),
        envelope(3, to_hub),
    )
    .sign(&node_key());
    let payload = {
        let mut changes = writer.doc.automerge_mut().get_changes(&[]);
        wishtree_protocol::bundle::wire::encode_changes(&mut changes)
    };
    let mut seeds: Vec<Vec<u8>> = [changes, roster, figures]
        .into_iter()
        .map(|bytes| prefixed(0, &bytes))
        .collect();
    seeds.push(prefixed(1, &payload));
    seeds.push(prefixed(2, &writer.doc.save()));
    seeds.push(prefixed(2, &CommunityDoc::genesis(community())));
    seeds
}

fn prefixed(selector: u8, bytes: &[u8]) -> Vec<u8> {
    let mut seed = vec![selector];
    seed.extend_from_slice(bytes);
    seed
}

fn signed() -> Vec<Vec<u8>> {
    let node = node_key();
    let card = MemberCard::issue(
        &node,
        community(),
        MemberId::from_bytes([4; 16]),
        CardId::from_bytes([5; 16]),
        at(0),
        Timestamp::from_millis(NOW_MS + 86_400_000),
        CardSecret::from_bytes([6; 16]),
    );
    let code = CheckInCode::issue(
        &node,
        community(),
        ActivityId::from_bytes([7; 16]),
        CheckInCodeId::from_bytes([8; 16]),
        at(20),
    );
    let encryption = EncryptionKeyPair::from_seed([9; 32]);
    let statement = SignedEncryptionKey::sign(&node, community(), encryption.public(), at(1));
    let receipt = ReceiptCode::from_bytes([1, 2, 3, 4, 5]);
    let details =
        ResidentDetails::parse("王阿姨", "13800138000", "幸福里3号楼2单元").expect("details");
    let sealed = encryption
        .public()
        .seal(community(), receipt, &details, [10; 32])
        .expect("a seal");
    let rotation = KeyRotation {
        old: node.public(),
        new: hub_key().public(),
        at: at(30),
    }
    .sign(&node);
    let mut inbox = InboxDoc::new(community(), [11; 16]).expect("an inbox");
    let requests = [
        InboxRequest::Claim {
            wish: WishId::from_bytes([12; 16]),
            member: MemberId::from_bytes([4; 16]),
            card: CardId::from_bytes([5; 16]),
            home: community(),
        },
        InboxRequest::Attend {
            direction: Direction::In,
            code,
            member: MemberId::from_bytes([4; 16]),
            card: CardId::from_bytes([5; 16]),
        },
        InboxRequest::Submission(Box::new(Submission {
            receipt,
            title: Title::parse("title", "修水龙头").expect("a title"),
            kind: WishKind::Service,
            group: BeneficiaryGroup::ElderlyAlone,
            sealed: sealed.clone(),
        })),
    ];
    for (n, request) in requests.into_iter().enumerate() {
        let entry = InboxEntry::sign(
            &hub_key(),
            InboxEntryId::from_bytes([13 + n as u8; 16]),
            community(),
            at(40 + n as i64),
            request,
        );
        inbox
            .append(&entry, at(40 + n as i64))
            .expect("an entry appends");
    }
    let inbox_bytes = inbox.automerge_mut().save();
    vec![
        prefixed(0, card.to_text().as_bytes()),
        prefixed(1, code.to_text().as_bytes()),
        prefixed(2, statement.to_text().as_bytes()),
        prefixed(3, &sealed.to_bytes()),
        prefixed(3, &details.encode()),
        prefixed(4, &roster().to_bytes()),
        prefixed(5, &rotation.to_bytes()),
        prefixed(6, &inbox_bytes),
        prefixed(6, &InboxDoc::genesis(community())),
        prefixed(7, receipt.to_string().as_bytes()),
    ]
}

fn config() -> Vec<Vec<u8>> {
    let node = include_str!("../../../deploy/node.toml");
    let hub = include_str!("../../../deploy/hub.toml");
    let mut seeds = Vec::new();
    for selector in 0..3 {
        seeds.push(prefixed(selector, node.as_bytes()));
        seeds.push(prefixed(
            selector,
            b"http = \"127.0.0.1:8081\"\nhttp-host = [\"a.lan\", \"b.lan\"]\nlog-format = \"json\"\n",
        ));
    }
    for selector in 3..6 {
        seeds.push(prefixed(selector, hub.as_bytes()));
        seeds.push(prefixed(
            selector,
            b"quic = \"0.0.0.0:4433\"\nquota-changes-per-minute = 0x10\nscope = 1309\n",
        ));
    }
    seeds
}

fn http() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    // Each node input once as JSON and once as a form, every field it takes given.
    for (selector, (_, fields)) in super::http::NODE_INPUTS.iter().enumerate() {
        let json: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|field| ((*field).to_owned(), serde_json::Value::from(sample(field))))
            .collect();
        let json = serde_json::Value::Object(json).to_string();
        seeds.push(prefixed(selector as u8, json.as_bytes()));
        let form: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().map(|field| (*field, sample(field))))
            .finish();
        seeds.push(prefixed(selector as u8, form.as_bytes()));
    }
    let phone = super::http::NODE_INPUTS.len() as u8;
    seeds.push(prefixed(phone, b"{\"card\": \"AAAA\"}"));
    seeds.push(prefixed(
        phone,
        b"{\"wish\": \"00000000000000000000000000000000\", \"community\": \"130902001001\"}",
    ));
    seeds.push(prefixed(
        phone,
        b"{\"code\": \"AAAA\", \"direction\": \"in\"}",
    ));
    seeds.push(prefixed(
        phone + 1,
        b"username=admin&password=secret&token=x",
    ));
    seeds.push(prefixed(
        phone + 2,
        "c=130902001001&title=修水龙头&kind=service&group=elderly_alone&name=王阿姨&phone=13800138000&address=3号楼".as_bytes(),
    ));
    seeds.push(prefixed(phone + 3, b"{\"card\": \"AAAA\"}"));
    seeds
}

/// A value a person might type into `field`.
fn sample(field: &str) -> &'static str {
    match field {
        "date" | "day" | "reported_in" | "joined" | "starts" | "ends" | "birth" => "2026/05/20",
        "minutes" | "hours" | "points" | "stock" | "cost" | "amount" => "1.5",
        "budget" | "yuan" => "400元",
        "period" | "half_year" => "2026H1",
        "phone" => "13800138000",
        "kind" => "service",
        "group" => "elderly_alone",
        _ => "张三",
    }
}
