//! `wishtree-hub import FILE`: handed to the hub running on the data directory over its
//! admin socket ([`crate::admin`]), or, with none running, imported into the store with
//! the directory's lock held, so that no hub starts meanwhile.

use std::path::Path;

use anyhow::Context;
use wishtree_common::admin_socket::{AdminError, AdminRequest, call};

use crate::admin::{ADMIN_SOCKET, IMPORT};
use crate::clock::now;
use crate::data_dir::open_stores;
use crate::import::{import_file, read_bundle_file};
use crate::lock::LockError;

/// `wishtree-hub import FILE`: handed to the running hub if one runs on `data`,
/// into the store otherwise. Progress lines go to stderr, the verdict to stdout.
pub(super) fn import(data: &Path, file: &Path, store_url: Option<&str>) -> anyhow::Result<()> {
    let show = &mut |line: &str| eprintln!("{line}");
    match crate::lock::lock_data_dir(data, "") {
        Ok(_lock) => {
            // No hub runs, and none starts until the lock is dropped.
            let hub = crate::run::command_hub(data, open_stores(data, store_url)?)?;
            let accepted = import_file(&hub, file, now(), &mut |step| show(&step.to_string()))?;
            println!("{}", accepted.report());
            Ok(())
        }
        Err(LockError::Busy { dir, .. }) => {
            let bytes = read_bundle_file(file, &mut |step| show(&step.to_string()))?;
            show(&format!(
                "a hub runs on {dir}: handing it the bundle over {ADMIN_SOCKET}"
            ));
            let request = AdminRequest {
                command: IMPORT.to_owned(),
                body: bytes,
            };
            let reply = call(data, ADMIN_SOCKET, &request, 0, show).map_err(|error| {
                match error {
                    AdminError::NotListening { .. } | AdminError::Unsupported => anyhow::anyhow!(
                        "another wishtree-hub process holds {dir} and takes no bundle ({error}); if it is a hub, stop it (Ctrl-C), import, then start it again; if it is an import, wait for it"
                    ),
                    other => anyhow::Error::new(other),
                }
            })
            .with_context(|| format!("{} is not imported", file.display()))?;
            println!("{}", reply.text);
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
