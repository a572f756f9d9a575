//! The seed's language, shaped like news text so that search and related lists meet a real
//! archive's selectivity: a Zipfian vocabulary (the word of rank r is drawn with weight 1/r),
//! function words first, then news words, then several thousand generated rarer words; and per
//! tag a cluster of topic words that its articles use far more often than the rest do.

use std::collections::HashSet;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The most frequent words of English news text, in rough order. PostgreSQL's `english`
/// configuration drops them from its index; SQLite's FTS5 keeps them, as a real corpus would.
const FUNCTION_WORDS: &[&str] = &[
    "the", "of", "to", "and", "a", "in", "that", "for", "on", "is", "said", "with", "was", "by",
    "at", "as", "from", "it", "has", "have", "be", "its", "after", "but", "are", "an", "he", "she",
    "they", "their", "who", "will", "were", "this", "which", "not", "been", "more", "also", "year",
    "new", "people", "first", "two", "over", "last", "would", "could", "about", "than",
];

/// Topical words, next in rank: each is in roughly a fifth to a third of the articles.
pub const NEWS_WORDS: &[&str] = &[
    "council",
    "budget",
    "election",
    "minister",
    "market",
    "energy",
    "climate",
    "court",
    "strike",
    "trade",
    "tariff",
    "vote",
    "report",
    "growth",
    "inflation",
    "housing",
    "health",
    "school",
    "police",
    "storm",
    "harbour",
    "railway",
    "bridge",
    "festival",
    "league",
    "final",
    "talks",
    "ceasefire",
    "summit",
    "bank",
    "rates",
    "oil",
    "gas",
    "wind",
    "solar",
    "water",
    "farmers",
    "drought",
    "exports",
    "jobs",
    "wages",
    "pension",
    "tax",
    "reform",
    "mayor",
    "hospital",
    "vaccine",
    "museum",
    "airport",
    "port",
    "factory",
    "startup",
    "chip",
    "data",
    "privacy",
    "science",
    "space",
    "satellite",
    "ocean",
    "forest",
    "city",
    "village",
    "border",
];

/// Words in all: the generated ones fill the ranks after the function and news words.
const SIZE: usize = 6_000;
/// Words in each tag's topic cluster, drawn from the rarer ranks.
const TOPIC_WORDS: usize = 40;
/// Share of an article's body words taken from its primary tag's cluster (its title: twice that).
const TOPIC_SHARE: f64 = 0.2;

/// A weighted list of words, sampled by binary search over the running sum of the weights.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Self {
        let mut sum = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                sum += 1.0 / rank as f64;
                sum
            })
            .collect();
        Zipf { cumulative }
    }

    fn pick(&self, rng: &mut StdRng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

pub struct Vocabulary {
    words: Vec<String>,
    zipf: Zipf,
    /// Per tag (by its index in the seed's tag list), the vocabulary ranks of its topic words.
    topics: Vec<Vec<usize>>,
    topic_zipf: Zipf,
}

impl Vocabulary {
    /// The same vocabulary and topics on every run: both are drawn from fixed seeds.
    pub fn new(tags: usize) -> Self {
        let mut words: Vec<String> = FUNCTION_WORDS
            .iter()
            .chain(NEWS_WORDS)
            .map(|w| w.to_string())
            .collect();
        let mut seen: HashSet<String> = words.iter().cloned().collect();
        let mut rng = StdRng::seed_from_u64(0x6e65_7773);
        while words.len() < SIZE {
            // One or two syllables: about five letters a word, as in English news text.
            let syllables = rng.random_range(1..=2);
            let word: String = (0..syllables).map(|_| syllable(&mut rng)).collect();
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        let common = FUNCTION_WORDS.len() + NEWS_WORDS.len();
        let topics = (0..tags)
            .map(|t| {
                let mut rng = StdRng::seed_from_u64(t as u64);
                (0..TOPIC_WORDS)
                    .map(|_| rng.random_range(common..SIZE))
                    .collect()
            })
            .collect();
        Vocabulary {
            words,
            zipf: Zipf::new(SIZE),
            topics,
            topic_zipf: Zipf::new(TOPIC_WORDS),
        }
    }

    fn word(&self, rng: &mut StdRng, topic: usize, share: f64) -> &str {
        let rank = match self.topics.get(topic) {
            Some(cluster) if rng.random_bool(share) => cluster[self.topic_zipf.pick(rng)],
            _ => self.zipf.pick(rng),
        };
        &self.words[rank]
    }

    fn sentence(&self, rng: &mut StdRng, n: usize, topic: usize, share: f64) -> String {
        let mut s = (0..n)
            .map(|_| self.word(rng, topic, share))
            .collect::<Vec<_>>()
            .join(" ");
        if let Some(first) = s.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        s
    }

    /// A headline of 5 to 9 words, leaning on the topic twice as much as the body does.
    pub fn title(&self, rng: &mut StdRng, topic: usize) -> String {
        let n = rng.random_range(5..10);
        self.sentence(rng, n, topic, TOPIC_SHARE * 2.0)
    }

    /// Three to five paragraphs of 30 to 59 words.
    pub fn body(&self, rng: &mut StdRng, topic: usize) -> String {
        let paragraphs = rng.random_range(3..6);
        (0..paragraphs)
            .map(|_| {
                let n = rng.random_range(30..60);
                let mut p = self.sentence(rng, n, topic, TOPIC_SHARE);
                p.push('.');
                p
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

fn syllable(rng: &mut StdRng) -> String {
    const ONSETS: &[&str] = &[
        "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "br", "st",
        "tr", "gr", "ch", "sh", "pl", "cl",
    ];
    const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ou", "ee"];
    const CODAS: &[&str] = &["", "", "", "n", "r", "l", "s", "m", "t", "nd"];
    let pick = |rng: &mut StdRng, list: &[&'static str]| list[rng.random_range(0..list.len())];
    [pick(rng, ONSETS), pick(rng, VOWELS), pick(rng, CODAS)].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many of `n` bodies contain `word`.
    fn share_containing(v: &Vocabulary, word: &str, topic: usize, n: usize) -> f64 {
        let mut rng = StdRng::seed_from_u64(1);
        let hits = (0..n)
            .filter(|_| {
                v.body(&mut rng, topic)
                    .split_whitespace()
                    .any(|w| w.trim_end_matches('.').eq_ignore_ascii_case(word))
            })
            .count();
        hits as f64 / n as f64
    }

    #[test]
    fn words_are_unique_and_frequency_falls_with_rank() {
        let v = Vocabulary::new(10);
        assert_eq!(v.words.len(), SIZE);
        assert_eq!(v.words.iter().collect::<HashSet<_>>().len(), SIZE);
        let the = share_containing(&v, "the", 0, 300);
        let council = share_containing(&v, "council", 0, 300);
        let rare = share_containing(&v, &v.words[SIZE - 1].clone(), 99, 300);
        assert!(the > 0.95, "a function word is nearly everywhere ({the})");
        assert!(
            (0.1..0.5).contains(&council),
            "a news word is in some ({council})"
        );
        assert!(rare < 0.05, "a rare word is in few ({rare})");
    }

    #[test]
    fn a_tags_topic_words_cluster_in_its_articles() {
        let v = Vocabulary::new(10);
        let topic_word = v.words[v.topics[3][0]].clone();
        let inside = share_containing(&v, &topic_word, 3, 300);
        let outside = share_containing(&v, &topic_word, 4, 300);
        assert!(inside > 4.0 * outside.max(0.01), "{inside} vs {outside}");
    }
}
