//! Config files for the binaries: a TOML file whose keys are the long flags of the
//! command line (`http = "0.0.0.0:8081"`, `http-host = ["node.lan"]`), read before the
//! command line is parsed, so that every flag has a key and one parser (clap's) checks
//! every value wherever it came from.
//!
//! What the operator says nearest the run wins: a flag on the command line, then a
//! `WISHTREE_*` variable, then the file, then the built-in default. A key that no
//! command of the binary knows is an error naming the file, the line and the key; a key
//! that another command knows (the file of a `run` read by `status`) is passed over.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Command};
use toml::de::{DeTable, DeValue};

/// The id of the global `--config FILE` argument each binary declares.
pub const CONFIG_ARG: &str = "config";

/// Why a config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not TOML.
    #[error("{}:{line}: not TOML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line, counted from 1.
        line: usize,
        /// What the parser said.
        message: String,
    },
    /// A key no command knows, or a value of the wrong shape.
    #[error("{}:{line}: {key}: {problem}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// The line, counted from 1.
        line: usize,
        /// The key as written.
        key: String,
        /// What is wrong with it, and what to write instead.
        problem: String,
    },
}

/// The process's command line parsed into `C`, with the keys of its config file. As
/// `C::parse` does for clap's own errors, a config file that cannot be used is printed
/// and the process exits with status 2 (a usage error), before anything is done.
pub fn parse<C: clap::Parser>() -> C {
    match with_config_file(C::command(), std::env::args_os().collect()) {
        Ok(args) => C::parse_from(args),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(2);
        }
    }
}

/// The command line `args` with the keys of the config file it names (by
/// `--config FILE` or its variable) added as flags, for every flag the command line and
/// the environment leave at its default. Without a config file, `args` is returned as it
/// is; so is a command line that clap refuses, so that clap's own message is the one
/// shown when `args` is parsed for real.
pub fn with_config_file(
    command: Command,
    args: Vec<OsString>,
) -> Result<Vec<OsString>, ConfigError> {
    // Leniently: a required flag may be the file's to give.
    let Ok(matches) = command
        .clone()
        .ignore_errors(true)
        .try_get_matches_from(&args)
    else {
        return Ok(args);
    };
    let Some(path) = matches.get_one::<PathBuf>(CONFIG_ARG).cloned() else {
        return Ok(args);
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let flags = flags_from_file(&command, &matches, &path, &text)?;
    let mut args = args;
    args.extend(flags);
    Ok(args)
}

/// The flags a config file's `text` adds to the command line `args` (which choose the
/// subcommand), as [`with_config_file`] adds them, without reading a file: `path` only
/// names the file in errors. The fuzz target of config files
/// (`wishtree_tests::fuzz_bodies`) reaches the parser through it.
pub fn config_flags(
    command: &Command,
    args: &[OsString],
    path: &Path,
    text: &str,
) -> Result<Vec<OsString>, ConfigError> {
    let Ok(matches) = command
        .clone()
        .ignore_errors(true)
        .try_get_matches_from(args)
    else {
        return Ok(Vec::new());
    };
    flags_from_file(command, &matches, path, text)
}

/// The flags the file adds: one per key the chosen command has and the command line
/// left at its default.
fn flags_from_file(
    root: &Command,
    root_matches: &ArgMatches,
    path: &Path,
    text: &str,
) -> Result<Vec<OsString>, ConfigError> {
    let table = DeTable::parse(text).map_err(|error| ConfigError::Syntax {
        path: path.to_path_buf(),
        line: line_of(text, error.span().map_or(0, |span| span.start)),
        message: error.message().trim().to_owned(),
    })?;
    // The command that will run, and its matches (global flags are propagated to it).
    let (mut chosen, mut matches) = (root, root_matches);
    while let Some((name, sub_matches)) = matches.subcommand() {
        match chosen.find_subcommand(name) {
            Some(sub) => (chosen, matches) = (sub, sub_matches),
            None => break,
        }
    }
    let mut flags = Vec::new();
    for (key, value) in table.get_ref() {
        let name = key.get_ref().as_ref();
        let line = line_of(text, key.span().start);
        let problem = |problem: String| ConfigError::Key {
            path: path.to_path_buf(),
            line,
            key: name.to_owned(),
            problem,
        };
        if name == CONFIG_ARG {
            return Err(problem("a config file cannot name another".to_owned()));
        }
        let Some(arg) = long_arg(chosen, name).or_else(|| long_arg(root, name)) else {
            if any_command_knows(root, name) {
                continue;
            }
            return Err(problem(format!(
                "no such setting; the settings are the long flags of `{} --help`",
                root.get_name()
            )));
        };
        let id = arg.get_id().as_str();
        let from_user = matches!(
            matches.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        );
        if from_user {
            continue;
        }
        let is_switch = matches!(arg.get_action(), ArgAction::SetTrue);
        for text in values(value.get_ref()).map_err(problem)? {
            if is_switch {
                match text.as_str() {
                    "true" => flags.push(OsString::from(format!("--{name}"))),
                    "false" => {}
                    _ => return Err(problem("write true or false".to_owned())),
                }
            } else {
                flags.push(OsString::from(format!("--{name}={text}")));
            }
        }
    }
    Ok(flags)
}

/// The argument of `command` whose long flag is `name`.
fn long_arg<'c>(command: &'c Command, name: &str) -> Option<&'c clap::Arg> {
    command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(name))
}

/// Whether some command of the binary has the long flag `name`.
fn any_command_knows(command: &Command, name: &str) -> bool {
    long_arg(command, name).is_some()
        || command
            .get_subcommands()
            .any(|sub| any_command_knows(sub, name))
}

/// The value as the text of one flag each (an array gives one flag per element).
fn values(value: &DeValue<'_>) -> Result<Vec<String>, String> {
    let scalar = |value: &DeValue<'_>| match value {
        DeValue::String(text) => Ok(text.to_string()),
        DeValue::Boolean(switch) => Ok(switch.to_string()),
        DeValue::Integer(number) if number.radix() == 10 => Ok(number.as_str().replace('_', "")),
        DeValue::Integer(number) => {
            u64::from_str_radix(&number.as_str().replace('_', ""), number.radix())
                .map(|number| number.to_string())
                .map_err(|_| "the number is too large".to_owned())
        }
        DeValue::Float(number) => Ok(number.as_str().replace('_', "")),
        DeValue::Datetime(moment) => Ok(moment.to_string()),
        DeValue::Array(_) | DeValue::Table(_) => {
            Err("write a string, a number, true or false, or a list of them".to_owned())
        }
    };
    match value {
        DeValue::Array(items) => items.iter().map(|item| scalar(item.get_ref())).collect(),
        DeValue::Table(_) => {
            Err("sections are not settings; write `key = value` at the top".to_owned())
        }
        other => scalar(other).map(|text| vec![text]),
    }
}

/// The line (from 1) of a byte offset in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction};

    fn binary() -> Command {
        Command::new("wishtree-test")
            .arg(
                Arg::new(CONFIG_ARG)
                    .long(CONFIG_ARG)
                    .global(true)
                    .value_parser(clap::value_parser!(PathBuf)),
            )
            .arg(Arg::new("data").long("data").global(true))
            .subcommand(
                Command::new("run")
                    .arg(
                        Arg::new("http")
                            .long("http")
                            .default_value("127.0.0.1:8081"),
                    )
                    .arg(
                        Arg::new("http_hosts")
                            .long("http-host")
                            .env("WISHTREE_TEST_HTTP_HOSTS")
                            .action(ArgAction::Append),
                    )
                    .arg(Arg::new("quiet").long("quiet").action(ArgAction::SetTrue)),
            )
            .subcommand(
                Command::new("status")
                    .arg(Arg::new("json").long("json").action(ArgAction::SetTrue)),
            )
            .subcommand(Command::new("roster").arg(Arg::new("store").long("store").required(true)))
    }

    fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn run(path: &Path, extra: &[&str]) -> Result<ArgMatches, ConfigError> {
        let mut args: Vec<OsString> = vec!["wishtree-test".into(), "run".into()];
        args.push(format!("--config={}", path.display()).into());
        args.extend(extra.iter().map(OsString::from));
        let args = with_config_file(binary(), args)?;
        Ok(binary().get_matches_from(args))
    }

    #[test]
    fn the_file_fills_what_the_command_line_leaves_at_its_default() {
        let (_dir, path) = config(
            "data = \"/var/lib/wishtree\"\nhttp = \"0.0.0.0:8081\"\n\
             http-host = [\"node.lan\", \"node\"]\nquiet = true\n",
        );
        let matches = run(&path, &["--http", "127.0.0.1:9000"]).unwrap();
        let run = matches.subcommand_matches("run").unwrap();
        assert_eq!(run.get_one::<String>("http").unwrap(), "127.0.0.1:9000");
        let hosts: Vec<&String> = run.get_many("http_hosts").unwrap().collect();
        assert_eq!(hosts, ["node.lan", "node"]);
        assert!(run.get_flag("quiet"));
        assert_eq!(run.get_one::<String>("data").unwrap(), "/var/lib/wishtree");
    }

    #[test]
    fn a_key_of_another_command_is_passed_over_and_an_unknown_key_names_its_line() {
        let (_dir, path) = config("json = true\n");
        assert!(run(&path, &[]).is_ok());
        let (_dir, path) = config("http = \"0.0.0.0:1\"\n\n# the port\nhttp_port = 8081\n");
        let error = run(&path, &[]).unwrap_err().to_string();
        assert!(error.ends_with(":4: http_port: no such setting; the settings are the long flags of `wishtree-test --help`"), "{error}");
        assert!(error.contains("node.toml"), "{error}");
    }

    #[test]
    fn bad_toml_and_bad_shapes_are_errors_naming_the_line() {
        let (_dir, path) = config("http = \"0.0.0.0:1\"\nhttp = [\n");
        let error = run(&path, &[]).unwrap_err();
        assert!(matches!(error, ConfigError::Syntax { .. }), "{error}");
        let (_dir, path) = config("[run]\nhttp = \"0.0.0.0:1\"\n");
        let error = run(&path, &[]).unwrap_err().to_string();
        assert!(error.contains(":1: run: no such setting"), "{error}");
        let (_dir, path) = config("quiet = \"yes\"\n");
        let error = run(&path, &[]).unwrap_err().to_string();
        assert!(error.contains(":1: quiet: write true or false"), "{error}");
        let (_dir, path) = config("config = \"other.toml\"\n");
        assert!(run(&path, &[]).is_err());
    }

    #[test]
    fn a_required_flag_may_come_from_the_file() {
        let (_dir, path) = config("store = \"/var/lib/hub\"\n");
        let args: Vec<OsString> = vec![
            "wishtree-test".into(),
            format!("--config={}", path.display()).into(),
            "roster".into(),
        ];
        let args = with_config_file(binary(), args).unwrap();
        let matches = binary().try_get_matches_from(args).unwrap();
        let roster = matches.subcommand_matches("roster").unwrap();
        assert_eq!(roster.get_one::<String>("store").unwrap(), "/var/lib/hub");
    }

    #[test]
    fn without_a_config_the_command_line_is_left_alone() {
        let args: Vec<OsString> = vec!["wishtree-test".into(), "run".into(), "--bogus".into()];
        assert_eq!(with_config_file(binary(), args.clone()).unwrap(), args);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Whatever the file holds, the answer is flags or an error, never a panic.
        #[test]
        fn any_file_gives_flags_or_an_error(text in "(data|http|quiet|http-host|json|\\[run\\]|=| |\"|'|\\[|\\]|,|1|true|\n|#|é|\\\\){0,40}") {
            let (_dir, path) = config(&text);
            let args = vec!["wishtree-test".into(), "run".into(), format!("--config={}", path.display()).into()];
            let _ = with_config_file(binary(), args);
        }
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let error = run(Path::new("/nonexistent/node.toml"), &[])
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("cannot read the config file /nonexistent/node.toml"),
            "{error}"
        );
    }
}
