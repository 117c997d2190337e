//! Recording a conference, as the original's operator does it: Start (to the recording
//! link its profile names), Pause, Resume, Stop. The state is part of the conference (a
//! synced record), so the Slave has it and a takeover keeps recording; each span recorded
//! goes into the call record when the conference ends. [`act`] is the one place a
//! recording state is entered.

use crate::error::DomainError;
use crate::model::RecordingLink;
use crate::timefmt::Millis;
use serde::{Deserialize, Serialize};

/// Spans one conference records at most (a pause and a resume make one more).
pub const MAX_SPANS: usize = 100;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingState {
    #[default]
    Off,
    Recording,
    Paused,
}

/// Where a conference records: the link as it was when recording started (renaming or
/// deleting the link later does not change a recording under way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingTarget {
    pub link_id: String,
    pub name: String,
    pub address: String,
}

/// One stretch of recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub from_ms: Millis,
    pub to_ms: Millis,
}

/// A conference's recording.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    pub state: RecordingState,
    /// Set from Start on (kept after Stop: the call record names it).
    #[serde(default)]
    pub target: Option<RecordingTarget>,
    /// When the span under way began (while Recording).
    #[serde(default)]
    pub since_ms: Option<Millis>,
    /// The spans done.
    #[serde(default)]
    pub spans: Vec<Span>,
    /// When another MCU took over while this was recording (it went on there).
    #[serde(default)]
    pub continued_after_takeover_ms: Option<Millis>,
}

/// What an operator does to a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingAction {
    Start,
    Pause,
    Resume,
    Stop,
}

impl RecordingAction {
    pub fn parse(s: &str) -> Option<RecordingAction> {
        Some(match s {
            "record_start" => RecordingAction::Start,
            "record_pause" => RecordingAction::Pause,
            "record_resume" => RecordingAction::Resume,
            "record_stop" => RecordingAction::Stop,
            _ => return None,
        })
    }

    /// What the operator is told afterwards.
    pub fn done(self, conference: &str, r: &Recording) -> String {
        let to = r.target.as_ref().map(|t| format!(" to {}", t.name)).unwrap_or_default();
        match self {
            RecordingAction::Start => format!("{conference}: recording{to}."),
            RecordingAction::Pause => format!("{conference}: recording paused."),
            RecordingAction::Resume => format!("{conference}: recording resumed{to}."),
            RecordingAction::Stop => format!("{conference}: recording stopped ({} recorded).", crate::timefmt::format_duration_s(total_ms(&r.spans) as u64 / 1000)),
        }
    }
}

fn total_ms(spans: &[Span]) -> i64 {
    spans.iter().map(|s| (s.to_ms - s.from_ms).max(0)).sum()
}

impl Recording {
    /// The spans, the one under way closed at `now` (for a call record, or to show).
    pub fn spans_until(&self, now: Millis) -> Vec<Span> {
        let mut all = self.spans.clone();
        if let Some(from_ms) = self.since_ms {
            all.push(Span { from_ms, to_ms: now.max(from_ms) });
        }
        all
    }

    /// "REC", "REC paused" or nothing, as the list and the grid show it.
    pub fn badge(&self) -> Option<&'static str> {
        match self.state {
            RecordingState::Off => None,
            RecordingState::Recording => Some("REC"),
            RecordingState::Paused => Some("REC paused"),
        }
    }
}

/// The recording after `action` at `now`: Start needs the recording link of the
/// conference's profile (`link`); Pause only while recording, Resume only while paused,
/// Stop while recording or paused. Each refusal says why.
pub fn act(r: &Recording, action: RecordingAction, link: Option<&RecordingLink>, conference: &str, now: Millis) -> Result<Recording, DomainError> {
    use RecordingAction as A;
    use RecordingState as S;
    let refuse = |m: String| Err(DomainError::Conflict(m));
    let close = |r: &Recording| {
        let mut spans = r.spans.clone();
        if let Some(from_ms) = r.since_ms {
            spans.push(Span { from_ms, to_ms: now.max(from_ms) });
        }
        spans
    };
    match (r.state, action) {
        (S::Off, A::Start) => {
            let Some(link) = link else {
                return refuse(format!("'{conference}' cannot record: its profile names no recording link (Conference Profiles ▸ Recording link)."));
            };
            if r.spans.len() >= MAX_SPANS {
                return refuse(format!("'{conference}' has recorded {MAX_SPANS} times already: start a new conference to record more."));
            }
            let target = RecordingTarget { link_id: link.id.clone(), name: link.name.clone(), address: link.address.clone() };
            Ok(Recording { state: S::Recording, target: Some(target), since_ms: Some(now), ..r.clone() })
        }
        (S::Recording, A::Pause) => Ok(Recording { state: S::Paused, since_ms: None, spans: close(r), ..r.clone() }),
        (S::Paused, A::Resume) => {
            if r.spans.len() >= MAX_SPANS {
                return refuse(format!("'{conference}' has recorded {MAX_SPANS} times already: stop the recording."));
            }
            Ok(Recording { state: S::Recording, since_ms: Some(now), ..r.clone() })
        }
        (S::Recording | S::Paused, A::Stop) => Ok(Recording { state: S::Off, since_ms: None, spans: close(r), ..r.clone() }),
        (S::Recording | S::Paused, A::Start) => refuse(format!("'{conference}' is recording already.")),
        (S::Off, A::Pause | A::Resume | A::Stop) => refuse(format!("'{conference}' is not recording.")),
        (S::Paused, A::Pause) => refuse(format!("'{conference}': the recording is paused already.")),
        (S::Recording, A::Resume) => refuse(format!("'{conference}' is recording: nothing to resume.")),
    }
}

/// After a takeover: a conference recording (or paused) on the MCU that failed goes on here,
/// and says so. `None` when it was not recording.
pub fn continued_after_takeover(r: &Recording, now: Millis) -> Option<Recording> {
    (r.state != RecordingState::Off).then(|| Recording { continued_after_takeover_ms: Some(now), ..r.clone() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> RecordingLink {
        RecordingLink { id: "l1".into(), name: "Recorder 1".into(), address: "10.0.0.9".into() }
    }

    #[test]
    fn start_pause_resume_stop_record_spans_and_each_wrong_step_is_refused() {
        let off = Recording::default();
        let e = act(&off, RecordingAction::Start, None, "Board", 0).expect_err("no link");
        assert!(e.to_string().contains("names no recording link"), "{e}");
        let on = act(&off, RecordingAction::Start, Some(&link()), "Board", 1_000).expect("start");
        assert_eq!((on.state, on.badge()), (RecordingState::Recording, Some("REC")));
        assert!(act(&on, RecordingAction::Start, Some(&link()), "Board", 2_000).is_err(), "twice");
        assert!(act(&on, RecordingAction::Resume, None, "Board", 2_000).is_err());
        let paused = act(&on, RecordingAction::Pause, None, "Board", 61_000).expect("pause");
        assert_eq!((paused.state, paused.badge(), paused.spans.clone()), (RecordingState::Paused, Some("REC paused"), vec![Span { from_ms: 1_000, to_ms: 61_000 }]));
        assert!(act(&paused, RecordingAction::Pause, None, "Board", 62_000).is_err());
        let again = act(&paused, RecordingAction::Resume, None, "Board", 121_000).expect("resume");
        assert_eq!(again.spans_until(181_000), vec![Span { from_ms: 1_000, to_ms: 61_000 }, Span { from_ms: 121_000, to_ms: 181_000 }]);
        let stopped = act(&again, RecordingAction::Stop, None, "Board", 181_000).expect("stop");
        assert_eq!((stopped.state, stopped.spans.len(), stopped.since_ms), (RecordingState::Off, 2, None));
        assert_eq!(RecordingAction::Stop.done("Board", &stopped), "Board: recording stopped (2 min 0 s recorded).");
        assert!(act(&stopped, RecordingAction::Stop, None, "Board", 200_000).is_err());
        assert_eq!(stopped.target.map(|t| t.name), Some("Recorder 1".into()), "the call record names it");
        assert_eq!(RecordingAction::parse("record_pause"), Some(RecordingAction::Pause));
        assert_eq!(RecordingAction::parse("record"), None);
    }

    #[test]
    fn a_takeover_keeps_recording_and_says_so_and_spans_are_bounded() {
        let on = act(&Recording::default(), RecordingAction::Start, Some(&link()), "Board", 0).expect("start");
        let went_on = continued_after_takeover(&on, 5_000).expect("recording");
        assert_eq!((went_on.state, went_on.continued_after_takeover_ms), (RecordingState::Recording, Some(5_000)));
        assert_eq!(continued_after_takeover(&Recording::default(), 5_000), None);
        let full = Recording { spans: vec![Span { from_ms: 0, to_ms: 1 }; MAX_SPANS], ..Recording::default() };
        assert!(act(&full, RecordingAction::Start, Some(&link()), "Board", 0).is_err());
    }
}
