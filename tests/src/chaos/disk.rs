//! Full disks for the harness: each node's data directory is a small tmpfs of its own,
//! which a [`super::schedule::Fault::DiskFull`] fills with a filler file and the
//! healing empties again.
//!
//! Mounting needs root, or a mount namespace of one's own: the harness runs itself
//! again inside `unshare --user --map-root-user --mount` ([`run_inside`]), where any
//! user may mount a tmpfs and the mounts live as long as the harness. The processes it
//! starts inherit the namespace; loopback is the machine's, as before.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::{Context, bail};

/// Set in the namespace the harness runs itself again in.
const INSIDE: &str = "WISHTREE_CHAOS_NAMESPACE";
/// A node's disk: room for a run's writes many times over; the filler takes the rest.
const SIZE: &str = "size=96m";
/// The file that fills a disk.
const FILLER: &str = "filler";

/// Whether this process runs in the harness's own mount namespace, so node disks
/// can be mounted and filled.
pub fn inside() -> bool {
    std::env::var_os(INSIDE).is_some()
}

/// This executable with `args`, to run in a user and mount namespace of its own.
pub fn command_inside(args: &[String]) -> anyhow::Result<Command> {
    let exe = std::env::current_exe().context("cannot find the running executable")?;
    let mut command = Command::new("unshare");
    command
        .args(["--user", "--map-root-user", "--mount"])
        .arg(exe)
        .args(args)
        .env(INSIDE, "1");
    Ok(command)
}

/// Runs this executable again with `args` in a namespace of its own
/// ([`command_inside`]), and returns how it ended.
pub fn run_inside(args: &[String]) -> anyhow::Result<ExitStatus> {
    command_inside(args)?
        .status()
        .context("cannot run `unshare` (util-linux) to get a mount namespace for full disks")
}

/// A node's data directory on a tmpfs of its own.
#[derive(Debug)]
pub struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    /// Mounts a small tmpfs on `dir` (made if missing).
    pub fn mount(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", SIZE, "tmpfs"])
            .arg(dir)
            .status()
            .context("cannot run `mount`")?;
        if !status.success() {
            bail!("cannot mount a tmpfs on {}", dir.display());
        }
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    /// Fills the disk to the last byte.
    pub fn fill(&self) -> anyhow::Result<()> {
        let mut filler = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(FILLER))?;
        let block = vec![0u8; 1 << 20];
        fill_with(&mut filler, &block)?;
        // What is left is smaller than a block: fill it byte-wise, in smaller steps.
        fill_with(&mut filler, &block[..4096])?;
        fill_with(&mut filler, &block[..1])
    }

    /// Empties the disk of the filler.
    pub fn free(&self) -> anyhow::Result<()> {
        match std::fs::remove_file(self.dir.join(FILLER)) {
            Err(error) if error.kind() != ErrorKind::NotFound => Err(error.into()),
            _ => Ok(()),
        }
    }

    /// Unmounts it; what it held is gone.
    pub fn unmount(&self) -> anyhow::Result<()> {
        let status = Command::new("umount")
            .arg(&self.dir)
            .status()
            .context("cannot run `umount`")?;
        if !status.success() {
            bail!("cannot unmount {}", self.dir.display());
        }
        Ok(())
    }
}

/// Appends `block` until the disk says it is full.
fn fill_with(file: &mut File, block: &[u8]) -> anyhow::Result<()> {
    loop {
        match file.write_all(block) {
            Ok(()) => {}
            Err(error) if error.kind() == ErrorKind::StorageFull => return Ok(()),
            Err(error) => return Err(error.into()),
        }
    }
}
