//! The runbook as one bash script (`report --script FILE`): the same steps,
//! commands and gates as the change ticket, from the same model steps, one
//! function per phase, run one phase at a time. A state file records every
//! completed step, gate and phase; gates run again on every resume; the
//! point of no return asks for the cluster's name; `--dry-run` prints
//! everything and runs nothing. Every step runs in a fresh shell (`env -i`)
//! with its environment's lines, so 6's and 7's never mix.

use std::fmt::Write;

use crate::model::steps::{Env, GATES_SH, Step, StepKind};
use crate::model::{Estimate, PlanId, PlanResult};
use crate::shell::quote;

/// Renders the script of one plan (the recommended one unless `plan`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScriptExporter {
    /// The plan; `None`: the recommended plan.
    pub plan: Option<PlanId>,
}

/// Why no script can be written for the plan asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// No plan was named and none is recommended.
    #[error(
        "no plan is recommended (nothing fits): there is no runbook to write; name one with --plan to see why"
    )]
    NoPlan,
    /// The plan's steps carry no command.
    #[error("plan {id}: {reason}")]
    NotRunnable {
        /// The plan.
        id: PlanId,
        /// Why (does not fit, not available).
        reason: String,
    },
}

/// A phase's name as a script argument: `delete backup & 6` → `delete-backup-6`.
pub fn phase_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn env_id(env: Env) -> &'static str {
    match env {
        Env::Gp6 => "gp6",
        Env::Gp7 => "gp7",
        Env::Gp7Test => "gp7_test",
        Env::Hosts => "hosts",
    }
}

fn kind_id(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Run => "run",
        StepKind::Manual => "manual",
        StepKind::Gate => "gate",
        StepKind::PointOfNoReturn => "point-of-no-return",
    }
}

impl ScriptExporter {
    /// The plan the script is for, if it can have one.
    pub fn plan<'a>(&self, e: &'a Estimate) -> Result<&'a PlanResult, ScriptError> {
        let p = match self.plan {
            Some(id) => e.plan(id).ok_or(ScriptError::NotRunnable {
                id,
                reason: "not evaluated".into(),
            })?,
            None => e.recommended().ok_or(ScriptError::NoPlan)?,
        };
        if !p.runnable {
            return Err(ScriptError::NotRunnable {
                id: p.id,
                reason: p
                    .not_runnable_reason
                    .clone()
                    .unwrap_or_else(|| "not runnable".into()),
            });
        }
        Ok(p)
    }

    /// The script text, or why there is none.
    pub fn script(&self, e: &Estimate) -> Result<String, ScriptError> {
        let p = self.plan(e)?;
        let env = e.environment.clone().unwrap_or_default();
        let mut s = String::new();
        let phases: Vec<String> = std::iter::once("prepare".to_string())
            .chain(p.phases.iter().map(|x| phase_slug(x)))
            .collect();
        let cluster = format!("{}:{}", env.gp6_host, env.gp6_port);
        let workdir = match env.workdir.strip_prefix("~/") {
            Some(rest) => format!("\"$HOME\"/{}", quote(rest)),
            None => quote(&env.workdir),
        };
        header(&mut s, e, p, &phases);
        let _ = writeln!(s, "CLUSTER={}", quote(&cluster));
        let _ = writeln!(s, "WORKDIR={workdir}");
        let _ = writeln!(s, "STATE=\"$WORKDIR/upgrade.state\"");
        let _ = writeln!(s, "PHASES=({})", phases.join(" "));
        s.push_str("DRY_RUN=0\nYES=\"\"\n\n");
        s.push_str("# The lines a step of each environment starts from, in a fresh shell.\nenv_lines() {\n  case $1 in\n");
        for (id, lines) in [("gp6", &env.gp6), ("gp7 | gp7_test", &env.gp7)] {
            let _ = writeln!(s, "    {id})\n      cat <<'WHPG_ENV'");
            for l in lines {
                let _ = writeln!(s, "{l}");
            }
            s.push_str("WHPG_ENV\n      ;;\n");
        }
        s.push_str("    *) ;;\n  esac\n}\n\n");
        s.push_str("# The gate functions (the file whpg_gates.sh of `report --layout-dir`).\ngates_lib() {\n  cat <<'WHPG_GATES'\n");
        s.push_str(GATES_SH);
        s.push_str("WHPG_GATES\n}\n\n");
        s.push_str(RUNNER);
        let pnr = p
            .timeline
            .as_ref()
            .and_then(|t| t.point_of_no_return.as_ref());
        let pnr_step = super::view::point_of_no_return_step(p);
        for (n, st) in p.steps.iter().enumerate() {
            let at = pnr.filter(|_| pnr_step == Some(n)).map(|x| {
                format!(
                    "point of no return at {} (planned): {}",
                    super::view::offset_text(x.at_seconds),
                    x.loses
                )
            });
            step_function(&mut s, n + 1, st, at.as_deref());
        }
        for (i, slug) in phases.iter().enumerate() {
            let name = if i == 0 { "prepare" } else { &p.phases[i - 1] };
            let planned = crate::model::Phase::from_name(name)
                .and_then(|ph| super::view::phase_time(p, ph))
                .map(|t| format!("planned: {}", super::view::phase_time_text(t)));
            match &planned {
                Some(t) => {
                    let _ = writeln!(s, "# Phase {slug}: {name}; {t}.");
                }
                None => {
                    let _ = writeln!(s, "# Phase {slug}: {name}.");
                }
            }
            let _ = writeln!(s, "phase_{}() {{", slug.replace('-', "_"));
            if let Some(t) = &planned {
                let _ = writeln!(s, "  echo {}", quote(&format!("   {t}")));
            }
            let mut any = false;
            for (n, st) in p.steps.iter().enumerate() {
                if st.phase.name() == name {
                    let _ = writeln!(s, "  step_{} || return 1", n + 1);
                    any = true;
                }
            }
            if !any {
                let _ = writeln!(
                    s,
                    "  echo \"   no command: the disks change, nothing is run here\""
                );
            }
            s.push_str("}\n\n");
        }
        s.push_str("# Runs one phase by its name.\nrun_phase() {\n  case $1 in\n");
        for slug in &phases {
            let _ = writeln!(s, "    {slug}) phase_{} ;;", slug.replace('-', "_"));
        }
        s.push_str("    *) return 2 ;;\n  esac\n}\n\n");
        s.push_str(MAIN);
        Ok(s)
    }
}

fn header(s: &mut String, e: &Estimate, p: &PlanResult, phases: &[String]) {
    let c = &e.cluster;
    let _ = writeln!(s, "#!/usr/bin/env bash");
    let _ = writeln!(
        s,
        "# The upgrade runbook whpg-plan wrote for {} {} (coordinator {}), plan {}:",
        c.product.display_name(),
        c.version.replace('\n', " "),
        c.coordinator.replace('\n', " "),
        p.id
    );
    let _ = writeln!(
        s,
        "# the same steps, commands and gates as the change ticket, one function per phase."
    );
    s.push_str(
        "#
#   ./upgrade.sh                       the phases, their steps and what is done
#   ./upgrade.sh PHASE                 run one phase (in order; a failed one resumes
#                                      at its first step not done; gates always rerun)
#   ./upgrade.sh --dry-run [PHASE]     print every command, run nothing
#   ./upgrade.sh --yes CLUSTER PHASE   confirm the manual steps and the point of no
#                                      return without asking (CLUSTER as below)
#
# Run it as gpadmin on the 6 coordinator, with the files `whpg-plan report
# --layout-dir` writes in the working directory. Every step starts in a fresh
# shell (env -i) with its environment's lines: 6's and 7's never mix. A gate
# that fails stops the phase; what it checks is in whpg_gates.sh. To run a
# step again, delete its \"step N done\" line from upgrade.state.
",
    );
    let _ = writeln!(s, "# Phases: {}.", phases.join(", "));
    s.push_str("set -uo pipefail\n\n");
}

/// One step as a function; `point_of_no_return` is the timeline's line for
/// the step that holds it (said in a comment and when the step runs).
fn step_function(s: &mut String, n: usize, st: &Step, point_of_no_return: Option<&str>) {
    let _ = writeln!(s, "# Step {n} [{}]: {}", st.env.label(), st.title);
    if let Some(note) = &st.note {
        let _ = writeln!(s, "# {}", note.replace('\n', " "));
    }
    if let Some(at) = point_of_no_return {
        let _ = writeln!(s, "# {}", at.replace('\n', " "));
    }
    let _ = writeln!(s, "step_{n}() {{");
    if let Some(at) = point_of_no_return {
        let _ = writeln!(s, "  echo {}", quote(&format!("   {at}")));
    }
    let _ = writeln!(
        s,
        "  run_step {n} {} {} {} <<'WHPG_STEP'",
        kind_id(st.kind),
        env_id(st.env),
        quote(&st.title)
    );
    for c in &st.commands {
        let _ = writeln!(s, "{c}");
    }
    s.push_str("WHPG_STEP\n}\n\n");
}

/// The part of the script that runs steps, keeps the state and asks.
const RUNNER: &str = r##"# Prints a message on standard error and exits.
die() {
  echo "upgrade.sh: $*" >&2
  exit 1
}

# Appends a line to the state file, with the time.
record() {
  printf '%s %s\n' "$1" "$(date '+%Y-%m-%dT%H:%M:%S%z')" >>"$STATE"
}

# Whether the state file has a line starting with the words given.
recorded() {
  grep -q "^$1 " "$STATE" 2>/dev/null
}

# Runs commands in a fresh shell of an environment, in the working directory,
# with the gate functions defined.
run_commands() {
  local env=$1 body=$2 text
  text="$(gates_lib)
cd \"\$WHPG_WORKDIR\" || exit 1
$(env_lines "$env")
set -e
$body"
  env -i HOME="$HOME" USER="${USER:-}" LOGNAME="${LOGNAME:-}" TERM="${TERM:-dumb}" \
    LANG="${LANG:-C.UTF-8}" SSH_AUTH_SOCK="${SSH_AUTH_SOCK:-}" PATH=/usr/local/bin:/usr/bin:/bin \
    WHPG_WORKDIR="$WORKDIR" WHPG_ACCEPT_BACKUP_BYTES="${WHPG_ACCEPT_BACKUP_BYTES:-}" \
    bash --noprofile --norc -c "$text"
}

# Whether a terminal can be asked (one that can be opened, not merely a node).
have_tty() {
  { : </dev/tty; } 2>/dev/null
}

# Asks the operator to confirm a manual step (or takes --yes).
confirm_manual() {
  local answer
  if [ "$YES" = "$CLUSTER" ]; then
    record "step $1 confirmed-by-yes"
    return 0
  fi
  have_tty || die "step $1 needs a person to confirm it: run in a terminal, or with --yes $CLUSTER"
  read -r -p "   Done, and checked? Type yes to go on: " answer </dev/tty
  [ "$answer" = yes ] || die "step $1 not confirmed: stopped"
  record "step $1 confirmed"
}

# Asks for the cluster's name before a point of no return (or takes --yes).
confirm_destructive() {
  local answer
  echo "   POINT OF NO RETURN: $2"
  if [ "$YES" = "$CLUSTER" ]; then
    record "step $1 destructive-confirmed-by-yes"
    return 0
  fi
  have_tty || die "step $1 is a point of no return: run in a terminal, or with --yes $CLUSTER"
  read -r -p "   Type the cluster's name ($CLUSTER) to go on: " answer </dev/tty
  [ "$answer" = "$CLUSTER" ] || die "step $1: the name typed is not $CLUSTER: stopped, nothing deleted"
  record "step $1 destructive-confirmed"
}

# run_step N KIND ENV TITLE, the commands on standard input.
run_step() {
  local n=$1 kind=$2 env=$3 title=$4 body
  body=$(cat)
  echo "== step $n [$kind, $env] $title"
  if [ "$DRY_RUN" = 1 ]; then
    [ -z "$body" ] || printf '%s\n' "$body" | sed 's/^/    /'
    return 0
  fi
  if [ "$kind" != gate ] && recorded "step $n done"; then
    echo "   done before"
    return 0
  fi
  case $kind in
    manual)
      if [ -n "$body" ]; then
        if [ "$env" = gp7_test ]; then
          echo "   on the 7 test system, not here:"
          printf '%s\n' "$body" | sed 's/^/    /'
        else
          run_commands "$env" "$body" || echo "   (a command above failed: check before confirming)"
        fi
      fi
      confirm_manual "$n"
      ;;
    gate)
      if ! run_commands "$env" "$body"; then
        echo "GATE $n FAILED: $title. Nothing after it runs; fix the cause (to redo a step, delete its \"step N done\" line from $STATE) and run the phase again." >&2
        return 1
      fi
      record "gate $n passed"
      ;;
    point-of-no-return)
      confirm_destructive "$n" "$title"
      run_commands "$env" "$body" || {
        echo "step $n failed: $title" >&2
        return 1
      }
      ;;
    *)
      run_commands "$env" "$body" || {
        echo "step $n failed: $title" >&2
        return 1
      }
      ;;
  esac
  record "step $n done"
}

"##;

/// Argument handling, phase order and the listing.
const MAIN: &str = r##"# Lists the phases and their steps with what the state file says.
status() {
  local p n
  echo "cluster $CLUSTER; state in $STATE"
  for p in "${PHASES[@]}"; do
    if recorded "phase $p done"; then echo "  [done]    $p"; else echo "  [pending] $p"; fi
  done
  n=$(grep -c '^step [0-9]* done ' "$STATE" 2>/dev/null) || true
  echo "steps done: ${n:-0}; gates passed: $(grep -c '^gate ' "$STATE" 2>/dev/null || true)"
  echo "run: $0 PHASE (the first pending one), or $0 --dry-run PHASE"
}

main() {
  local phase="" p
  while [ $# -gt 0 ]; do
    case $1 in
      --dry-run) DRY_RUN=1; shift ;;
      --yes)
        [ $# -ge 2 ] || die "--yes needs the cluster's name"
        [ "$2" = "$CLUSTER" ] || die "--yes $2: this script is for cluster $CLUSTER"
        YES=$2
        shift 2
        ;;
      -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
      -*) die "unknown option $1" ;;
      *)
        [ -z "$phase" ] || die "one phase at a time"
        phase=$1
        shift
        ;;
    esac
  done
  if [ "$DRY_RUN" = 1 ]; then
    for p in "${PHASES[@]}"; do
      [ -z "$phase" ] || [ "$p" = "$phase" ] || continue
      echo "# phase $p"
      run_phase "$p"
    done
    return 0
  fi
  [ -d "$WORKDIR" ] || die "$WORKDIR does not exist: create it and put the files of whpg-plan report --layout-dir there"
  for p in gpinitsystem_input_7 hostfile_all directories_7 instances_7 whpg_gates.sh; do
    [ -f "$WORKDIR/$p" ] || die "$WORKDIR/$p is missing: whpg-plan report --layout-dir writes it"
  done
  touch "$STATE" || die "cannot write $STATE"
  if [ -z "$phase" ]; then
    status
    return 0
  fi
  case " ${PHASES[*]} " in
    *" $phase "*) ;;
    *) die "no phase $phase; the phases: ${PHASES[*]}" ;;
  esac
  exec 9>>"$STATE.lock"
  flock -n 9 || die "another upgrade.sh is running"
  for p in "${PHASES[@]}"; do
    [ "$p" = "$phase" ] && break
    recorded "phase $p done" || die "phase $p is not done yet: run $0 $p first"
  done
  recorded "phase $phase done" && die "phase $phase is done already"
  echo "== phase $phase"
  run_phase "$phase" || die "phase $phase stopped"
  record "phase $phase done"
  echo "== phase $phase done"
}

main "$@"
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::view::fixture;

    #[test]
    fn phases_carry_their_planned_time_and_the_point_of_no_return_its_offset() {
        let mut e = crate::report::view::tests::small();
        fixture::with_timelines(&mut e);
        let s = ScriptExporter {
            plan: Some(PlanId::DeleteAndReinit),
        }
        .script(&e)
        .unwrap();
        // delete-and-reinit: backup 1 h from +0:00, gpdeletesystem 5 min
        // from +1:00, init 7 10 min from +1:05, restore from +1:15.
        assert!(
            s.contains("# Phase backup: backup; planned: starts +0:00, about 1 h 00 min (45 min – 1 h 15 min)."),
            "{s}"
        );
        assert!(
            s.contains(
                "  echo '   planned: starts +1:15, about 2 h 30 min (1 h 52 min – 3 h 07 min)'"
            ),
            "{s}"
        );
        let marked = s
            .matches("point of no return at +1:00 (planned): the 6 cluster")
            .count();
        // Once in the comment and once in the echo of the one step.
        assert_eq!(marked, 2, "{s}");
        // Without a timeline the script is as before.
        let plain = ScriptExporter {
            plan: Some(PlanId::DeleteAndReinit),
        }
        .script(&crate::report::view::tests::untimed())
        .unwrap();
        assert!(!plain.contains("planned:"));
        assert!(!plain.contains("point of no return at"));
    }
}
