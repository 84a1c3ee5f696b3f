//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find authorization and business-logic bugs in HTTP APIs from their OpenAPI spec.
#[derive(Debug, Parser)]
#[command(name = "trespass", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 no findings, 1 findings, 2 usage or input error.\n\
Logging goes to stderr; set TRESPASS_LOG (e.g. debug) to change the level."
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// Let `$ref`s in the spec read files under DIR too (by default only files in the spec's
    /// own directory tree are read). Repeatable.
    #[arg(long = "allow-ref-dir", value_name = "DIR", global = true)]
    pub allow_ref_dir: Vec<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fuzz a target (with no --base-url: the embedded demo target).
    Fuzz(Box<FuzzArgs>),
    /// Re-run one saved finding; exit 1 if it still fails.
    Replay(ReplayArgs),
    /// Shrink a saved finding (saved as found: --no-shrink, or past --shrink-share) against
    /// the live target, and rewrite its file and reproducers.
    Shrink(ShrinkArgs),
    /// Load a spec and summarise operations, resources, links and admin operations; with
    /// --identities, the merged model and what each operation can be judged by.
    Spec(SpecArgs),
    /// Print generated request sequences as JSON lines.
    Sample(SampleArgs),
    /// Serve a demo target with planted bugs (or --secure) until interrupted.
    Demo(DemoArgs),
    /// Write a starter identities file from the spec (to stdout, or --output).
    Init(InitArgs),
    /// Join the JSON reports and finding folders of shards (`fuzz --shard K/N`) or of
    /// separate runs: one finding per signature, counts added, any report kind written.
    Merge(MergeArgs),
}

impl Command {
    /// The subcommand's name.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Fuzz(_) => "fuzz",
            Command::Replay(_) => "replay",
            Command::Shrink(_) => "shrink",
            Command::Spec(_) => "spec",
            Command::Sample(_) => "sample",
            Command::Demo(_) => "demo",
            Command::Init(_) => "init",
            Command::Merge(_) => "merge",
        }
    }
}

/// Arguments of `trespass fuzz`.
#[derive(Debug, Args)]
#[command(
    after_help = "Budget: --cases and --duration (TRESPASS_CASES, TRESPASS_DURATION). Given both, \
the run stops at whichever comes first; a duration alone runs until the time is up; neither \
runs 100 cases. Without --base-url or --target-cmd (or a [target] command in the identities \
file) the embedded demo target is started in-process (one instance per worker) and fuzzed with \
its own spec and identities. --target-cmd starts one instance per worker, each on a free port \
of 127.0.0.1, logging to <corpus>/targets/worker-N.log; with --base-url too, only the URL's path \
is used (http://127.0.0.1:<port><path>)."
)]
pub struct FuzzArgs {
    /// OpenAPI spec (YAML or JSON). Required with --base-url and --target-cmd.
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Base URL of the target; without it (and without a target command) the embedded demo
    /// target is fuzzed. With --target-cmd: only its path is used.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Start the target with this shell command, one instance per worker: `{port}` is
    /// replaced by a free port on 127.0.0.1 (e.g. `./my-api --port {port}`). Each instance
    /// runs in its own process group and is stopped at the end; one that crashes is started
    /// again, and the crash is a finding (`target-crash`). Overrides `[target] command`.
    #[arg(long, value_name = "CMD")]
    pub target_cmd: Option<String>,
    /// Identities-and-policy file (TOML). Required with --base-url and --target-cmd.
    #[arg(long)]
    pub identities: Option<PathBuf>,
    /// The embedded demo service to fuzz when no --base-url is given.
    #[arg(long, value_enum, default_value = "shop", conflicts_with_all = ["base_url", "target_cmd"])]
    pub service: DemoService,
    /// Fuzz the embedded demo target's secure mode (no planted bugs).
    #[arg(long, conflicts_with_all = ["base_url", "target_cmd"])]
    pub secure: bool,
    /// Most sequences to run; with --duration too, the run stops at whichever comes first.
    /// Default: 100 when neither --cases nor --duration is given (TRESPASS_CASES counts as
    /// given), none with --duration alone.
    #[arg(long)]
    pub cases: Option<u64>,
    /// Time budget (`90s`, `5m`, `1h`).
    #[arg(long, value_parser = parse_duration_arg)]
    pub duration: Option<std::time::Duration>,
    /// Seed of the generators (random when absent; printed either way).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run only the K-th of N disjoint parts of the case space (`2/4`): the cases n with
    /// n mod N = K - 1, below --cases. Needs --seed or TRESPASS_SEED (every shard splits the same cases);
    /// `trespass merge` joins the shards' reports and finding folders.
    #[arg(long, value_name = "K/N", value_parser = parse_shard_arg)]
    pub shard: Option<crate::campaign::Shard>,
    /// Sequences run concurrently (default 2).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Oracles: `default`, `all`, a comma list of names, or `default,-slow-response,+negative-acceptance`.
    #[arg(long, default_value = "default")]
    pub oracles: String,
    /// Which findings fail the run (exit 1): `all` (default), `security`, `conformance`, or a
    /// comma list of oracle names and classes. The others are still reported and saved.
    #[arg(long, value_name = "LIST", default_value = "all")]
    pub fail_on: crate::oracle::FailOn,
    /// Write the findings: `json:PATH` (repeatable). Rewritten atomically after every new finding.
    #[arg(long, value_name = "KIND:PATH")]
    pub report: Vec<crate::campaign::ReportSink>,
    /// Aim only at these operations (repeatable, comma lists): `"METHOD /path"`, `tag:NAME`,
    /// a path glob `/admin/*` (`**`: any depth) or an operationId. Operations that produce
    /// their inputs (creates, the caller's account, lists) are still sent as setup steps.
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,
    /// Never send these operations (same forms; added to `[policy] exclude_operations` and
    /// the target's reset operation, which is never fuzzed).
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
    /// Do not replay new findings to confirm them (nor shrink them).
    #[arg(long)]
    pub no_confirm: bool,
    /// Keep findings as generated: do not shrink them to a minimal reproducer.
    #[arg(long)]
    pub no_shrink: bool,
    /// With --duration: the percentage of it that shrinking may use in all, across every
    /// finding (0 to 100, default 25; TRESPASS_SHRINK_SHARE). Findings past it are saved as
    /// found; `trespass shrink FILE` shrinks one later.
    #[arg(long, value_name = "PCT", value_parser = crate::config::parse_share)]
    pub shrink_share: Option<u8>,
    /// The chance that a generated argument whose schema admits attack payloads (SQL, NoSQL,
    /// traversal, template, CRLF, unicode, JSON-breaking, long strings) carries one: `0.05`
    /// or `5%` (default 0.1; TRESPASS_ATTACK_RATE; 0 turns payloads off).
    #[arg(long, value_name = "RATE", value_parser = crate::config::parse_rate)]
    pub attack_rate: Option<f64>,
    /// Coverage feedback: the share of cases that run their fresh sequence, then more moves
    /// aimed at one operation, drawn the more likely the fewer requests the campaign has sent
    /// it: `0.4` or `40%` (default 0.4; `--no-feedback` or 0: off; see `cargo bench --bench
    /// feedback` for what it gains).
    #[arg(long, value_name = "SHARE", value_parser = crate::config::parse_rate)]
    pub feedback: Option<f64>,
    /// Draw every case fresh: no coverage feedback (the same as `--feedback 0`).
    #[arg(long, conflicts_with = "feedback")]
    pub no_feedback: bool,
    /// Folder of finding files: each confirmed finding is written there as
    /// `<signature>.json` (with a curl script and a Rust regression test beside it) as soon as
    /// it is confirmed, and rewritten once shrunk.
    #[arg(long, value_name = "DIR", default_value = "corpus/findings")]
    pub corpus: PathBuf,
    /// Start at most this many requests per second, across all workers (`20/s`, `90/min`).
    #[arg(long, value_name = "N/s", value_parser = crate::http::parse_rate)]
    pub rate: Option<f64>,
    /// At most this many requests waiting for their answer at once, across all workers.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight: Option<u32>,
    /// Folder of the campaign's state (cases done, signatures found, statistics), written
    /// atomically as cases finish: a rerun with the same state goes on where it stopped (after
    /// Ctrl-C, kill -9 or the duration). Default: `campaigns/<hash of the spec and target>`
    /// beside the --corpus folder.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Ignore (and overwrite) the campaign's state: start from case 0.
    #[arg(long)]
    pub fresh: bool,
    /// No progress line (it is hidden anyway when stderr is not a terminal or `CI` is set).
    #[arg(long)]
    pub quiet: bool,
}

fn parse_shard_arg(text: &str) -> Result<crate::campaign::Shard, String> {
    text.parse()
        .map_err(|e: crate::campaign::ShardError| e.to_string())
}

fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    crate::config::parse_duration(text)
}

/// Arguments of `trespass merge`.
#[derive(Debug, Args)]
#[command(
    after_help = "Inputs are JSON reports (`fuzz --report json:PATH`), finding folders \
(`fuzz --corpus DIR`) and campaign states (`fuzz --state DIR`, a folder with state.json: the \
counts of a run killed before it wrote its report; a state a report covers is left out). One finding is kept per signature: the confirmed, shrunk, shortest one; \
counts of cases, requests and findings are added (a report's own finding folder is not counted \
twice); the run time is the longest input's. Missing or repeated shards are named. Exit 1 when \
a confirmed finding of the --fail-on oracles is in the merged set."
)]
pub struct MergeArgs {
    /// JSON reports, finding folders and campaign-state folders to join.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Write the merged findings: `json:PATH`, `junit:PATH`, `sarif:PATH`, `markdown:PATH`
    /// (repeatable).
    #[arg(long, value_name = "KIND:PATH")]
    pub report: Vec<crate::campaign::ReportSink>,
    /// Copy the kept finding files (with their curl scripts and Rust tests) into this folder.
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Which findings make the exit code 1 (as `fuzz --fail-on`).
    #[arg(long, value_name = "LIST", default_value = "all")]
    pub fail_on: crate::oracle::FailOn,
}

/// Arguments of `trespass replay`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit code 1 when the finding still fails, 0 when it is fixed. The spec, \
identities and base URL default to those recorded in the finding; a finding from the embedded \
demo is replayed on a fresh embedded target (vulnerable, or --secure). A warning is printed when \
the spec's text changed since the finding was saved."
)]
pub struct ReplayArgs {
    /// A finding file written by `trespass fuzz` (`corpus/findings/<signature>.json`).
    pub finding: PathBuf,
    /// Base URL of the target (default: the one recorded in the finding).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Start the target with this shell command (`{port}` is replaced by a free port) and
    /// replay on it; default: the `[target] command` of the identities file when no base URL
    /// is given or recorded. Its log goes to `targets/worker-0.log` beside the finding.
    #[arg(long, value_name = "CMD")]
    pub target_cmd: Option<String>,
    /// OpenAPI spec (default: the one recorded in the finding).
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Identities-and-policy file (default: the one recorded in the finding).
    #[arg(long)]
    pub identities: Option<PathBuf>,
    /// Replay on the embedded demo target's secure mode (findings from the embedded demo).
    #[arg(long, conflicts_with_all = ["base_url", "target_cmd"])]
    pub secure: bool,
    /// Replays to run; the finding still fails when any of them shows it.
    #[arg(long, default_value_t = 1)]
    pub runs: u32,
}

/// Arguments of `trespass shrink`.
#[derive(Debug, Args)]
#[command(
    after_help = "The finding's case is regenerated from its seed (with the same spec, identities \
and --include/--exclude as the run that found it), replayed until it shows the finding again, \
and shrunk within TRESPASS_MAX_SHRINK_TIME (default 60 s). The file and its reproducers are \
rewritten atomically. Exit 0 when shrunk (or already minimal), 2 when the case does not \
regenerate, does not show the finding or cannot run. Target flags as for `trespass replay`."
)]
pub struct ShrinkArgs {
    /// A finding file written by `trespass fuzz` (`corpus/findings/<signature>.json`).
    pub finding: PathBuf,
    /// Base URL of the target (default: the one recorded in the finding).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Start the target with this shell command (`{port}` is replaced by a free port) and
    /// shrink on it; default: the `[target] command` of the identities file when no base URL
    /// is given or recorded. Its log goes to `targets/worker-0.log` beside the finding.
    #[arg(long, value_name = "CMD")]
    pub target_cmd: Option<String>,
    /// OpenAPI spec (default: the one recorded in the finding).
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Identities-and-policy file (default: the one recorded in the finding).
    #[arg(long)]
    pub identities: Option<PathBuf>,
    /// Shrink on the embedded demo target's secure mode (findings from the embedded demo).
    #[arg(long, conflicts_with_all = ["base_url", "target_cmd"])]
    pub secure: bool,
    /// The `--include` patterns of the run that found it (they shape its sequences).
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,
    /// The `--exclude` patterns of the run that found it.
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
}

/// Arguments of `trespass spec`.
#[derive(Debug, Args)]
pub struct SpecArgs {
    /// OpenAPI spec (YAML or JSON).
    pub path: PathBuf,
    /// Print the stable JSON form instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Also print how long reading, parsing, converting and inferring took (on stderr).
    #[arg(long)]
    pub timings: bool,
    /// Identities-and-policy file (TOML): merge its `[[resource]]` tables into the model and
    /// say, for every operation, which authorization oracles can judge it and what is missing.
    #[arg(long, value_name = "FILE")]
    pub identities: Option<PathBuf>,
}

/// Arguments of `trespass sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// OpenAPI spec (YAML or JSON).
    #[arg(long)]
    pub spec: PathBuf,
    /// Number of sequences to print.
    #[arg(long, default_value_t = 5)]
    pub count: u64,
    /// The chance that a generated argument that admits attack payloads carries one, as in
    /// `trespass fuzz --attack-rate` (default TRESPASS_ATTACK_RATE, else 0.1).
    #[arg(long, value_name = "RATE", value_parser = crate::config::parse_rate)]
    pub attack_rate: Option<f64>,
    /// Seed of the generators (TRESPASS_SEED, else random; printed on stderr). Case N of a
    /// seed is the sequence `trespass fuzz --seed` sends as case N.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Identities-and-policy file (TOML): the names and roles to act as (default: alice and
    /// bob as users, admin, anonymous).
    #[arg(long)]
    pub identities: Option<PathBuf>,
    /// Aim only at these operations (repeatable, comma lists): `"METHOD /path"`, `tag:NAME`,
    /// a path glob `/admin/*` (`**`: any depth) or an operationId. Operations that produce
    /// their inputs (creates, the caller's account, lists) are still sent as setup steps.
    #[arg(long, value_name = "PATTERN")]
    pub include: Vec<String>,
    /// Never send these operations (same forms; added to `[policy] exclude_operations` and
    /// the target's reset operation, which is never fuzzed).
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,
}

/// The demo services.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DemoService {
    /// Users, carts, orders; bearer tokens; integer ids.
    Shop,
    /// Teams, documents, comments, share links; API keys; UUIDs.
    Notes,
    /// Users, snippets, notebooks in a third-party style: version segments, natural keys,
    /// creates without ids; bearer tokens.
    Forum,
}

/// Arguments of `trespass demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which demo service to serve.
    #[arg(long, value_enum, default_value = "shop")]
    pub service: DemoService,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Serve the secure mode (no planted bugs).
    #[arg(long)]
    pub secure: bool,
    /// Where to write the spec and identities files (default: a folder under the temp dir).
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// How the shop lets callers in: `bearer` (a JSON login answering a token), `oauth2` (the
    /// OAuth2 password grant at `POST /token`, form-encoded) or `cookie` (a session cookie and
    /// a CSRF token). The spec and identities files written match it.
    #[arg(long, default_value = "bearer", value_parser = parse_auth_style)]
    pub auth: trespass_targets::shop::AuthStyle,
    /// Seconds a shop token or session lasts (default: until the demo stops); with `bearer` the
    /// token is then a JWT whose `exp` says when it expires.
    #[arg(long, value_name = "SECS")]
    pub token_lifetime: Option<f64>,
}

fn parse_auth_style(text: &str) -> Result<trespass_targets::shop::AuthStyle, String> {
    text.parse()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;
    use crate::config::DEFAULT_CASES;

    #[test]
    fn the_budget_help_states_the_default_case_count() {
        let mut cli = Cli::command();
        let fuzz = cli.find_subcommand_mut("fuzz").expect("fuzz subcommand");
        let help = fuzz.render_long_help().to_string();
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let default = format!("{DEFAULT_CASES} when neither --cases nor --duration is given");
        assert!(flat.contains(&default), "{help}");
        let after = format!("neither runs {DEFAULT_CASES} cases");
        assert!(flat.contains(&after), "{help}");
    }
}

/// Arguments of `trespass init`.
#[derive(Debug, Args)]
#[command(
    after_help = "The file names two users, an admin and an anonymous identity, authenticating as \
the spec's security schemes say (through its login operation when it has one), with ${ENV} \
placeholders for every secret; public and admin-looking operations are listed for you to confirm."
)]
pub struct InitArgs {
    /// OpenAPI spec (YAML or JSON).
    #[arg(long, value_name = "PATH")]
    pub spec: PathBuf,
    /// Check that a target answers at this URL first.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Write the file here instead of to stdout.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Replace --output if it exists.
    #[arg(long)]
    pub force: bool,
}
