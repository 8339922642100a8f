//! Which part of an outline one process makes: `--shard I/N` as the user writes it, or
//! `--shard auto` (`auto/N`) read from the variables a cluster scheduler gives each task, so
//! a Slurm array or a Kubernetes Indexed Job can run the same command on every node.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The part of an outline one process makes: figures with `index % count == index_1 - 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based, as the user writes it (`--shard 2/4`).
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub fn contains(&self, figure_index: usize) -> bool {
        figure_index % self.count as usize == (self.index - 1) as usize
    }

    /// `--shard`'s value: `I/N`, or `auto` / `auto/N` answered from the scheduler's
    /// variables (`env` looks one up; the binary passes the process environment).
    pub fn resolve(value: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let bad = |problem| ShardError {
            value: value.to_string(),
            problem,
        };
        let trimmed = value.trim();
        let Some(rest) = trimmed.strip_prefix("auto") else {
            return trimmed.parse::<Shard>();
        };
        let given_count = match rest {
            "" => None,
            _ => match rest.strip_prefix('/').map(str::trim) {
                Some(n) => Some(parse_count(n).map_err(bad)?),
                None => return Err(bad(ShardProblem::NotTwoNumbers)),
            },
        };
        let slurm = env(SLURM_ID).is_some();
        let kubernetes = env(KUBERNETES_INDEX).is_some();
        let (index0, count) = match (slurm, kubernetes) {
            (true, true) => return Err(bad(ShardProblem::TwoSchedulers)),
            (false, false) => return Err(bad(ShardProblem::NoScheduler)),
            (true, false) => {
                let (i, n) = slurm_position(env).map_err(bad)?;
                if let Some(given) = given_count.filter(|&g| g != n) {
                    return Err(bad(ShardProblem::CountDisagrees {
                        given,
                        scheduler: n,
                    }));
                }
                (i, n)
            }
            (false, true) => {
                let i = env_number(env, KUBERNETES_INDEX).map_err(bad)?;
                let n = given_count.ok_or_else(|| bad(ShardProblem::KubernetesNeedsCount))?;
                if i >= n {
                    return Err(bad(ShardProblem::IndexOutOfRange {
                        variable: KUBERNETES_INDEX,
                        index: i,
                        count: n,
                    }));
                }
                (i, n)
            }
        };
        Ok(Shard {
            index: index0 + 1,
            count,
        })
    }
}

const SLURM_ID: &str = "SLURM_ARRAY_TASK_ID";
const SLURM_COUNT: &str = "SLURM_ARRAY_TASK_COUNT";
const SLURM_MIN: &str = "SLURM_ARRAY_TASK_MIN";
const SLURM_MAX: &str = "SLURM_ARRAY_TASK_MAX";
const SLURM_STEP: &str = "SLURM_ARRAY_TASK_STEP";
const KUBERNETES_INDEX: &str = "JOB_COMPLETION_INDEX";

/// A task's 0-based position and the number of tasks in a Slurm array. Task ids are those of
/// `--array=MIN-MAX[:STEP]`, so `--array=1-4` and `--array=0-3` both give shards 1..4; a
/// list like `--array=1,3,7` has no position to derive, so it is refused, not guessed.
fn slurm_position(env: &dyn Fn(&str) -> Option<String>) -> Result<(u32, u32), ShardProblem> {
    let id = env_number(env, SLURM_ID)?;
    let optional = |name| env(name).map(|_| env_number(env, name)).transpose();
    let min = optional(SLURM_MIN)?;
    let max = optional(SLURM_MAX)?;
    let step = optional(SLURM_STEP)?.unwrap_or(1).max(1);
    let count = optional(SLURM_COUNT)?;
    let (first, n) = match (min, max, count) {
        (Some(min), Some(max), _) if max >= min => (min, (max - min) / step + 1),
        (Some(min), None, Some(n)) => (min, n),
        // Slurm always sets MIN; a wrapper that passes only ID and COUNT numbers from 0.
        (None, _, Some(n)) => (0, n),
        _ => return Err(ShardProblem::SlurmIncomplete),
    };
    if count.is_some_and(|c| c != n) {
        return Err(ShardProblem::SlurmNotARange);
    }
    if id < first || (id - first) % step != 0 || (id - first) / step >= n {
        return Err(ShardProblem::IndexOutOfRange {
            variable: SLURM_ID,
            index: id,
            count: n,
        });
    }
    Ok(((id - first) / step, n))
}

fn env_number(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<u32, ShardProblem> {
    let value = env(name).unwrap_or_default();
    value.trim().parse().map_err(|_| ShardProblem::BadVariable {
        variable: name,
        value,
    })
}

fn parse_count(n: &str) -> Result<u32, ShardProblem> {
    let count: u32 = n
        .parse()
        .map_err(|_| ShardProblem::NotANumber(n.to_string()))?;
    if count == 0 {
        return Err(ShardProblem::NoShards);
    }
    Ok(count)
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("--shard {value}: {problem}\nhint: {}", problem.hint())]
pub struct ShardError {
    pub value: String,
    pub problem: ShardProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShardProblem {
    NotTwoNumbers,
    NotANumber(String),
    NoShards,
    NumberedFromZero,
    NoSuchShard {
        index: u32,
        count: u32,
    },
    NoScheduler,
    TwoSchedulers,
    SlurmIncomplete,
    SlurmNotARange,
    KubernetesNeedsCount,
    BadVariable {
        variable: &'static str,
        value: String,
    },
    IndexOutOfRange {
        variable: &'static str,
        index: u32,
        count: u32,
    },
    CountDisagrees {
        given: u32,
        scheduler: u32,
    },
}

impl ShardProblem {
    /// Whether the value came from `--shard auto` (its fix is in the job script, not in I/N).
    pub fn is_auto(&self) -> bool {
        !matches!(
            self,
            ShardProblem::NotTwoNumbers
                | ShardProblem::NotANumber(_)
                | ShardProblem::NoShards
                | ShardProblem::NumberedFromZero
                | ShardProblem::NoSuchShard { .. }
        )
    }

    fn hint(&self) -> &'static str {
        if self.is_auto() {
            "--shard auto reads SLURM_ARRAY_TASK_ID (a Slurm array job, sbatch --array=1-N) or JOB_COMPLETION_INDEX (a Kubernetes Indexed Job, with --shard auto/N where N is its completions); elsewhere write --shard I/N"
        } else {
            "write it as I/N with 1 <= I <= N, for example --shard 1/4 … --shard 4/4, or --shard auto in a Slurm array or Kubernetes Indexed Job"
        }
    }
}

impl fmt::Display for ShardProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardProblem::NotTwoNumbers => write!(f, "expected two numbers separated by /"),
            ShardProblem::NotANumber(s) => write!(f, "\"{s}\" is not a whole number"),
            ShardProblem::NoShards => write!(f, "the number of shards must be at least 1"),
            ShardProblem::NumberedFromZero => write!(f, "shards are numbered from 1, not 0"),
            ShardProblem::NoSuchShard { index, count } => {
                write!(f, "shard {index} does not exist when there are {count}")
            }
            ShardProblem::NoScheduler => write!(
                f,
                "neither {SLURM_ID} (Slurm) nor {KUBERNETES_INDEX} (Kubernetes) is set"
            ),
            ShardProblem::TwoSchedulers => write!(
                f,
                "both {SLURM_ID} (Slurm) and {KUBERNETES_INDEX} (Kubernetes) are set, so the shard is ambiguous"
            ),
            ShardProblem::SlurmIncomplete => write!(
                f,
                "{SLURM_ID} is set but neither {SLURM_COUNT} nor {SLURM_MIN} and {SLURM_MAX} are"
            ),
            ShardProblem::SlurmNotARange => write!(
                f,
                "the Slurm array is a list, not a range, so a task's position cannot be known"
            ),
            ShardProblem::KubernetesNeedsCount => write!(
                f,
                "{KUBERNETES_INDEX} gives this task's index but not how many tasks there are"
            ),
            ShardProblem::BadVariable { variable, value } => {
                write!(f, "{variable}={value:?} is not a whole number")
            }
            ShardProblem::IndexOutOfRange {
                variable,
                index,
                count,
            } => write!(f, "{variable}={index} is not one of the {count} tasks"),
            ShardProblem::CountDisagrees { given, scheduler } => write!(
                f,
                "the command says {given} shards but the Slurm array has {scheduler} tasks"
            ),
        }
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let bad = |problem| ShardError {
            value: s.to_string(),
            problem,
        };
        let (i, n) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| bad(ShardProblem::NotTwoNumbers))?;
        let index: u32 = i
            .trim()
            .parse()
            .map_err(|_| bad(ShardProblem::NotANumber(i.trim().to_string())))?;
        let count = parse_count(n.trim()).map_err(bad)?;
        if index == 0 {
            return Err(bad(ShardProblem::NumberedFromZero));
        }
        if index > count {
            return Err(bad(ShardProblem::NoSuchShard { index, count }));
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn written_shards_parse_and_bad_ones_say_why() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        for (input, expected) in [
            ("0/4", "--shard 0/4: shards are numbered from 1, not 0"),
            (
                "5/4",
                "--shard 5/4: shard 5 does not exist when there are 4",
            ),
            (
                "1/0",
                "--shard 1/0: the number of shards must be at least 1",
            ),
            ("a/4", "--shard a/4: \"a\" is not a whole number"),
            ("3", "--shard 3: expected two numbers separated by /"),
        ] {
            let msg = input.parse::<Shard>().unwrap_err().to_string();
            assert_eq!(msg.lines().next().unwrap(), expected);
        }
    }

    #[test]
    fn shards_partition() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard { index: i, count: 3 }).collect();
        for fig in 0..10 {
            assert_eq!(shards.iter().filter(|s| s.contains(fig)).count(), 1);
        }
    }

    #[test]
    fn slurm_arrays_from_one_or_zero_and_with_steps() {
        let shard = |vars: &[(&str, &str)]| Shard::resolve("auto", &with(vars));
        // sbatch --array=1-4, task 3: what Slurm sets.
        let one_based = [
            (SLURM_ID, "3"),
            (SLURM_COUNT, "4"),
            (SLURM_MIN, "1"),
            (SLURM_MAX, "4"),
            (SLURM_STEP, "1"),
        ];
        assert_eq!(shard(&one_based), Ok(Shard { index: 3, count: 4 }));
        // --array=0-3: the same shard for the same position.
        let zero_based = [(SLURM_ID, "2"), (SLURM_MIN, "0"), (SLURM_MAX, "3")];
        assert_eq!(shard(&zero_based), Ok(Shard { index: 3, count: 4 }));
        // --array=0-12:4 → tasks 0, 4, 8, 12.
        let stepped = [
            (SLURM_ID, "8"),
            (SLURM_MIN, "0"),
            (SLURM_MAX, "12"),
            (SLURM_STEP, "4"),
            (SLURM_COUNT, "4"),
        ];
        assert_eq!(shard(&stepped), Ok(Shard { index: 3, count: 4 }));
        // Only ID and COUNT: numbered from 0.
        assert_eq!(
            shard(&[(SLURM_ID, "0"), (SLURM_COUNT, "2")]),
            Ok(Shard { index: 1, count: 2 })
        );
        assert_eq!(
            Shard::resolve("auto/4", &with(&one_based)),
            Ok(Shard { index: 3, count: 4 })
        );
    }

    #[test]
    fn kubernetes_indexed_jobs_need_the_count() {
        let vars = [(KUBERNETES_INDEX, "0")];
        assert_eq!(
            Shard::resolve("auto/3", &with(&vars)),
            Ok(Shard { index: 1, count: 3 })
        );
        assert_eq!(
            Shard::resolve("auto", &with(&vars)).unwrap_err().problem,
            ShardProblem::KubernetesNeedsCount
        );
    }

    #[test]
    fn scheduler_values_that_cannot_name_a_shard_are_refused() {
        let problem = |value: &str, vars: &[(&str, &str)]| {
            Shard::resolve(value, &with(vars)).unwrap_err().problem
        };
        assert_eq!(problem("auto", &[]), ShardProblem::NoScheduler);
        assert_eq!(
            problem("auto", &[(SLURM_ID, "1"), (KUBERNETES_INDEX, "1")]),
            ShardProblem::TwoSchedulers
        );
        assert_eq!(
            problem("auto", &[(SLURM_ID, "1")]),
            ShardProblem::SlurmIncomplete
        );
        // --array=1,3,7: three tasks, but 1..7 is no range of three.
        assert_eq!(
            problem(
                "auto",
                &[
                    (SLURM_ID, "3"),
                    (SLURM_MIN, "1"),
                    (SLURM_MAX, "7"),
                    (SLURM_COUNT, "3")
                ]
            ),
            ShardProblem::SlurmNotARange
        );
        assert_eq!(
            problem(
                "auto/3",
                &[(SLURM_ID, "1"), (SLURM_MIN, "1"), (SLURM_MAX, "4")]
            ),
            ShardProblem::CountDisagrees {
                given: 3,
                scheduler: 4
            }
        );
        assert_eq!(
            problem("auto/2", &[(KUBERNETES_INDEX, "2")]),
            ShardProblem::IndexOutOfRange {
                variable: KUBERNETES_INDEX,
                index: 2,
                count: 2
            }
        );
        assert_eq!(
            problem("auto/2", &[(KUBERNETES_INDEX, "x")]),
            ShardProblem::BadVariable {
                variable: KUBERNETES_INDEX,
                value: "x".into()
            }
        );
        assert_eq!(problem("autox", &[]), ShardProblem::NotTwoNumbers);
        assert!(Shard::resolve("auto", &with(&[]))
            .unwrap_err()
            .to_string()
            .contains("sbatch --array"));
    }
}
