//! The commands that look at a node's data or copy it: `status`, `export` (JSON or a
//! USB bundle), `import` (a bundle from the hub) and `backup`.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use serde_json::json;

use super::{open, open_read_only, print_json};
use crate::replica::BundleOptions;

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
    if expires_days == 0 {
        bail!("--expires-days must be at least 1");
    }
    if out.exists() {
        bail!("{} exists already; choose a new file name", out.display());
    }
    let mut replica = open(data)?;
    let options = BundleOptions {
        is_whole_history: all,
        valid_for: std::time::Duration::from_secs(u64::from(expires_days) * 24 * 3600),
    };
    let bundle = replica.export_bundle(&options, crate::now())?;
    write_new_file(out, &bundle.bytes)?;
    let since = if bundle.base_heads.is_empty() {
        "the whole history".to_owned()
    } else {
        format!(
            "the changes since the hub's heads as of the last sync ({})",
            bundle
                .hub_heads_at
                .map_or("time unknown".to_owned(), |at| at
                    .display_in_shanghai()
                    .to_string())
        )
    };
    println!(
        "wrote bundle {}: {} bytes, {} changes ({since}), bundle seq {}, signed heads seq {}, expires {}",
        out.display(),
        bundle.bytes.len(),
        bundle.changes,
        bundle.seq,
        bundle
            .attestation_seq
            .map_or("none".to_owned(), |seq| seq.to_string()),
        bundle.expires_at.display_in_shanghai()
    );
    println!(
        "give this file to the hub operator: wishtree-hub import --data HUB_DIR {}",
        out.display()
    );
    if !bundle.base_heads.is_empty() {
        println!(
            "if the hub refuses it for missing changes, write one with the whole history: wishtree-node export --bundle --all"
        );
    }
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
    let mut last_shown = None;
    replica.backup_to(out, |progress| {
        let percent = if progress.total > 0 {
            100 - progress.remaining * 100 / progress.total
        } else {
            100
        };
        if last_shown != Some(percent / 10) {
            last_shown = Some(percent / 10);
            eprintln!("backup {percent}%");
        }
    })?;
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
