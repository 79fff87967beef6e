//! `text_form!`: how a type that is written as text everywhere (ids, names of closed
//! sets, codes, dates, actors) maps to serde and to autosurgeon — through its `Display`
//! and `FromStr`, so that a document, a JSON body and a CSV cell hold the same text and
//! are parsed by the same function.

/// Implements `Serialize`, `Deserialize`, `Reconcile` and `Hydrate` for `$ty` from its
/// `Display` and `FromStr`; `$what` names what a document should have held, for the
/// error when it holds something else.
macro_rules! text_form {
    ($ty:ty, $what:expr) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl autosurgeon::Reconcile for $ty {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(
                &self,
                mut reconciler: R,
            ) -> Result<(), R::Error> {
                reconciler.str(self.to_string())
            }
        }

        impl autosurgeon::Hydrate for $ty {
            fn hydrate_string(text: &str) -> Result<Self, autosurgeon::HydrateError> {
                text.parse::<Self>().map_err(|_| {
                    // Shortened: the text comes from another replica.
                    autosurgeon::HydrateError::unexpected($what, text.chars().take(40).collect())
                })
            }
        }
    };
}

pub(crate) use text_form;
