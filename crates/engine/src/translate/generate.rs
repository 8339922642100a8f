//! What transformers' `generate()` does for a Marian model with the repo's generation config:
//! beam search (`num_beams` > 1) or greedy decoding, with the logits processors a
//! `generation_config.json` can turn on (`bad_words_ids`, `forced_eos_token_id`,
//! `forced_bos_token_id`, `min_length`/`min_new_tokens`, `no_repeat_ngram_size`,
//! `repetition_penalty`, `renormalize_logits`), the length penalty and the three
//! `early_stopping` modes.
//!
//! The beam search follows transformers 5's vectorised `_beam_search` step for step, in f32
//! like it: each step keeps the best `2·num_beams` continuations over all beams (more with
//! several EOS tokens), continues the best `num_beams` that did not just finish, and merges
//! the ones among the top `num_beams` that finished into the finished set, scored
//! `sum_logprobs / generated_len^length_penalty`. Inputs of a batch are independent in
//! transformers (a finished input's state can no longer change), so each input here leaves
//! the batch as soon as it is done instead of being carried along.
//!
//! Ties: `torch.topk` does not define the order of equal values. Equal scores arise only
//! among placeholders (`-1e9`-penalised or `-inf` candidates), which can never be the output,
//! so the lower index is taken first.

use candle_core::{Result, Tensor};

use super::config::{EarlyStopping, GenerationParams};
use super::marian::{Encoded, MarianMTModel};
use crate::pipeline::kernels::{log_softmax, Isa};

/// One input's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothesis {
    /// The whole sequence as `generate()` returns it: the decoder start token, the generated
    /// tokens and, unless cut at `max_length`, the EOS token.
    pub ids: Vec<u32>,
    /// Whether the sequence reached `max_length` (with `forced_eos_token_id` its last token is
    /// then the forced EOS).
    pub hit_max_length: bool,
    /// Beam search's `sequences_scores`: the summed log-probabilities over
    /// `generated_len^length_penalty`. `None` for greedy decoding.
    pub score: Option<f32>,
}

/// Sees each step's raw logits (`[rows, vocab]`, the running beams of every input still in
/// the batch, in order) before anything is done with them; tests compare them with
/// transformers' `output_logits`.
pub type StepObserver<'a> = &'a mut dyn FnMut(usize, &Tensor) -> Result<()>;

/// Decodes every input of `encoded` as `generate()` does.
pub fn generate(
    model: &MarianMTModel,
    encoded: &Encoded,
    params: &GenerationParams,
    observe: Option<StepObserver>,
) -> Result<Vec<Hypothesis>> {
    if params.num_beams > 1 {
        beam_search(model, encoded, params, observe)
    } else {
        greedy(model, encoded, params, observe)
    }
}

/// Applies the processors `_get_logits_processor` builds from the generation config, in its
/// order, to the scores of one row whose tokens so far are `seq` (decoder start included).
fn process(isa: Isa, seq: &[u32], scores: &mut [f32], p: &GenerationParams) {
    let cur_len = seq.len();
    if p.repetition_penalty != 1.0 {
        let pen = p.repetition_penalty as f32;
        let mut seen = std::collections::HashSet::new();
        for &t in seq {
            if seen.insert(t) {
                if let Some(s) = scores.get_mut(t as usize) {
                    *s = if *s < 0.0 { *s * pen } else { *s / pen };
                }
            }
        }
    }
    let n = p.no_repeat_ngram_size;
    if n > 0 && cur_len >= n {
        let prefix = &seq[cur_len + 1 - n..];
        for window in seq.windows(n) {
            if &window[..n - 1] == prefix {
                if let Some(s) = scores.get_mut(window[n - 1] as usize) {
                    *s = f32::NEG_INFINITY;
                }
            }
        }
    }
    for word in &p.bad_words_ids {
        let (last, prefix) = word.split_last().expect("bad words are non-empty");
        if prefix.len() <= cur_len && seq.ends_with(prefix) {
            scores[*last as usize] = f32::NEG_INFINITY;
        }
    }
    if cur_len < p.min_length || cur_len - 1 < p.min_new_tokens {
        for &e in &p.eos_token_ids {
            scores[e as usize] = f32::NEG_INFINITY;
        }
    }
    let force = |scores: &mut [f32], ids: &[u32]| {
        scores.fill(f32::NEG_INFINITY);
        for &t in ids {
            scores[t as usize] = 0.0;
        }
    };
    if let Some(bos) = p.forced_bos_token_id {
        if cur_len == 1 {
            force(scores, &[bos]);
        }
    }
    if !p.forced_eos_token_ids.is_empty() && cur_len + 1 == p.max_length {
        force(scores, &p.forced_eos_token_ids);
    }
    if p.renormalize_logits {
        log_softmax(isa, scores);
    }
}

/// Whether `(a, ia)` ranks before `(b, ib)` in a descending top-k (NaN first, as in torch).
fn ranks_before(a: f32, ia: usize, b: f32, ib: usize) -> bool {
    match (a.is_nan(), b.is_nan()) {
        (true, false) => true,
        (false, true) => false,
        (true, true) => ia < ib,
        _ => a > b || (a == b && ia < ib),
    }
}

/// The `k` largest values of `xs` with their indices, largest first.
fn top_k(xs: &[f32], k: usize) -> Vec<(f32, usize)> {
    let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
    for (i, &x) in xs.iter().enumerate() {
        if best.len() == k {
            let (w, wi) = best[k - 1];
            if !ranks_before(x, i, w, wi) {
                continue;
            }
            best.pop();
        }
        let at = best
            .iter()
            .position(|&(y, iy)| ranks_before(x, i, y, iy))
            .unwrap_or(best.len());
        best.insert(at, (x, i));
    }
    best
}

fn rows_of(logits: &Tensor) -> Result<Vec<Vec<f32>>> {
    logits.to_dtype(candle_core::DType::F32)?.to_vec2::<f32>()
}

fn greedy(
    model: &MarianMTModel,
    encoded: &Encoded,
    p: &GenerationParams,
    mut observe: Option<StepObserver>,
) -> Result<Vec<Hypothesis>> {
    let items = encoded.hidden.dim(0)?;
    let mut cache = model.start(encoded, 1)?;
    let mut seqs: Vec<Vec<u32>> = vec![vec![p.decoder_start_token_id]; items];
    let mut active: Vec<usize> = (0..items).collect();
    let mut step = 0;
    while !active.is_empty() {
        let last: Vec<u32> = active.iter().map(|&i| *seqs[i].last().expect("")).collect();
        let logits = model.step(&last, &mut cache)?;
        if let Some(f) = observe.as_mut() {
            f(step, &logits)?;
        }
        let mut keep = Vec::new();
        for (row, mut scores) in rows_of(&logits)?.into_iter().enumerate() {
            let item = active[row];
            process(model.isa(), &seqs[item], &mut scores, p);
            // torch.argmax: the first of equal maxima.
            let next = top_k(&scores, 1)[0].1 as u32;
            seqs[item].push(next);
            let stop = p.eos_token_ids.contains(&next) || seqs[item].len() >= p.max_length;
            if !stop {
                keep.push(row);
            }
        }
        let still: Vec<usize> = keep.iter().map(|&r| active[r]).collect();
        if !still.is_empty() && still.len() != active.len() {
            cache.select(&keep, &keep)?;
        }
        active = still;
        step += 1;
    }
    Ok(seqs
        .into_iter()
        .map(|ids| Hypothesis {
            hit_max_length: ids.len() >= p.max_length,
            ids,
            score: None,
        })
        .collect())
}

/// One input's beam search state (transformers' per-batch-entry tensors).
struct Beams {
    running: Vec<Vec<u32>>,
    running_scores: Vec<f32>,
    finished: Vec<Vec<u32>>,
    finished_scores: Vec<f32>,
    is_finished: Vec<bool>,
    heuristic_unsatisfied: bool,
}

/// transformers' placeholder for "no score".
const NO_SCORE: f32 = -1.0e9;

impl Beams {
    fn new(start: u32, beams: usize) -> Self {
        let mut running_scores = vec![NO_SCORE; beams];
        // Only the first beam is live at the start, so its continuations are not repeated.
        running_scores[0] = 0.0;
        Self {
            running: vec![vec![start]; beams],
            running_scores,
            finished: vec![vec![start]; beams],
            finished_scores: vec![NO_SCORE; beams],
            is_finished: vec![false; beams],
            heuristic_unsatisfied: true,
        }
    }

    /// One step for this input. `log_probs`: one processed row per running beam. Returns
    /// each new running beam's parent and whether the input is done; `cur_len` is the length
    /// of the running sequences before this step.
    fn advance(
        &mut self,
        log_probs: &[Vec<f32>],
        p: &GenerationParams,
        cur_len: usize,
    ) -> (Vec<usize>, bool) {
        let nb = p.num_beams;
        let vocab = log_probs[0].len();
        let prompt = 1;
        let mut acc = Vec::with_capacity(nb * vocab);
        for (row, &score) in log_probs.iter().zip(&self.running_scores) {
            acc.extend(row.iter().map(|&x| x + score));
        }
        let keep = 2usize.max(1 + p.eos_token_ids.len()) * nb;
        let top = top_k(&acc, keep);
        let candidates: Vec<(f32, usize, Vec<u32>)> = top
            .iter()
            .map(|&(s, idx)| {
                let (beam, token) = (idx / vocab, (idx % vocab) as u32);
                let mut seq = self.running[beam].clone();
                seq.push(token);
                (s, beam, seq)
            })
            .collect();
        let hits: Vec<bool> = candidates
            .iter()
            .map(|(_, _, seq)| {
                seq.len() >= p.max_length || p.eos_token_ids.contains(seq.last().expect(""))
            })
            .collect();

        // Running beams for the next step: the best that did not just finish.
        let live: Vec<f32> = candidates
            .iter()
            .zip(&hits)
            .map(|((s, _, _), &h)| s + if h { NO_SCORE } else { -0.0 })
            .collect();
        let next = top_k(&live, nb);
        let parents: Vec<usize> = next.iter().map(|&(_, k)| candidates[k].1).collect();
        self.running = next.iter().map(|&(_, k)| candidates[k].2.clone()).collect();
        self.running_scores = next.iter().map(|&(s, _)| s).collect();

        // Finished hypotheses: merge those among the top `nb` that just finished.
        let penalty = (((cur_len + 1 - prompt) as f64).powf(p.length_penalty)) as f32;
        let full = self.is_finished.iter().all(|&f| f) && p.early_stopping == EarlyStopping::Yes;
        let mut merged_scores = self.finished_scores.clone();
        let mut merged: Vec<(Vec<u32>, bool)> = self
            .finished
            .iter()
            .cloned()
            .zip(self.is_finished.iter().copied())
            .collect();
        for (k, ((s, _, seq), &h)) in candidates.iter().zip(&hits).enumerate() {
            let just_finished = h && k < nb;
            // The same sequence of f32 additions as transformers, so that scores compare as
            // they do there.
            let mut score = s / penalty;
            score += if full { NO_SCORE } else { -0.0 };
            score += if self.heuristic_unsatisfied {
                -0.0
            } else {
                NO_SCORE
            };
            score += if just_finished { -0.0 } else { NO_SCORE };
            merged_scores.push(score);
            merged.push((seq.clone(), just_finished));
        }
        let best = top_k(&merged_scores, nb);
        self.finished = best.iter().map(|&(_, k)| merged[k].0.clone()).collect();
        self.is_finished = best.iter().map(|&(_, k)| merged[k].1).collect();
        self.finished_scores = best.iter().map(|&(s, _)| s).collect();

        // Can the running beams still beat the finished ones?
        let cur_len = cur_len + 1;
        let hypothetical = if p.early_stopping == EarlyStopping::Never && p.length_penalty > 0.0 {
            p.max_length - prompt
        } else {
            cur_len - prompt
        };
        let best_possible =
            self.running_scores[0] / ((hypothetical as f64).powf(p.length_penalty)) as f32;
        let worst = self
            .finished_scores
            .iter()
            .copied()
            .fold(f32::INFINITY, f32::min);
        let improvable = self
            .is_finished
            .iter()
            .any(|&f| best_possible > if f { worst } else { NO_SCORE });
        self.heuristic_unsatisfied &= improvable;
        let all_full =
            self.is_finished.iter().all(|&f| f) && p.early_stopping == EarlyStopping::Yes;
        let done = !self.heuristic_unsatisfied || all_full || hits.iter().all(|&h| h);
        (parents, done)
    }

    /// The best finished hypothesis (`sequences[:, 0]`).
    fn best(&self) -> (Vec<u32>, f32) {
        (self.finished[0].clone(), self.finished_scores[0])
    }
}

fn beam_search(
    model: &MarianMTModel,
    encoded: &Encoded,
    p: &GenerationParams,
    mut observe: Option<StepObserver>,
) -> Result<Vec<Hypothesis>> {
    let nb = p.num_beams;
    let items = encoded.hidden.dim(0)?;
    let mut cache = model.start(encoded, nb)?;
    let mut states: Vec<Beams> = (0..items)
        .map(|_| Beams::new(p.decoder_start_token_id, nb))
        .collect();
    let mut results: Vec<Option<(Vec<u32>, f32)>> = vec![None; items];
    let mut active: Vec<usize> = (0..items).collect();
    let mut cur_len = 1;
    let mut step = 0;
    while !active.is_empty() {
        let last: Vec<u32> = active
            .iter()
            .flat_map(|&i| states[i].running.iter().map(|s| *s.last().expect("")))
            .collect();
        let logits = model.step(&last, &mut cache)?;
        if let Some(f) = observe.as_mut() {
            f(step, &logits)?;
        }
        let mut rows = rows_of(&logits)?;
        let mut keep_items = Vec::new();
        let mut keep_rows = Vec::new();
        for (slot, &item) in active.iter().enumerate() {
            let st = &mut states[item];
            let chunk = &mut rows[slot * nb..(slot + 1) * nb];
            for (row, seq) in chunk.iter_mut().zip(&st.running) {
                log_softmax(model.isa(), row);
                process(model.isa(), seq, row, p);
            }
            let (parents, done) = st.advance(chunk, p, cur_len);
            if done {
                results[item] = Some(st.best());
            } else {
                keep_items.push(slot);
                keep_rows.extend(parents.iter().map(|&b| slot * nb + b));
            }
        }
        if !keep_items.is_empty() {
            cache.select(&keep_items, &keep_rows)?;
        }
        active = keep_items.iter().map(|&s| active[s]).collect();
        cur_len += 1;
        step += 1;
    }
    Ok(results
        .into_iter()
        .map(|r| {
            let (ids, score) = r.expect("every input finishes");
            Hypothesis {
                hit_max_length: ids.len() >= p.max_length,
                ids,
                score: Some(score),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::config::EarlyStopping;

    fn params() -> GenerationParams {
        GenerationParams {
            max_length: 10,
            min_length: 0,
            min_new_tokens: 0,
            num_beams: 2,
            length_penalty: 1.0,
            early_stopping: EarlyStopping::Heuristic,
            repetition_penalty: 1.0,
            no_repeat_ngram_size: 0,
            bad_words_ids: vec![],
            forced_bos_token_id: None,
            forced_eos_token_ids: vec![],
            renormalize_logits: false,
            eos_token_ids: vec![0],
            pad_token_id: 5,
            decoder_start_token_id: 5,
        }
    }

    #[test]
    fn top_k_is_descending_with_lower_index_first_on_ties() {
        let xs = [1.0, 3.0, f32::NEG_INFINITY, 3.0, 2.0, f32::NEG_INFINITY];
        assert_eq!(top_k(&xs, 3), vec![(3.0, 1), (3.0, 3), (2.0, 4)]);
        let t = top_k(&xs, 6);
        assert_eq!(t[4].1, 2);
        assert_eq!(t[5].1, 5);
        assert_eq!(top_k(&[f32::NAN, 9.0], 1)[0].1, 0);
    }

    #[test]
    fn processors_ban_force_and_penalise() {
        let mut p = params();
        p.bad_words_ids = vec![vec![5], vec![2, 3]];
        p.forced_eos_token_ids = vec![0];
        p.no_repeat_ngram_size = 2;
        // bad words: 5 always, 3 after a 2; no-repeat: "4 1" occurred, the row ends in 4.
        let mut s = vec![0.5f32; 6];
        process(Isa::Portable, &[5, 4, 1, 2, 4], &mut s, &p);
        assert_eq!(s[5], f32::NEG_INFINITY);
        assert_eq!(s[1], f32::NEG_INFINITY);
        assert_eq!(s[3], 0.5);
        let mut s = vec![0.5f32; 6];
        process(Isa::Portable, &[5, 4, 2], &mut s, &p);
        assert_eq!(s[3], f32::NEG_INFINITY);
        // One short of max_length: only EOS is left.
        let mut s = vec![0.5f32; 6];
        process(Isa::Portable, &[5; 9], &mut s, &p);
        assert_eq!(
            s,
            vec![
                0.0,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY
            ]
        );
        // min_length bans EOS; repetition penalty scales seen tokens by sign.
        p.min_length = 4;
        p.repetition_penalty = 2.0;
        let mut s = vec![1.0f32, -1.0, 1.0, 0.5, 0.5, 0.5];
        process(Isa::Portable, &[5, 1, 2], &mut s, &p);
        assert_eq!(s[0], f32::NEG_INFINITY);
        assert_eq!((s[1], s[2], s[4]), (-2.0, 0.5, 0.5));
        // ...and "2 3" stays banned after a 2.
        assert_eq!(s[3], f32::NEG_INFINITY);
    }

    /// A hand-worked search over a fixed distribution, independent of the network: beam 0's
    /// best continuation finishes at once, the other keeps running and is worse.
    #[test]
    fn a_beam_that_finished_wins_when_nothing_running_can_beat_it() {
        let p = params();
        let mut b = Beams::new(5, 2);
        let ln = |x: f32| x.ln();
        // Step 1 (cur_len 1): EOS 0.6, token 1 0.3, token 2 0.1 (only beam 0 is live).
        let row = vec![
            ln(0.6),
            ln(0.3),
            ln(0.1),
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
        ];
        let (parents, done) = b.advance(&[row.clone(), row], &p, 1);
        assert_eq!(parents, vec![0, 0]);
        assert_eq!(b.running, vec![vec![5, 1], vec![5, 2]]);
        assert_eq!(b.finished[0], vec![5, 0]);
        assert!(b.is_finished[0] && !b.is_finished[1]);
        // Another slot is still unfinished, so the heuristic cannot stop yet.
        assert!(!done);
        // Step 2: both running beams can only finish with p 0.5 each.
        let row = vec![
            ln(0.5),
            ln(0.5),
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
        ];
        let (_, done) = b.advance(&[row.clone(), row], &p, 2);
        assert!(done);
        assert_eq!(b.best().0, vec![5, 0]);
        // The runner-up is "5 1 0" at ln(0.3·0.5)/2.
        assert_eq!(b.finished[1], vec![5, 1, 0]);
        assert!((b.finished_scores[1] - (0.15f32).ln() / 2.0).abs() < 1e-6);
    }
}
