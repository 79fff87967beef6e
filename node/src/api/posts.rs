//! Service posts (服务岗位): opened by the community, claimed by members.

use wishtree_protocol::Timestamp;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::PostId;
use wishtree_protocol::lifecycle::PostStatus;
use wishtree_protocol::model::{EventKind, EventSubject, Post, PostKind};
use wishtree_protocol::text::{Detail, Title};
use wishtree_protocol::view::WithStatus;

use super::{
    ApiResult, Expected, FieldError, Fields, Input, Lifecycle, create, list, path_id, render,
    require,
};
use crate::replica::Replica;

/// A service post to open: `{kind, title, detail?, seats?}` (one seat if not given).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPost {
    /// Its kind.
    pub kind: PostKind,
    /// Its title.
    pub title: Title,
    /// What it asks.
    pub detail: Detail,
    /// How many may hold it.
    pub seats: u32,
}

impl Input for NewPost {
    const FIELDS: &'static [&'static str] = &["kind", "title", "detail", "seats"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            kind: fields.parsed("kind", Expected::Choice)?,
            title: fields.text("title", Title::parse)?,
            detail: fields.text_or_empty("detail", Detail::parse)?,
            seats: fields.optional_number("seats")?.unwrap_or(1),
        })
    }
}

impl NewPost {
    /// The command that opens the post as `id`.
    pub fn into_command(self, id: PostId) -> Command {
        Command::AddPost {
            id,
            kind: self.kind,
            title: self.title,
            detail: self.detail,
            seats: self.seats,
        }
    }
}

/// `POST /api/posts`.
pub fn create_post(replica: &mut Replica, new: NewPost, now: Timestamp) -> ApiResult {
    let make = |id: PostId| new.into_command(id);
    create(replica, now, make, |r, id| post(r, &id.to_string()))
}

/// `POST /api/posts/{id}/{claim|release|withdraw}`: `by` (member:<id> or org:<id>) is
/// needed to claim or release.
pub static POSTS: Lifecycle<Post> = Lifecycle {
    actions: &[EventKind::Claim, EventKind::Release, EventKind::Withdraw],
    subject: EventSubject::Post,
    event: |id, kind, by, note| Command::PostEvent { id, kind, by, note },
    record: post,
};

/// `GET /api/posts`.
pub fn list_posts(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(list(view.posts.iter().map(|(id, p)| render::post(id, p))))
}

/// `GET /api/posts/{id}`.
pub fn post(replica: &mut Replica, id: &str) -> ApiResult {
    let id: PostId = path_id(id)?;
    let entity = require::<Post>(replica, id)?;
    let status = PostStatus::fold(&entity.events, entity.seats);
    Ok(render::post(id, &WithStatus { entity, status }))
}
