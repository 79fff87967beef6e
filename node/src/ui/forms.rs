//! The forms of the node UI: what a browser posts, kept as typed text so that a refused
//! form is shown again with everything the worker typed, and turned into domain
//! commands by the same checked types the JSON API uses.

use serde::Deserialize;
use wishtree_protocol::Date;
use wishtree_protocol::command::{ActivityFields, MemberFields, WishFields};
use wishtree_protocol::id::OrgId;
use wishtree_protocol::model::{
    Actor, BeneficiaryGroup, EventKind, EventSubject, PostKind, WishKind,
};
use wishtree_protocol::text::{Detail, Label, Name, Title};

/// The intake form of a wish (群众点单).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WishForm {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Detail.
    #[serde(default)]
    pub detail: String,
    /// `goods` or `service`.
    #[serde(default)]
    pub kind: String,
    /// Beneficiary group code.
    #[serde(default)]
    pub group: String,
    /// Public label of the resident.
    #[serde(default)]
    pub resident_label: String,
    /// Real name (private).
    #[serde(default)]
    pub resident_name: String,
    /// Phone (private).
    #[serde(default)]
    pub resident_phone: String,
    /// Estimated value in yuan, may be empty.
    #[serde(default)]
    pub estimated_value: String,
}

/// A member of the ledger (七清楚).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MemberForm {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Work unit.
    #[serde(default)]
    pub work_unit: String,
    /// `org:<id>` or empty.
    #[serde(default)]
    pub org: String,
    /// Position.
    #[serde(default)]
    pub position: String,
    /// Specialties, separated by commas (，or ,).
    #[serde(default)]
    pub specialties: String,
    /// Post kinds offered, one code (repeated field).
    #[serde(default)]
    pub intention: String,
    /// Reported-in day, YYYY-MM-DD.
    #[serde(default)]
    pub reported_in: String,
    /// Home address (private).
    #[serde(default)]
    pub address: String,
    /// Phone (private).
    #[serde(default)]
    pub phone: String,
}

/// A new activity.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActivityForm {
    /// Title.
    #[serde(default)]
    pub title: String,
    /// Category code.
    #[serde(default)]
    pub category: String,
    /// Day, YYYY-MM-DD.
    #[serde(default)]
    pub date: String,
    /// Hours each participant serves, e.g. `1.5`.
    #[serde(default)]
    pub hours: String,
    /// Place.
    #[serde(default)]
    pub place: String,
}

/// A choice of claimant (`member:<id>` or `org:<id>`) and an optional note.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ActionForm {
    /// Who claims, for a claim.
    #[serde(default)]
    pub claimant: String,
    /// A note.
    #[serde(default)]
    pub note: String,
}

/// A member joining an activity.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ParticipantForm {
    /// The member's id.
    #[serde(default)]
    pub member: String,
}

/// A redemption of points.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RedeemForm {
    /// How many points.
    #[serde(default)]
    pub points: String,
    /// For what.
    #[serde(default)]
    pub reason: String,
}

/// What a form was refused for, in words for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError(pub String);

impl WishForm {
    /// The wish fields, and the private name and phone.
    pub fn parse(&self) -> Result<(WishFields, String, String), FormError> {
        let fields = WishFields {
            title: Title::parse("title", &self.title).map_err(error)?,
            detail: Detail::parse("detail", &self.detail).map_err(error)?,
            kind: self.kind.parse::<WishKind>().map_err(error)?,
            group: self.group.parse::<BeneficiaryGroup>().map_err(error)?,
            resident_label: Name::parse("resident_label", &self.resident_label).map_err(error)?,
            estimated_value: optional_number("estimated_value", &self.estimated_value)?,
        };
        let name = Label::parse("resident_name", &self.resident_name).map_err(error)?;
        let phone = Label::parse("resident_phone", &self.resident_phone).map_err(error)?;
        Ok((fields, name.into_string(), phone.into_string()))
    }
}

impl MemberForm {
    /// The ledger fields, and the private address and phone.
    pub fn parse(
        &self,
        intentions: &[String],
    ) -> Result<(MemberFields, String, String), FormError> {
        let org = match self.org.trim() {
            "" => None,
            text => Some(
                text.trim_start_matches("org:")
                    .parse::<OrgId>()
                    .map_err(error)?,
            ),
        };
        let specialties = self
            .specialties
            .split([',', '，', '、'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Label::parse("specialties", s).map_err(error))
            .collect::<Result<Vec<_>, _>>()?;
        let intentions = intentions
            .iter()
            .map(|code| code.parse::<PostKind>().map_err(error))
            .collect::<Result<Vec<_>, _>>()?;
        let fields = MemberFields {
            name: Name::parse("name", &self.name).map_err(error)?,
            work_unit: Label::parse("work_unit", &self.work_unit).map_err(error)?,
            org,
            position: Label::parse("position", &self.position).map_err(error)?,
            specialties,
            intentions,
            reported_in: self.reported_in.trim().parse::<Date>().map_err(error)?,
            branch: None,
            team: None,
        };
        let address = Label::parse("address", &self.address).map_err(error)?;
        let phone = Label::parse("phone", &self.phone).map_err(error)?;
        Ok((fields, address.into_string(), phone.into_string()))
    }
}

impl ActivityForm {
    /// The activity fields.
    pub fn parse(&self) -> Result<ActivityFields, FormError> {
        let hours: f64 = self.hours.trim().parse().map_err(|_| {
            FormError(format!(
                "hours `{}` is not a number of hours, e.g. 1.5",
                self.hours
            ))
        })?;
        if !(0.0..=24.0).contains(&hours) || hours == 0.0 {
            return Err(FormError(
                "hours must be more than 0 and at most 24".to_owned(),
            ));
        }
        Ok(ActivityFields {
            title: Title::parse("title", &self.title).map_err(error)?,
            category: self.category.parse::<PostKind>().map_err(error)?,
            date: self.date.trim().parse::<Date>().map_err(error)?,
            minutes: (hours * 60.0).round() as u32,
            organiser: None,
            place: Label::parse("place", &self.place).map_err(error)?,
        })
    }
}

impl ActionForm {
    /// The author of a `kind` event on a wish, by the rule of [`Actor::author`]: the
    /// claimant chosen for a claim, else the node's `worker`.
    pub fn claimant(&self, kind: EventKind, worker: &Actor) -> Result<Actor, FormError> {
        // The form's claimant field only speaks for a claim; other actions are the
        // worker's, whatever the field holds.
        let given = if kind == EventKind::Claim {
            self.claimant.parse::<Actor>().ok()
        } else {
            None
        };
        Actor::author(kind, EventSubject::Wish, given, worker)
            .map_err(|_| FormError("choose a member or an organisation to claim it".to_owned()))
    }

    /// The note.
    pub fn note(&self) -> Result<Detail, FormError> {
        Detail::parse("note", &self.note).map_err(error)
    }
}

fn optional_number(field: &str, text: &str) -> Result<Option<u32>, FormError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| FormError(format!("{field} `{text}` is not a whole number of yuan")))
}

fn error(error: impl std::fmt::Display) -> FormError {
    FormError(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_wish_form_becomes_fields_and_private_data() {
        let form = WishForm {
            title: "希望有一台微波炉".into(),
            detail: "".into(),
            kind: "goods".into(),
            group: "disabled".into(),
            resident_label: "行宫社区 彭女士".into(),
            resident_name: "彭程".into(),
            resident_phone: "13800000000".into(),
            estimated_value: " 400 ".into(),
        };
        let (fields, name, phone) = form.parse().unwrap();
        assert_eq!(fields.estimated_value, Some(400));
        assert_eq!((name.as_str(), phone.as_str()), ("彭程", "13800000000"));
    }

    #[test]
    fn bad_forms_name_the_field() {
        let form = WishForm {
            kind: "goods".into(),
            group: "disabled".into(),
            resident_label: "彭女士".into(),
            ..WishForm::default()
        };
        assert_eq!(form.parse().unwrap_err().0, "title is empty");
        let form = WishForm {
            title: "心愿".into(),
            kind: "goods".into(),
            group: "disabled".into(),
            resident_label: "彭女士".into(),
            estimated_value: "四百".into(),
            ..WishForm::default()
        };
        assert_eq!(
            form.parse().unwrap_err().0,
            "estimated_value `四百` is not a whole number of yuan"
        );
        let activity = ActivityForm {
            title: "义诊".into(),
            category: "health".into(),
            date: "2026-07-01".into(),
            hours: "1.5".into(),
            place: "".into(),
        };
        assert_eq!(activity.parse().unwrap().minutes, 90);
        let bad = ActivityForm {
            hours: "25".into(),
            ..activity
        };
        assert!(bad.parse().is_err());
    }
}
