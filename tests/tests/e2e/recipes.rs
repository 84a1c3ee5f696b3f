//! The deployment recipes in `deploy/` and `action.yml`, run as far as this machine allows:
//! their shell steps are taken from the YAML files themselves and run here, against a demo
//! target on loopback, with `trespass` on the `PATH` (what `cargo install` / the image would
//! provide). Their schemas are checked in `.ci/run` (check-jsonschema, kubernetes-validate).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_yaml_ng::Value;
use trespass_targets::{Mode, Service};
use trespass_tests::{repo_root, write_demo_files};

fn yaml_documents(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(repo_root().join(path)).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| serde::Deserialize::deserialize(doc).unwrap())
        .collect()
}

fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    let mut at = value;
    for key in path {
        at = match key.parse::<usize>() {
            Ok(i) => &at[i],
            Err(_) => &at[*key],
        };
    }
    at.as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string: {at:?}"))
}

/// A folder with `trespass` in it: the test build of the binary.
fn bin_dir(root: &Path) -> PathBuf {
    let dir = root.join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_trespass-dup"), dir.join("trespass")).unwrap();
    dir
}

fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn shell(program: &str, script: &str) -> Command {
    let mut command = Command::new(program);
    command.arg("-c").arg(script);
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("TRESPASS_") {
            command.env_remove(var);
        }
    }
    command.env("TRESPASS_LOG", "warn");
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

fn succeeded(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {:?}\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_kubernetes_indexed_job_and_its_merge_run_as_written() {
    let target = trespass_targets::start(Service::Shop, Mode::Vulnerable, 0).unwrap();
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let (config, corpus) = (root.join("config"), root.join("corpus"));
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(&corpus).unwrap();
    let (spec, identities) = write_demo_files(Service::Shop, &config);
    std::fs::rename(spec, config.join("openapi.yaml")).unwrap();
    std::fs::rename(identities, config.join("identities.toml")).unwrap();
    let bin = bin_dir(root);
    let local = |script: &str| {
        script
            .replace("/corpus", &corpus.display().to_string())
            .replace("/config", &config.display().to_string())
    };

    let shards = yaml_documents("deploy/kubernetes/shards.yaml");
    let job = shards.iter().find(|d| d["kind"] == "Job").unwrap();
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let count = job["spec"]["completions"].as_u64().unwrap();
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let script = local(text(container, &["args", "0"]));
    let env = container["env"].as_sequence().unwrap();
    let children: Vec<_> = (0..count)
        .map(|index| {
            let mut command = shell("sh", &script);
            for var in env {
                command.env(text(var, &["name"]), text(var, &["value"]));
            }
            command
                .env("BASE_URL", target.url())
                .env("DURATION", "2s")
                .env("JOB_COMPLETION_INDEX", index.to_string())
                .env("PATH", path_with(&bin))
                .spawn()
                .unwrap()
        })
        .collect();
    for (index, child) in children.into_iter().enumerate() {
        succeeded(&child.wait_with_output().unwrap(), &format!("pod {index}"));
    }
    for k in 1..=count {
        let part = json(&corpus.join(format!("shard-{k}.json")));
        assert_eq!(part["shards"][0], format!("{k}/{count}"));
    }

    let merge = yaml_documents("deploy/kubernetes/merge.yaml");
    let container = &merge[0]["spec"]["template"]["spec"]["containers"][0];
    let out = shell("sh", &local(text(container, &["args", "0"])))
        .env("PATH", path_with(&bin))
        .output()
        .unwrap();
    succeeded(&out, "the merge job");
    let merged = json(&corpus.join("merged.json"));
    assert_eq!(merged["shards"].as_array().unwrap().len() as u64, count);
    assert!(
        !merged["findings"].as_array().unwrap().is_empty(),
        "{merged}"
    );
    json(&corpus.join("merged.sarif"));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("trespass"),
        "the Markdown summary is in the job's log"
    );
    assert!(corpus.join("merged").read_dir().unwrap().next().is_some());
}

#[test]
fn the_github_action_and_the_workflow_merge_step_run_as_written() {
    let target = trespass_targets::start(Service::Shop, Mode::Vulnerable, 0).unwrap();
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let (spec, identities) = write_demo_files(Service::Shop, root);
    let runner_temp = root.join("runner");
    let bin = runner_temp.join("trespass/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_trespass-dup"), bin.join("trespass")).unwrap();

    let action = &yaml_documents("action.yml")[0];
    let steps = action["runs"]["steps"].as_sequence().unwrap();
    let fuzz = steps.iter().find(|s| s["id"] == "fuzz").unwrap();
    let script = text(fuzz, &["run"]);
    // Artifacts downloaded with `pattern:` land in shards/<artifact name>/.
    let shards = root.join("shards");
    for k in 1..=2 {
        let output = root.join("github_output");
        let out = shell("bash", script)
            .current_dir(root)
            .env("SPEC", &spec)
            .env("IDENTITIES", &identities)
            .env("BASE_URL", target.url())
            .env("TARGET_CMD", "")
            .env("DURATION", "2s")
            .env("SEED", "11")
            .env("SHARD", format!("{k}/2"))
            .env("WORKERS", "2")
            .env("FAIL_ON", "security")
            .env("OUT", shards.join(format!("trespass-shard-{k}")))
            .env("RUNNER_TEMP", &runner_temp)
            .env("GITHUB_OUTPUT", &output)
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "shard {k}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = std::fs::read_to_string(&output).unwrap();
        assert!(
            said.contains("report=") && said.contains("report.json"),
            "{said}"
        );
    }

    let workflow = &yaml_documents("deploy/github/trespass.yml")[0];
    let fuzz_job = &workflow["jobs"]["fuzz"];
    assert_eq!(
        fuzz_job["strategy"]["matrix"]["shard"]
            .as_sequence()
            .unwrap()
            .len(),
        4
    );
    let uses_action = fuzz_job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .any(|s| s["uses"] == "./" && text(s, &["with", "shard"]).contains("matrix.shard"));
    assert!(
        uses_action,
        "the matrix jobs run the composite action on their shard"
    );
    let merge_step = workflow["jobs"]["merge"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Merge the shards")
        .unwrap();
    let summary = root.join("step_summary.md");
    let out = shell("bash", text(merge_step, &["run"]))
        .current_dir(root)
        .env("RUNNER_TEMP", &runner_temp)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let merged = json(&root.join("trespass.json"));
    let findings = merged["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "{merged}");
    assert_eq!(
        merged["shards"],
        serde_json::json!(["1/2", "2/2"]),
        "{stderr}"
    );
    let sarif = json(&root.join("trespass.sarif"));
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        findings.len()
    );
    let step_summary = std::fs::read_to_string(&summary).unwrap();
    assert!(step_summary.contains("trespass"), "{step_summary}");
    let authorization = findings.iter().any(|f| {
        f["confirmed"] == true && ["bola", "bfla"].contains(&f["oracle"].as_str().unwrap())
    });
    assert!(
        authorization,
        "the shop's planted authorization bugs: {merged}"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the step fails on confirmed security findings, after writing the summary: {stderr}"
    );
}
