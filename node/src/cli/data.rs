//! The commands that look at a node's data or copy it: `status`, `export` (JSON or a
//! USB bundle), `import` (a bundle from the hub) and `backup`. All but `import` work
//! while the node runs: the readers beside it, `export --bundle` through the running
//! node's admin socket ([`crate::admin`]).

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use serde_json::json;

use super::{open, open_read_only, print_json};
use crate::admin::BundleRequest;
use crate::replica::{OpenError, Replica};

pub(super) fn status(data: &Path, as_json: bool) -> anyhow::Result<()> {
    let mut replica = open_read_only(data)?;
    let status = replica.status()?;
    let integrity = replica.integrity_check()?;
    if as_json {
        let mut value = serde_json::to_value(&status)?;
        value["integrity_check"] = if integrity.is_empty() {
            json!("ok")
        } else {
            json!(integrity)
        };
        return print_json(&value);
    }
    let counts = &status.counts;
    println!(
        "community   {} {}",
        status.community.code, status.community.name
    );
    println!("node key    {}", status.node_key);
    println!("data        {}", status.data_dir);
    println!(
        "records     {} members, {} organisations, {} wishes, {} projects, {} posts, {} activities ({} participations), {} service records, {} passbook entries, {} voids",
        counts.members,
        counts.orgs,
        counts.wishes,
        counts.projects,
        counts.posts,
        counts.activities,
        counts.participations,
        counts.services,
        counts.passbook_entries,
        counts.voids
    );
    if counts.malformed > 0 {
        println!(
            "unreadable  {} records (see the JSON API)",
            counts.malformed
        );
    }
    println!("heads       {}", status.heads.join(" "));
    println!("attested    seq {}", status.attestation_seq);
    println!(
        "chunks      community {}, city {}",
        status.chunks.community, status.chunks.city
    );
    let sync = &status.sync;
    match &sync.hub_address {
        None => println!("hub         none configured"),
        Some(address) => println!(
            "hub         {address}, {}, last synced {}, {} changes not yet at the hub",
            // This command reads the data directory; only the running node knows its link.
            if sync.hub_since.is_none() {
                "link: see the running node's /api/status"
            } else if sync.hub_connected {
                "connected"
            } else {
                "not connected"
            },
            sync.last_synced_at.map_or("never".to_owned(), |at| at
                .display_in_shanghai()
                .to_string()),
            sync.changes_not_at_hub
        ),
    }
    if integrity.is_empty() {
        println!("database    integrity_check ok");
        Ok(())
    } else {
        println!("database    integrity_check FAILED:");
        for finding in &integrity {
            println!("            {finding}");
        }
        bail!("the database is damaged; {}", crate::store::RESTORE_ADVICE)
    }
}

pub(super) fn export(data: &Path, out: &Path) -> anyhow::Result<()> {
    let mut replica = open_read_only(data)?;
    let bytes = replica.save();
    write_new_file(out, &bytes)?;
    eprintln!("wrote {} bytes to {}", bytes.len(), out.display());
    Ok(())
}

pub(super) fn export_bundle(
    data: &Path,
    out: &Path,
    all: bool,
    expires_days: u32,
) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} exists already; choose a new file name", out.display());
    }
    let request = BundleRequest {
        all,
        expires_days,
        out: out.display().to_string(),
    };
    let options = request.options().map_err(|refusal| anyhow!(refusal))?;
    let (bytes, summary) = match Replica::open(data) {
        Ok(mut replica) => {
            let bundle = replica.export_bundle(&options, crate::now())?;
            let summary = bundle.summary(&request.out);
            (bundle.bytes, summary)
        }
        // The node runs: it writes the bundle (and stores its seq) itself.
        Err(OpenError::Busy { .. }) => crate::admin::export_bundle_from_running(data, &request)?,
        Err(error) => return Err(error.into()),
    };
    write_new_file(out, &bytes)?;
    println!("{summary}");
    Ok(())
}

pub(super) fn import(data: &Path, file: &Path) -> anyhow::Result<()> {
    eprintln!("reading {}", file.display());
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut replica = open(data)?;
    let received = replica
        .import(&bytes, crate::now())
        .with_context(|| format!("cannot import {}", file.display()))?;
    if received.is_changed {
        eprintln!("merged {} into the node", file.display());
    } else {
        eprintln!("{} brought nothing new", file.display());
    }
    Ok(())
}

pub(super) fn backup(data: &Path, out: &Path) -> anyhow::Result<()> {
    let replica = open_read_only(data)?;
    replica.backup_to(out, wishtree_common::sqlite_backup::print_progress())?;
    eprintln!(
        "backed up to {}; to restore, put it into an empty directory and run `wishtree-node run --data DIR`",
        out.display()
    );
    Ok(())
}

fn write_new_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = wishtree_common::key_file::create_private(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}
