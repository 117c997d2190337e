//! The pair's link over the last 24 hours, a minute at a time: what the Hot Backup page's
//! timeline draws. The server samples the link about once a second; each minute keeps how
//! many samples it had, how many found the link down or Hot Backup off, and the largest
//! lag. Bounded: 24 × 60 minutes, the oldest dropped first. Kept in memory (a restart
//! starts a new day; the audit trail and the event log keep the older story).

use crate::model::Millis;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Minutes kept and shown.
pub const MINUTES: usize = 24 * 60;
const MINUTE_MS: Millis = 60_000;

/// What the link looked like at one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSample {
    /// Hot Backup off: nothing to link.
    Off,
    /// Paired and the peer answers, this far behind (ms).
    Up { lag_ms: u64 },
    /// Paired and the peer does not answer.
    Down,
}

/// One minute of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkMinute {
    /// Minutes since 1970 (UTC).
    pub minute: i64,
    pub samples: u16,
    /// Samples that found the link down...
    pub down: u16,
    /// ...or Hot Backup off.
    pub off: u16,
    pub max_lag_ms: u64,
}

impl LinkMinute {
    /// How the minute is drawn: down if the link was down at any sample, else off if Hot
    /// Backup was off at any, else up.
    pub fn state(&self) -> &'static str {
        if self.down > 0 {
            "down"
        } else if self.off > 0 {
            "off"
        } else {
            "up"
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LinkTimeline {
    minutes: VecDeque<LinkMinute>,
}

impl LinkTimeline {
    /// Adds the sample taken at `at_ms`. A clock that went back adds to the newest minute.
    pub fn record(&mut self, at_ms: Millis, sample: LinkSample) {
        let minute = at_ms.div_euclid(MINUTE_MS);
        let fresh = LinkMinute { minute, samples: 0, down: 0, off: 0, max_lag_ms: 0 };
        let current = match self.minutes.back_mut() {
            Some(last) if last.minute >= minute => last,
            _ => {
                self.minutes.push_back(fresh);
                while self.minutes.front().is_some_and(|m| m.minute <= minute - MINUTES as i64) || self.minutes.len() > MINUTES {
                    self.minutes.pop_front();
                }
                match self.minutes.back_mut() {
                    Some(m) => m,
                    None => return,
                }
            }
        };
        current.samples = current.samples.saturating_add(1);
        match sample {
            LinkSample::Off => current.off = current.off.saturating_add(1),
            LinkSample::Down => current.down = current.down.saturating_add(1),
            LinkSample::Up { lag_ms } => current.max_lag_ms = current.max_lag_ms.max(lag_ms),
        }
    }

    /// The minutes of the 24 hours before `now_ms` that have samples, oldest first.
    pub fn last_day(&self, now_ms: Millis) -> Vec<LinkMinute> {
        let first = now_ms.div_euclid(MINUTE_MS) - MINUTES as i64 + 1;
        self.minutes.iter().filter(|m| m.minute >= first).copied().collect()
    }
}

/// The timeline in words (its text alternative, and the line under it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSummary {
    /// Minutes with samples.
    pub minutes: usize,
    /// Stretches of minutes in which the link was down (consecutive minutes are one).
    pub outages: usize,
    /// Samples that found it down (about one a second).
    pub down_samples: u32,
    pub max_lag_ms: u64,
}

pub fn summary(minutes: &[LinkMinute]) -> LinkSummary {
    let mut s = LinkSummary { minutes: minutes.len(), outages: 0, down_samples: 0, max_lag_ms: 0 };
    let mut previous_down: Option<i64> = None;
    for m in minutes {
        if m.down > 0 {
            if previous_down != Some(m.minute - 1) {
                s.outages += 1;
            }
            previous_down = Some(m.minute);
        }
        s.down_samples += u32::from(m.down);
        s.max_lag_ms = s.max_lag_ms.max(m.max_lag_ms);
    }
    s
}

impl LinkSummary {
    /// "In the last 24 hours: the link was down 2 times, about 1 min 12 s in all; the
    /// largest lag was 2.3 s."
    pub fn text(&self) -> String {
        if self.minutes == 0 {
            return "No samples yet: the timeline fills in as the minutes pass.".into();
        }
        let span = match self.minutes {
            m if m < 60 => format!("{m} min"),
            m if m % 60 == 0 => format!("{} h", m / 60),
            m => format!("{} h {} min", m / 60, m % 60),
        };
        let down = match self.outages {
            0 => "the link was never down".to_string(),
            n => format!(
                "the link was down {n} time(s), about {} in all",
                crate::timefmt::format_duration_s(u64::from(self.down_samples))
            ),
        };
        let lag = crate::timefmt::format_duration_ms(i64::try_from(self.max_lag_ms).unwrap_or(i64::MAX));
        format!("In the last {span} sampled: {down}; the largest lag was {lag}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_795_620_600_000; // a minute's start

    #[test]
    fn samples_fold_into_minutes_and_a_day_is_kept() {
        let mut t = LinkTimeline::default();
        for s in 0..60 {
            let sample = if (10..13).contains(&s) { LinkSample::Down } else { LinkSample::Up { lag_ms: s * 10 } };
            t.record(T0 + s as Millis * 1_000, sample);
        }
        t.record(T0 + 60_000, LinkSample::Off);
        let day = t.last_day(T0 + 61_000);
        assert_eq!(day.len(), 2);
        assert_eq!((day[0].samples, day[0].down, day[0].off, day[0].max_lag_ms), (60, 3, 0, 590));
        assert_eq!((day[0].state(), day[1].state()), ("down", "off"));
        // A clock that went back adds to the newest minute instead of reordering.
        t.record(T0 + 5_000, LinkSample::Up { lag_ms: 1 });
        assert_eq!(t.last_day(T0 + 61_000)[1].samples, 2);
        // Two days later only the last day is left, and never more than a day of minutes.
        for m in 0..(2 * MINUTES as i64) {
            t.record(T0 + (m + 2) * MINUTE_MS, LinkSample::Up { lag_ms: 0 });
        }
        let now = T0 + (2 * MINUTES as i64 + 2) * MINUTE_MS;
        assert_eq!(t.minutes.len(), MINUTES);
        assert_eq!(t.last_day(now).len(), MINUTES - 1, "the minute now has no sample yet");
        assert!(t.last_day(now).iter().all(|m| m.down == 0));
    }

    #[test]
    fn the_summary_counts_outages_as_stretches_and_says_so() {
        let m = |minute: i64, down: u16, lag: u64| LinkMinute { minute, samples: 60, down, off: 0, max_lag_ms: lag };
        let minutes = [m(1, 0, 10), m(2, 30, 0), m(3, 60, 0), m(4, 12, 2_300), m(6, 5, 0), m(7, 0, 40)];
        let s = summary(&minutes);
        assert_eq!((s.outages, s.down_samples, s.max_lag_ms), (2, 107, 2_300));
        assert_eq!(s.text(), "In the last 6 min sampled: the link was down 2 time(s), about 1 min 47 s in all; the largest lag was 2.3 s.");
        assert_eq!(summary(&[m(1, 0, 0)]).text(), "In the last 1 min sampled: the link was never down; the largest lag was 0.0 s.");
        assert!(summary(&[]).text().starts_with("No samples yet"));
    }
}
