//! The waiting line of a server: one line per client, served in turn (round robin), so one
//! person's report of forty figures does not make everyone else wait for all forty.

use std::collections::{HashMap, VecDeque};

use super::store::JobId;

/// Jobs waiting to run, by client. A client is whatever [`super::api`] says tells people
/// apart (the remote address).
#[derive(Debug, Default)]
pub struct FairQueue {
    /// Clients with waiting jobs, the next to be served first.
    turns: VecDeque<String>,
    lines: HashMap<String, VecDeque<JobId>>,
    len: usize,
}

impl FairQueue {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many jobs `client` has waiting.
    pub fn waiting_for(&self, client: &str) -> usize {
        self.lines.get(client).map_or(0, VecDeque::len)
    }

    /// How many clients have jobs waiting.
    pub fn clients(&self) -> usize {
        self.turns.len()
    }

    /// Adds a job at the end of its client's line; a client with no waiting job joins the
    /// turns at the end.
    pub fn push(&mut self, client: &str, id: JobId) {
        let line = self.lines.entry(client.to_string()).or_default();
        if line.is_empty() {
            self.turns.push_back(client.to_string());
        }
        line.push_back(id);
        self.len += 1;
    }

    /// The next job to run: the first of the client whose turn it is; that client goes to
    /// the end of the turns if it has more.
    pub fn pop(&mut self) -> Option<JobId> {
        let client = self.turns.pop_front()?;
        let line = self.lines.get_mut(&client)?;
        let id = line.pop_front();
        if line.is_empty() {
            self.lines.remove(&client);
        } else {
            self.turns.push_back(client);
        }
        if id.is_some() {
            self.len -= 1;
        }
        id
    }

    /// Takes a waiting job out of its line (a cancel); false when it is not waiting.
    pub fn remove(&mut self, id: &JobId) -> bool {
        let Some(client) = self
            .lines
            .iter()
            .find(|(_, line)| line.contains(id))
            .map(|(c, _)| c.clone())
        else {
            return false;
        };
        let line = self.lines.get_mut(&client).expect("found above");
        line.retain(|j| j != id);
        if line.is_empty() {
            self.lines.remove(&client);
            self.turns.retain(|c| c != &client);
        }
        self.len -= 1;
        true
    }

    /// Every waiting job in the order they will run if nothing else arrives.
    pub fn order(&self) -> Vec<JobId> {
        let mut lines: HashMap<&str, VecDeque<&JobId>> = self
            .lines
            .iter()
            .map(|(c, l)| (c.as_str(), l.iter().collect()))
            .collect();
        let mut turns: VecDeque<&str> = self.turns.iter().map(String::as_str).collect();
        let mut out = Vec::with_capacity(self.len);
        while let Some(client) = turns.pop_front() {
            let Some(line) = lines.get_mut(client) else {
                continue;
            };
            if let Some(id) = line.pop_front() {
                out.push(id.clone());
            }
            if !line.is_empty() {
                turns.push_back(client);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> JobId {
        JobId::parse(&format!("{n:032x}")).unwrap()
    }

    #[test]
    fn clients_take_turns() {
        let mut q = FairQueue::default();
        // Alice sends three jobs before Bob and Carol send one each.
        q.push("alice", id(1));
        q.push("alice", id(2));
        q.push("alice", id(3));
        q.push("bob", id(4));
        q.push("carol", id(5));
        assert_eq!(q.len(), 5);
        assert_eq!(q.order(), vec![id(1), id(4), id(5), id(2), id(3)]);
        let mut popped = Vec::new();
        while let Some(j) = q.pop() {
            popped.push(j);
        }
        assert_eq!(popped, vec![id(1), id(4), id(5), id(2), id(3)]);
        assert!(q.is_empty());
    }

    #[test]
    fn each_clients_waiting_jobs_are_counted() {
        let mut q = FairQueue::default();
        q.push("alice", id(1));
        q.push("alice", id(2));
        q.push("bob", id(3));
        assert_eq!((q.waiting_for("alice"), q.waiting_for("bob")), (2, 1));
        assert_eq!(q.waiting_for("carol"), 0);
        assert_eq!(q.clients(), 2);
        q.remove(&id(3));
        assert_eq!((q.waiting_for("bob"), q.clients()), (0, 1));
        assert_eq!(q.pop(), Some(id(1)));
        assert_eq!(q.waiting_for("alice"), 1);
    }

    #[test]
    fn a_client_who_returns_waits_for_its_turn() {
        let mut q = FairQueue::default();
        q.push("alice", id(1));
        q.push("bob", id(2));
        assert_eq!(q.pop(), Some(id(1)));
        // Alice's new job comes after Bob's, who was waiting.
        q.push("alice", id(3));
        assert_eq!(q.order(), vec![id(2), id(3)]);
    }

    #[test]
    fn removing_a_job_keeps_the_others_in_order() {
        let mut q = FairQueue::default();
        q.push("alice", id(1));
        q.push("bob", id(2));
        q.push("alice", id(3));
        assert!(q.remove(&id(2)));
        assert!(!q.remove(&id(2)));
        assert_eq!(q.len(), 2);
        assert_eq!(q.order(), vec![id(1), id(3)]);
        assert!(q.remove(&id(1)));
        assert!(q.remove(&id(3)));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }
}
